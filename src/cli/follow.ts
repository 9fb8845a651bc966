// `gitops-deploy follow [--env E] [--once] [--interval S]`, `follow status`, `follow pause|resume <service> --env E`.
import { environment } from '../pipeline/config/load';
import type { GitOpsConfig } from '../pipeline/config/types';
import { resolveActor } from '../pipeline/deploy';
import { UserError, errorMessage } from '../pipeline/errors';
import { FOLLOWER, followExitCode, followOnce, inspectService, subscribedServices, type FollowResult } from '../pipeline/follow/follow';
import { readPause, setPaused } from '../pipeline/follow/pause';
import { maskSecrets } from '../pipeline/mask';
import { stringFlag, type CliWiring, type Out, type ParsedArgs } from './wiring';

const ICON: Record<FollowResult['status'], string> = { deployed: '✓', 'rolled-back': '↩', failed: '✗', refused: '✗', 'up-to-date': '=', paused: '⏸', 'no-candidate': '–', error: '?' };

function printResults(results: readonly FollowResult[], io: Out, mask: (t: string) => string): void {
  if (results.length === 0) io.out('no follow subscriptions (add `follow:` to .gitops-deploy.yaml; see "Dev follows main" in the README)');
  for (const r of results) {
    io.out(mask(`${ICON[r.status]} ${r.service} in ${r.environment} (runs ${r.currentTag ?? 'nothing'}): ${r.status} — ${r.detail.split('\n')[0]}`));
    for (const c of r.candidates) io.out(mask(`    ${c.skip ? `skipped ${c.tag}: ${c.skip.reason} — ${c.skip.detail}` : `chose ${c.tag}${c.sourceCommit ? ` (source commit ${c.sourceCommit})` : ''}`}`));
  }
}

function envFlag(args: ParsedArgs, config: GitOpsConfig): string | undefined {
  const env = stringFlag(args, 'env');
  if (env && !environment(config, env)) throw new UserError(`unknown environment "${env}"; environments: ${config.environments.map((e) => e.name).join(', ')}`);
  if (env && !config.follow.some((f) => f.environment === env)) throw new UserError(`${env} follows nothing: add a subscription to \`follow:\` in .gitops-deploy.yaml (e.g. - environment: ${env}, tags: "^main-[0-9a-f]{7,40}$")`);
  return env;
}

/** One pass: bring the checkout up to origin (pause markers, records), then follow. */
async function pass(w: CliWiring, args: ParsedArgs, io: Out, signal: AbortSignal): Promise<{ code: number; results: FollowResult[] }> {
  const vars = process.env;
  const mask = (t: string) => maskSecrets(t, vars);
  const { config } = await w.config(args, undefined, vars);
  const envName = envFlag(args, config);
  const json = !!args.flags.json;
  const firstEnv = envName ?? config.follow[0]?.environment;
  if (!firstEnv) {
    if (!json) printResults([], io, mask);
    else io.out(JSON.stringify({ results: [] }));
    return { code: 0, results: [] };
  }
  const portsFor = new Map<string, ReturnType<CliWiring['ports']>>();
  const ports = (env: string) => portsFor.get(env) ?? portsFor.set(env, w.ports(config, env, vars)).get(env)!;
  const git = ports(firstEnv).git;
  await git.fetch(signal);
  if (!(await git.rebaseOntoRemote(signal))) throw new UserError(`could not bring the checkout up to ${config.git.remote}/${config.git.branch} (the rebase conflicted); resolve it first`);
  const reloaded = (await w.config(args, undefined, vars)).config;
  const results = await followOnce(
    { config: reloaded, ports: ports(firstEnv), readKey: w.depsOverride.readKey },
    (req) => {
      if (!json) io.out(mask(`▸ ${req.service} in ${req.environment}: deploying ${req.tag} (${req.reason})`));
      return w.deploy({ config: reloaded, ports: ports(req.environment), envName: req.environment, service: req.service, vars, mask, actor: FOLLOWER }, req, { json, dryRun: false }, io, signal);
    },
    { environment: envName, signal },
  );
  if (json) io.out(mask(JSON.stringify({ results }, null, 2)));
  else printResults(results, io, mask);
  return { code: followExitCode(results), results };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(); // stopped between the pass and the wait
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/** What the polling loop reports after each pass (one JSON line each with --json): the back-off is a field. */
export type FollowLoopEvent =
  | { event: 'pass'; pass: number; exitCode: number; results: FollowResult[]; consecutiveFailures: number; nextPassInSeconds: number }
  | { event: 'pass-failed'; pass: number; error: string; consecutiveFailures: number; nextPassInSeconds: number }
  | { event: 'stopped'; passes: number; exitCode: number };

/** Seconds until the next pass: the interval, ×2 per consecutive failed pass, at most ×16. */
export function nextPassSeconds(intervalSeconds: number, consecutiveFailures: number): number {
  return intervalSeconds * 2 ** Math.min(consecutiveFailures, 4);
}

async function followLoop(w: CliWiring, args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const flag = stringFlag(args, 'interval');
  if (flag !== undefined && !/^[1-9]\d{0,5}$/.test(flag)) throw new UserError(`--interval needs seconds (1–999999), not "${flag}"`);
  const json = !!args.flags.json;
  const mask = (t: string) => maskSecrets(t, process.env);
  const emit = (e: FollowLoopEvent) => io.out(mask(JSON.stringify(e)));
  let code = 0;
  let failures = 0;
  let passes = 0;
  while (!signal.aborted) {
    let base = flag ? Number(flag) : 60;
    passes++;
    let event: FollowLoopEvent;
    try {
      const { config } = await w.config(args, undefined, process.env);
      base = flag ? Number(flag) : Math.min(...config.follow.map((f) => f.intervalSeconds), 60);
      const r = await pass(w, args, json ? { out: () => undefined, err: io.err } : io, signal);
      code = Math.max(code, r.code);
      // A pass that could not observe (registry unreachable) counts as failed: back off.
      failures = r.results.some((x) => x.status === 'error') ? failures + 1 : 0;
      event = { event: 'pass', pass: passes, exitCode: r.code, results: r.results, consecutiveFailures: failures, nextPassInSeconds: nextPassSeconds(base, failures) };
    } catch (err) {
      if (err instanceof UserError && !signal.aborted) throw err;
      failures++;
      event = { event: 'pass-failed', pass: passes, error: errorMessage(err), consecutiveFailures: failures, nextPassInSeconds: nextPassSeconds(base, failures) };
      if (!json) io.err(mask(`follow: pass failed: ${event.error}`));
    }
    if (json) emit(event);
    if (signal.aborted) break;
    if (!json) io.err(`follow: next pass in ${event.nextPassInSeconds} s${failures ? ` (backing off after ${failures} failed pass${failures === 1 ? '' : 'es'})` : ''}`);
    await sleep(event.nextPassInSeconds * 1000, signal);
  }
  if (json) emit({ event: 'stopped', passes, exitCode: code });
  else io.err(`follow: stopped after ${passes} pass${passes === 1 ? '' : 'es'}`);
  return code;
}

async function status(w: CliWiring, args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const vars = process.env;
  const { config } = await w.config(args, undefined, vars);
  const envName = envFlag(args, config);
  const out: FollowResult[] = [];
  for (const sub of config.follow.filter((f) => !envName || f.environment === envName)) {
    const deps = { config, ports: w.ports(config, sub.environment, vars), readKey: w.depsOverride.readKey };
    for (const { service, tag } of await subscribedServices(config, sub)) {
      const pause = await readPause(config, sub.environment, service);
      const ins = await inspectService(deps, sub, service, tag, { signal });
      out.push({ service, environment: sub.environment, currentTag: tag, status: pause ? 'paused' : ins.chosen ? 'no-candidate' : ins.status!, detail: pause ? `paused by ${pause.by}` : ins.chosen ? `would deploy ${ins.chosen.tag}` : ins.detail!, candidates: ins.candidates, chosen: ins.chosen, pause });
    }
  }
  if (args.flags.json) io.out(maskSecrets(JSON.stringify({ results: out }, null, 2), vars));
  else printResults(out, io, (t) => maskSecrets(t, vars));
  return 0;
}

async function pauseOrResume(w: CliWiring, paused: boolean, args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const [, service, extra] = args.positional;
  const verb = paused ? 'pause' : 'resume';
  if (!service) throw new UserError(`follow ${verb} needs a service: gitops-deploy follow ${verb} <service> --env <env>`);
  if (extra !== undefined) throw new UserError(`unexpected argument "${extra}"`);
  const envName = stringFlag(args, 'env');
  if (!envName) throw new UserError(`follow ${verb} needs --env <environment>`);
  const vars = process.env;
  const { config } = await w.config(args, envName, vars);
  envFlag(args, config);
  const ports = w.ports(config, envName, vars);
  const actor = await resolveActor(w.depsOverride.actor, vars, ports.git);
  const r = await setPaused(config, ports.git, { environment: envName, service, paused, actor, reason: stringFlag(args, 'reason'), now: (w.depsOverride.clock ?? ports.clock).now() }, signal);
  if (args.flags.json) io.out(JSON.stringify({ service, environment: envName, paused, ...r }, null, 2));
  else io.out(r.changed ? `${paused ? 'paused' : 'resumed'} following of ${service} in ${envName} (${r.file}, commit ${r.commit})` : `following of ${service} in ${envName} was already ${paused ? 'paused' : 'running'}; nothing changed`);
  return 0;
}

export async function followCommand(args: ParsedArgs, io: Out, signal: AbortSignal, w: CliWiring): Promise<number> {
  const sub = args.positional[0];
  if (sub === 'pause' || sub === 'resume') return pauseOrResume(w, sub === 'pause', args, io, signal);
  if (sub === 'status') return status(w, args, io, signal);
  if (sub !== undefined) throw new UserError(`unknown follow subcommand "${sub}" (follow [--once], follow status, follow pause|resume <service> --env <env>)`);
  if (args.flags.once) return (await pass(w, args, io, signal)).code;
  return followLoop(w, args, io, signal);
}

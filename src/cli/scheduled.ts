// `gitops-deploy deploy … --at <time|window-opens>` and `gitops-deploy scheduled list|run|cancel`.
import * as path from 'node:path';
import { environment } from '../pipeline/config/load';
import { planDeployment, resolveActor } from '../pipeline/deploy';
import { UserError } from '../pipeline/errors';
import { maskSecrets } from '../pipeline/mask';
import { relativeTime } from '../pipeline/model/format';
import { cancelSchedule, createSchedule, isPending, listSchedules, resolveAt, runDueSchedules, type ScheduleRun } from '../pipeline/schedule/schedule';
import { stringFlag, type CliWiring, type Out, type ParsedArgs } from './wiring';

const EXIT = { ok: 0, refused: 2, rolledBack: 3, needsHuman: 4 } as const;

async function add(w: CliWiring, args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const [, service, extra] = args.positional;
  if (!service) throw new UserError('deploy --at needs a service: gitops-deploy deploy <service> --env <env> --at <time|window-opens> --reason "…"');
  if (extra !== undefined) throw new UserError(`unexpected argument "${extra}"`);
  const envName = stringFlag(args, 'env');
  if (!envName) throw new UserError('deploy needs --env <environment>');
  if (args.flags['override-window']) throw new UserError('--at schedules for when the window is open; it cannot be combined with --override-window');
  if (args.flags['dry-run']) throw new UserError('--at with --dry-run: leave out --at to see the plan');
  const reason = stringFlag(args, 'reason')?.trim();
  if (!reason) throw new UserError('a scheduled promotion needs --reason "CHG-1234 what and why" (it is recorded in the schedule, the commit and the record)');
  const at = stringFlag(args, 'at')!;
  const vars = process.env;
  const mask = (t: string) => maskSecrets(t, vars);
  const { config } = await w.config(args, envName, vars);
  const ports = w.ports(config, envName, vars);
  const now = (w.depsOverride.clock ?? ports.clock).now();
  const notBefore = resolveAt(at, config, envName, now);
  const deps = { config, ports, env: vars, ...w.depsOverride };
  const { plan, outcome } = await planDeployment({ service, environment: envName, tag: stringFlag(args, 'tag'), reason }, deps, { signal });
  if (!plan) throw new UserError(outcome.message);
  // Every check but the window must pass now; the window is what the schedule waits for.
  const failed = plan.checks.filter((c) => c.status === 'failed' && c.name !== 'window');
  const json = !!args.flags.json;
  if (failed.length) {
    if (json) io.out(mask(JSON.stringify({ scheduled: false, plan }, null, 2)));
    else {
      io.err(mask(`✗ not scheduled: ${failed.length} check${failed.length === 1 ? '' : 's'} other than the window failed; nothing was changed`));
      for (const c of failed) io.err(mask(`  - ${c.name}: ${c.detail ?? ''}`));
    }
    return EXIT.refused;
  }
  const actor = await resolveActor(w.depsOverride.actor, vars, ports.git);
  const s = await createSchedule(config, ports.git, plan, { reason, actor, notBefore, now }, signal);
  if (json) io.out(mask(JSON.stringify({ scheduled: true, schedule: s, plan }, null, 2)));
  else io.out(mask(`scheduled ${s.service} ${s.previousTag} → ${s.tag} in ${s.environment} not before ${s.notBefore} (${relativeTime(s.notBefore, now)}): ${s.file}\n  cancel: gitops-deploy scheduled cancel ${s.id} --env ${s.environment}`));
  return EXIT.ok;
}

async function list(w: CliWiring, args: ParsedArgs, io: Out): Promise<number> {
  const vars = process.env;
  const envName = stringFlag(args, 'env');
  const { config } = await w.config(args, envName, vars);
  const now = (w.depsOverride.clock ?? { now: () => new Date() }).now();
  const { schedules, problems } = await listSchedules(config, envName);
  if (args.flags.json) {
    io.out(maskSecrets(JSON.stringify({ now: now.toISOString(), schedules: schedules.map((s) => ({ ...s, pending: isPending(s), dueInSeconds: isPending(s) ? Math.round((Date.parse(s.notBefore) - now.getTime()) / 1000) : undefined })), problems }, null, 2), vars));
    return EXIT.ok;
  }
  const pending = schedules.filter(isPending);
  if (pending.length === 0) io.out('no scheduled promotions pending');
  for (const s of pending) io.out(maskSecrets(`${s.id}  ${s.environment.padEnd(5)} ${s.service.padEnd(12)} ${s.previousTag} → ${s.tag}  not before ${s.notBefore} (${Date.parse(s.notBefore) <= now.getTime() ? 'due' : relativeTime(s.notBefore, now)})  by ${s.actor}  "${s.reason}"`, vars));
  for (const p of problems) io.err(`warning: ${p.file}: ${p.message}`);
  return EXIT.ok;
}

function exitOf(runs: readonly ScheduleRun[]): number {
  if (runs.some((r) => r.status === 'failed' || r.problem)) return EXIT.needsHuman;
  if (runs.some((r) => r.status === 'rolled-back')) return EXIT.rolledBack;
  if (runs.some((r) => r.status === 'refused' || r.status === 'plan-changed')) return EXIT.refused;
  return EXIT.ok;
}

async function run(w: CliWiring, args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const vars = process.env;
  const mask = (t: string) => maskSecrets(t, vars);
  const envName = stringFlag(args, 'env');
  let { config } = await w.config(args, envName, vars);
  const json = !!args.flags.json;
  const firstEnv = envName ?? config.environments[0].name;
  const portsFor = new Map<string, ReturnType<CliWiring['ports']>>();
  const ports = (env: string) => portsFor.get(env) ?? portsFor.set(env, w.ports(config, env, vars)).get(env)!;
  // Schedules are decided by origin's state: bring the checkout up to it first.
  const git = ports(firstEnv).git;
  await git.fetch(signal);
  if (!(await git.rebaseOntoRemote(signal))) throw new UserError('could not bring the checkout up to origin (the rebase conflicted); resolve it first');
  config = (await w.config(args, envName, vars)).config;
  portsFor.clear();
  const clock = w.depsOverride.clock ?? ports(firstEnv).clock;
  const runs = await runDueSchedules(config, ports, () => clock.now(), (s, req) => {
    if (!json) io.out(mask(`▸ scheduled ${s.id}: ${s.service} ${s.previousTag} → ${s.tag} in ${s.environment} (by ${s.actor})`));
    return w.deploy({ config, ports: ports(s.environment), envName: s.environment, service: s.service, vars, mask, actor: s.actor }, req, { json, dryRun: false }, io, signal);
  }, { environment: envName, signal });
  if (json) io.out(mask(JSON.stringify({ runs: runs.map((r) => ({ id: r.schedule.id, file: r.schedule.file, status: r.status, outcome: r.outcome, problem: r.problem, exitCode: r.pipeline?.exitCode })) }, null, 2)));
  else {
    if (runs.length === 0) io.out('no scheduled promotion is due');
    for (const r of runs) io.out(mask(`${r.schedule.id}: ${r.status}${r.outcome ? ` — ${r.outcome.detail}` : ' — the window is still closed; it stays scheduled'}${r.problem ? ` (could not write the outcome: ${r.problem})` : ''}`));
  }
  return exitOf(runs);
}

async function cancel(w: CliWiring, args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const [, id, extra] = args.positional;
  if (!id) throw new UserError('scheduled cancel needs the id: gitops-deploy scheduled cancel <id> --env <env> (see gitops-deploy scheduled list)');
  if (extra !== undefined) throw new UserError(`unexpected argument "${extra}"`);
  const envName = stringFlag(args, 'env');
  if (!envName) throw new UserError('scheduled cancel needs --env <environment>');
  const vars = process.env;
  const { config } = await w.config(args, envName, vars);
  if (!environment(config, envName)) throw new UserError(`unknown environment "${envName}"`);
  const ports = w.ports(config, envName, vars);
  const actor = await resolveActor(w.depsOverride.actor, vars, ports.git);
  const r = await cancelSchedule(config, ports.git, envName, id, actor, stringFlag(args, 'reason'), signal);
  if (args.flags.json) io.out(JSON.stringify({ cancelled: r.schedule.id, file: r.schedule.file, commit: r.commit }, null, 2));
  else io.out(`cancelled ${r.schedule.id} (${path.basename(r.schedule.file)} deleted, commit ${r.commit})`);
  return EXIT.ok;
}

export async function scheduledCommand(args: ParsedArgs, io: Out, signal: AbortSignal, w: CliWiring): Promise<number> {
  const sub = args.positional[0];
  if (sub === 'add') return add(w, args, io, signal);
  if (sub === 'list') return list(w, args, io);
  if (sub === 'run') return run(w, args, io, signal);
  if (sub === 'cancel') return cancel(w, args, io, signal);
  throw new UserError(`scheduled needs list, run or cancel (got ${sub === undefined ? 'nothing' : `"${sub}"`}); schedule with: gitops-deploy deploy <service> --env <env> --at window-opens --reason "…"`);
}

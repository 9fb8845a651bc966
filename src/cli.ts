// The headless entry: the same core as the editor, for terminals and CI.
import * as path from 'node:path';
import { createPorts } from './clients';
import { deploymentReporterFor } from './clients/githubActions';
import { environment, loadConfig } from './pipeline/config/load';
import type { GitOpsConfig } from './pipeline/config/types';
import { runDeployment, runRollback } from './pipeline/deploy';
import { FileProblem, UserError, errorMessage } from './pipeline/errors';
import { maskSecrets } from './pipeline/mask';
import { relativeTime } from './pipeline/model/format';
import { loadRepoState } from './pipeline/model/repoState';
import type { PipelineDeps, PipelineOutcome } from './pipeline/outcome';
import type { Ports } from './pipeline/ports';
import type { PipelineEvent } from './pipeline/runner';
import { formatEvent, formatOutcome } from './pipeline/transcript';

export const EXIT = { ok: 0, refused: 2, rolledBack: 3, needsHuman: 4, usage: 64 } as const;

const USAGE = `usage:
  gitops-deploy status   [--repo DIR] [--json]
  gitops-deploy records  [--env E] [--service S] [--json] [--repo DIR]
  gitops-deploy deploy   <service> --env <env> [--tag T] [--reason R] [--override-window] [--dry-run] [--json] [--repo DIR]
  gitops-deploy rollback <service> --env <env> [--to T] --reason R [--json] [--repo DIR]`;

export interface ParsedArgs {
  command: string;
  positional: string[];
  flags: Record<string, string | true>;
}

const VALUE_FLAGS = new Set(['repo', 'env', 'service', 'tag', 'reason', 'to', 'status']);
const BOOL_FLAGS = new Set(['json', 'dry-run', 'override-window', 'help', 'yes']);

export function parseArgs(argv: string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (VALUE_FLAGS.has(name)) {
        const v = inline ?? rest[++i];
        if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UserError(`--${name} needs a value`);
        flags[name] = v;
      } else if (BOOL_FLAGS.has(name)) {
        flags[name] = true;
      } else throw new UserError(`unknown option --${name}`);
    } else positional.push(a);
  }
  return { command, positional, flags };
}

type Out = { out: (s: string) => void; err: (s: string) => void };

async function status(args: ParsedArgs, io: Out): Promise<number> {
  const root = path.resolve(String(args.flags.repo ?? process.cwd()));
  const now = new Date();
  const state = await loadRepoState(root, now);
  if (state.configProblem) throw new UserError(state.configProblem);
  if (args.flags.json) {
    io.out(JSON.stringify({
      root,
      environments: state.environments.map((e) => ({
        name: e.config.name,
        upstream: e.upstream,
        window: { open: e.window.open, summary: e.window.summary, changesAt: e.window.changesAt?.toISOString() },
        problem: e.problem,
        services: e.services.map((s) => ({ service: s.service, tag: s.tag, upstreamTag: s.upstream?.tag, lastDeployment: s.lastRecord && { status: s.lastRecord.status, tag: s.lastRecord.tag, actor: s.lastRecord.actor, startedAt: s.lastRecord.startedAt } })),
      })),
      recordProblems: state.recordProblems,
    }, null, 2));
    return EXIT.ok;
  }
  for (const e of state.environments) {
    io.out(`${e.config.name}${e.upstream ? ` (from ${e.upstream})` : ''} — window: ${e.window.summary}`);
    if (e.problem) io.out(`  ✗ ${e.problem}`);
    for (const s of e.services) {
      const drift = s.upstream ? `  ← ${s.upstream.environment} has ${s.upstream.tag}` : '';
      const last = s.lastRecord ? `  last: ${s.lastRecord.status} ${s.lastRecord.tag}${s.lastRecord.actor ? ` by ${s.lastRecord.actor}` : ''} ${relativeTime(s.lastRecord.startedAt, now)}` : '';
      io.out(`  ${s.service.padEnd(16)} ${s.tag}${drift}${last}`);
    }
  }
  for (const p of state.recordProblems) io.err(`warning: record skipped: ${path.relative(root, p.file)}: ${p.message}`);
  return EXIT.ok;
}

async function records(args: ParsedArgs, io: Out): Promise<number> {
  const root = path.resolve(String(args.flags.repo ?? process.cwd()));
  const state = await loadRepoState(root, new Date());
  if (state.configProblem) throw new UserError(state.configProblem);
  const env = args.flags.env as string | undefined;
  const service = args.flags.service as string | undefined;
  if (env && !state.environments.some((e) => e.config.name === env)) {
    throw new UserError(`unknown environment "${env}" (environments: ${state.environments.map((e) => e.config.name).join(', ')})`);
  }
  const list = state.records.filter((r) => (!env || r.environment === env) && (!service || r.service === service));
  if (args.flags.json) {
    io.out(JSON.stringify(list.map((r) => ({ ...r, file: path.relative(root, r.file) })), null, 2));
    return EXIT.ok;
  }
  for (const r of list) {
    io.out(`${r.startedAt}  ${r.environment.padEnd(5)} ${r.service.padEnd(12)} ${(r.previousTag ? `${r.previousTag} → ` : '') + r.tag}  ${r.status}${r.actor ? `  ${r.actor}` : ''}${r.reason ? `  "${r.reason}"` : ''}`);
  }
  if (list.length === 0) io.out('no records');
  return EXIT.ok;
}

export type CommandHandler = (args: ParsedArgs, io: Out, signal: AbortSignal) => Promise<number>;

/** How the CLI gets its ports; tests replace it. */
export type PortsFactory = (config: GitOpsConfig, environment: string, env: NodeJS.ProcessEnv) => Ports;
let portsFactory: PortsFactory = (config, env, vars) => createPorts(config, { env: vars, environment: env });
/** Extra pipeline deps (tests inject a clock/sleep). */
let depsOverride: Partial<PipelineDeps> = {};
export function setPipelineWiring(factory: PortsFactory | undefined, deps: Partial<PipelineDeps> = {}): void {
  portsFactory = factory ?? ((config, env, vars) => createPorts(config, { env: vars, environment: env }));
  depsOverride = deps;
}

function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

async function pipelineCommand(kind: 'deploy' | 'rollback', args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const vars = process.env;
  const mask = (t: string) => maskSecrets(t, vars);
  const [service, extra] = args.positional;
  if (!service) throw new UserError(`${kind} needs a service: gitops-deploy ${kind} <service> --env <env>`);
  if (extra !== undefined) throw new UserError(`unexpected argument "${extra}"`);
  const envName = stringFlag(args, 'env');
  if (!envName) throw new UserError(`${kind} needs --env <environment>`);
  if (kind === 'rollback' && (args.flags.tag !== undefined)) throw new UserError('rollback takes --to TAG, not --tag');
  if (kind === 'deploy' && args.flags.to !== undefined) throw new UserError('deploy takes --tag TAG, not --to');
  const reason = stringFlag(args, 'reason');
  if (kind === 'rollback' && !reason?.trim()) throw new UserError('rollback needs --reason "why" (recorded in the commit and the record)');
  const root = path.resolve(String(args.flags.repo ?? process.cwd()));
  const config = await loadConfig(root, vars);
  if (!environment(config, envName)) throw new UserError(`unknown environment "${envName}"; environments: ${config.environments.map((e) => e.name).join(', ')}`);
  const ports = portsFactory(config, envName, vars);
  const json = !!args.flags.json;
  // GitHub Deployments when config.github names the repo and GITHUB_TOKEN is set; failures are warnings.
  const github = args.flags['dry-run'] ? undefined : deploymentReporterFor(config, { service, environment: envName, mode: kind }, { env: vars, warn: (m) => io.err(mask(`warning: ${m}`)), headSha: () => ports.git.headSha() });
  const onEvent = (e: PipelineEvent) => {
    github?.onEvent(e);
    if (json) return;
    for (const line of formatEvent(e)) io.out(mask(line));
  };
  const deps: PipelineDeps = { config, ports, env: vars, ...depsOverride };
  const common = { service, environment: envName, reason, overrideWindow: !!args.flags['override-window'], dryRun: !!args.flags['dry-run'] };
  const outcome: PipelineOutcome =
    kind === 'deploy'
      ? await runDeployment({ ...common, tag: stringFlag(args, 'tag') }, deps, { signal, onEvent })
      : await runRollback({ ...common, to: stringFlag(args, 'to') }, deps, { signal, onEvent });
  await github?.flush();
  if (json) io.out(mask(JSON.stringify(outcome, null, 2)));
  else {
    const lines = formatOutcome(outcome).map(mask);
    const print = outcome.exitCode === 0 ? io.out : io.err;
    for (const l of lines) print(l);
  }
  return outcome.exitCode;
}

/** Commands added by the pipeline (deploy, rollback) register here. */
export const commands: Record<string, CommandHandler> = {
  status,
  records,
  deploy: (a, io, signal) => pipelineCommand('deploy', a, io, signal),
  rollback: (a, io, signal) => pipelineCommand('rollback', a, io, signal),
};

export async function main(argv: string[], io: Out = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }, signal: AbortSignal = new AbortController().signal): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    io.err(`gitops-deploy: ${errorMessage(err)}\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.command === 'help' || args.flags.help) {
    io.out(USAGE);
    return args.command === 'help' || args.flags.help ? EXIT.ok : EXIT.usage;
  }
  const handler = commands[args.command];
  if (!handler) {
    io.err(`gitops-deploy: unknown command "${args.command}"\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await handler(args, io, signal);
  } catch (err) {
    if (err instanceof FileProblem) io.err(`gitops-deploy: ${err.where()}: ${err.message}${err.hint ? `\n  ${err.hint}` : ''}`);
    else if (err instanceof UserError) io.err(`gitops-deploy: ${err.message}${err.hint ? `\n  ${err.hint}` : ''}`);
    else {
      io.err(`gitops-deploy: unexpected error: ${errorMessage(err)}`);
      return EXIT.needsHuman;
    }
    return EXIT.usage;
  }
}

if (require.main === module) {
  const controller = new AbortController();
  process.on('SIGINT', () => {
    // The first Ctrl-C stops the pipeline cleanly (it says what state things are in); a second one exits now.
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: stopping (Ctrl-C again to exit at once)…\n');
    controller.abort(new Error('interrupted (Ctrl-C)'));
  });
  process.on('SIGTERM', () => controller.abort(new Error('terminated')));
  void main(process.argv.slice(2), undefined, controller.signal).then((code) => {
    process.exitCode = code;
  });
}

// The CLI's command line, as data: one option table per command, parsed with node:util
// parseArgs, the usage text generated from the same tables. This module imports nothing heavy:
// `gitops-deploy --help` and `--version` are answered from it without loading the core.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';
import type { ParsedArgs } from './wiring';

/** One option of a command; `value` names a string option's argument in the usage text. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  value?: string;
  help: string;
}

/** One command (or "command subcommand"), its positional arguments and its options. */
export interface CommandSpec {
  /** "deploy", or "records verify" for a subcommand. */
  name: string;
  /** Positional arguments as the usage shows them, e.g. "<service>". */
  args?: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Options without which the command is refused (shown without brackets). */
  required?: string[];
  /** A paragraph after the options in `--help`. */
  notes?: string;
}

const repo: Record<string, OptionSpec> = { repo: { type: 'string', value: 'DIR', help: 'the GitOps repository (default: the current folder)' } };
const json: Record<string, OptionSpec> = { json: { type: 'boolean', help: 'print the result as JSON on stdout' } };
const env = (help = 'the environment (dev, stag, prod…)'): Record<string, OptionSpec> => ({ env: { type: 'string', value: 'ENV', help } });
const trustHost: Record<string, OptionSpec> = { 'trust-host': { type: 'string', value: 'HOST', help: 'let this run send a credential to HOST although the repository named it' } };
const override: Record<string, OptionSpec> = {
  'override-window': { type: 'boolean', help: 'deploy into a closed deployment window (an emergency); needs --override-reason' },
  'override-reason': { type: 'string', value: 'WHY', help: 'why the change cannot wait for the window (different from --reason)' },
};
const since: Record<string, OptionSpec> = {
  since: { type: 'string', value: 'DATE', help: 'from this date (YYYY-MM-DD, ISO time, or 30d / 12w)' },
  until: { type: 'string', value: 'DATE', help: 'up to this date (default: now)' },
};

/** Every command, in the order the usage lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  { name: 'status', summary: 'each environment, its services, tags, drift, window and last deployment', options: { ...repo, ...json } },
  { name: 'records', summary: 'the deployment records, newest first', options: { ...env('only this environment'), service: { type: 'string', value: 'S', help: 'only this service' }, ...json, ...repo } },
  { name: 'records verify', summary: 'check the records’ hash chains, their commits, and deploy commits without a record', options: { ...env('only this environment'), ...json, ...repo } },
  { name: 'records export', summary: 'write an evidence pack (evidence.html, evidence.json) for a period', options: { ...env(), ...since, out: { type: 'string', value: 'DIR', help: 'the folder to write into' }, ...repo }, required: ['env', 'out'] },
  { name: 'insights', summary: 'the DORA measures per environment and service', options: { ...env('only this environment'), service: { type: 'string', value: 'S', help: 'only this service' }, ...since, ...json, ...repo } },
  {
    name: 'deploy', args: '<service>', summary: 'validate, change, sync, verify and record a deployment (or --at: schedule it)',
    options: {
      ...env(), tag: { type: 'string', value: 'TAG', help: 'the image tag (default: the upstream environment’s)' },
      reason: { type: 'string', value: 'R', help: 'why (recorded in the commit and the record)' }, ...override,
      at: { type: 'string', value: 'TIME', help: 'schedule instead: an ISO time or window-opens' },
      'dry-run': { type: 'boolean', help: 'validate and print the plan; change nothing' }, ...json, ...repo, ...trustHost,
    },
    required: ['env'],
  },
  {
    name: 'rollback', args: '<service>', summary: 'put the previous (or --to) tag back, verified and recorded',
    options: { ...env(), to: { type: 'string', value: 'TAG', help: 'the tag to go back to (default: the one before)' }, reason: { type: 'string', value: 'R', help: 'why (required)' }, ...override, 'dry-run': { type: 'boolean', help: 'validate and print the plan; change nothing' }, ...json, ...repo, ...trustHost },
    required: ['env', 'reason'],
  },
  {
    name: 'resume', args: '<service>', summary: 'finish a deployment that was interrupted (pushed, no record): continue it, or --rollback, or --accept',
    options: {
      ...env(),
      rollback: { type: 'boolean', help: 'roll it back to the tag that ran before it, verified' },
      accept: { type: 'boolean', help: 'verify what runs now and record it as succeeded (needs --reason)' },
      reason: { type: 'string', value: 'R', help: 'why (required with --accept and --rollback)' },
      ...json, ...repo, ...trustHost,
    },
    required: ['env'],
    notes: 'A run killed after its push (kill -9, a lost CI runner) leaves its commit on origin without a record. Any later run finds it from origin (the commit trailers) and refuses to deploy the service until it is finished with this command. The final record says interrupted: true.',
  },
  { name: 'logs', args: '<service>', summary: 'the failing container’s last log lines', options: { ...env(), tail: { type: 'string', value: 'N', help: 'how many lines' }, ...json, ...repo, ...trustHost }, required: ['env'] },
  { name: 'events', args: '<service>', summary: 'the last events of the Deployment and its pods', options: { ...env(), ...json, ...repo, ...trustHost }, required: ['env'] },
  { name: 'argocd', args: '<service>', summary: 'the Argo CD Application’s state and its link', options: { ...env(), ...repo, ...trustHost }, required: ['env'] },
  { name: 'retry-sync', args: '<service>', summary: 'ask Argo CD to sync again and wait for it', options: { ...env(), ...json, ...repo, ...trustHost }, required: ['env'] },
  { name: 'fix', args: '<service>', summary: 'apply the fix a failed deployment names', options: { ...env(), reason: { type: 'string', value: 'R', help: 'why' }, ...json, ...repo, ...trustHost }, required: ['env'] },
  { name: 'verify', args: '<service>', summary: 're-run the verification of what runs now', options: { ...env(), ...json, ...repo, ...trustHost }, required: ['env'] },
  { name: 'follow', summary: 'deploy the newest qualifying image of each subscription (polls; --once for CI)', options: { ...env('only this environment'), once: { type: 'boolean', help: 'one pass, then exit (for a scheduled CI job)' }, interval: { type: 'string', value: 'S', help: 'seconds between polls' }, ...json, ...repo, ...trustHost } },
  { name: 'follow status', summary: 'what each subscription follows and its newest candidate', options: { ...env('only this environment'), ...json, ...repo } },
  { name: 'follow pause', args: '<service>', summary: 'stop following for a service (a marker in the repository, honoured by CI)', options: { ...env(), reason: { type: 'string', value: 'R', help: 'why' }, ...json, ...repo }, required: ['env'] },
  { name: 'follow resume', args: '<service>', summary: 'follow again', options: { ...env(), reason: { type: 'string', value: 'R', help: 'why' }, ...json, ...repo }, required: ['env'] },
  { name: 'scheduled list', summary: 'the scheduled promotions', options: { ...env('only this environment'), ...json, ...repo } },
  { name: 'scheduled run', summary: 'run the scheduled promotions that are due', options: { ...env('only this environment'), ...json, ...repo, ...trustHost } },
  { name: 'scheduled cancel', args: '<id>', summary: 'cancel a scheduled promotion', options: { ...env(), reason: { type: 'string', value: 'R', help: 'why' }, ...json, ...repo }, required: ['env'] },
];

const help: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

/** The spec for argv (longest match: "records verify" before "records"), and the rest of argv. */
export function findCommand(argv: readonly string[]): { spec?: CommandSpec; rest: string[]; name?: string } {
  const [first, second] = argv;
  if (first === undefined || first.startsWith('-')) return { rest: [...argv] };
  const sub = second !== undefined && COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (sub) return { spec: sub, rest: argv.slice(2), name: sub.name };
  const spec = COMMANDS.find((c) => c.name === first);
  // "follow" and "scheduled" with a subcommand name that is not theirs: the handler explains.
  return { spec, rest: argv.slice(1), name: first };
}

/** A command line the user must correct (exit 64); `command` points at its help. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The node:util configuration of one command's table. */
function nodeOptions(spec: CommandSpec): ParseArgsConfig['options'] {
  const out: NonNullable<ParseArgsConfig['options']> = { help };
  for (const [name, o] of Object.entries(spec.options)) out[name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
  return out;
}

/** What the command line asks for: a command's arguments, its help, the version, or the usage. */
export type CommandLine =
  | { kind: 'run'; args: ParsedArgs; spec: CommandSpec }
  | { kind: 'help'; spec?: CommandSpec }
  | { kind: 'version' };

/** Parses argv with the command's own table; throws UsageError naming what to fix. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  if (argv.length === 0 || argv[0] === 'help') {
    const topic = argv[1] !== undefined ? findCommand(argv.slice(1)).spec : undefined;
    return { kind: 'help', spec: topic };
  }
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') return { kind: 'version' };
  if (argv[0] === '--help' || argv[0] === '-h') return { kind: 'help' };
  const { spec, rest, name } = findCommand(argv);
  if (!spec) {
    const subs = COMMANDS.filter((c) => c.name.startsWith(`${name} `)).map((c) => c.name.split(' ')[1]);
    if (subs.length) throw new UsageError(rest[0] === undefined ? `${name} needs a subcommand (${subs.join(', ')})` : `unknown ${name} subcommand "${rest[0]}" (${subs.join(', ')})`);
    throw new UsageError(argv[0].startsWith('-') ? `${argv[0]} goes after a command` : `unknown command "${argv[0]}"`);
  }
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: [...rest], options: nodeOptions(spec), allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(describeParseError(err, spec), spec.name);
  }
  if (parsed.values.help) return { kind: 'help', spec };
  const flags: Record<string, string | true> = {};
  for (const [k, v] of Object.entries(parsed.values)) {
    if (typeof v === 'string' || v === true) flags[k] = v;
  }
  const [command, ...subcommand] = spec.name.split(' ');
  return { kind: 'run', spec, args: { command, positional: [...subcommand, ...parsed.positionals], flags } };
}

/** node:util's errors, in our words (they carry codes; their messages are for developers). */
function describeParseError(err: unknown, spec: CommandSpec): string {
  const e = err as { code?: string; message?: string };
  const option = /'(-{1,2}[^' ]+)/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? ''} for "${spec.name}"`.replace('  ', ' ');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option && spec.options[option.replace(/^-+/, '')]?.type === 'boolean' ? `${option} takes no value` : `${option ?? 'an option'} needs a value`;
    default:
      return e.message ?? String(err);
  }
}

function optionUsage(name: string, o: OptionSpec, required: boolean): string {
  const text = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  return required ? text : `[${text}]`;
}

/** One usage line of a command, e.g. `gitops-deploy deploy <service> --env ENV [--tag TAG] …`. */
export function usageLine(spec: CommandSpec): string {
  const opts = Object.entries(spec.options).map(([n, o]) => optionUsage(n, o, spec.required?.includes(n) ?? false));
  return ['gitops-deploy', spec.name, spec.args, ...opts].filter(Boolean).join(' ');
}

/** `gitops-deploy --help`: every command, one line each. */
export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name}${c.args ? ` ${c.args}` : ''}`.length));
  return [
    'usage: gitops-deploy <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${`${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(width)}  ${c.summary}`),
    '',
    '  gitops-deploy <command> --help   the options of a command',
    '  gitops-deploy --version          the version',
    '',
    'exit codes: 0 done, 2 refused (nothing changed), 3 rolled back, 4 needs a human, 64 usage',
  ].join('\n');
}

/** `gitops-deploy <command> --help`: its usage line and each option. */
export function commandHelp(spec: CommandSpec): string {
  const entries = [...Object.entries(spec.options), ['help', help] as const];
  const left = entries.map(([n, o]) => `${o.short ? `-${o.short}, ` : '    '}--${n}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`);
  const width = Math.max(...left.map((l) => l.length));
  return [
    `usage: ${usageLine(spec)}`,
    '',
    spec.summary,
    '',
    ...entries.map(([n, o], i) => `  ${left[i].padEnd(width)}  ${o.help}${spec.required?.includes(n) ? ' (required)' : ''}`),
    ...(spec.notes ? ['', spec.notes] : []),
  ].join('\n');
}

declare const __GITOPS_DEPLOY_VERSION__: string | undefined;

/** The version of this build: package.json's, set at build time (read from the file when run from source). */
export function version(): string {
  return typeof __GITOPS_DEPLOY_VERSION__ === 'string' ? __GITOPS_DEPLOY_VERSION__ : (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
}

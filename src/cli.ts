// The headless entry: the same core as the editor, for terminals and CI.
import type { ResumeAction } from './pipeline/steps/resume';
import { checkText } from './pipeline/evidence';
import * as path from 'node:path';
import { exportCommand, insightsCommand, verifyCommand } from './cliRecords';
import { createPorts } from './clients';
import { launchRun } from './launcher';
import { environment, loadConfig } from './pipeline/config/load';
import type { GitOpsConfig } from './pipeline/config/types';
import { TRUSTED_HOSTS_VAR } from './pipeline/config/userSettings';
import { escapeControl, REASON_MAX } from './pipeline/terminal';
import { resolveActor } from './pipeline/deploy';
import { runVerification } from './pipeline/recheck';
import { FileProblem, UserError, errorMessage } from './pipeline/errors';
import { quietWhenClosed } from './cli/io';
import { commandHelp, parseCommandLine, usage, UsageError, version, type CommandLine } from './cli/options';
import { followCommand } from './cli/follow';
import { scheduledCommand } from './cli/scheduled';
import { stringFlag, type CliWiring, type ParsedArgs } from './cli/wiring';
import { maskSecrets } from './pipeline/mask';
import { overrideReasonProblem } from './pipeline/model/override';
import { cliOverrideReasonProblem, cliRemedy } from './cliRemedy';
import { CHECK_MARK, relativeTime, shortSha } from './pipeline/model/format';
import { GitCli } from './clients/git';
import { pullRequestPort } from './clients/index';
import { parsePromotionBranch, type PromotionPullRequest } from './pipeline/github/pulls';
import { readLeaseState, unfinishedRuns, type UnfinishedRun } from './pipeline/journal';
import { trailers } from './pipeline/model/journal';
import { compareNewestFirst, type LoadedRecord } from './pipeline/model/records';
import { buildRepoState, loadRepoState } from './pipeline/model/repoState';
import type { DeployRequest, PipelineDeps, PipelineOutcome, RollbackRequest } from './pipeline/outcome';
import type { Ports } from './pipeline/ports';
import type { PipelineEvent } from './pipeline/outcome';
import { formatEvent, formatOutcome } from './pipeline/transcript';
import { argoCdLink, lastFailure, manualFixFor, reportText, rollbackFailed, retrySync, serviceEvents, serviceLogs, type Report, type RetrySyncResult, type Target } from './pipeline/troubleshoot';

export const EXIT = { ok: 0, refused: 2, rolledBack: 3, needsHuman: 4, pullRequestOpen: 5, usage: 64 } as const;

/** Parses a command line (the workflow's argv, a test's) into the command's arguments; throws UsageError. */
export function parseArgs(argv: string[]): ParsedArgs {
  const line = parseCommandLine(argv);
  if (line.kind !== 'run') throw new UsageError(line.kind === 'version' ? 'not a command: --version' : 'not a command: --help');
  return line.args;
}

type Out = { out: (s: string) => void; err: (s: string) => void };

/** Unfinished runs from origin (fetched first; what was last fetched when origin cannot be reached). */
async function unfinishedAt(root: string, config: GitOpsConfig, now: Date, signal: AbortSignal): Promise<{ runs: UnfinishedRun[]; originProblem?: string }> {
  const git = new GitCli({ root, remote: config.git.remote, branch: config.git.branch });
  let originProblem: string | undefined;
  try {
    await git.fetch(signal);
  } catch (err) {
    originProblem = `could not fetch ${config.git.remote}: ${errorMessage(err)}; unfinished deployments are as last fetched`;
  }
  // No remote-tracking branch at all (a repository without origin): there is no journal to read.
  const ref = `refs/remotes/${config.git.remote}/${config.git.branch}`;
  if (!(await git.remoteSha(signal).then(() => true, () => false))) return { runs: [] };
  try {
    return { runs: await unfinishedRuns(git, config, ref, now, signal), originProblem };
  } catch (err) {
    return { runs: [], originProblem: `could not read the journal on ${config.git.remote}: ${errorMessage(err)}` };
  }
}

/**
 * The open promotion pull requests (gitops-deploy/… branches) of the environments in pull-request
 * mode, when GitHub is configured with a token; a problem instead when they could not be read.
 */
type ListedPull = PromotionPullRequest & { runId?: string; lease?: { state: string; runId?: string; holder?: string; host?: string; expiresAt?: string } };

/**
 * Which run a deploy pull request belongs to (its branch head's Run-Id) and the state of that
 * service's lease on origin: a run killed while waiting shows as its open pull request with a lease
 * that is over (resume re-attaches to it).
 */
async function withRuns(root: string, config: GitOpsConfig, pulls: PromotionPullRequest[], now: Date, signal: AbortSignal): Promise<ListedPull[]> {
  const git = new GitCli({ root, remote: config.git.remote, branch: config.git.branch });
  const out: ListedPull[] = [];
  for (const p of pulls) {
    if (p.purpose !== 'deploy') {
      out.push(p);
      continue;
    }
    const env = config.environments.find((e) => e.name === p.environment)!;
    const heads = await git.fetchBranches(`gitops-deploy/${p.environment}/${p.service}/`, signal).catch(() => []);
    const head = heads.find((b) => b.branch === p.headRef)?.sha;
    const msg = head ? (await git.history(head, path.relative(config.root, env.valuesFile).split(path.sep).join('/'), 1, signal).catch(() => []))[0] : undefined;
    const runId = msg && msg.sha === head ? trailers(msg.message).get('run-id') : undefined;
    const lease = await readLeaseState(git, p.environment, p.service, now, () => false, signal).catch(() => undefined);
    out.push({ ...p, ...(runId ? { runId } : {}), ...(lease ? { lease: { state: lease.state, runId: lease.info?.runId, holder: lease.info?.holder, host: lease.info?.host, expiresAt: lease.info?.expiresAt } } : {}) });
  }
  return out;
}

async function openPromotionPulls(config: GitOpsConfig, vars: NodeJS.ProcessEnv, signal: AbortSignal): Promise<{ pulls: PromotionPullRequest[]; problem?: string }> {
  const envs = new Set(config.environments.filter((e) => e.git.mode === 'pull-request').map((e) => e.name));
  if (!envs.size) return { pulls: [] };
  const port = pullRequestPort(config, vars);
  if (port.unavailable) return { pulls: [], problem: `open pull requests not shown: ${port.unavailable}` };
  try {
    const pulls: PromotionPullRequest[] = [];
    for (const pr of await port.listOpen('gitops-deploy/', signal)) {
      const b = parsePromotionBranch(pr.headRef);
      if (!b || !envs.has(b.environment)) continue;
      pulls.push({ number: pr.number, url: pr.htmlUrl, environment: b.environment, service: b.service, tag: b.tag, purpose: b.purpose, ...(pr.mergeableState ? { mergeableState: pr.mergeableState } : {}), autoMerge: pr.autoMerge, headRef: pr.headRef, createdAt: pr.createdAt });
    }
    return { pulls };
  } catch (err) {
    return { pulls: [], problem: `could not list the open pull requests: ${errorMessage(err)}` };
  }
}

function pullLine(p: ListedPull, root: string, withRepo: boolean): string {
  const what = p.purpose === 'deploy' ? `${p.service} ${p.tag}` : p.purpose === 'rollback' ? `rollback of ${p.service}` : `record of ${p.service}`;
  const line = `  ⇄ pull request #${p.number} (${what}) open${p.mergeableState ? `, ${p.mergeableState}` : ''}${p.autoMerge ? ', auto-merge on' : ''}: ${p.url}`;
  if (!p.runId) return line;
  const waiting = p.lease?.runId === p.runId && p.lease.state === 'live';
  return `${line}\n    run ${p.runId}: ${waiting ? `waiting for its merge (${p.lease!.holder} on ${p.lease!.host})` : `no run is waiting for it; continue it with gitops-deploy resume ${p.service} --env ${p.environment}${withRepo ? ` --repo ${root}` : ''}`}`;
}

function unfinishedJson(u: UnfinishedRun) {
  const st = u.state;
  if (st.kind === 'running') return { environment: u.environment, service: u.service, state: 'running', runId: st.runId, holder: st.lease.holder, host: st.lease.host, startedAt: st.lease.startedAt, expiresAt: st.lease.expiresAt, tag: st.lease.tag };
  return { environment: u.environment, service: u.service, state: 'interrupted', runId: st.runId, phase: st.phase, from: st.change.from, to: st.change.to, commit: st.change.commit, rollbackCommit: st.rollback?.commit, actor: st.change.actor, pushedAt: st.change.date, originTag: st.originTag };
}

function unfinishedLine(u: UnfinishedRun, root: string, withRepo: boolean): string {
  const st = u.state;
  if (st.kind === 'running') return `⟳ ${u.service} in ${u.environment}: being deployed by ${st.lease.holder} on ${st.lease.host} since ${st.lease.startedAt} (run ${st.runId})`;
  const cmd = `gitops-deploy resume ${u.service} --env ${u.environment}${withRepo ? ` --repo ${root}` : ''}`;
  const what = st.phase === 'rolling-back' ? `its automatic rollback to ${st.change.from} (${shortSha(st.rollback?.commit)}) is on origin, never verified` : `${st.change.to} is on origin (${shortSha(st.change.commit)}), never verified`;
  return `⚠ INTERRUPTED DEPLOYMENT: ${u.service} in ${u.environment}, ${st.change.from} → ${st.change.to} by ${st.change.actor ?? 'unknown'} (run ${st.runId}): ${what}, no record.\n  finish it: ${cmd}  ·  ${cmd} --rollback --reason "…"  ·  ${cmd} --accept --reason "…"`;
}

async function status(args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const root = path.resolve(String(args.flags.repo ?? process.cwd()));
  const now = new Date();
  const state = await loadRepoState(root, now);
  if (state.configProblem) throw new UserError(state.configProblem);
  const { runs, originProblem } = await unfinishedAt(root, state.config!, now, signal);
  const listed = await openPromotionPulls(state.config!, process.env, signal);
  const open = { ...listed, pulls: await withRuns(root, state.config!, listed.pulls, now, signal) };
  if (args.flags.json) {
    io.out(JSON.stringify({
      root,
      environments: state.environments.map((e) => ({
        name: e.config.name,
        upstream: e.upstream,
        window: { open: e.window.open, summary: e.window.summary, changesAt: e.window.changesAt?.toISOString() },
        problem: e.problem,
        services: e.services.map((s) => ({ service: s.service, tag: s.tag, upstreamTag: s.upstream?.tag, lastDeployment: s.lastRecord && { status: s.lastRecord.status, tag: s.lastRecord.tag, actor: s.lastRecord.actor, startedAt: s.lastRecord.startedAt } })),
        ...(e.config.git.mode === 'pull-request' ? { gitMode: 'pull-request', pullRequests: open.pulls.filter((p) => p.environment === e.config.name) } : {}),
      })),
      recordProblems: state.recordProblems,
      futureRecords: state.futureRecords.map((r) => ({ file: path.relative(root, r.file), startedAt: r.startedAt })),
      unfinished: runs.map(unfinishedJson),
      ...(originProblem ? { originProblem } : {}),
      ...(open.problem ? { pullRequestProblem: open.problem } : {}),
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
    for (const p of open.pulls.filter((x) => x.environment === e.config.name)) io.out(pullLine(p, root, args.flags.repo !== undefined));
  }
  if (open.problem) io.err(`warning: ${open.problem}`);
  for (const u of runs) io.err(unfinishedLine(u, root, args.flags.repo !== undefined));
  if (originProblem) io.err(`warning: ${originProblem}`);
  for (const p of state.recordProblems) io.err(`warning: record skipped: ${path.relative(root, p.file)}: ${p.message}`);
  for (const r of state.futureRecords) io.err(`warning: ${path.relative(root, r.file)} is dated ${r.startedAt}, in the future: not taken as the last deployment (check the clock of whoever wrote it, or the file)`);
  return EXIT.ok;
}

async function records(args: ParsedArgs, io: Out, signal: AbortSignal): Promise<number> {
  const sub = args.positional[0];
  if (sub === 'verify' || sub === 'export') return (sub === 'verify' ? verifyCommand : exportCommand)({ ...args, positional: args.positional.slice(1) }, io, signal);
  if (sub !== undefined) throw new UserError(`unknown records subcommand "${sub}" (verify, export)`);
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

export type CommandHandler = (args: ParsedArgs, io: Out, signal: AbortSignal, w: Wiring) => Promise<number>;

/** How the CLI gets its ports: the real clients, or what a test passes to main. */
export type PortsFactory = (config: GitOpsConfig, environment: string, env: NodeJS.ProcessEnv) => Ports;

/** What main is wired with; tests pass fakes (ports, a clock, sleep, the actor). */
export interface CliOptions {
  ports?: PortsFactory;
  deps?: Partial<PipelineDeps>;
}

/** One run's wiring, handed to every command. */
interface Wiring {
  portsFactory: PortsFactory;
  /** Extra pipeline deps (tests inject a clock/sleep). */
  depsOverride: Partial<PipelineDeps>;
}

interface PipelineContext {
  config: GitOpsConfig;
  ports: Ports;
  envName: string;
  service: string;
  vars: NodeJS.ProcessEnv;
  mask: (t: string) => string;
  /** Who acts, when not the person running the CLI (the follower, a scheduled promotion's approver). */
  actor?: string;
  w: Wiring;
}

/** Runs a deployment or a rollback, streaming the transcript (unless --json); the caller prints the outcome. */
async function streamPipeline(kind: 'deploy' | 'rollback', c: PipelineContext, request: DeployRequest & RollbackRequest & { resume?: ResumeAction }, opts: { json: boolean; dryRun: boolean }, io: Out, signal: AbortSignal): Promise<PipelineOutcome> {
  const { config, ports, vars, mask } = c;
  const deps: PipelineDeps = { config, ports, env: vars, ...c.w.depsOverride, ...(c.actor ? { actor: c.actor } : {}) };
  // GitHub Deployments when config.github names the repo and GITHUB_TOKEN is set; failures are warnings.
  return launchRun(kind, { ...request, dryRun: opts.dryRun || request.dryRun }, {
    deps,
    env: vars,
    warn: (m) => io.err(mask(`warning: ${m}`)),
    signal,
    onEvent: opts.json ? undefined : (e) => formatEvent(e).forEach((line) => io.out(mask(line))),
  });
}

function printOutcome(outcome: PipelineOutcome, io: Out, mask: (t: string) => string): void {
  const lines = formatOutcome(outcome);
  // Each refused check's fix once, worded for a terminal (the checks say what is wrong).
  const fixes = outcome.checks.filter((c) => c.status === 'failed' && c.fix);
  if (fixes.length && (outcome.kind === 'refused' || outcome.kind === 'dry-run')) lines.push('  to fix:', ...fixes.map((c) => `    ${c.name}: ${cliRemedy(c.fix!)}`));
  const print = outcome.exitCode === 0 ? io.out : io.err;
  for (const l of lines) print(mask(l));
}

/** --override-window and --override-reason, checked together: bad usage changes nothing (exit 64). */
function overrideFlags(args: ParsedArgs, reason: string | undefined): { overrideWindow?: true; overrideReason?: string } {
  const overrideWindow = !!args.flags['override-window'];
  const overrideReason = stringFlag(args, 'override-reason');
  if (!overrideWindow && overrideReason !== undefined) throw new UserError('--override-reason goes with --override-window (deploying into a closed window); without a closed window to override, leave it out');
  if (!overrideWindow) return {};
  const problem = overrideReasonProblem(overrideReason, reason);
  if (problem) throw new UserError(cliOverrideReasonProblem(problem), 'e.g. --reason "CHG-1234 fix statement totals" --override-window --override-reason "SEV1 INC-123: payments failing since 09:12"');
  return { overrideWindow: true, overrideReason };
}

/** `<service> --env <env>`, checked: what every per-service command takes. */
function serviceAndEnv(command: string, args: ParsedArgs): { service: string; envName: string } {
  const [service, extra] = args.positional;
  if (!service) throw new UserError(`${command} needs a service: gitops-deploy ${command} <service> --env <env>`);
  if (extra !== undefined) throw new UserError(`unexpected argument "${extra}"`);
  const envName = stringFlag(args, 'env');
  if (!envName) throw new UserError(`${command} needs --env <environment>`);
  return { service, envName };
}

/** The repository's configuration (--repo or the current folder), which must know the environment. */
async function configFor(args: ParsedArgs, envName: string, vars: NodeJS.ProcessEnv, io?: Out): Promise<{ root: string; config: GitOpsConfig }> {
  const root = path.resolve(String(args.flags.repo ?? process.cwd()));
  // --trust-host HOST: this run may send a credential to HOST although the repository named it.
  const trust = stringFlag(args, 'trust-host');
  if (trust) vars[TRUSTED_HOSTS_VAR] = [vars[TRUSTED_HOSTS_VAR], trust].filter(Boolean).join(',');
  const config = await loadConfig(root, vars);
  for (const i of config.ignored ?? []) io?.err(`warning: .gitops-deploy.yaml: ${i.key} is ignored: ${i.why}`);
  if (!environment(config, envName)) throw new UserError(`unknown environment "${envName}"; environments: ${config.environments.map((e) => e.name).join(', ')}`);
  return { root, config };
}

async function pipelineCommand(kind: 'deploy' | 'rollback', args: ParsedArgs, io: Out, signal: AbortSignal, w: Wiring): Promise<number> {
  if (kind === 'deploy' && args.flags.at !== undefined) return scheduledCommand({ ...args, command: 'scheduled', positional: ['add', ...args.positional] }, io, signal, cliWiring(w));
  const vars = process.env;
  const mask = (t: string) => maskSecrets(t, vars);
  const { service, envName } = serviceAndEnv(kind, args);
  if (kind === 'rollback' && (args.flags.tag !== undefined)) throw new UserError('rollback takes --to TAG, not --tag');
  if (kind === 'deploy' && args.flags.to !== undefined) throw new UserError('deploy takes --tag TAG, not --to');
  const reason = stringFlag(args, 'reason');
  if (reason !== undefined && reason.length > REASON_MAX) throw new UserError(`--reason is ${reason.length} characters; the limit is ${REASON_MAX}: give the ticket and a short summary`);
  if (kind === 'rollback' && !reason?.trim()) throw new UserError('rollback needs --reason "why" (recorded in the commit and the record)');
  const override = overrideFlags(args, reason);
  const { root, config } = await configFor(args, envName, vars, io);
  const ports = w.portsFactory(config, envName, vars);
  const json = !!args.flags.json;
  const common = { service, environment: envName, reason, ...override, dryRun: !!args.flags['dry-run'] };
  const request = kind === 'deploy' ? { ...common, tag: stringFlag(args, 'tag') } : { ...common, to: stringFlag(args, 'to') };
  const outcome = await streamPipeline(kind, { config, ports, envName, service, vars, mask, w }, request, { json, dryRun: common.dryRun }, io, signal);
  if (json) io.out(mask(JSON.stringify(outcome, null, 2)));
  else {
    printOutcome(outcome, io, mask);
    const where = `${service} --env ${envName}${args.flags.repo !== undefined ? ` --repo ${root}` : ''}`;
    if (outcome.manualFix) io.err(mask(`  or let gitops-deploy do it: gitops-deploy fix ${where}`));
    if (outcome.commit && (outcome.kind === 'rolled-back' || outcome.kind === 'failed-needs-human')) io.err(mask(`  troubleshoot: gitops-deploy logs ${where} · gitops-deploy events ${where} · gitops-deploy argocd ${where}`));
  }
  return outcome.exitCode;
}

/** `resume <service> --env E [--rollback | --accept --reason R]`: finish an interrupted deployment found on origin. */
async function resumeCommand(args: ParsedArgs, io: Out, signal: AbortSignal, w: Wiring): Promise<number> {
  const vars = process.env;
  const mask = (t: string) => maskSecrets(t, vars);
  const { service, envName } = serviceAndEnv('resume', args);
  const rollback = !!args.flags.rollback;
  const accept = !!args.flags.accept;
  if (rollback && accept) throw new UserError('choose one: --rollback or --accept');
  const reason = stringFlag(args, 'reason');
  if (reason !== undefined && reason.length > REASON_MAX) throw new UserError(`--reason is ${reason.length} characters; the limit is ${REASON_MAX}: give the ticket and a short summary`);
  if ((rollback || accept) && !reason?.trim()) throw new UserError(`resume --${accept ? 'accept' : 'rollback'} needs --reason "why" (recorded in the record)`);
  const { root, config } = await configFor(args, envName, vars, io);
  const ports = w.portsFactory(config, envName, vars);
  const json = !!args.flags.json;
  const action: ResumeAction = rollback ? 'rollback' : accept ? 'accept' : 'resume';
  const outcome = await streamPipeline('deploy', { config, ports, envName, service, vars, mask, w }, { service, environment: envName, reason, resume: action }, { json, dryRun: false }, io, signal);
  if (json) io.out(mask(JSON.stringify(outcome, null, 2)));
  else {
    printOutcome(outcome, io, mask);
    if (outcome.manualFix) io.err(mask(`  or let gitops-deploy do it: gitops-deploy fix ${service} --env ${envName}${args.flags.repo !== undefined ? ` --repo ${root}` : ''}`));
  }
  return outcome.exitCode;
}

// ---------- troubleshooting: logs, events, argocd, retry-sync, fix ----------

interface Troubleshooting extends PipelineContext {
  root: string;
  target: Target;
  /** Records of this service in this environment (the working tree's), newest first. */
  records: LoadedRecord[];
  json: boolean;
}

async function troubleshooting(command: string, args: ParsedArgs, w: Wiring): Promise<Troubleshooting> {
  const vars = process.env;
  const { service, envName } = serviceAndEnv(command, args);
  const { root, config } = await configFor(args, envName, vars);
  const state = await buildRepoState(config, new Date());
  const envState = state.environments.find((e) => e.config.name === envName)!;
  if (!envState.problem && !envState.services.some((x) => x.service === service)) {
    throw new UserError(`unknown service "${service}" in ${envName} (services: ${envState.services.map((x) => x.service).join(', ') || 'none'})`);
  }
  const records = state.records.filter((r) => r.environment === envName && r.service === service).sort(compareNewestFirst);
  return { root, config, envName, service, vars, mask: (t) => maskSecrets(t, vars), ports: w.portsFactory(config, envName, vars), w, target: { config, environment: envName, service }, records, json: !!args.flags.json };
}

function recordSummary(t: Troubleshooting, r: LoadedRecord): string {
  return `${path.relative(t.root, r.file)} (${r.previousTag ? `${r.previousTag} → ` : ''}${r.tag}, ${r.status}, ${r.startedAt})`;
}

function printReport(t: Troubleshooting, report: Report, record: LoadedRecord | undefined, io: Out): number {
  if (t.json) io.out(t.mask(JSON.stringify({ ...report, record: record ? path.relative(t.root, record.file) : undefined }, null, 2)));
  else io.out(t.mask(reportText(report).replace(/\n+$/, '')));
  return EXIT.ok;
}

async function logsCommand(args: ParsedArgs, io: Out, signal: AbortSignal, w: Wiring): Promise<number> {
  const tailFlag = stringFlag(args, 'tail');
  if (tailFlag !== undefined && !/^[1-9]\d{0,5}$/.test(tailFlag)) throw new UserError(`--tail needs a number of lines (1–999999), not "${tailFlag}"`);
  const t = await troubleshooting('logs', args, w);
  const record = lastFailure(t.records, t.envName, t.service);
  const report = await serviceLogs(t.target, t.ports, { tailLines: tailFlag ? Number(tailFlag) : undefined, record, signal });
  return printReport(t, report, record, io);
}

async function eventsCommand(args: ParsedArgs, io: Out, signal: AbortSignal, w: Wiring): Promise<number> {
  const t = await troubleshooting('events', args, w);
  const record = lastFailure(t.records, t.envName, t.service);
  const report = await serviceEvents(t.target, t.ports, { record, signal });
  return printReport(t, report, record, io);
}

async function argocdCommand(args: ParsedArgs, io: Out, w: Wiring): Promise<number> {
  const t = await troubleshooting('argocd', args, w);
  const link = argoCdLink(t.target);
  io.out(t.mask(t.json ? JSON.stringify({ link }, null, 2) : link));
  return EXIT.ok;
}

/** Who acts, as the pipeline records it: GITHUB_ACTOR, git user.name, the OS user. */
function actorOf(t: Troubleshooting): Promise<string> {
  return resolveActor(t.w.depsOverride.actor, t.vars, t.ports.git);
}

/** Retry sync, its progress on stdout; the result (with the evidence when it failed) after it. */
async function runRetrySync(t: Troubleshooting, io: Out, signal: AbortSignal): Promise<{ code: number; result?: RetrySyncResult }> {
  const log = t.json ? undefined : (line: string) => io.out(t.mask(`    ${line}`));
  if (!t.json) io.out(`▸ Retry sync of ${t.service} in ${t.envName}`);
  let result: RetrySyncResult;
  try {
    result = await retrySync(t.target, t.ports, { actor: await actorOf(t), log, signal });
  } catch (err) {
    if (!signal.aborted) throw err;
    io.err(t.mask(`✗ interrupted: ${errorMessage(err)}. A sync may have been requested; see where Argo CD stands with: gitops-deploy argocd ${t.service} --env ${t.envName}`));
    return { code: EXIT.needsHuman };
  }
  const code = result.ok ? EXIT.ok : EXIT.needsHuman;
  if (t.json) return { code, result };
  if (result.ok) io.out(t.mask(`✓ ${result.message}`));
  else {
    io.err(t.mask(`✗ retry sync failed: ${result.message}`));
    for (const e of result.evidence) io.err(t.mask([`── ${e.title}${e.link ? ` (${e.link})` : ''}`, ...e.lines.map((l) => `   ${l}`)].join('\n')));
  }
  return { code, result };
}

async function retrySyncCommand(args: ParsedArgs, io: Out, signal: AbortSignal, w: Wiring): Promise<number> {
  const t = await troubleshooting('retry-sync', args, w);
  const { code, result } = await runRetrySync(t, io, signal);
  if (t.json && result) io.out(t.mask(JSON.stringify(result, null, 2)));
  return code;
}

/** The manual fix of a failed automatic rollback: the previous tag back (or, when origin has it, a retried sync). */
async function fixCommand(args: ParsedArgs, io: Out, signal: AbortSignal, w: Wiring): Promise<number> {
  const reason = stringFlag(args, 'reason');
  if (reason !== undefined && !reason.trim()) throw new UserError('--reason needs text (recorded in the commit and the record); leave it out for the prefilled one');
  const t = await troubleshooting('fix', args, w);
  const last = t.records[0];
  if (!last) throw new UserError(`nothing to fix: there is no record of ${t.service} in ${t.envName}`);
  const fix = manualFixFor(last);
  if (!fix) {
    const what = rollbackFailed(last) ? 'its automatic rollback failed, but it names no previous tag to restore' : `${last.status === 'failed' ? 'failed without an automatic rollback' : last.status}, not a failed automatic rollback`;
    throw new UserError(`nothing to fix: the last record of ${t.service} in ${t.envName} is ${recordSummary(t, last)} — ${what}`, `fix repairs a failed automatic rollback only. To go back to an earlier tag: gitops-deploy rollback ${t.service} --env ${t.envName} --reason "…"; to make Argo CD sync origin again: gitops-deploy retry-sync ${t.service} --env ${t.envName}`);
  }
  const record = path.relative(t.root, last.file);
  if (!t.json) {
    io.out(t.mask(`Manual fix of ${recordSummary(t, last)}: the automatic rollback failed.`));
    io.out(t.mask(fix.onlySync ? `origin already has the rollback commit ${last.rollbackCommit} (${t.service} ${fix.to}): retrying the sync.` : `Restoring ${t.service} ${fix.to} (replacing ${fix.from}) in ${t.envName}; reason: ${reason ?? fix.reason}`));
  }
  if (fix.onlySync) {
    const { code, result } = await runRetrySync(t, io, signal);
    if (t.json) io.out(t.mask(JSON.stringify({ fix, record, retrySync: result }, null, 2)));
    return code;
  }
  const request = { service: t.service, environment: t.envName, to: fix.to, reason: reason ?? fix.reason, overrideWindow: true, overrideReason: fix.overrideReason, autoRollback: false as const };
  const outcome = await streamPipeline('rollback', t, request, { json: t.json, dryRun: false }, io, signal);
  if (t.json) io.out(t.mask(JSON.stringify({ fix, record, outcome }, null, 2)));
  else printOutcome(outcome, io, t.mask);
  return outcome.exitCode;
}

/** What the commands in src/cli/ get: the same ports, deps and streaming as deploy. */
function cliWiring(w: Wiring): CliWiring {
  return {
    ports: w.portsFactory,
    depsOverride: w.depsOverride,
    config: async (args, envName, vars) => {
      if (envName !== undefined) return configFor(args, envName, vars);
      const root = path.resolve(String(args.flags.repo ?? process.cwd()));
      return { root, config: await loadConfig(root, vars) };
    },
    deploy: (c, request, opts, io, signal) => streamPipeline('deploy', { ...c, w }, request as DeployRequest & RollbackRequest, opts, io, signal),
    printOutcome,
  };
}
/** Re-run only the verification against what runs now (the re-check after an inconclusive run). */
async function recheckCommand(args: ParsedArgs, io: Out, signal: AbortSignal, w: Wiring): Promise<number> {
  const vars = process.env;
  const mask = (t: string) => maskSecrets(t, vars);
  const { service, envName } = serviceAndEnv('verify', args);
  const { config } = await configFor(args, envName, vars);
  const json = !!args.flags.json;
  const onEvent = json ? undefined : (e: PipelineEvent) => e.type !== 'step-finished' && formatEvent(e).forEach((l) => io.out(mask(l)));
  const report = await runVerification({ service, environment: envName }, { config, ports: w.portsFactory(config, envName, vars), env: vars, ...w.depsOverride }, { signal, onEvent });
  if (json) {
    io.out(mask(JSON.stringify(report, null, 2)));
    return report.exitCode;
  }
  for (const c of report.checks) io.out(mask(`  ${CHECK_MARK[c.status]} ${c.name}: ${checkText(c)}`));
  const print = report.status === 'passed' ? io.out : io.err;
  print(mask(`${report.status === 'passed' ? '✓' : report.status === 'failed' ? '✗' : '?'} ${report.status.toUpperCase()} (exit ${report.exitCode}): ${service} ${report.tag} in ${envName}`));
  return report.exitCode;
}

/** Commands added by the pipeline (deploy, rollback) register here. */
export const commands: Record<string, CommandHandler> = {
  status,
  records,
  insights: insightsCommand,
  deploy: (a, io, signal, w) => pipelineCommand('deploy', a, io, signal, w),
  rollback: (a, io, signal, w) => pipelineCommand('rollback', a, io, signal, w),
  resume: resumeCommand,
  logs: logsCommand,
  events: eventsCommand,
  argocd: (a, io, _signal, w) => argocdCommand(a, io, w),
  'retry-sync': retrySyncCommand,
  fix: fixCommand,
  follow: (a, io, signal, w) => followCommand(a, io, signal, cliWiring(w)),
  scheduled: (a, io, signal, w) => scheduledCommand(a, io, signal, cliWiring(w)),
  verify: recheckCommand,
};

/** Prints what the command line asks for; returns the exit code. Tests pass fakes in `options`. */
export async function main(argv: string[], raw: Out = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }, signal: AbortSignal = new AbortController().signal, options: CliOptions = {}): Promise<number> {
  // Everything printed may carry repository text (reasons, records, logs): control characters escaped.
  const io: Out = { out: (s) => raw.out(escapeControl(s)), err: (s) => raw.err(escapeControl(s)) };
  let line: CommandLine;
  try {
    line = parseCommandLine(argv);
  } catch (err) {
    const command = err instanceof UsageError ? err.command : undefined;
    io.err(`gitops-deploy: ${errorMessage(err)}\n  see: gitops-deploy ${command ? `${command} ` : ''}--help`);
    return EXIT.usage;
  }
  if (line.kind === 'help') {
    io.out(line.spec ? commandHelp(line.spec) : usage());
    return EXIT.ok;
  }
  if (line.kind === 'version') {
    io.out(version());
    return EXIT.ok;
  }
  const args = line.args;
  const handler = commands[args.command];
  const w: Wiring = { portsFactory: options.ports ?? ((config, env, vars) => createPorts(config, { env: vars, environment: env })), depsOverride: options.deps ?? {} };
  try {
    return await handler(args, io, signal, w);
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

/**
 * Runs the CLI as a process: Ctrl-C stops the pipeline cleanly, a closed stdout (`| head`) is
 * not an error, and the exit code is the command's.
 */
export function runProcess(argv: string[] = process.argv.slice(2)): void {
  const controller = new AbortController();
  process.on('SIGINT', () => {
    // The first Ctrl-C stops the pipeline cleanly (it says what state things are in); a second one exits now.
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: stopping (Ctrl-C again to exit at once)…\n');
    controller.abort(new Error('interrupted (Ctrl-C)'));
  });
  process.on('SIGTERM', () => controller.abort(new Error('terminated')));
  const out = quietWhenClosed(process.stdout);
  const err = quietWhenClosed(process.stderr);
  void main(argv, { out: (s) => out(s + '\n'), err: (s) => err(s + '\n') }, controller.signal).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) runProcess();

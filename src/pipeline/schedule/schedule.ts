// Scheduled promotions: a file per promotion in the GitOps repository,
// docs/deployments/scheduled/{env}/{id}.yaml — reviewable, visible to everyone, cancellable by
// deleting it. `gitops-deploy scheduled run` executes the due ones with every check re-run, and
// refuses one whose plan changed (another tag reached the environment, the tag's digest moved).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { environment, serviceConfig } from '../config/load';
import type { GitOpsConfig } from '../config/types';
import { UserError } from '../errors';
import { readImageTags } from '../model/imageTags';
import { compactUtc } from '../model/records';
import { windowState } from '../model/window';
import type { DeployRequest, DeploymentPlan, PipelineOutcome, RecordRef } from '../outcome';
import type { Ports } from '../ports';
import { commitAndPush } from '../repoChange';

export type ScheduleOutcomeStatus = 'deployed' | 'rolled-back' | 'failed' | 'refused' | 'plan-changed';

export interface ScheduleOutcome {
  status: ScheduleOutcomeStatus;
  /** ISO time it ran. */
  at: string;
  detail: string;
  /** The deployment record, repository-relative. */
  record?: string;
  commit?: string;
  /** For plan-changed: what changed. */
  changed?: { field: 'previousTag' | 'digest'; scheduled?: string; now?: string }[];
}

export interface ScheduledPromotion {
  id: string;
  service: string;
  environment: string;
  tag: string;
  digest?: string;
  /** The tag running when it was scheduled: the plan is "previousTag → tag". */
  previousTag: string;
  reason: string;
  /** Who scheduled (and so approved) it; the deployment's actor. */
  actor: string;
  /** sha256 of service, environment, previousTag, tag and digest. */
  planHash: string;
  /** ISO: not before this instant. */
  notBefore: string;
  createdAt: string;
  /** Set once it ran (or was refused); a schedule without it is pending. */
  outcome?: ScheduleOutcome;
}

export interface LoadedSchedule extends ScheduledPromotion {
  /** Repository-relative path. */
  file: string;
}

export const scheduleDir = (config: GitOpsConfig, env: string) => path.join(config.root, 'docs/deployments/scheduled', env);

export function planHash(p: { service: string; environment: string; previousTag: string; tag: string; digest?: string }): string {
  return 'sha256:' + createHash('sha256').update(JSON.stringify([p.service, p.environment, p.previousTag, p.tag, p.digest ?? ''])).digest('hex');
}

const REQUIRED = ['id', 'service', 'environment', 'tag', 'previousTag', 'reason', 'actor', 'planHash', 'notBefore', 'createdAt'] as const;

export function parseSchedule(text: string, file: string): LoadedSchedule {
  const data = parse(text) as Partial<ScheduledPromotion> | null;
  if (!data || typeof data !== 'object') throw new Error('not a mapping');
  for (const k of REQUIRED) if (typeof data[k] !== 'string' || !data[k]) throw new Error(`missing ${k}`);
  if (Number.isNaN(Date.parse(data.notBefore!))) throw new Error(`notBefore "${data.notBefore}" is not an ISO time`);
  return { ...(data as ScheduledPromotion), file };
}

function serialize(s: ScheduledPromotion): string {
  const head = s.outcome
    ? `# Scheduled promotion of ${s.service} ${s.previousTag} → ${s.tag} in ${s.environment}: ${s.outcome.status}.\n`
    : `# Scheduled promotion of ${s.service} ${s.previousTag} → ${s.tag} in ${s.environment}, not before ${s.notBefore}.\n# Cancel it by deleting this file (or: gitops-deploy scheduled cancel ${s.id} --env ${s.environment}).\n`;
  const tagged = stringify(s).replace(/^(tag|previousTag): (?!")(.*)$/gm, '$1: "$2"');
  return head + tagged;
}

/** Every schedule of the environments (all when env is undefined), oldest notBefore first; unreadable files are problems. */
export async function listSchedules(config: GitOpsConfig, env?: string): Promise<{ schedules: LoadedSchedule[]; problems: { file: string; message: string }[] }> {
  const schedules: LoadedSchedule[] = [];
  const problems: { file: string; message: string }[] = [];
  for (const e of config.environments.filter((x) => !env || x.name === env)) {
    const dir = scheduleDir(config, e.name);
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const file = path.relative(config.root, path.join(dir, n));
      try {
        const s = parseSchedule(await fs.readFile(path.join(dir, n), 'utf8'), file);
        if (s.environment !== e.name) throw new Error(`environment "${s.environment}" does not match its folder (${e.name})`);
        schedules.push(s);
      } catch (err) {
        problems.push({ file, message: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  schedules.sort((a, b) => Date.parse(a.notBefore) - Date.parse(b.notBefore) || a.id.localeCompare(b.id));
  return { schedules, problems };
}

export const isPending = (s: ScheduledPromotion) => !s.outcome;
export const isDue = (s: ScheduledPromotion, now: Date) => isPending(s) && Date.parse(s.notBefore) <= now.getTime();

/** When: an ISO time with an offset (2026-11-18T17:00:00-05:00, …Z), or "window-opens". */
export function resolveAt(at: string, config: GitOpsConfig, env: string, now: Date): Date {
  const e = environment(config, env)!;
  if (at === 'window-opens') {
    const w = windowState(e.window, now);
    if (w.open) throw new UserError(`the ${env} deployment window is open now (${w.summary}); deploy now instead of scheduling`);
    if (!w.changesAt) throw new UserError(`the ${env} window does not open within the next 400 days (${w.summary})`);
    return w.changesAt;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(at)) throw new UserError(`--at needs an ISO time with its offset (e.g. 2026-11-18T17:00:00-05:00 or 2026-11-18T22:00:00Z) or "window-opens", not "${at}"`);
  const t = new Date(at);
  if (t.getTime() <= now.getTime()) throw new UserError(`--at ${at} is in the past (it is ${now.toISOString()} now); deploy now instead`);
  const w = windowState(e.window, t);
  if (!w.open) throw new UserError(`${env} deployments are blocked at ${at} (${w.summary}); choose a time the window is open, or --at window-opens`);
  return t;
}

/**
 * Schedule a promotion from a plan made now. Every check but the window must pass; the file is
 * committed and pushed. Returns the schedule, or the plan's refusal.
 */
export async function createSchedule(config: GitOpsConfig, git: Ports['git'], plan: DeploymentPlan, req: { reason: string; actor: string; notBefore: Date; now: Date }, signal?: AbortSignal): Promise<LoadedSchedule> {
  const id = `${compactUtc(req.now)}-${plan.service}`;
  const s: ScheduledPromotion = {
    id,
    service: plan.service,
    environment: plan.environment,
    tag: plan.tag,
    ...(plan.digest ? { digest: plan.digest } : {}),
    previousTag: plan.previousTag,
    reason: req.reason,
    actor: req.actor,
    planHash: planHash(plan),
    notBefore: req.notBefore.toISOString(),
    createdAt: req.now.toISOString(),
  };
  const abs = path.join(scheduleDir(config, plan.environment), `${id}.yaml`);
  const file = path.relative(config.root, abs);
  try {
    await fs.access(abs);
    throw new UserError(`${file} exists already; schedule again in a second`);
  } catch (err) {
    if (err instanceof UserError) throw err;
  }
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, serialize(s));
  const message = `Schedule ${plan.service} ${plan.previousTag} → ${plan.tag} in ${plan.environment} at ${s.notBefore}\n\nService: ${plan.service}\nEnvironment: ${plan.environment}\nTag: ${plan.tag}\nNot-Before: ${s.notBefore}\nReason: ${req.reason}\nActor: ${req.actor}\n`;
  const r = await commitAndPush(git, [file], message, signal);
  if (!r.ok) {
    await fs.rm(abs, { force: true });
    throw new UserError(`could not schedule: ${r.message}`);
  }
  return { ...s, file };
}

export async function cancelSchedule(config: GitOpsConfig, git: Ports['git'], env: string, id: string, actor: string, reason: string | undefined, signal?: AbortSignal): Promise<{ schedule: LoadedSchedule; commit: string }> {
  const { schedules } = await listSchedules(config, env);
  const s = schedules.find((x) => x.id === id);
  if (!s) throw new UserError(`no scheduled promotion "${id}" in ${env} (pending: ${schedules.filter(isPending).map((x) => x.id).join(', ') || 'none'})`);
  if (!isPending(s)) throw new UserError(`${s.file} already ran (${s.outcome!.status} at ${s.outcome!.at}); nothing to cancel`);
  await fs.rm(path.join(config.root, s.file));
  const r = await commitAndPush(git, [s.file], `Cancel scheduled promotion of ${s.service} ${s.tag} in ${env}${reason ? `: ${reason}` : ''}\n\nSchedule: ${s.file}\nActor: ${actor}\n`, signal);
  if (!r.ok) {
    await git.restore([s.file]).catch(() => undefined);
    throw new UserError(`could not cancel: ${r.message}`);
  }
  return { schedule: s, commit: r.commit };
}

export interface ScheduleRun {
  schedule: LoadedSchedule;
  /** waiting: due, but the window refused it now; it stays pending. */
  status: ScheduleOutcomeStatus | 'waiting';
  outcome?: ScheduleOutcome;
  pipeline?: PipelineOutcome;
  /** Writing the outcome into the schedule file failed. */
  problem?: string;
}

/** Is the plan still the one approved? Compares the running tag and the tag's digest now. */
export async function planChanges(config: GitOpsConfig, registry: Ports['registry'], s: ScheduledPromotion, signal?: AbortSignal): Promise<NonNullable<ScheduleOutcome['changed']>> {
  const e = environment(config, s.environment)!;
  const running = (await readImageTags(e.valuesFile, config.tagPath)).entries.get(s.service)?.tag;
  const changed: NonNullable<ScheduleOutcome['changed']> = [];
  if (running !== s.previousTag) changed.push({ field: 'previousTag', scheduled: s.previousTag, now: running });
  if (s.digest) {
    const info = await registry.describeImage(serviceConfig(config, s.service).ecrRepository, s.tag, signal);
    if (info?.digest !== s.digest) changed.push({ field: 'digest', scheduled: s.digest, now: info?.digest });
  }
  return changed;
}

const ONLY_WINDOW = (o: PipelineOutcome) => o.kind === 'refused' && o.checks.some((c) => c.status === 'failed') && o.checks.filter((c) => c.status === 'failed').every((c) => c.name === 'window');

/** Execute the due schedules (of env, or all): re-check, deploy through the pipeline, write the outcome into the file. */
export async function runDueSchedules(config: GitOpsConfig, ports: (env: string) => Pick<Ports, 'git' | 'registry'>, clock: () => Date, deploy: (s: LoadedSchedule, req: DeployRequest) => Promise<PipelineOutcome>, opts: { environment?: string; signal?: AbortSignal } = {}): Promise<ScheduleRun[]> {
  const { schedules } = await listSchedules(config, opts.environment);
  const runs: ScheduleRun[] = [];
  for (const s of schedules.filter((x) => isDue(x, clock()))) {
    const p = ports(s.environment);
    const at = () => clock().toISOString();
    let outcome: ScheduleOutcome;
    let pipeline: PipelineOutcome | undefined;
    const changed = await planChanges(config, p.registry, s, opts.signal);
    if (changed.length) {
      const what = changed.map((c) => (c.field === 'previousTag' ? `${s.environment} runs ${c.now ?? 'nothing'} now, not ${c.scheduled}` : `${s.service}:${s.tag} is ${c.now ?? 'gone'} now, not ${c.scheduled}`)).join('; ');
      outcome = { status: 'plan-changed', at: at(), detail: `refused: the plan changed since it was scheduled (${what}); schedule it again after reviewing the new plan`, changed };
    } else {
      pipeline = await deploy(s, { service: s.service, environment: s.environment, tag: s.tag, reason: `${s.reason} (scheduled: ${s.file})` });
      if (ONLY_WINDOW(pipeline)) {
        runs.push({ schedule: s, status: 'waiting', pipeline });
        continue;
      }
      const status: ScheduleOutcomeStatus = pipeline.kind === 'deployed' ? 'deployed' : pipeline.kind === 'rolled-back' ? 'rolled-back' : pipeline.kind === 'refused' ? 'refused' : 'failed';
      outcome = { status, at: at(), detail: pipeline.message.split('\n')[0], ...recordFields(pipeline.record, pipeline.commit) };
    }
    const updated: ScheduledPromotion = { ...withoutFile(s), outcome };
    await fs.writeFile(path.join(config.root, s.file), serialize(updated));
    const r = await commitAndPush(p.git, [s.file], `Scheduled promotion of ${s.service} ${s.tag} in ${s.environment}: ${outcome.status}\n\nSchedule: ${s.file}\n${outcome.record ? `Record: ${outcome.record}\n` : ''}`, opts.signal);
    if (!r.ok) await p.git.restore([s.file]).catch(() => undefined);
    runs.push({ schedule: { ...updated, file: s.file }, status: outcome.status, outcome, pipeline, problem: r.ok ? undefined : r.message });
  }
  return runs;
}

function recordFields(record: RecordRef | undefined, commit: string | undefined): Pick<ScheduleOutcome, 'record' | 'commit'> {
  return { ...(record ? { record: record.path } : {}), ...(commit ? { commit } : {}) };
}

function withoutFile(s: LoadedSchedule): ScheduledPromotion {
  const { file: _f, ...rest } = s;
  return rest;
}

/** "in 2 h 05 min", "in 45 s", "due now": the time left before a schedule is due. */
export function countdown(notBefore: string, now: Date): string {
  const s = Math.ceil((Date.parse(notBefore) - now.getTime()) / 1000);
  if (s <= 0) return 'due now';
  if (s < 60) return `in ${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `in ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `in ${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `in ${Math.floor(h / 24)} d ${h % 24} h`;
}

import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { FileProblem, errorMessage } from '../errors';
import { fastFrontMatter } from './fastFrontMatter';

export const RECORD_STATUSES = ['succeeded', 'rolled-back', 'failed', 'rollback', 'inconclusive'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];
/** `inconclusive`: the check could not observe (after retries) — neither passed nor failed. */
export type CheckStatus = 'passed' | 'failed' | 'warning' | 'skipped' | 'inconclusive';
export const CHECK_STATUSES: readonly CheckStatus[] = ['passed', 'failed', 'warning', 'skipped', 'inconclusive'];

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail?: string;
  /**
   * What the failing check gathered (in memory and in --json in full; the record keeps the summaries
   * in its front matter and the full text in its body). Never appended to `detail`.
   */
  evidence?: import('../evidence').Evidence[];
  /** The evidence of this failure is the same as that of the named check (shown once, there). */
  evidenceFrom?: string;
  /** The step where it failed (the automatic rollback's check: which rollback step). */
  failedStep?: string;
  /** An adapter's typed fault behind a failed or inconclusive check (which system, what kind); not part of the record. */
  fault?: { system: import('./cause').FaultSystem; kind: import('./cause').FaultKind };
  /** The window check: whether it is open and when that changes (ISO instants). */
  window?: { open: boolean; opensAt?: string; closesAt?: string };
  /** The signature check: what passed (form, signer, identity, Rekor log index). */
  signature?: import('../signatures').SignatureEvidence;
  /** The signature check: which rule refused it. */
  signatureRefusal?: import('../signatures').SignatureRefusal;
  /** running-digest: the verified digest and what the pods run instead. */
  runningDigest?: { verified: string; running: string[] };
  /** The journal check: an unfinished run of this service on origin (interrupted, or running elsewhere). */
  journal?: { state: 'running' | 'interrupted'; runId: string; phase?: 'pushed' | 'rolling-back'; commit?: string; from?: string; to?: string };
  /** The working-tree check: what of the user's checkout is not part of the deployment. */
  checkout?: { dirty: boolean; localAhead: number; policyIgnored: boolean };
  /** What fixes a failed check, as data (worded by the CLI or the editor); not part of the record. */
  fix?: import('./remedy').Remedy;
}

export interface WorkflowRun {
  id: number | string;
  attempt?: number;
  url?: string;
  workflow?: string;
  actor?: string;
}

export interface DeploymentRecord {
  service: string;
  environment: string;
  tag: string;
  previousTag?: string;
  digest?: string;
  /** When the image was pushed to the registry (the start of the change's lead time). */
  imagePushedAt?: string;
  status: RecordStatus;
  startedAt: string;
  finishedAt?: string;
  actor?: string;
  reason?: string;
  commit?: string;
  rollbackCommit?: string;
  /** An emergency override of a closed deployment window: why, and who. */
  windowOverride?: { reason: string; by?: string };
  workflowRun?: WorkflowRun;
  /** The run-duration estimate made before the run, and its basis. */
  estimate?: { seconds: number; basis: 'records' | 'default'; runs: number; percentile: number; finishesAt?: string; windowClosesAt?: string; marginMinutes?: number };
  checks: CheckResult[];
  /** The step where the run failed (absent when it succeeded; records before 0.9 lack it). */
  failedStep?: string;
  /** Why, as a code (see model/cause.ts); the sentence is in the body. */
  causeCode?: import('./cause').CauseCode;
  /**
   * `sha256:<hex>` of the previous record of the same environment (recordHash): the records of an
   * environment form a chain, so editing or removing one afterwards breaks it.
   */
  previousRecord?: string;
  /** The run that wrote it (also the `Run-Id` trailer of its commits); records before 1.0 lack it. */
  runId?: string;
  /** The run was interrupted (killed, crashed) and finished later by resume, rollback or accept. */
  interrupted?: boolean;
  /** The tag already ran, synced and healthy: verified, nothing pushed. */
  alreadyRunning?: boolean;
  /** pull-request mode: the run's pull request, and its automatic rollback's. */
  pullRequest?: RecordPullRequest;
  rollbackPullRequest?: RecordPullRequest;
}

/** A pull request as a record keeps it. */
export interface RecordPullRequest {
  number: number;
  url: string;
  merged: boolean;
  /** The merge commit on the deploy branch (what Argo CD synced). */
  mergeCommit?: string;
  mergedBy?: string;
  /** Still open when the run ended (git.mergeTimeoutMinutes passed). */
  open?: boolean;
}

function recordPullRequest(v: unknown): RecordPullRequest | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.number !== 'number' || typeof o.url !== 'string') return undefined;
  return { number: o.number, url: o.url, merged: o.merged === true, ...(typeof o.mergeCommit === 'string' ? { mergeCommit: o.mergeCommit } : {}), ...(typeof o.mergedBy === 'string' ? { mergedBy: o.mergedBy } : {}), ...(o.open === true ? { open: true } : {}) };
}

export interface LoadedRecord extends DeploymentRecord {
  /** Absolute path of the record file. */
  file: string;
}

export interface RecordProblem {
  file: string;
  message: string;
}

// Reading thousands of small files through the thread pool (fs.promises or the callback API) costs
// four round trips each (open, fstat, read, close): 10,000 records took 0.5–1.2 s that way, against
// about 0.13 s read synchronously. So records are read synchronously in slices, and the event loop
// gets a turn between slices (the extension host is never held for more than a slice's few ms).
const READ_SLICE = 200;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const FRONT = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

/** `20261120T031204Z` for an instant (UTC). */
export function compactUtc(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function recordFileName(startedAt: Date, service: string, n = 1): string {
  return `${compactUtc(startedAt)}-${service}${n > 1 ? `-${n}` : ''}.md`;
}

/** `20261204T063000Z-accounts-kqzxmt.md`: with the run id's suffix two runs can never pick the same name. */
export function runRecordFileName(startedAt: Date, service: string, runId: string): string {
  const suffix = runId.slice(runId.lastIndexOf('-') + 1);
  return `${compactUtc(startedAt)}-${service}-${suffix}.md`;
}

/** A record path in `dir` that no record uses yet: two runs in the same second never overwrite each other. */
export async function uniqueRecordFile(dir: string, startedAt: Date, service: string): Promise<string> {
  for (let n = 1; ; n++) {
    const file = path.join(dir, recordFileName(startedAt, service, n));
    try {
      await fs.access(file);
    } catch {
      return file;
    }
  }
}

function asString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return v.toISOString().replace('.000Z', 'Z');
  return String(v);
}

/** Parse one record file's text. Throws a FileProblem naming what is wrong. */
export function parseRecord(text: string, file: string): LoadedRecord {
  const m = FRONT.exec(text);
  if (!m) throw new FileProblem(file, 'no YAML front matter (the file must start with a line "---")', 1);
  let data: any;
  try {
    data = fastFrontMatter(m[1]) ?? parse(m[1]);
  } catch (err) {
    throw new FileProblem(file, `front matter is not valid YAML: ${errorMessage(err).split('\n')[0]}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new FileProblem(file, 'front matter must be a mapping');
  for (const key of ['service', 'environment', 'tag', 'status', 'startedAt']) {
    if (data[key] === undefined || data[key] === null || data[key] === '') throw new FileProblem(file, `front matter lacks "${key}"`);
  }
  if (!RECORD_STATUSES.includes(data.status)) {
    throw new FileProblem(file, `status "${data.status}" is not one of ${RECORD_STATUSES.join(', ')}`);
  }
  const startedAt = asString(data.startedAt)!;
  if (Number.isNaN(Date.parse(startedAt))) throw new FileProblem(file, `startedAt "${startedAt}" is not an ISO 8601 time`);
  const checks: CheckResult[] = Array.isArray(data.checks)
    ? data.checks
        .filter((c: any) => c && typeof c === 'object' && c.name)
        .map((c: any) => ({
          name: String(c.name),
          status: (CHECK_STATUSES.includes(c.status) ? c.status : 'skipped') as CheckStatus,
          detail: asString(c.detail),
          ...(c.signature && typeof c.signature === 'object' && !Array.isArray(c.signature) ? { signature: c.signature } : {}),
          ...(c.signatureRefusal && typeof c.signatureRefusal === 'object' && !Array.isArray(c.signatureRefusal) ? { signatureRefusal: c.signatureRefusal } : {}),
          ...(c.runningDigest && typeof c.runningDigest === 'object' && typeof c.runningDigest.verified === 'string' && Array.isArray(c.runningDigest.running) ? { runningDigest: { verified: c.runningDigest.verified, running: c.runningDigest.running.map(String) } } : {}),
          ...(Array.isArray(c.evidence) ? { evidence: c.evidence.filter((e: any) => e && typeof e === 'object').map((e: any) => ({ kind: String(e.kind ?? 'log'), title: String(e.title ?? ''), summary: String(e.summary ?? ''), lines: [], ...(e.link ? { link: String(e.link) } : {}) })) } : {}),
          ...(typeof c.evidenceFrom === 'string' ? { evidenceFrom: c.evidenceFrom } : {}),
          ...(typeof c.failedStep === 'string' ? { failedStep: c.failedStep } : {}),
          ...(c.window && typeof c.window === 'object' && typeof c.window.open === 'boolean' ? { window: { open: c.window.open, ...(c.window.opensAt ? { opensAt: asString(c.window.opensAt) } : {}), ...(c.window.closesAt ? { closesAt: asString(c.window.closesAt) } : {}) } } : {}),
        }))
    : [];
  return {
    file,
    service: String(data.service),
    environment: String(data.environment),
    tag: String(data.tag),
    previousTag: asString(data.previousTag),
    digest: asString(data.digest),
    imagePushedAt: asString(data.imagePushedAt),
    status: data.status,
    startedAt,
    finishedAt: asString(data.finishedAt),
    actor: asString(data.actor),
    reason: asString(data.reason),
    commit: asString(data.commit),
    rollbackCommit: asString(data.rollbackCommit),
    windowOverride: data.windowOverride && typeof data.windowOverride === 'object' ? { reason: String(data.windowOverride.reason ?? ''), ...(data.windowOverride.by !== undefined ? { by: String(data.windowOverride.by) } : {}) } : undefined,
    workflowRun: data.workflowRun && typeof data.workflowRun === 'object' ? data.workflowRun : undefined,
    ...(data.estimate && typeof data.estimate === 'object' && typeof data.estimate.seconds === 'number' ? { estimate: data.estimate } : {}),
    checks,
    ...(typeof data.failedStep === 'string' ? { failedStep: data.failedStep } : {}),
    ...(typeof data.causeCode === 'string' ? { causeCode: data.causeCode } : {}),
    previousRecord: asString(data.previousRecord),
    ...(typeof data.runId === 'string' ? { runId: data.runId } : {}),
    ...(data.interrupted === true ? { interrupted: true } : {}),
    ...(data.alreadyRunning === true ? { alreadyRunning: true } : {}),
    ...(recordPullRequest(data.pullRequest) ? { pullRequest: recordPullRequest(data.pullRequest) } : {}),
    ...(recordPullRequest(data.rollbackPullRequest) ? { rollbackPullRequest: recordPullRequest(data.rollbackPullRequest) } : {}),
  };
}

/** The record's Markdown: front matter with every field set, then the readable body. */
export function serializeRecord(record: DeploymentRecord, body: string): string {
  const ordered: Record<string, unknown> = {};
  const keys: (keyof DeploymentRecord)[] = ['service', 'environment', 'tag', 'previousTag', 'digest', 'imagePushedAt', 'status', 'startedAt', 'finishedAt', 'actor', 'reason', 'commit', 'rollbackCommit', 'windowOverride', 'workflowRun', 'estimate', 'failedStep', 'causeCode', 'runId', 'interrupted', 'alreadyRunning', 'pullRequest', 'rollbackPullRequest', 'checks', 'previousRecord'];
  for (const k of keys) {
    const v = record[k];
    if (v !== undefined) ordered[k] = v;
  }
  // The front matter keeps each piece of evidence's summary; its full text is in the body.
  if (record.checks.some((c) => c.evidence)) ordered.checks = record.checks.map((c) => (c.evidence ? { ...c, evidence: c.evidence.map(({ lines: _lines, ...e }) => e) } : c));
  const front = stringify(ordered, { lineWidth: 0, defaultStringType: 'PLAIN', defaultKeyType: 'PLAIN' });
  return `---\n${front}---\n${body.endsWith('\n') ? body : body + '\n'}`;
}

/**
 * Read every record in these folders. A malformed record is reported in `problems` and skipped.
 * Sorted newest first.
 */
export async function readRecords(dirs: readonly string[]): Promise<{ records: LoadedRecord[]; problems: RecordProblem[] }> {
  const records: LoadedRecord[] = [];
  const problems: RecordProblem[] = [];
  const listed = await Promise.all(
    dirs.map(async (dir) => {
      try {
        return { dir, names: await fs.readdir(dir) };
      } catch (err: any) {
        if (err?.code !== 'ENOENT') problems.push({ file: dir, message: `cannot list records: ${errorMessage(err)}` });
        return { dir, names: [] as string[] };
      }
    }),
  );
  let sinceTurn = 0;
  for (const { dir, names } of listed) {
    for (const name of names) {
      if (!name.endsWith('.md') || name.startsWith('.') || name.toLowerCase() === 'readme.md') continue;
      if (++sinceTurn > READ_SLICE) {
        sinceTurn = 0;
        await nextTurn();
      }
      const file = path.join(dir, name);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        problems.push({ file, message: `cannot read: ${errorMessage(err)}` });
        continue;
      }
      try {
        records.push(parseRecord(text, file));
      } catch (err) {
        problems.push({ file, message: errorMessage(err) });
      }
    }
  }
  records.sort(compareNewestFirst);
  return { records, problems };
}

/**
 * Newest first. startedAt has whole seconds: two runs in one second are told apart by finishedAt,
 * then by the file's "-2" suffix (uniqueRecordFile).
 */
export function compareNewestFirst(a: DeploymentRecord & { file?: string }, b: DeploymentRecord & { file?: string }): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? 1 : -1;
  const fa = a.finishedAt ?? '';
  const fb = b.finishedAt ?? '';
  if (fa !== fb) return fa < fb ? 1 : -1;
  return recordSeq(b) - recordSeq(a);
}

function recordSeq(r: { service: string; file?: string }): number {
  if (!r.file) return 1;
  const name = path.basename(r.file, '.md');
  return name.endsWith(`-${r.service}`) ? 1 : Number(/-(\d+)$/.exec(name)?.[1] ?? 1);
}

/** The newest record of a service in an environment. Records must be newest first. */
export function lastRecord(records: readonly DeploymentRecord[], service: string, environment: string): DeploymentRecord | undefined {
  return records.find((r) => r.service === service && r.environment === environment);
}

/** A failed deployment whose automatic rollback failed too (a human must restore the previous tag). */
export function rollbackFailed(r: LoadedRecord): boolean {
  return r.status === 'failed' && r.checks.some((c) => c.name === 'rollback' && c.status === 'failed');
}

// The journal a run leaves on origin: trailers on its commits (run id, service, environment,
// from → to, digest, actor, kind) and a lease ref while it runs. From origin alone any later run —
// CLI, editor or CI, on any machine — can tell that a deployment started, how far it got, and that
// it has no final record. Pure: the git reads are the caller's.
import { randomBytes } from 'node:crypto';
import { compactUtc } from './records';

/** `20261204T063000Z-kqzxmt`: when the run started, and six letters that make it unique. */
export const RUN_ID = /^\d{8}T\d{6}Z-[a-z]{6}$/;

const LETTERS = 'abcdefghjkmnpqrstvwxyz';

export function newRunId(now: Date, random: (n: number) => Buffer = randomBytes): string {
  const bytes = random(6);
  let suffix = '';
  for (const b of bytes) suffix += LETTERS[b % LETTERS.length];
  return `${compactUtc(now)}-${suffix}`;
}

/** deploy: a deployment's change; rollback: a manual rollback's change; auto-rollback: the automatic rollback of a run's deployment. */
export type JournalKind = 'deploy' | 'rollback' | 'auto-rollback';

export interface JournalEntry {
  runId: string;
  kind: JournalKind;
  service: string;
  environment: string;
  /** The tag the commit replaced, and the one it set. */
  from: string;
  to: string;
  digest?: string;
  actor?: string;
  reason?: string;
  commit: string;
  /** Committer date (ISO). */
  date: string;
}

/** The trailer lines a run adds to its commits (after the ones plan.ts writes). */
export function journalTrailers(e: { runId: string; kind: JournalKind; digest?: string }): string[] {
  return [`Run-Id: ${e.runId}`, `Kind: ${e.kind}`, ...(e.digest ? [`Digest: ${e.digest}`] : [])];
}

/** The trailers of a commit message (its last paragraph of `Key: value` lines). */
export function trailers(message: string): Map<string, string> {
  const paragraphs = message.trim().split(/\r?\n\s*\r?\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const out = new Map<string, string>();
  for (const line of last.split(/\r?\n/)) {
    const m = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/.exec(line);
    if (!m) return new Map();
    out.set(m[1].toLowerCase(), m[2].trim());
  }
  return out;
}

/** A journal entry from a commit, or undefined when the commit is not a run's (no Run-Id). */
export function parseJournal(c: { sha: string; date: string; message: string }): JournalEntry | undefined {
  const t = trailers(c.message);
  const runId = t.get('run-id');
  const kind = t.get('kind') as JournalKind | undefined;
  const service = t.get('service');
  const environment = t.get('environment');
  const from = t.get('previous-tag');
  const to = t.get('tag');
  if (!runId || !RUN_ID.test(runId) || !service || !environment || from === undefined || !to) return undefined;
  if (kind !== 'deploy' && kind !== 'rollback' && kind !== 'auto-rollback') return undefined;
  return { runId, kind, service, environment, from, to, digest: t.get('digest'), actor: t.get('actor'), reason: t.get('reason'), commit: c.sha, date: c.date };
}

// ---------------------------------------------------------------- the lease on origin

export interface LeaseInfo {
  runId: string;
  /** Who runs it (the actor) and where (host, pid). */
  holder: string;
  host: string;
  pid: number;
  service: string;
  environment: string;
  tag?: string;
  startedAt: string;
  /** After this the lease may be taken over even if its holder cannot be asked. */
  expiresAt: string;
}

export function leaseRef(environment: string, service: string): string {
  return `refs/gitops-deploy/locks/${environment}/${service}`;
}

export function leaseMessage(info: LeaseInfo): string {
  return `gitops-deploy lease ${info.environment}/${info.service}\n\n${JSON.stringify(info)}\n`;
}

export function parseLease(message: string): LeaseInfo | undefined {
  const json = message.slice(message.indexOf('{'));
  try {
    const v = JSON.parse(json);
    if (!v || typeof v.runId !== 'string' || typeof v.expiresAt !== 'string') return undefined;
    return { runId: v.runId, holder: String(v.holder ?? 'unknown'), host: String(v.host ?? ''), pid: Number(v.pid) || 0, service: String(v.service ?? ''), environment: String(v.environment ?? ''), tag: v.tag === undefined ? undefined : String(v.tag), startedAt: String(v.startedAt ?? ''), expiresAt: v.expiresAt };
  } catch {
    return undefined;
  }
}

/**
 * live: its run may still be going; expired: past its expiry; over: its run provably ended (a final
 * record exists, or it ran on this host and its process is gone); unreadable: not a lease we wrote.
 */
export type LeaseState = 'live' | 'expired' | 'over' | 'unreadable';

export function leaseState(info: LeaseInfo | undefined, o: { now: Date; host: string; alive: (pid: number) => boolean; finished: (runId: string) => boolean }): LeaseState {
  if (!info) return 'unreadable';
  if (o.finished(info.runId)) return 'over';
  if (info.host === o.host && (!info.pid || !o.alive(info.pid))) return 'over';
  const exp = Date.parse(info.expiresAt);
  if (!Number.isFinite(exp) || exp <= o.now.getTime()) return 'expired';
  return 'live';
}

// ---------------------------------------------------------------- interrupted runs

/**
 * What origin says about a service in an environment: the newest run's commits without a final
 * record is an interrupted deployment (or an interrupted automatic rollback).
 */
export interface Interrupted {
  runId: string;
  /** 'pushed': the change is on origin, never verified; 'rolling-back': its automatic rollback is on origin, never verified. */
  phase: 'pushed' | 'rolling-back';
  /** The run's change (for a rolling-back run, the deployment that was being rolled back). */
  change: JournalEntry;
  /** The automatic rollback's commit, when the run got that far. */
  rollback?: JournalEntry;
  /** The tag origin has now for the service. */
  originTag: string;
}

export type JournalState =
  | { kind: 'clean' }
  | { kind: 'running'; runId: string; lease: LeaseInfo }
  | ({ kind: 'interrupted' } & Interrupted);

/**
 * `entries`: the journal entries of this service and environment, newest first; `finished`: run
 * ids that have a final record; `originTag`: the service's tag at origin's head; `lease` and its state.
 */
export function journalState(entries: readonly JournalEntry[], o: { finished: (runId: string) => boolean; originTag: string | undefined; lease?: { info?: LeaseInfo; state: LeaseState } }): JournalState {
  const newest = entries[0];
  if (!newest || o.finished(newest.runId)) return { kind: 'clean' };
  // Changed by hand after the run: whoever did it took over; nothing is left to finish.
  if (o.originTag !== newest.to) return { kind: 'clean' };
  if (o.lease?.state === 'live' && o.lease.info?.runId === newest.runId) return { kind: 'running', runId: newest.runId, lease: o.lease.info };
  if (newest.kind === 'auto-rollback') {
    const change = entries.find((e) => e.runId === newest.runId && e.kind !== 'auto-rollback');
    if (!change) return { kind: 'clean' };
    return { kind: 'interrupted', runId: newest.runId, phase: 'rolling-back', change, rollback: newest, originTag: o.originTag };
  }
  return { kind: 'interrupted', runId: newest.runId, phase: 'pushed', change: newest, originTag: o.originTag };
}

// Reads the journal from origin (through the git port) and holds the lease there: one deployment
// per service and environment across every clone and CI runner.
import * as os from 'node:os';
import type { EnvironmentConfig, GitOpsConfig } from './config/types';
import { parseImageTags } from './model/imageTags';
import { RUN_ID, journalState, leaseMessage, leaseRef, leaseState, parseJournal, parseLease, trailers, type JournalEntry, type JournalState, type LeaseInfo, type LeaseState } from './model/journal';
import type { GitPort } from './ports';
import { recordBranchPrefix } from './github/pulls';
import { rel } from './steps/state';

const JOURNAL_DEPTH = 50;
const RECORD_DEPTH = 400;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: any) {
    return err?.code === 'EPERM';
  }
}

export interface OriginJournal {
  state: JournalState;
  /** This service's entries at `rev`, newest first. */
  entries: JournalEntry[];
  lease?: { sha: string; info?: LeaseInfo; state: LeaseState };
}

/** Run ids with a final record in the environment's records folder at `rev` (from the record commits' trailers). */
export async function finishedRuns(git: GitPort, config: GitOpsConfig, env: EnvironmentConfig, rev: string, signal?: AbortSignal): Promise<Set<string>> {
  const out = new Set<string>();
  for (const c of await git.history(rev, rel(config.root, env.recordsDir), RECORD_DEPTH, signal)) {
    const id = trailers(c.message).get('run-id');
    if (id) out.add(id);
  }
  // pull-request mode: a record origin's protected branch refused waits on its own branch
  // (`gitops-deploy/records/{env}/{service}/{runId}`) for a merge; its run is finished.
  if (env.git.mode === 'pull-request') {
    for (const b of await git.fetchBranches(recordBranchPrefix(env.name), signal).catch(() => [])) {
      const id = b.branch.split('/').pop();
      if (id && RUN_ID.test(id)) out.add(id);
    }
  }
  return out;
}

export async function readLeaseState(git: GitPort, environment: string, service: string, now: Date, finished: (runId: string) => boolean, signal?: AbortSignal): Promise<OriginJournal['lease']> {
  const lease = await git.readLease(leaseRef(environment, service), signal);
  if (!lease) return undefined;
  const info = parseLease(lease.message);
  return { sha: lease.sha, info, state: leaseState(info, { now, host: os.hostname(), alive: pidAlive, finished }) };
}

/** One environment's journal at `rev`: the entries by service (newest first), the finished run ids, origin's tags. */
async function environmentJournal(git: GitPort, config: GitOpsConfig, env: EnvironmentConfig, rev: string, signal?: AbortSignal): Promise<{ byService: Map<string, JournalEntry[]>; finished: (runId: string) => boolean; tags: Map<string, string> }> {
  const valuesRel = rel(config.root, env.valuesFile);
  const [history, finished, text] = await Promise.all([git.history(rev, valuesRel, JOURNAL_DEPTH, signal), finishedRuns(git, config, env, rev, signal), git.show(rev, valuesRel, signal)]);
  const byService = new Map<string, JournalEntry[]>();
  for (const e of history.map(parseJournal)) {
    if (e && e.environment === env.name) byService.set(e.service, [...(byService.get(e.service) ?? []), e]);
  }
  let tags = new Map<string, string>();
  try {
    if (text !== undefined) tags = new Map([...parseImageTags(text, config.tagPath).entries].map(([k, v]) => [k, v.tag]));
  } catch {
    tags = new Map();
  }
  return { byService, finished: (id) => finished.has(id), tags };
}

/** What origin's `rev` says about the service in the environment: clean, running elsewhere, or interrupted. */
export async function readJournal(git: GitPort, config: GitOpsConfig, env: EnvironmentConfig, service: string, rev: string, now: Date, signal?: AbortSignal): Promise<OriginJournal> {
  const j = await environmentJournal(git, config, env, rev, signal);
  const entries = j.byService.get(service) ?? [];
  const lease = entries.length ? await readLeaseState(git, env.name, service, now, j.finished, signal) : undefined;
  return { state: journalState(entries, { finished: j.finished, originTag: j.tags.get(service), lease }), entries, lease };
}

export type LeaseAttempt = { ok: true; release: () => Promise<void>; tookOver?: LeaseInfo } | { ok: false; holder?: LeaseInfo; message: string };

/**
 * Take the lease on origin with a compare-and-swap push: created when absent, taken over only when
 * expired or provably over (its run has a final record, or it ran here and its process is gone).
 */
export async function takeLease(git: GitPort, info: LeaseInfo, now: Date, finished: (runId: string) => boolean, signal?: AbortSignal): Promise<LeaseAttempt> {
  const ref = leaseRef(info.environment, info.service);
  const current = await readLeaseState(git, info.environment, info.service, now, finished, signal);
  if (current && current.state === 'live') return { ok: false, holder: current.info, message: 'held' };
  const w = await git.writeLease(ref, current?.sha, leaseMessage(info), signal);
  if (!w.ok) {
    // Someone else wrote it between our read and our push: they hold it now.
    const now2 = await readLeaseState(git, info.environment, info.service, now, finished, signal).catch(() => undefined);
    return { ok: false, holder: now2?.info, message: w.message };
  }
  const mine = w.sha;
  return {
    ok: true,
    tookOver: current?.info,
    release: async () => {
      await git.writeLease(ref, mine, undefined);
    },
  };
}

/** An unfinished run of one service in one environment, as `status` and the tree show it. */
export interface UnfinishedRun {
  environment: string;
  service: string;
  state: Exclude<JournalState, { kind: 'clean' }>;
}

/**
 * Every service with an unfinished run at origin's `rev` (interrupted, or running elsewhere): one
 * history read per environment, a lease read only for a service whose newest run has no record.
 */
export async function unfinishedRuns(git: GitPort, config: GitOpsConfig, rev: string, now: Date, signal?: AbortSignal): Promise<UnfinishedRun[]> {
  const out: UnfinishedRun[] = [];
  for (const env of config.environments) {
    const j = await environmentJournal(git, config, env, rev, signal);
    for (const [service, entries] of j.byService) {
      if (j.finished(entries[0].runId)) continue;
      const lease = await readLeaseState(git, env.name, service, now, j.finished, signal).catch(() => undefined);
      const state = journalState(entries, { finished: j.finished, originTag: j.tags.get(service), lease });
      if (state.kind !== 'clean') out.push({ environment: env.name, service, state });
    }
  }
  return out;
}

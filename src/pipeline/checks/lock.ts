// No other deployment of this service in this environment runs: from this clone (a lock file) and from
// any clone or CI runner (a lease ref on origin, taken with a compare-and-swap push). Runs last, and
// only when every other check passed: a refused run holds nothing. A dry run only looks.
import * as path from 'node:path';
import * as os from 'node:os';
import { finishedRuns, readLeaseState, takeLease, type LeaseAttempt } from '../journal';
import { acquireLock, inspectLock, lockFile, type LockInfo } from '../lock';
import { leaseRef, type LeaseInfo } from '../model/journal';
import { errText, type BeforeCheck } from './check';

const LEASE_MARGIN_MS = 15 * 60_000;

function describeHolder(h: LockInfo, file: string, root: string): string {
  return `${h.actor} (pid ${h.pid}${h.host ? ` on ${h.host}` : ''}) has been deploying since ${h.startedAt}${h.tag ? ` (tag ${h.tag})` : ''}. Wait for it to finish; if that process is gone, delete ${path.relative(root, file)}.`;
}

export const lock: BeforeCheck<'git'> = {
  name: 'lock',
  phase: 'before',
  needs: ['git'],
  last: true,
  async run({ run: s, tag, now }, ctx) {
    const root = ctx.ports.git.root;
    const file = await lockFile(root, s.environment, s.service);
    const busy = (h: LockInfo, f: string) => ({ status: 'failed' as const, detail: `another deployment of ${s.service} in ${s.environment} is running: ${describeHolder(h, f, root)}` });
    if (s.dryRun) {
      const h = await inspectLock(file);
      if (h) return busy(h, file);
      const l = await readLeaseState(ctx.ports.git, s.environment, s.service, now, () => false, ctx.signal).catch(() => undefined);
      if (l?.state === 'live' && l.info) return { status: 'failed', detail: `another deployment of ${s.service} in ${s.environment} holds the lease on origin: ${l.info.holder} on ${l.info.host} since ${l.info.startedAt} (run ${l.info.runId}); it expires at ${l.info.expiresAt}` };
      return { status: 'passed', detail: 'no deployment of this service in this environment is running' };
    }
    const got = await acquireLock(file, { actor: s.actor, startedAt: now.toISOString(), tag });
    if (!got.ok) return busy(got.holder, got.file);
    // Then the lease on origin, which every clone and CI runner sees.
    const v = s.settings.config.verification;
    // pull-request mode: the run holds the lease while it waits for its pull request (and its rollback's) to be merged.
    const mergeMs = s.target.env?.git.mode === 'pull-request' ? 2 * s.target.env.git.mergeTimeoutMinutes * 60_000 : 0;
    const budgetMs = (2 * v.syncTimeoutSeconds + 2 * v.rolloutTimeoutSeconds) * 1000 + mergeMs + LEASE_MARGIN_MS;
    const info: LeaseInfo = { runId: s.runId, holder: s.actor, host: os.hostname(), pid: process.pid, service: s.service, environment: s.environment, tag, startedAt: now.toISOString(), expiresAt: new Date(now.getTime() + budgetMs).toISOString() };
    let lease: LeaseAttempt;
    try {
      const finished = s.target.env && s.base ? await finishedRuns(ctx.ports.git, s.settings.config, s.target.env, s.base, ctx.signal) : new Set<string>();
      lease = await takeLease(ctx.ports.git, info, now, (id) => finished.has(id), ctx.signal);
    } catch (err) {
      await got.release();
      return { status: 'failed', detail: `could not take the deployment lease on origin (${leaseRef(s.environment, s.service)}): ${errText(err)}` };
    }
    if (!lease.ok) {
      await got.release();
      const h = lease.holder;
      return { status: 'failed', detail: `another deployment of ${s.service} in ${s.environment} holds the lease on origin: ${h ? `${h.holder} on ${h.host} since ${h.startedAt} (run ${h.runId}${h.tag ? `, tag ${h.tag}` : ''}; it expires at ${h.expiresAt})` : `someone else took it a moment ago (${lease.message})`}. Wait for it to finish.` };
    }
    const release = async () => {
      await lease.release().catch(() => undefined);
      await got.release();
    };
    const took = [got.tookOverStale ? `took over a stale lock of ${got.tookOverStale.actor} (pid ${got.tookOverStale.pid} is gone)` : undefined, lease.tookOver ? `took over the lease of run ${lease.tookOver.runId} (${lease.tookOver.holder}; over or expired)` : undefined].filter(Boolean);
    return { status: 'passed', detail: took.length ? took.join('; ') : `acquired (lease ${leaseRef(s.environment, s.service)} on origin until ${info.expiresAt})`, learned: { releaseLock: release } };
  },
};

// No other deployment of this service in this environment runs from this clone. Runs last, and only
// when every other check passed: a refused run holds nothing. A dry run only looks.
import * as path from 'node:path';
import { acquireLock, inspectLock, lockFile, type LockInfo } from '../lock';
import type { BeforeCheck } from './check';

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
      return h ? busy(h, file) : { status: 'passed', detail: 'no deployment of this service in this environment is running' };
    }
    const got = await acquireLock(file, { actor: s.actor, startedAt: now.toISOString(), tag });
    if (!got.ok) return busy(got.holder, got.file);
    return { status: 'passed', detail: got.tookOverStale ? `took over a stale lock of ${got.tookOverStale.actor} (pid ${got.tookOverStale.pid} is gone)` : 'acquired', learned: { releaseLock: got.release } };
  },
};

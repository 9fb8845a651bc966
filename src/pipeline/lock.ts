// One deployment of a service to an environment at a time on this clone: a lock file under
// .git/gitops-deploy/locks/{env}-{service}.lock created with O_EXCL. A lock whose process is gone
// (same host) is stale and taken over. Deployments from other clones meet at the push instead.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LockInfo {
  pid: number;
  host: string;
  actor: string;
  startedAt: string;
  tag?: string;
}

export type LockAttempt =
  | { ok: true; release: () => Promise<void>; tookOverStale?: LockInfo }
  | { ok: false; holder: LockInfo; file: string };

/** The git directory of a working tree (`.git`, or where a `.git` file points for worktrees). */
export async function gitDir(root: string): Promise<string> {
  const dotGit = path.join(root, '.git');
  try {
    const st = await fs.stat(dotGit);
    if (st.isFile()) {
      const m = /^gitdir:\s*(.+)$/m.exec(await fs.readFile(dotGit, 'utf8'));
      if (m) return path.resolve(root, m[1].trim());
    }
  } catch {
    // not a git checkout: keep locks next to the tree
  }
  return dotGit;
}

export async function lockFile(root: string, environment: string, service: string): Promise<string> {
  return path.join(await gitDir(root), 'gitops-deploy', 'locks', `${environment}-${service}.lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: any) {
    return err?.code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<LockInfo | undefined> {
  try {
    const info = JSON.parse(await fs.readFile(file, 'utf8'));
    return { pid: Number(info.pid), host: String(info.host ?? ''), actor: String(info.actor ?? 'unknown'), startedAt: String(info.startedAt ?? ''), tag: info.tag };
  } catch {
    return undefined;
  }
}

function isStale(info: LockInfo): boolean {
  return info.host === os.hostname() && (!Number.isInteger(info.pid) || info.pid <= 0 || !alive(info.pid));
}

/** Who holds the lock now (a stale lock counts as free), without taking it. */
export async function inspectLock(file: string): Promise<LockInfo | undefined> {
  const holder = await readHolder(file);
  return holder && !isStale(holder) ? holder : undefined;
}

export async function acquireLock(file: string, me: Omit<LockInfo, 'pid' | 'host'>): Promise<LockAttempt> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const info: LockInfo = { pid: process.pid, host: os.hostname(), ...me };
  let tookOverStale: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await fs.open(file, 'wx', 0o644);
      try {
        await h.writeFile(JSON.stringify(info) + '\n');
      } finally {
        await h.close();
      }
      return {
        ok: true,
        tookOverStale,
        release: async () => {
          const now = await readHolder(file);
          if (now && now.pid === info.pid && now.startedAt === info.startedAt) await fs.rm(file, { force: true });
        },
      };
    } catch (err: any) {
      if (err?.code !== 'EEXIST') throw err;
      const holder = await readHolder(file);
      if (holder && !isStale(holder)) return { ok: false, holder, file };
      if (!holder && (await youngerThan(file, 5000))) {
        // Another process created it a moment ago and is still writing it.
        return { ok: false, holder: { pid: 0, host: '', actor: 'another process (starting)', startedAt: new Date().toISOString() }, file };
      }
      // Stale (or unreadable, half-written by a crashed process): take it over.
      tookOverStale = holder;
      await fs.rm(file, { force: true });
    }
  }
  const holder = (await readHolder(file)) ?? { pid: 0, host: '', actor: 'unknown', startedAt: '' };
  return { ok: false, holder, file };
}

async function youngerThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await fs.stat(file)).mtimeMs < ms;
  } catch {
    return false;
  }
}

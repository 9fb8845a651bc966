// The git reads `records verify` needs (RecordsGit), over the git CLI: object contents in one
// `git cat-file --batch` process, history with `git log`, the working tree with `git status`.
import { spawn } from 'node:child_process';
import type { RecordsGit } from '../pipeline/recordsVerify';
import { gitEnv, runGit } from './git';

/** Splits `git cat-file --batch` output (byte counts!) into contents, undefined for missing objects. */
export function parseCatFileBatch(out: Buffer, count: number): (string | undefined)[] {
  const result: (string | undefined)[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const nl = out.indexOf(10, pos);
    if (nl < 0) throw new Error('git cat-file --batch: truncated output');
    const header = out.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) {
      // "<name> missing" or "<name> ambiguous"
      result.push(undefined);
      continue;
    }
    const size = Number(m[2]);
    result.push(out.subarray(pos, pos + size).toString('utf8'));
    pos += size + 1;
  }
  return result;
}

export function recordsGit(root: string): RecordsGit {
  return {
    objects(names, signal) {
      return new Promise((resolve, reject) => {
        const child = spawn('git', ['cat-file', '--batch'], { cwd: root, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'], signal, windowsHide: true });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', (e) => reject(new Error(`cannot run git cat-file: ${e.message}`)));
        child.on('close', (code) => {
          if (code !== 0) return reject(new Error(`git cat-file --batch failed (exit ${code}): ${Buffer.concat(err).toString('utf8').trim()}`));
          try {
            resolve(parseCatFileBatch(Buffer.concat(out), names.length));
          } catch (e) {
            reject(e);
          }
        });
        child.stdin.on('error', () => undefined);
        // Object names are one per line; a newline inside one would split it.
        child.stdin.end(names.map((n) => n.replace(/[\r\n]/g, ' ')).join('\n') + '\n');
      });
    },
    async commits(relPath, signal) {
      const r = await runGit(root, ['log', '--format=%H%x1f%B%x1e', '--', relPath], { signal, allowFail: true });
      if (r.code !== 0) return [];
      return r.stdout
        .split('\x1e')
        .map((s) => s.replace(/^\n/, ''))
        .filter((s) => s.includes('\x1f'))
        .map((s) => {
          const [sha, message] = s.split('\x1f');
          return { sha, message };
        });
    },
    async fileHistory(relDir, signal) {
      const r = await runGit(root, ['log', '--no-renames', '--format=%x1e%H', '--name-status', '--', relDir], { signal, allowFail: true });
      if (r.code !== 0) return [];
      return r.stdout
        .split('\x1e')
        .filter((s) => s.trim())
        .map((block) => {
          const [sha, ...lines] = block.split('\n');
          const changes = lines.filter((l) => l.includes('\t')).map((l) => {
            const [status, file] = l.split('\t');
            return { status, file };
          });
          return { sha: sha.trim(), changes };
        });
    },
    async uncommitted(relDir, signal) {
      const r = await runGit(root, ['status', '--porcelain=v1', '-z', '--no-renames', '--untracked-files=no', '--', relDir], { signal, allowFail: true });
      if (r.code !== 0) return [];
      return r.stdout
        .split('\0')
        .filter((s) => s.length > 3)
        .map((s) => ({ status: s.slice(0, 2), file: s.slice(3) }));
    },
  };
}

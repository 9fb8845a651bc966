// The git reads `records verify` needs (RecordsGit), over the git CLI: object contents in one
// `git cat-file --batch` process, history with `git log`, the working tree with `git status`.
import { spawn } from 'node:child_process';
import type { RecordsGit, SignatureStatus } from '../pipeline/recordsVerify';
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

const STATUSES = new Set<string>(['G', 'B', 'U', 'X', 'Y', 'R', 'E', 'N']);

/** Parses `git log --format=%H%x1f%G?%x1f%GK%x1f%GS%x1e` output. */
export function parseSignatureLog(out: string): { sha: string; status: SignatureStatus; key?: string; signer?: string }[] {
  return out
    .split('\x1e')
    .map((s) => s.replace(/^\n/, ''))
    .filter((s) => s.includes('\x1f'))
    .map((s) => {
      const [sha, status, key, signer] = s.split('\x1f');
      return { sha, status: (STATUSES.has(status) ? status : 'E') as SignatureStatus, ...(key ? { key } : {}), ...(signer ? { signer } : {}) };
    });
}

/** A commit object's header carries a signature (gpgsig, or gpgsig-sha256 in SHA-256 repositories). */
export const hasSignatureHeader = (commitObject: string): boolean => /^gpgsig(?:-sha256)? /m.test(commitObject.split('\n\n')[0]);

export function recordsGit(root: string): RecordsGit {
  const git: RecordsGit = {
    async signatures(shas, signal) {
      if (!shas.length) return [];
      // Which commits exist and carry a signature (`%G?` says N both for "unsigned" and for "signed,
      // but no allowed-signers file to check it with").
      const objects = await git.objects(shas.map((sha) => `${sha}^{commit}`), signal);
      const present = shas.filter((_, i) => objects[i] !== undefined);
      if (!present.length) return [];
      const signed = new Map(present.map((sha) => [sha, hasSignatureHeader(objects[shas.indexOf(sha)]!)]));
      const r = await runGit(root, ['log', '--no-walk=unsorted', '--stdin', '--format=%H%x1f%G?%x1f%GK%x1f%GS%x1e'], { signal, input: present.join('\n') + '\n' });
      const byFull = new Map(parseSignatureLog(r.stdout).map((x) => [x.sha, x]));
      return present.flatMap((sha) => {
        const x = byFull.get(sha) ?? [...byFull.values()].find((y) => y.sha.startsWith(sha));
        return x ? [{ ...x, sha, signed: signed.get(sha) ?? false }] : [];
      });
    },
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
  return git;
}

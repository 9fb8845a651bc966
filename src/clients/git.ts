// GitPort over the git CLI: argument arrays only (spawn), no prompts, credentials stripped from messages.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckoutSync, GitCommit, GitMessage, GitPort, LeaseWrite, PushResult, RemoteLease } from '../pipeline/ports';
import { randomBytes } from 'node:crypto';
import { abortError, redactUrls, throwIfAborted } from './util';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitRunOptions {
  input?: string;
  signal?: AbortSignal;
  /** Do not throw on a non-zero exit. */
  allowFail?: boolean;
  /** Extra environment (e.g. GIT_INDEX_FILE for a private index). */
  env?: Record<string, string>;
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly args: string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

/** Why a push failed, from git's stderr. */
export function classifyPushFailure(stderr: string): 'non-fast-forward' | 'protected' | 'other' {
  // GitHub's branch protection and rulesets: `GH006: Protected branch update failed`, `GH013: Repository rule violations found`.
  if (/\bGH006\b|\bGH013\b|Protected branch update failed|protected branch hook declined/i.test(stderr)) return 'protected';
  // `! [rejected] main -> main (fetch first)` / `(non-fast-forward)`; `[remote rejected]` is a hook or protection.
  if (/(^|\s)\[rejected\][^\n]*\((fetch first|non-fast-forward)\)/m.test(stderr)) return 'non-fast-forward';
  if (/\bnon-fast-forward\b/i.test(stderr) && !/\[remote rejected\]/.test(stderr)) return 'non-fast-forward';
  if (/Updates were rejected because the (remote contains work|tip of your current branch is behind)/.test(stderr)) return 'non-fast-forward';
  // Two pushes at the same instant: the server's ref moved between its advertisement and its update.
  if (/cannot lock ref '[^']+': is at [0-9a-f]+ but expected [0-9a-f]+|incorrect old value provided/.test(stderr)) return 'non-fast-forward';
  return 'other';
}

/** `git status --porcelain=v1 -z` → paths (renames give both). */
export function parsePorcelainZ(out: string): string[] {
  const parts = out.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i];
    if (entry.length < 4) continue;
    const xy = entry.slice(0, 2);
    paths.push(entry.slice(3));
    if (xy[0] === 'R' || xy[0] === 'C') {
      const orig = parts[++i];
      if (orig) paths.push(orig);
    }
  }
  return [...new Set(paths)];
}

export function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    // English messages: push rejections and `git show` misses are recognised by their text.
    LC_ALL: 'C',
    LANGUAGE: 'C',
    GIT_EDITOR: 'true',
    GIT_SEQUENCE_EDITOR: 'true',
    GIT_MERGE_AUTOEDIT: 'no',
  };
}

export function runGit(cwd: string, args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  const { signal } = opts;
  return new Promise<GitResult>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const child = spawn('git', args, { cwd, env: opts.env ? { ...gitEnv(), ...opts.env } : gitEnv(), stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGTERM');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new Error(`cannot run git: ${e.message}`));
    });
    child.on('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (aborted) return reject(abortError(signal));
      const result = { code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (result.code !== 0 && !opts.allowFail) {
        const text = redactUrls((result.stderr.trim() || result.stdout.trim()).split('\n').slice(-8).join('\n'));
        return reject(new GitError(`git ${args[0]} failed (exit ${result.code}): ${text}`, args, result.code, redactUrls(result.stderr)));
      }
      resolve(result);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export interface GitAdapterOptions {
  root: string;
  remote: string;
  branch: string;
  log?: (line: string) => void;
  /** Sign the commits the pipeline makes (`git commit-tree -S`, the user's GPG or SSH signing config). */
  signCommits?: boolean;
}

export class GitCli implements GitPort {
  readonly root: string;
  private readonly remote: string;
  private readonly branch: string;
  private readonly logLine?: (line: string) => void;
  private readonly sign: boolean;

  constructor(opts: GitAdapterOptions) {
    this.sign = !!opts.signCommits;
    this.root = opts.root;
    this.remote = opts.remote;
    this.branch = opts.branch;
    this.logLine = opts.log;
  }

  private git(args: string[], opts?: GitRunOptions): Promise<GitResult> {
    return runGit(this.root, args, opts);
  }

  /** Repository-relative, forward-slash path (absolute paths under the root are accepted). */
  private rel(p: string): string {
    const r = path.isAbsolute(p) ? path.relative(this.root, p) : p;
    if (r.startsWith('..') || path.isAbsolute(r)) throw new Error(`${p} is outside the repository ${this.root}`);
    return r.split(path.sep).join('/');
  }

  private get remoteRef(): string {
    return `refs/remotes/${this.remote}/${this.branch}`;
  }

  async headSha(signal?: AbortSignal): Promise<string> {
    return (await this.git(['rev-parse', '--verify', 'HEAD'], { signal })).stdout.trim();
  }

  async dirtyFiles(signal?: AbortSignal): Promise<string[]> {
    const r = await this.git(['status', '--porcelain=v1', '-z', '--untracked-files=all'], { signal });
    return parsePorcelainZ(r.stdout);
  }

  async commit(paths: string[], message: string, signal?: AbortSignal): Promise<string> {
    if (paths.length === 0) throw new Error('nothing to commit: no paths given');
    const rel = paths.map((p) => this.rel(p));
    // Stage new files and deletions of exactly these paths; `--only` then commits just them, leaving
    // whatever else is staged or dirty as it was.
    await this.git(['add', '-A', '--', ...rel], { signal });
    await this.git(['commit', '--only', '--no-edit', '--cleanup=whitespace', ...(this.sign ? ['-S'] : []), '-F', '-', '--', ...rel], { input: message, signal });
    return this.headSha(signal);
  }

  async push(signal?: AbortSignal): Promise<PushResult> {
    const r = await this.git(['push', this.remote, `HEAD:refs/heads/${this.branch}`], { signal, allowFail: true });
    if (r.code === 0) return { ok: true };
    const text = redactUrls(`${r.stdout}\n${r.stderr}`);
    const message = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('hint:') && !/^To\s/.test(l))
      .join('\n');
    return { ok: false, rejected: classifyPushFailure(text), message: message || `git push failed (exit ${r.code})` };
  }

  async fetch(signal?: AbortSignal): Promise<void> {
    await this.git(['fetch', '--quiet', '--no-tags', this.remote, `+refs/heads/${this.branch}:${this.remoteRef}`], { signal });
  }

  async rebaseOntoRemote(signal?: AbortSignal): Promise<boolean> {
    // --autostash: the user's unrelated uncommitted changes must not block the rebase.
    const r = await this.git(['rebase', '--autostash', ...(this.sign ? ['--gpg-sign'] : []), this.remoteRef], { signal, allowFail: true });
    if (r.code === 0) {
      if (/Applying autostash resulted in conflicts/i.test(r.stdout + r.stderr)) {
        // The rebase itself worked; re-applying the user's own uncommitted edits conflicted with the
        // remote's changes. Git keeps them in the stash; say so rather than stay silent.
        this.logLine?.('git: your uncommitted changes conflicted with the remote after the rebase; they are kept in `git stash list` (conflict markers are in the working tree)');
      }
      return true;
    }
    if (await this.rebaseInProgress()) {
      await this.git(['rebase', '--abort']);
      return false;
    }
    throw new GitError(`git rebase onto ${this.remote}/${this.branch} failed (exit ${r.code}): ${redactUrls(r.stderr.trim() || r.stdout.trim())}`, ['rebase'], r.code, r.stderr);
  }

  private async rebaseInProgress(): Promise<boolean> {
    for (const dir of ['rebase-merge', 'rebase-apply']) {
      const p = (await this.git(['rev-parse', '--git-path', dir])).stdout.trim();
      if (fs.existsSync(path.resolve(this.root, p))) return true;
    }
    return false;
  }

  async resetHard(sha: string, signal?: AbortSignal): Promise<void> {
    // `--keep` moves the branch and the files that differ between HEAD and sha, but refuses rather
    // than destroy uncommitted changes the user has elsewhere in the tree.
    await this.git(['reset', '--keep', sha], { signal });
  }

  async restore(paths: string[], signal?: AbortSignal): Promise<void> {
    for (const p of paths) {
      throwIfAborted(signal);
      const rel = this.rel(p);
      const inHead = await this.git(['cat-file', '-e', `HEAD:${rel}`], { signal, allowFail: true });
      if (inHead.code === 0) {
        await this.git(['checkout', 'HEAD', '--', rel], { signal });
      } else {
        // Not in HEAD: the file is new, restoring means removing it (from the index too).
        await this.git(['rm', '--cached', '--ignore-unmatch', '--quiet', '--', rel], { signal });
        await fs.promises.rm(path.join(this.root, rel), { force: true });
      }
    }
  }

  async show(rev: string, p: string, signal?: AbortSignal): Promise<string | undefined> {
    const rel = this.rel(p);
    // `./`: the path is the working tree's (the root may be a folder inside a bigger repository).
    const r = await this.git(['show', `${rev}:./${rel}`], { signal, allowFail: true });
    if (r.code === 0) return r.stdout;
    if (/does not exist in|exists on disk, but not in|exists, but not|path '.*' does not exist/i.test(r.stderr)) return undefined;
    throw new GitError(`git show ${rev}:${rel} failed: ${redactUrls(r.stderr.trim())}`, ['show'], r.code, r.stderr);
  }

  async log(p: string, limit: number, signal?: AbortSignal): Promise<GitCommit[]> {
    const rel = this.rel(p);
    const r = await this.git(['log', `--max-count=${Math.max(1, Math.floor(limit))}`, '--format=%H%x1f%s%x1f%an%x1f%aI%x1e', '--', rel], { signal });
    return r.stdout
      .split('\x1e')
      .map((s) => s.replace(/^\n/, ''))
      .filter((s) => s.includes('\x1f'))
      .map((rec) => {
        const [sha, subject, author, date] = rec.split('\x1f');
        return { sha, subject, author, date: date.trim() };
      });
  }

  async userName(signal?: AbortSignal): Promise<string | undefined> {
    const r = await this.git(['config', '--get', 'user.name'], { signal, allowFail: true });
    const name = r.stdout.trim();
    return r.code === 0 && name ? name : undefined;
  }

  async remoteSha(signal?: AbortSignal): Promise<string> {
    const r = await this.git(['rev-parse', '--verify', '--quiet', this.remoteRef], { signal, allowFail: true });
    if (r.code !== 0) throw new Error(`${this.remote}/${this.branch} is unknown: fetch first (git fetch ${this.remote} ${this.branch})`);
    return r.stdout.trim();
  }

  // ---------------------------------------------------------------- isolated changes

  private async gitDirPath(signal?: AbortSignal): Promise<string> {
    const p = (await this.git(['rev-parse', '--git-dir'], { signal })).stdout.trim();
    return path.resolve(this.root, p);
  }

  async commitOnto(base: string, files: Record<string, string>, message: string, signal?: AbortSignal): Promise<string> {
    // A private index under the git directory: the user's index and working tree are never read or written.
    const dir = path.join(await this.gitDirPath(signal), 'gitops-deploy');
    await fs.promises.mkdir(dir, { recursive: true });
    const index = path.join(dir, `index-${process.pid}-${randomBytes(4).toString('hex')}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      await this.git(['read-tree', base], { signal, env });
      // --cacheinfo takes paths from the repository's top, whatever the working directory.
      const prefix = (await this.git(['rev-parse', '--show-prefix'], { signal })).stdout.trim();
      for (const [p, text] of Object.entries(files)) {
        const rel = prefix + this.rel(p);
        const blob = (await this.git(['hash-object', '-w', '--stdin'], { input: text, signal })).stdout.trim();
        await this.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${rel}`], { signal, env });
      }
      const tree = (await this.git(['write-tree'], { signal, env })).stdout.trim();
      const args = ['commit-tree', tree, '-p', base, '-F', '-'];
      if (this.sign) args.splice(1, 0, '-S');
      const r = await this.git(args, { input: message, signal, allowFail: true });
      if (r.code !== 0) {
        const why = redactUrls(r.stderr.trim()).split('\n').slice(-3).join(' ');
        throw new GitError(this.sign ? `could not sign the commit (git.signCommits is on): ${why} — check user.signingkey and gpg.format in your git config; nothing was pushed` : `git commit-tree failed: ${why}`, args, r.code, r.stderr);
      }
      return r.stdout.trim();
    } finally {
      await fs.promises.rm(index, { force: true }).catch(() => undefined);
      await fs.promises.rm(`${index}.lock`, { force: true }).catch(() => undefined);
    }
  }

  async pushCommit(sha: string, signal?: AbortSignal): Promise<PushResult> {
    const r = await this.git(['push', '--porcelain', this.remote, `${sha}:refs/heads/${this.branch}`], { signal, allowFail: true });
    if (r.code === 0) {
      // What origin now has, without another fetch.
      await this.git(['update-ref', this.remoteRef, sha], { signal, allowFail: true });
      return { ok: true };
    }
    return this.pushFailure(r);
  }

  async pushBranch(sha: string, branch: string, signal?: AbortSignal): Promise<PushResult> {
    // A branch of this run's own: created, or moved to the run's new commit (a re-run of the same tag).
    const r = await this.git(['push', '--porcelain', '--force', this.remote, `${sha}:refs/heads/${branch}`], { signal, allowFail: true });
    if (r.code === 0) {
      await this.git(['update-ref', `refs/remotes/${this.remote}/${branch}`, sha], { signal, allowFail: true });
      return { ok: true };
    }
    return this.pushFailure(r);
  }

  async landedAs(sha: string, rev: string, signal?: AbortSignal): Promise<string> {
    const first = await this.git(['rev-list', '--first-parent', '--max-count=1000', rev], { signal, allowFail: true });
    const line = new Set(first.stdout.split('\n').filter(Boolean));
    if (line.has(sha)) return sha;
    const path = await this.git(['rev-list', '--ancestry-path', '--reverse', `${sha}..${rev}`], { signal, allowFail: true });
    return path.stdout.split('\n').find((c) => c && line.has(c)) ?? sha;
  }

  async fetchBranches(prefix: string, signal?: AbortSignal): Promise<{ branch: string; sha: string }[]> {
    const r = await this.git(['fetch', '--quiet', '--no-tags', '--prune', this.remote, `+refs/heads/${prefix}*:refs/remotes/${this.remote}/${prefix}*`], { signal, allowFail: true });
    if (r.code !== 0) return [];
    const list = await this.git(['for-each-ref', '--format=%(refname)%09%(objectname)', `refs/remotes/${this.remote}/${prefix}`], { signal, allowFail: true });
    return list.stdout
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((f) => f.length === 2 && f[0])
      .map(([ref, sha]) => ({ branch: ref.slice(`refs/remotes/${this.remote}/`.length), sha }));
  }

  private pushFailure(r: GitResult): PushResult {
    const text = redactUrls(`${r.stdout}\n${r.stderr}`);
    // `--porcelain`: "!<TAB>src:dst<TAB>[remote rejected] (pre-receive hook declined)"; the server's own words are "remote: …" lines.
    const remote = redactUrls(r.stderr)
      .split('\n')
      .map((l) => /^remote:\s?(.*)$/.exec(l.trim())?.[1]?.trim())
      .filter((l): l is string => !!l);
    const status = redactUrls(r.stdout)
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((f) => f[0] === '!' && f.length >= 3)
      .map((f) => f.slice(2).join(' ').trim());
    const other = redactUrls(r.stderr)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('hint:') && !/^To\s/.test(l) && !l.startsWith('remote:') && !/^error: failed to push some refs/.test(l));
    const parts = [...remote, ...status, ...(remote.length || status.length ? [] : other)];
    return { ok: false, rejected: classifyPushFailure(text), message: parts.join('; ') || `git push failed (exit ${r.code})` };
  }

  private async isAncestor(a: string, b: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.git(['merge-base', '--is-ancestor', a, b], { signal, allowFail: true })).code === 0;
  }

  async syncCheckout(sha: string, signal?: AbortSignal): Promise<CheckoutSync> {
    const branchRef = `refs/heads/${this.branch}`;
    const current = (await this.git(['symbolic-ref', '-q', 'HEAD'], { signal, allowFail: true })).stdout.trim();
    const local = (await this.git(['rev-parse', '--verify', '--quiet', branchRef], { signal, allowFail: true })).stdout.trim();
    if (current !== branchRef) {
      if (!local) return { kind: 'up-to-date' };
      if (local === sha) return { kind: 'up-to-date' };
      if (!(await this.isAncestor(local, sha, signal))) return { kind: 'diverged', detail: `your ${this.branch} has commits origin has not; it was left as it is` };
      await this.git(['update-ref', branchRef, sha, local], { signal });
      return { kind: 'branch-updated' };
    }
    if (local === sha) return { kind: 'up-to-date' };
    if (!(await this.isAncestor(local, sha, signal))) {
      return { kind: 'ahead', detail: `your ${this.branch} has commits origin has not (not pushed by the deployment); pull with git pull --rebase` };
    }
    const r = await this.git(['merge', '--ff-only', '--quiet', sha], { signal, allowFail: true });
    if (r.code === 0) return { kind: 'fast-forwarded' };
    return { kind: 'dirty', detail: `your uncommitted changes are in the way of ${this.remote}/${this.branch}; your checkout was left at ${local.slice(0, 7)}: commit or stash them, then git pull` };
  }

  async localAhead(signal?: AbortSignal): Promise<number> {
    const r = await this.git(['rev-list', '--count', `${this.remoteRef}..refs/heads/${this.branch}`], { signal, allowFail: true });
    return r.code === 0 ? Number(r.stdout.trim()) || 0 : 0;
  }

  async listFiles(rev: string, dir: string, signal?: AbortSignal): Promise<string[]> {
    const r = await this.git(['ls-tree', '-r', '--name-only', '-z', rev, '--', this.rel(dir)], { signal, allowFail: true });
    return r.code === 0 ? r.stdout.split('\0').filter(Boolean) : [];
  }

  async history(rev: string, p: string, limit: number, signal?: AbortSignal): Promise<GitMessage[]> {
    const r = await this.git(['log', `--max-count=${Math.max(1, Math.floor(limit))}`, '--format=%H%x1f%cI%x1f%B%x1e', rev, '--', this.rel(p)], { signal, allowFail: true });
    if (r.code !== 0) return [];
    return r.stdout
      .split('\x1e')
      .map((x) => x.replace(/^\n/, ''))
      .filter((x) => x.includes('\x1f'))
      .map((x) => {
        const [sha, date, message] = x.split('\x1f');
        return { sha, date, message };
      });
  }

  // ---------------------------------------------------------------- leases on origin

  async readLease(ref: string, signal?: AbortSignal): Promise<RemoteLease | undefined> {
    const ls = await this.git(['ls-remote', '--refs', this.remote, ref], { signal });
    const sha = ls.stdout.split('\n').map((l) => l.split('\t')).find((f) => f[1] === ref)?.[0];
    if (!sha) return undefined;
    const have = await this.git(['cat-file', '-e', `${sha}^{commit}`], { signal, allowFail: true });
    if (have.code !== 0) await this.git(['fetch', '--quiet', '--no-tags', this.remote, ref], { signal });
    const message = (await this.git(['log', '-1', '--format=%B', sha], { signal })).stdout;
    return { sha, message };
  }

  async writeLease(ref: string, expect: string | undefined, message: string | undefined, signal?: AbortSignal): Promise<LeaseWrite> {
    let sha: string | undefined;
    if (message !== undefined) {
      const empty = (await this.git(['mktree'], { input: '', signal })).stdout.trim();
      sha = (await this.git(['commit-tree', empty, '-F', '-'], { input: message, signal })).stdout.trim();
    }
    const r = await this.git(['push', '--porcelain', `--force-with-lease=${ref}:${expect ?? ''}`, this.remote, `${sha ?? ''}:${ref}`], { signal, allowFail: true });
    if (r.code === 0) return { ok: true, sha };
    const failed = this.pushFailure(r);
    return { ok: false, message: failed.ok ? 'rejected' : failed.message };
  }
}

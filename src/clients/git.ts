// GitPort over the git CLI: argument arrays only (spawn), no prompts, credentials stripped from messages.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitCommit, GitPort, PushResult } from '../pipeline/ports';
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
export function classifyPushFailure(stderr: string): 'non-fast-forward' | 'other' {
  // `! [rejected] main -> main (fetch first)` / `(non-fast-forward)`; `[remote rejected]` is a hook or protection.
  if (/(^|\s)\[rejected\][^\n]*\((fetch first|non-fast-forward)\)/m.test(stderr)) return 'non-fast-forward';
  if (/\bnon-fast-forward\b/i.test(stderr) && !/\[remote rejected\]/.test(stderr)) return 'non-fast-forward';
  if (/Updates were rejected because the (remote contains work|tip of your current branch is behind)/.test(stderr)) return 'non-fast-forward';
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
    const child = spawn('git', args, { cwd, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
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
}

export class GitCli implements GitPort {
  readonly root: string;
  private readonly remote: string;
  private readonly branch: string;
  private readonly logLine?: (line: string) => void;

  constructor(opts: GitAdapterOptions) {
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
    await this.git(['commit', '--only', '--no-edit', '--cleanup=whitespace', '-F', '-', '--', ...rel], { input: message, signal });
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
    const r = await this.git(['rebase', '--autostash', this.remoteRef], { signal, allowFail: true });
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
    const r = await this.git(['show', `${rev}:${rel}`], { signal, allowFail: true });
    if (r.code === 0) return r.stdout;
    if (/does not exist in|exists on disk, but not in|path '.*' does not exist/i.test(r.stderr)) return undefined;
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
}

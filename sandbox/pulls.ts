// Pull requests, reviews, labels, commit statuses / check runs, branch protection and auto-merge of
// the GitHub stand-in: what a team's protected `main` asks of a promotion by pull request. Merges
// are real: a merge commit (or squash / rebase) written into the bare origin with update-ref, which
// the branch-protection hook does not see (GitHub's own merges do not go through it either).
import { Timers } from './timers';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type MergeMethod = 'merge' | 'squash' | 'rebase';
export const MERGE_METHODS: readonly MergeMethod[] = ['merge', 'squash', 'rebase'];

/** Scenario `github:` — the repository's settings and `main`'s branch protection. */
export interface GithubSpec {
  /** Protect `main`: direct pushes are refused (GH006), changes go through a pull request (default false). */
  protectedBranch?: boolean;
  /**
   * A push ruleset's "Restrict file paths" on `main`: a direct push that changes one of these paths
   * (`dir/**` or an exact path) is refused (GH013); other pushes go through. Shows one environment
   * behind a pull request while the others push (default none).
   */
  protectedPaths?: string[];
  /** Approving reviews a pull request into `main` needs (default 1 when protected, else 0). */
  requiredReviews?: number;
  /** Status check / check run names that must succeed on the head commit (default none); enforced when protected, reported by `checksSucceedSeconds` either way. */
  requiredChecks?: string[];
  /** Require branches to be up to date before merging (protection's `required_status_checks.strict`, default false): a pull request behind main is `behind`. */
  requireUpToDate?: boolean;
  /** The repository allows auto-merge (`allow_auto_merge`, default false as on GitHub). */
  autoMerge?: boolean;
  /** Merge methods the repository allows (default all three). */
  mergeMethods?: MergeMethod[];
  /** The head branch is deleted after a merge (`delete_branch_on_merge`, default false). */
  deleteBranchOnMerge?: boolean;
  /** A second user, `reviewer`, approves every new pull request this many seconds after it opens. */
  autoApproveSeconds?: number;
  /** Every required check reports success (a GitHub Actions check run) on a new pull request's head this many seconds after it opens. */
  checksSucceedSeconds?: number;
}

export interface GithubSettings {
  protectedBranch: boolean;
  protectedPaths: string[];
  requiredReviews: number;
  requiredChecks: string[];
  requireUpToDate: boolean;
  autoMerge: boolean;
  mergeMethods: MergeMethod[];
  deleteBranchOnMerge: boolean;
  autoApproveSeconds?: number;
  checksSucceedSeconds?: number;
}

export function normalizeGithub(g: GithubSpec | undefined): GithubSettings {
  const s = g ?? {};
  if (typeof s !== 'object' || Array.isArray(s)) throw new Error('scenario: github must be a mapping');
  const known = ['protectedBranch', 'protectedPaths', 'requiredReviews', 'requiredChecks', 'requireUpToDate', 'autoMerge', 'mergeMethods', 'deleteBranchOnMerge', 'autoApproveSeconds', 'checksSucceedSeconds'];
  for (const k of Object.keys(s)) if (!known.includes(k)) throw new Error(`scenario: github.${k} is not a setting (${known.join(', ')})`);
  const protectedBranch = s.protectedBranch === true;
  const requiredReviews = s.requiredReviews ?? (protectedBranch ? 1 : 0);
  if (!Number.isInteger(requiredReviews) || requiredReviews < 0 || requiredReviews > 6) throw new Error('scenario: github.requiredReviews must be an integer 0..6 (GitHub allows up to 6)');
  const requiredChecks = (s.requiredChecks ?? []).map(String);
  const mergeMethods = s.mergeMethods ?? [...MERGE_METHODS];
  if (!Array.isArray(mergeMethods) || !mergeMethods.length || mergeMethods.some((m) => !MERGE_METHODS.includes(m))) throw new Error(`scenario: github.mergeMethods must be a non-empty list of ${MERGE_METHODS.join('|')}`);
  for (const k of ['autoApproveSeconds', 'checksSucceedSeconds'] as const) {
    const v = s[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0)) throw new Error(`scenario: github.${k} must be a number >= 0`);
  }
  const protectedPaths = s.protectedPaths ?? [];
  if (!Array.isArray(protectedPaths) || protectedPaths.some((p) => typeof p !== 'string' || !p || p.startsWith('/') || /[\s'"$`\\]/.test(p))) throw new Error('scenario: github.protectedPaths must be a list of repository paths (dir/** or a file)');
  return { protectedBranch, protectedPaths, requiredReviews: protectedBranch ? requiredReviews : 0, requiredChecks, requireUpToDate: protectedBranch && s.requireUpToDate === true, autoMerge: s.autoMerge === true, mergeMethods, deleteBranchOnMerge: s.deleteBranchOnMerge === true, autoApproveSeconds: s.autoApproveSeconds, checksSucceedSeconds: s.checksSucceedSeconds };
}

/** GitHub's answer to a direct push to a protected branch, printed by the origin's pre-receive hook. */
export function protectionRefusal(g: GithubSettings, ref = 'refs/heads/main'): string[] {
  const lines = [`error: GH006: Protected branch update failed for ${ref}.`, 'error: Changes must be made through a pull request.'];
  if (g.requiredChecks.length === 1) lines.push(`error: Required status check "${g.requiredChecks[0]}" is expected.`);
  else if (g.requiredChecks.length > 1) lines.push(`error: ${g.requiredChecks.length} of ${g.requiredChecks.length} required status checks are expected.`);
  return lines;
}

/** GitHub's answer to a direct push that changes a path a push ruleset restricts. */
export function pathRuleRefusal(file: string, ref = 'refs/heads/main'): string[] {
  return [`error: GH013: Repository rule violations found for ${ref}.`, `error: Review all repository rules at https://github.com/acme/gitops/rules?ref=${encodeURIComponent(ref)}`, `error: - Cannot change protected file path: ${file}`];
}

/**
 * Installs (or removes) the pre-receive hook that protects `refs/heads/main` of the bare origin:
 * every other ref (branches `gitops-deploy/…`, `refs/gitops-deploy/locks/…`) is accepted.
 */
export function installBranchProtection(originDir: string, g: GithubSettings): void {
  const hook = path.join(originDir, 'hooks', 'pre-receive');
  if (!g.protectedBranch && !g.protectedPaths.length) {
    fs.rmSync(hook, { force: true });
    return;
  }
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  // `dir/**` → the case pattern `dir/*` (a case pattern's * also matches /).
  const patterns = g.protectedPaths.map((p) => p.replace(/\*\*$/, '*'));
  const byPath = patterns.length
    ? [
        '    zero=0000000000000000000000000000000000000000',
        '    if [ "$old" = "$zero" ]; then files=$(git ls-tree -r --name-only "$new"); else files=$(git diff --name-only "$old" "$new"); fi',
        '    for f in $files; do',
        `      case "$f" in ${patterns.join('|')})`,
        ...pathRuleRefusal('FILE').map((l) => `        echo ${quote(l).replace('FILE', `'"$f"'`)} >&2`),
        '        status=1; break ;;',
        '      esac',
        '    done',
      ]
    : [];
  const script = [
    '#!/bin/sh',
    '# Branch protection of the sandbox GitHub stand-in: main changes only through a pull request (or, with a path ruleset, changes to those paths).',
    'status=0',
    'while read old new ref; do',
    '  if [ "$ref" = "refs/heads/main" ]; then',
    ...(g.protectedBranch ? [...protectionRefusal(g).map((l) => `    echo ${quote(l)} >&2`), '    status=1'] : byPath),
    '  fi',
    'done',
    'exit $status',
    '',
  ].join('\n');
  fs.mkdirSync(path.dirname(hook), { recursive: true });
  fs.writeFileSync(hook, script, { mode: 0o755 });
}

/** git with an argument array; resolves with the exit code instead of rejecting. */
function gitRun(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd: opts.cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...(opts.env ?? {}) } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}

/** An HTTP answer of the REST API (status, GitHub's error body). */
export class GhError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

const iso = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const validation = (resource: string, e: Record<string, unknown>): GhError => new GhError(422, 'Validation Failed', { errors: [{ resource, ...e }] });

interface Review { id: number; user: string; state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'PENDING' | 'DISMISSED'; body: string; commit_id: string; submitted_at: string }
interface AutoMerge { enabled_by: string; merge_method: MergeMethod; commit_title: string | null; commit_message: string | null; enabled_at: string }

export interface Pull {
  number: number;
  id: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  draft: boolean;
  user: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  merged_at: string | null;
  merged_by: string | null;
  merge_commit_sha: string | null;
  /** Head and base commits when the pull request closed (open: read from origin). */
  frozenHead?: string;
  frozenBase?: string;
  labels: string[];
  reviews: Review[];
  auto_merge: AutoMerge | null;
}

interface CommitStatus { id: number; sha: string; state: 'error' | 'failure' | 'pending' | 'success'; context: string; description: string | null; target_url: string | null; created_at: string; creator: string }
interface CheckRun { id: number; sha: string; name: string; status: 'queued' | 'in_progress' | 'completed'; conclusion: string | null; started_at: string; completed_at: string | null }

export interface Evaluation {
  /** null while closed (GitHub: unknown). */
  mergeable: boolean | null;
  /** clean; unstable (mergeable, but a check that is not required is pending or failing); blocked (rules unmet); dirty (conflicts); unknown (closed). */
  mergeable_state: 'clean' | 'unstable' | 'blocked' | 'behind' | 'dirty' | 'unknown';
  /** The HTTP status of the refusal (405, or 409 when behind). */
  blockedStatus?: number;
  /** Why a merge is refused now (HTTP 405 message), undefined when it may merge. */
  blockedBy?: string;
  reviewDecision: 'APPROVED' | 'REVIEW_REQUIRED' | 'CHANGES_REQUESTED' | null;
  head: string;
  base: string;
}

export interface PullsOptions {
  owner: string;
  repo: string;
  originDir: string;
  /** The token's user (authors pull requests made over REST). */
  user: string;
  settings: () => GithubSettings;
  baseUrl: () => string;
  userJson: (login: string) => Record<string, unknown>;
  log: (s: string) => void;
}

export interface PullEvent { id: number; type: string; number?: number; at: string; [k: string]: unknown }

/** The pull-request side of the stand-in, with an event log tests can wait on. */
export class Pulls {
  readonly events = new EventEmitter();
  readonly pulls: Pull[] = [];
  readonly log: PullEvent[] = [];
  private nextEvent = 1;
  private nextId = 1_500_000_000;
  private readonly statuses: CommitStatus[] = [];
  private readonly checkRuns: CheckRun[] = [];
  private readonly labels = new Map<string, { id: number; name: string; color: string; description: string | null }>();
  private readonly timers = new Timers();
  private lock: Promise<unknown> = Promise.resolve();
  /** The reviewer of the control endpoints and of `autoApproveSeconds`. */
  static readonly REVIEWER = 'reviewer';

  constructor(private readonly o: PullsOptions) {
    this.events.setMaxListeners(100);
  }

  stop(): void {
    this.timers.clear();
    for (const w of [...this.waiters]) w();
  }

  /** Long polls in flight (answered at once on stop). */
  private readonly waiters = new Set<() => void>();

  private after(s: number, fn: () => void): void {
    this.timers.after(s, fn);
  }

  private get od(): string {
    return this.o.originDir;
  }

  private get repoUrl(): string {
    return `${this.o.baseUrl()}/repos/${this.o.owner}/${this.o.repo}`;
  }

  private get html(): string {
    return `https://github.com/${this.o.owner}/${this.o.repo}`;
  }

  /** Records an event (long-poll `GET /sandbox/github/events?after=`) and emits it as 'pull-request'. */
  emit(type: string, data: Record<string, unknown>): PullEvent {
    const e: PullEvent = { id: this.nextEvent++, type, at: new Date().toISOString(), ...data };
    this.log.push(e);
    this.events.emit('pull-request', e);
    return e;
  }

  /** Events after `after`, waiting up to timeoutMs for the first one. */
  eventsAfter(after: number, timeoutMs: number): Promise<PullEvent[]> {
    const now = this.log.filter((e) => e.id > after);
    if (now.length || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.events.off('pull-request', done);
        this.waiters.delete(done);
        resolve(this.log.filter((e) => e.id > after));
      };
      const t = setTimeout(done, timeoutMs);
      this.events.on('pull-request', done);
      this.waiters.add(done);
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  async revParse(ref: string): Promise<string | undefined> {
    const r = await gitRun(['--git-dir', this.od, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  find(number: number): Pull {
    const pr = this.pulls.find((p) => p.number === number);
    if (!pr) throw new GhError(404, 'Not Found');
    return pr;
  }

  byNodeId(id: string): Pull | undefined {
    return this.pulls.find((p) => this.nodeId(p) === id);
  }

  nodeId(p: Pull): string {
    return `PR_kwDOsandbox${p.id.toString(36)}`;
  }

  async heads(p: Pull): Promise<{ head: string; base: string }> {
    if (p.state === 'closed' && p.frozenHead && p.frozenBase) return { head: p.frozenHead, base: p.frozenBase };
    const head = (await this.revParse(`refs/heads/${p.head}`)) ?? p.frozenHead ?? '';
    const base = (await this.revParse(`refs/heads/${p.base}`)) ?? '';
    return { head, base };
  }

  /** Latest review per reviewer (not the author), as GitHub counts them. */
  private decision(p: Pull): { approvals: number; changesRequested: boolean } {
    const latest = new Map<string, Review>();
    for (const r of p.reviews) if (r.user !== p.user && (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED' || r.state === 'DISMISSED')) latest.set(r.user, r);
    const states = [...latest.values()].map((r) => r.state);
    return { approvals: states.filter((s) => s === 'APPROVED').length, changesRequested: states.includes('CHANGES_REQUESTED') };
  }

  /** success | failure | pending | missing of one check name on a commit (status context or check run). */
  checkState(sha: string, name: string): 'success' | 'failure' | 'pending' | 'missing' {
    const status = this.statuses.filter((s) => s.sha === sha && s.context === name).at(-1);
    const run = this.checkRuns.filter((c) => c.sha === sha && c.name === name).at(-1);
    const states: string[] = [];
    if (status) states.push(status.state === 'success' ? 'success' : status.state === 'pending' ? 'pending' : 'failure');
    if (run) states.push(run.status !== 'completed' ? 'pending' : ['success', 'neutral', 'skipped'].includes(run.conclusion ?? '') ? 'success' : 'failure');
    if (!states.length) return 'missing';
    if (states.includes('failure')) return 'failure';
    if (states.includes('pending')) return 'pending';
    return 'success';
  }

  /** Conflicts with the base: `git merge-tree --write-tree` (exit 1 = conflicts); the tree when clean. */
  private async mergeTree(base: string, head: string): Promise<string | undefined> {
    const r = await gitRun(['--git-dir', this.od, 'merge-tree', '--write-tree', base, head]);
    if (r.code === 0) return r.stdout.split('\n')[0].trim();
    if (r.code !== 1) this.o.log(`github: merge-tree ${base} ${head}: ${r.stderr.trim()}`);
    return undefined;
  }

  async evaluate(p: Pull): Promise<Evaluation> {
    const { head, base } = await this.heads(p);
    const g = this.o.settings();
    const { approvals, changesRequested } = this.decision(p);
    const reviewDecision = changesRequested ? 'CHANGES_REQUESTED' : g.requiredReviews > 0 ? (approvals >= g.requiredReviews ? 'APPROVED' : 'REVIEW_REQUIRED') : approvals > 0 ? 'APPROVED' : null;
    if (p.state === 'closed') return { mergeable: null, mergeable_state: 'unknown', blockedBy: 'Pull Request is not mergeable', reviewDecision, head, base };
    if (!head || !base || !(await this.mergeTree(base, head))) return { mergeable: false, mergeable_state: 'dirty', blockedBy: 'Pull Request is not mergeable', reviewDecision, head, base };
    let blockedBy: string | undefined;
    if (p.base === 'main' && g.protectedBranch) {
      if (changesRequested || approvals < g.requiredReviews) {
        const n = Math.max(1, g.requiredReviews);
        blockedBy = changesRequested && approvals >= g.requiredReviews ? 'Changes requested' : `At least ${n} approving review${n === 1 ? ' is' : 's are'} required by reviewers with write access.`;
      } else {
        for (const name of g.requiredChecks) {
          const s = this.checkState(head, name);
          if (s === 'success') continue;
          blockedBy = `Required status check "${name}" is ${s === 'failure' ? 'failing' : s === 'pending' ? 'in progress' : 'expected'}.`;
          break;
        }
      }
    }
    if (blockedBy) return { mergeable: true, mergeable_state: 'blocked', blockedBy, reviewDecision, head, base };
    if (p.base === 'main' && g.protectedBranch && g.requireUpToDate && (await gitRun(['--git-dir', this.od, 'merge-base', '--is-ancestor', base, head])).code !== 0) {
      return { mergeable: true, mergeable_state: 'behind', blockedBy: 'Head branch is out of date. Review and try the merge again.', blockedStatus: 409, reviewDecision, head, base };
    }
    const names = new Set([...this.statuses.filter((x) => x.sha === head).map((x) => x.context), ...this.checkRuns.filter((c) => c.sha === head).map((c) => c.name)]);
    const unstable = [...names].some((n) => this.checkState(head, n) !== 'success');
    return { mergeable: true, mergeable_state: unstable ? 'unstable' : 'clean', reviewDecision, head, base };
  }

  // ---------------------------------------------------------------- actions

  async create(input: { title?: unknown; head?: unknown; base?: unknown; body?: unknown; draft?: unknown }, user: string): Promise<Pull> {
    const missing = ['title', 'head', 'base'].filter((k) => typeof (input as Record<string, unknown>)[k] !== 'string' || !(input as Record<string, string>)[k]);
    if (missing.length) throw new GhError(422, 'Invalid request.\n\n' + missing.map((k) => `"${k}" wasn't supplied.`).join('\n'));
    let head = String(input.head);
    const ownerPrefix = /^([^:]+):(.+)$/.exec(head);
    if (ownerPrefix) {
      if (ownerPrefix[1] !== this.o.owner) throw validation('PullRequest', { field: 'head', code: 'invalid' });
      head = ownerPrefix[2];
    }
    const base = String(input.base);
    const headSha = await this.revParse(`refs/heads/${head}`);
    const baseSha = await this.revParse(`refs/heads/${base}`);
    if (!headSha) throw validation('PullRequest', { field: 'head', code: 'invalid' });
    if (!baseSha) throw validation('PullRequest', { field: 'base', code: 'invalid' });
    if (this.pulls.some((p) => p.state === 'open' && p.head === head && p.base === base)) throw validation('PullRequest', { code: 'custom', message: `A pull request already exists for ${this.o.owner}:${head}.` });
    const ahead = await gitRun(['--git-dir', this.od, 'rev-list', '--count', `${baseSha}..${headSha}`]);
    if (ahead.code === 0 && Number(ahead.stdout.trim()) === 0) throw validation('PullRequest', { code: 'custom', message: `No commits between ${base} and ${head}` });
    const now = iso();
    const pr: Pull = {
      number: this.pulls.length + 1, id: this.nextId++, title: String(input.title), body: typeof input.body === 'string' ? input.body : null, head, base, state: 'open', draft: input.draft === true, user,
      created_at: now, updated_at: now, closed_at: null, merged_at: null, merged_by: null, merge_commit_sha: null, labels: [], reviews: [], auto_merge: null,
    };
    this.pulls.push(pr);
    this.o.log(`github: pull request #${pr.number} opened (${head} → ${base})`);
    this.emit('opened', { number: pr.number, head, base, headSha });
    const g = this.o.settings();
    if (g.autoApproveSeconds !== undefined) this.after(g.autoApproveSeconds, () => void this.review(pr.number, Pulls.REVIEWER, 'APPROVE', 'Looks good (sandbox reviewer).').catch((e: Error) => this.o.log(`github: auto-approve #${pr.number}: ${e.message}`)));
    if (g.checksSucceedSeconds !== undefined && g.requiredChecks.length) {
      this.after(g.checksSucceedSeconds, () => {
        if (pr.state !== 'open') return;
        for (const name of g.requiredChecks) this.addCheckRun(headSha, name, 'success');
      });
    }
    return pr;
  }

  async update(number: number, input: { title?: unknown; body?: unknown; state?: unknown; base?: unknown }): Promise<Pull> {
    const pr = this.find(number);
    if (input.state !== undefined && input.state !== 'open' && input.state !== 'closed') throw validation('PullRequest', { field: 'state', code: 'invalid' });
    if (input.base !== undefined && !(await this.revParse(`refs/heads/${String(input.base)}`))) throw validation('PullRequest', { field: 'base', code: 'invalid' });
    if (input.state === 'open' && pr.state === 'closed') {
      if (pr.merged_at) throw validation('PullRequest', { code: 'custom', field: 'state', message: 'state cannot be changed. The pull request cannot be reopened.' });
      if (this.pulls.some((p) => p !== pr && p.state === 'open' && p.head === pr.head && p.base === pr.base)) throw validation('PullRequest', { code: 'custom', message: `A pull request already exists for ${this.o.owner}:${pr.head}.` });
      if (!(await this.revParse(`refs/heads/${pr.head}`))) throw validation('PullRequest', { code: 'custom', field: 'state', message: 'state cannot be changed. The head branch was deleted.' });
    }
    if (typeof input.title === 'string') pr.title = input.title;
    if (typeof input.body === 'string' || input.body === null) pr.body = input.body as string | null;
    if (typeof input.base === 'string') pr.base = input.base;
    if (input.state === 'closed' && pr.state === 'open') await this.close(pr);
    else if (input.state === 'open' && pr.state === 'closed') {
      pr.state = 'open';
      pr.closed_at = null;
      pr.frozenHead = pr.frozenBase = undefined;
      this.emit('reopened', { number: pr.number });
    }
    pr.updated_at = iso();
    return pr;
  }

  async close(pr: Pull): Promise<void> {
    if (pr.state === 'closed') return;
    const { head, base } = await this.heads(pr);
    pr.state = 'closed';
    pr.closed_at = pr.updated_at = iso();
    pr.frozenHead = head;
    pr.frozenBase = base;
    this.o.log(`github: pull request #${pr.number} closed`);
    this.emit('closed', { number: pr.number, merged: false });
  }

  addLabels(number: number, names: string[]): string[] {
    const pr = this.find(number);
    for (const n of names) {
      if (!this.labels.has(n.toLowerCase())) this.labels.set(n.toLowerCase(), { id: this.nextId++, name: n, color: 'ededed', description: null });
      if (!pr.labels.some((l) => l.toLowerCase() === n.toLowerCase())) pr.labels.push(this.labels.get(n.toLowerCase())!.name);
    }
    pr.updated_at = iso();
    this.emit('labeled', { number, labels: [...pr.labels] });
    return pr.labels;
  }

  removeLabel(number: number, name: string): string[] {
    const pr = this.find(number);
    const i = pr.labels.findIndex((l) => l.toLowerCase() === name.toLowerCase());
    if (i < 0) throw new GhError(404, 'Label does not exist');
    pr.labels.splice(i, 1);
    this.emit('unlabeled', { number, labels: [...pr.labels] });
    return pr.labels;
  }

  labelJson(name: string): Record<string, unknown> {
    const l = this.labels.get(name.toLowerCase()) ?? { id: 0, name, color: 'ededed', description: null };
    return { id: l.id, node_id: `LA_${l.id}`, url: `${this.repoUrl}/labels/${encodeURIComponent(l.name)}`, name: l.name, color: l.color, default: false, description: l.description };
  }

  async review(number: number, user: string, event: unknown, body: unknown, commitId?: unknown): Promise<Review> {
    const pr = this.find(number);
    if (event !== undefined && !['APPROVE', 'REQUEST_CHANGES', 'COMMENT'].includes(String(event))) throw new GhError(422, 'Unprocessable Entity', { errors: ['Invalid event'] });
    if (user === pr.user && event === 'APPROVE') throw new GhError(422, 'Unprocessable Entity', { errors: ['Can not approve your own pull request'] });
    if (user === pr.user && event === 'REQUEST_CHANGES') throw new GhError(422, 'Unprocessable Entity', { errors: ['Can not request changes on your own pull request'] });
    if ((event === 'REQUEST_CHANGES' || event === 'COMMENT') && !body) throw new GhError(422, 'Unprocessable Entity', { errors: [`Review Can not ${event === 'COMMENT' ? 'comment' : 'request changes'} without a body`] });
    const { head } = await this.heads(pr);
    const state: Review['state'] = event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : event === 'COMMENT' ? 'COMMENTED' : 'PENDING';
    const r: Review = { id: this.nextId++, user, state, body: typeof body === 'string' ? body : '', commit_id: typeof commitId === 'string' ? commitId : head, submitted_at: iso() };
    pr.reviews.push(r);
    pr.updated_at = iso();
    this.o.log(`github: pull request #${number} review by ${user}: ${state}`);
    this.emit('review', { number, user, state });
    this.kick();
    return r;
  }

  reviewJson(pr: Pull, r: Review): Record<string, unknown> {
    const html = `${this.html}/pull/${pr.number}#pullrequestreview-${r.id}`;
    return {
      id: r.id, node_id: `PRR_${r.id}`, user: this.o.userJson(r.user), body: r.body, state: r.state, html_url: html, pull_request_url: `${this.repoUrl}/pulls/${pr.number}`, author_association: 'MEMBER',
      _links: { html: { href: html }, pull_request: { href: `${this.repoUrl}/pulls/${pr.number}` } }, ...(r.state === 'PENDING' ? {} : { submitted_at: r.submitted_at }), commit_id: r.commit_id,
    };
  }

  async addStatus(sha: string, input: { state?: unknown; context?: unknown; description?: unknown; target_url?: unknown }, creator: string): Promise<CommitStatus> {
    if (!['error', 'failure', 'pending', 'success'].includes(String(input.state))) throw validation('Status', { field: 'state', code: 'custom', message: 'state is not included in the list' });
    if (!/^[0-9a-f]{40}$/.test(sha) || !(await this.revParse(sha))) throw new GhError(422, `No commit found for SHA: ${sha}`);
    const s: CommitStatus = { id: this.nextId++, sha, state: input.state as CommitStatus['state'], context: typeof input.context === 'string' && input.context ? input.context : 'default', description: typeof input.description === 'string' ? input.description : null, target_url: typeof input.target_url === 'string' ? input.target_url : null, created_at: iso(), creator };
    this.statuses.push(s);
    this.emit('status', { sha, context: s.context, state: s.state });
    this.kick();
    return s;
  }

  statusJson(s: CommitStatus): Record<string, unknown> {
    return { url: `${this.repoUrl}/statuses/${s.sha}`, avatar_url: 'https://avatars.githubusercontent.com/u/583231?v=4', id: s.id, node_id: `SC_${s.id}`, state: s.state, description: s.description, target_url: s.target_url, context: s.context, created_at: s.created_at, updated_at: s.created_at, creator: this.o.userJson(s.creator) };
  }

  /** A check run as GitHub Actions reports it (only GitHub Apps create check runs). */
  addCheckRun(sha: string, name: string, state: 'success' | 'failure' | 'pending'): CheckRun {
    const now = iso();
    const c: CheckRun = { id: this.nextId++, sha, name, status: state === 'pending' ? 'in_progress' : 'completed', conclusion: state === 'pending' ? null : state, started_at: now, completed_at: state === 'pending' ? null : now };
    this.checkRuns.push(c);
    this.emit('check-run', { sha, name, status: c.status, conclusion: c.conclusion });
    this.kick();
    return c;
  }

  checkRunJson(c: CheckRun): Record<string, unknown> {
    const html = `${this.html}/actions/runs/${c.id}/job/${c.id + 1}`;
    return {
      id: c.id, node_id: `CR_${c.id}`, head_sha: c.sha, external_id: '', url: `${this.repoUrl}/check-runs/${c.id}`, html_url: html, details_url: html, status: c.status, conclusion: c.conclusion, started_at: c.started_at, completed_at: c.completed_at, name: c.name,
      output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${this.repoUrl}/check-runs/${c.id}/annotations` }, check_suite: { id: c.id + 7 },
      app: { id: 15368, slug: 'github-actions', node_id: 'MDM6QXBwMTUzNjg=', name: 'GitHub Actions', owner: { login: 'github', id: 9919, type: 'Organization' } }, pull_requests: [],
    };
  }

  statusesFor(sha: string): CommitStatus[] {
    return this.statuses.filter((s) => s.sha === sha).reverse();
  }

  checkRunsFor(sha: string): CheckRun[] {
    return this.checkRuns.filter((c) => c.sha === sha).reverse();
  }

  /** `PUT /pulls/{n}/merge` (and the control endpoint, and auto-merge): one merge at a time. */
  merge(number: number, input: { merge_method?: unknown; sha?: unknown; commit_title?: unknown; commit_message?: unknown }, user: string): Promise<{ sha: string; merged: true; message: string }> {
    return this.serial(() => this.mergeNow(number, input, user));
  }

  private async mergeNow(number: number, input: { merge_method?: unknown; sha?: unknown; commit_title?: unknown; commit_message?: unknown }, user: string): Promise<{ sha: string; merged: true; message: string }> {
    const pr = this.find(number);
    const method = (input.merge_method ?? 'merge') as MergeMethod;
    if (!MERGE_METHODS.includes(method)) throw new GhError(422, 'Invalid request.\n\nmerge_method is not included in the list.');
    const g = this.o.settings();
    if (pr.state === 'closed') throw new GhError(405, 'Pull Request is not mergeable');
    const ev = await this.evaluate(pr);
    if (input.sha !== undefined && input.sha !== ev.head) throw new GhError(409, 'Head branch was modified. Review and try the merge again.');
    if (!g.mergeMethods.includes(method)) throw new GhError(405, `${{ merge: 'Merge commits', squash: 'Squash merges', rebase: 'Rebase merges' }[method]} are not allowed on this repository.`);
    if (ev.blockedBy) throw new GhError(ev.blockedStatus ?? 405, ev.blockedBy);
    const tree = (await this.mergeTree(ev.base, ev.head))!;
    const env = {
      GIT_AUTHOR_NAME: user, GIT_AUTHOR_EMAIL: `${user}@users.noreply.github.com`, GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com',
    };
    const title = typeof input.commit_title === 'string' && input.commit_title ? input.commit_title : undefined;
    const extra = typeof input.commit_message === 'string' ? input.commit_message : undefined;
    let sha: string;
    if (method === 'merge') {
      const message = `${title ?? `Merge pull request #${pr.number} from ${this.o.owner}/${pr.head}`}\n\n${extra ?? pr.title}`;
      sha = await this.commitTree(tree, [ev.base, ev.head], message, env);
    } else if (method === 'squash') {
      const subjects = (await gitRun(['--git-dir', this.od, 'log', '--reverse', '--format=* %s', `${ev.base}..${ev.head}`])).stdout.trim();
      const message = `${title ?? `${pr.title} (#${pr.number})`}\n\n${extra ?? subjects}`;
      sha = await this.commitTree(tree, [ev.base], message, env);
    } else {
      const r = await this.rebase(ev.base, ev.head, env);
      if (!r) throw new GhError(405, 'This branch can\'t be rebased');
      sha = r;
    }
    const moved = await gitRun(['--git-dir', this.od, 'update-ref', '-m', `merge pull request #${pr.number}`, `refs/heads/${pr.base}`, sha, ev.base]);
    if (moved.code !== 0) throw new GhError(409, 'Base branch was modified. Review and try the merge again.');
    const now = iso();
    pr.state = 'closed';
    pr.merged_at = pr.closed_at = pr.updated_at = now;
    pr.merged_by = user;
    pr.merge_commit_sha = sha;
    pr.frozenHead = ev.head;
    pr.frozenBase = ev.base;
    if (g.deleteBranchOnMerge) await gitRun(['--git-dir', this.od, 'update-ref', '-d', `refs/heads/${pr.head}`, ev.head]);
    this.o.log(`github: pull request #${pr.number} merged by ${user} (${method}) → ${sha}`);
    this.emit('merged', { number: pr.number, sha, method, user, auto: Boolean(pr.auto_merge) });
    return { sha, merged: true, message: 'Pull Request successfully merged' };
  }

  /** `PUT /pulls/{n}/update-branch`: merges the base into the head branch (a merge commit on the head). */
  updateBranch(number: number, expected: unknown, user: string): Promise<void> {
    return this.serial(async () => {
      const pr = this.find(number);
      if (pr.state !== 'open') throw new GhError(422, 'Pull request is not open');
      const { head, base } = await this.heads(pr);
      if (expected !== undefined && expected !== head) throw new GhError(422, 'expected head sha didn’t match current head ref.');
      if ((await gitRun(['--git-dir', this.od, 'merge-base', '--is-ancestor', base, head])).code === 0) throw new GhError(422, 'There are no new commits on the base branch.');
      const tree = await this.mergeTree(head, base);
      if (!tree) throw new GhError(422, 'merge conflict between base and head');
      const sha = await this.commitTree(tree, [head, base], `Merge branch '${pr.base}' into ${pr.head}`, { GIT_AUTHOR_NAME: user, GIT_AUTHOR_EMAIL: `${user}@users.noreply.github.com`, GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com' });
      if ((await gitRun(['--git-dir', this.od, 'update-ref', `refs/heads/${pr.head}`, sha, head])).code !== 0) throw new GhError(422, 'expected head sha didn’t match current head ref.');
      this.emit('synchronize', { number, headSha: sha });
      this.kick();
    });
  }

  private async commitTree(tree: string, parents: string[], message: string, env: Record<string, string>): Promise<string> {
    const r = await gitRun(['--git-dir', this.od, 'commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message], { env });
    if (r.code !== 0) throw new Error(`git commit-tree: ${r.stderr}`);
    return r.stdout.trim();
  }

  /** Replays base..head onto base (GitHub's "Rebase and merge"), in a throw-away worktree of the bare origin. */
  private async rebase(base: string, head: string, env: Record<string, string>): Promise<string | undefined> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-sandbox-rebase-'));
    const wt = path.join(tmp, 'wt');
    try {
      if ((await gitRun(['--git-dir', this.od, 'worktree', 'add', '--quiet', '--detach', wt, base])).code !== 0) return undefined;
      const commits = (await gitRun(['--git-dir', this.od, 'rev-list', '--reverse', '--no-merges', `${base}..${head}`])).stdout.split('\n').filter(Boolean);
      for (const c of commits) {
        if ((await gitRun(['cherry-pick', '--allow-empty', c], { cwd: wt, env: { GIT_COMMITTER_NAME: env.GIT_COMMITTER_NAME, GIT_COMMITTER_EMAIL: env.GIT_COMMITTER_EMAIL } })).code !== 0) return undefined;
      }
      return (await gitRun(['rev-parse', 'HEAD'], { cwd: wt })).stdout.trim();
    } finally {
      await gitRun(['--git-dir', this.od, 'worktree', 'remove', '--force', wt]);
      fs.rmSync(tmp, { recursive: true, force: true });
      await gitRun(['--git-dir', this.od, 'worktree', 'prune']);
    }
  }

  /** Auto-merge: GraphQL enablePullRequestAutoMerge; errors as GitHub's GraphQL (UNPROCESSABLE). */
  async enableAutoMerge(pr: Pull, method: MergeMethod, user: string, title?: string, message?: string): Promise<void> {
    const g = this.o.settings();
    if (!g.autoMerge) throw new GhError(422, 'Auto merge is not allowed for this repository');
    if (pr.state === 'closed') throw new GhError(422, `Pull request ${pr.merged_at ? 'Pull request is already merged' : 'Pull request is closed'}`);
    if (!g.mergeMethods.includes(method)) throw new GhError(422, `Pull request ${{ merge: 'Merge commits', squash: 'Squash merges', rebase: 'Rebase merges' }[method]} are not allowed on this repository.`);
    const ev = await this.evaluate(pr);
    if (ev.mergeable_state === 'clean' || ev.mergeable_state === 'unstable') throw new GhError(422, `Pull request Pull request is in ${ev.mergeable_state} status`);
    if (ev.mergeable_state === 'dirty') throw new GhError(422, 'Pull request Pull request is in dirty status');
    if (ev.mergeable_state === 'behind') throw new GhError(422, 'Pull request Pull request is in behind status');
    pr.auto_merge = { enabled_by: user, merge_method: method, commit_title: title ?? null, commit_message: message ?? null, enabled_at: iso() };
    pr.updated_at = iso();
    this.emit('auto_merge_enabled', { number: pr.number, method, user });
    this.kick();
  }

  disableAutoMerge(pr: Pull): void {
    if (!pr.auto_merge) return;
    pr.auto_merge = null;
    this.emit('auto_merge_disabled', { number: pr.number });
  }

  /** Merges every open pull request with auto-merge whose rules are now met (after a review, status or check). */
  kick(): void {
    setImmediate(() => {
      for (const pr of this.pulls.filter((p) => p.state === 'open' && p.auto_merge)) {
        void this.evaluate(pr).then(async (ev) => {
          if ((ev.mergeable_state !== 'clean' && ev.mergeable_state !== 'unstable') || pr.state !== 'open' || !pr.auto_merge) return;
          const am = pr.auto_merge;
          await this.merge(pr.number, { merge_method: am.merge_method, ...(am.commit_title ? { commit_title: am.commit_title } : {}), ...(am.commit_message ? { commit_message: am.commit_message } : {}) }, am.enabled_by);
        }).catch((e: Error) => this.o.log(`github: auto-merge of #${pr.number}: ${e.message}`));
      }
    });
  }

  // ---------------------------------------------------------------- JSON

  async json(p: Pull): Promise<Record<string, unknown>> {
    const ev = await this.evaluate(p);
    const url = `${this.repoUrl}/pulls/${p.number}`;
    const repo = { id: 123456789, node_id: 'R_sandbox', name: this.o.repo, full_name: `${this.o.owner}/${this.o.repo}`, private: true, owner: { ...this.o.userJson(this.o.owner), type: 'Organization' }, html_url: this.html, url: this.repoUrl, default_branch: 'main' };
    const commits = ev.base && ev.head ? Number((await gitRun(['--git-dir', this.od, 'rev-list', '--count', `${p.frozenBase ?? ev.base}..${ev.head}`])).stdout.trim() || 0) : 0;
    return {
      url, id: p.id, node_id: this.nodeId(p), html_url: `${this.html}/pull/${p.number}`, diff_url: `${this.html}/pull/${p.number}.diff`, patch_url: `${this.html}/pull/${p.number}.patch`, issue_url: `${this.repoUrl}/issues/${p.number}`,
      commits_url: `${url}/commits`, review_comments_url: `${url}/comments`, comments_url: `${this.repoUrl}/issues/${p.number}/comments`, statuses_url: `${this.repoUrl}/statuses/${ev.head}`,
      number: p.number, state: p.state, locked: false, title: p.title, user: this.o.userJson(p.user), body: p.body, labels: p.labels.map((l) => this.labelJson(l)), milestone: null, active_lock_reason: null,
      created_at: p.created_at, updated_at: p.updated_at, closed_at: p.closed_at, merged_at: p.merged_at, merge_commit_sha: p.merge_commit_sha, assignee: null, assignees: [], requested_reviewers: [], requested_teams: [],
      head: { label: `${this.o.owner}:${p.head}`, ref: p.head, sha: ev.head, user: this.o.userJson(this.o.owner), repo },
      base: { label: `${this.o.owner}:${p.base}`, ref: p.base, sha: ev.base, user: this.o.userJson(this.o.owner), repo },
      _links: { self: { href: url }, html: { href: `${this.html}/pull/${p.number}` }, issue: { href: `${this.repoUrl}/issues/${p.number}` }, statuses: { href: `${this.repoUrl}/statuses/${ev.head}` } },
      author_association: 'MEMBER', draft: p.draft,
      auto_merge: p.auto_merge ? { enabled_by: this.o.userJson(p.auto_merge.enabled_by), merge_method: p.auto_merge.merge_method, commit_title: p.auto_merge.commit_title, commit_message: p.auto_merge.commit_message } : null,
      merged: Boolean(p.merged_at), mergeable: ev.mergeable, rebaseable: ev.mergeable, mergeable_state: ev.mergeable_state, merged_by: p.merged_by ? this.o.userJson(p.merged_by) : null,
      comments: 0, review_comments: 0, maintainer_can_modify: false, commits, additions: 0, deletions: 0, changed_files: 0,
    };
  }

  /** GitHub's GET /branches/{branch}/protection body. */
  protectionJson(branch: string): Record<string, unknown> {
    const g = this.o.settings();
    const url = `${this.repoUrl}/branches/${branch}/protection`;
    return {
      url,
      required_status_checks: { url: `${url}/required_status_checks`, strict: g.requireUpToDate, contexts: g.requiredChecks, contexts_url: `${url}/required_status_checks/contexts`, checks: g.requiredChecks.map((context) => ({ context, app_id: null })) },
      required_pull_request_reviews: { url: `${url}/required_pull_request_reviews`, dismiss_stale_reviews: false, require_code_owner_reviews: false, require_last_push_approval: false, required_approving_review_count: g.requiredReviews },
      required_signatures: { url: `${url}/required_signatures`, enabled: false },
      enforce_admins: { url: `${url}/enforce_admins`, enabled: true },
      required_linear_history: { enabled: false }, allow_force_pushes: { enabled: false }, allow_deletions: { enabled: false }, block_creations: { enabled: false },
      required_conversation_resolution: { enabled: false }, lock_branch: { enabled: false }, allow_fork_syncing: { enabled: false },
    };
  }
}

// Pull-request mode's GitHub adapter: the PullRequestPort over @octokit/rest (createOctokit, with
// its retry and throttling): REST pulls create/get/list/merge/update, issues addLabels/createComment,
// and GraphQL enablePullRequestAutoMerge. GitHub's refusals of a merge (405, 409, 403, 422) come
// back as data (MergeRefusal); other faults are typed PortErrors.
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };
import { PortError, type FaultKind } from '../pipeline/model/cause';
import type { AutoMergeAttempt, CreatePullRequest, MergeAttempt, MergeRefusal, PullRequestInfo, PullRequestPort } from '../pipeline/github/pulls';
import { maskSecrets } from '../pipeline/mask';
import { createOctokit } from './octokit';

export interface GitHubPullsOptions {
  apiUrl: string;
  owner: string;
  repo: string;
  token: string;
  /** Retries of 5xx / network errors (default 3; tests pass 0). */
  retries?: number;
}

type RawPull = {
  number: number;
  node_id: string;
  html_url: string;
  title: string;
  state: string;
  merged?: boolean | null;
  merged_at?: string | null;
  merge_commit_sha?: string | null;
  merged_by?: { login?: string } | null;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels?: ({ name?: string } | string)[];
  auto_merge?: unknown;
  mergeable_state?: string;
  user?: { login?: string } | null;
  created_at: string;
};

export function pullInfo(p: RawPull): PullRequestInfo {
  const merged = p.merged === true || !!p.merged_at;
  return {
    number: p.number,
    nodeId: p.node_id,
    htmlUrl: p.html_url,
    title: p.title,
    state: p.state === 'closed' ? 'closed' : 'open',
    merged,
    ...(merged && p.merge_commit_sha ? { mergeCommitSha: p.merge_commit_sha } : {}),
    ...(p.merged_by?.login ? { mergedBy: p.merged_by.login } : {}),
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    labels: (p.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
    autoMerge: !!p.auto_merge,
    ...(p.mergeable_state ? { mergeableState: p.mergeable_state } : {}),
    ...(p.user?.login ? { author: p.user.login } : {}),
    createdAt: p.created_at,
  };
}

/** GitHub's answer to PUT /pulls/{n}/merge that is not a merge, as a refusal (pure; unit-tested). */
export function mergeRefusal(status: number, message: string): MergeRefusal {
  if (status === 403) return 'forbidden';
  if (status === 409) return 'head-changed';
  if (status === 405) {
    if (/review/i.test(message)) return 'review-required';
    if (/status check|check run|required check/i.test(message)) return 'checks-required';
    return 'not-mergeable';
  }
  return 'not-mergeable';
}

function faultKind(status: number | undefined): FaultKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status === 409 || status === 422) return 'conflict';
  return 'transport';
}

function errorOf(err: unknown): { status?: number; message: string } {
  const e = err as { status?: number; message?: string; response?: { data?: { message?: string; errors?: unknown[] } } };
  const data = e?.response?.data;
  const detail = Array.isArray(data?.errors) ? data.errors.map((x) => (typeof x === 'string' ? x : ((x as { message?: string })?.message ?? ''))).filter(Boolean).join('; ') : '';
  const message = [data?.message ?? e?.message ?? String(err), detail].filter(Boolean).join(': ');
  return { status: typeof e?.status === 'number' ? e.status : undefined, message };
}

export class GitHubPulls implements PullRequestPort {
  private client?: Promise<Octokit>;
  constructor(private readonly o: GitHubPullsOptions) {}

  private octokit(): Promise<Octokit> {
    return (this.client ??= createOctokit({ baseUrl: this.o.apiUrl, token: this.o.token, retries: this.o.retries }));
  }

  private fail(what: string, err: unknown): PortError {
    const { status, message } = errorOf(err);
    return new PortError('github', faultKind(status), maskSecrets(`GitHub ${what} (${this.o.owner}/${this.o.repo}): ${status ? `HTTP ${status} ` : ''}${message}`, { GITHUB_TOKEN: this.o.token }), status, { cause: err });
  }

  private get repo() {
    return { owner: this.o.owner, repo: this.o.repo };
  }

  async create(input: CreatePullRequest, signal?: AbortSignal): Promise<PullRequestInfo> {
    const gh = await this.octokit();
    let pr: PullRequestInfo;
    try {
      const r = await gh.rest.pulls.create({ ...this.repo, head: input.head, base: input.base, title: input.title, body: input.body, request: { signal } });
      pr = pullInfo(r.data as RawPull);
    } catch (err) {
      // A pull request for the branch already exists (a re-run of the same tag): use it.
      const { status, message } = errorOf(err);
      const existing = status === 422 && /already exists/i.test(message) ? (await this.listOpen(input.head, signal)).find((p) => p.headRef === input.head) : undefined;
      if (!existing) throw this.fail(`could not open a pull request from ${input.head} into ${input.base}`, err);
      pr = existing;
    }
    if (input.labels.length) {
      try {
        const r = await gh.rest.issues.addLabels({ ...this.repo, issue_number: pr.number, labels: input.labels, request: { signal } });
        pr = { ...pr, labels: r.data.map((l) => l.name) };
      } catch (err) {
        throw this.fail(`could not label pull request #${pr.number}`, err);
      }
    }
    return pr;
  }

  async get(number: number, signal?: AbortSignal): Promise<PullRequestInfo> {
    const gh = await this.octokit();
    try {
      return pullInfo((await gh.rest.pulls.get({ ...this.repo, pull_number: number, request: { signal } })).data as RawPull);
    } catch (err) {
      throw this.fail(`could not read pull request #${number}`, err);
    }
  }

  async listOpen(headPrefix: string, signal?: AbortSignal): Promise<PullRequestInfo[]> {
    const gh = await this.octokit();
    try {
      const all = (await gh.paginate(gh.rest.pulls.list, { ...this.repo, state: 'open', per_page: 100, request: { signal } })) as RawPull[];
      return all.map(pullInfo).filter((p) => p.headRef.startsWith(headPrefix));
    } catch (err) {
      throw this.fail('could not list the open pull requests', err);
    }
  }

  async merge(number: number, sha: string, signal?: AbortSignal): Promise<MergeAttempt> {
    const gh = await this.octokit();
    try {
      // A merge commit, never a squash: the deploy commit keeps its trailers (the journal's) as the merge's second parent.
      // No retries: a 405/409 is GitHub's answer (the rules, a moved head), not a fault to wait out.
      const r = await gh.rest.pulls.merge({ ...this.repo, pull_number: number, sha, merge_method: 'merge', request: { signal, retries: 0 } });
      if (r.data.merged) return { merged: true, sha: r.data.sha };
      return { merged: false, refusal: 'not-mergeable', message: r.data.message };
    } catch (err) {
      const { status, message } = errorOf(err);
      if (status === 405 || status === 409 || status === 403 || status === 422) return { merged: false, refusal: mergeRefusal(status, message), message };
      throw this.fail(`could not merge pull request #${number}`, err);
    }
  }

  async enableAutoMerge(pr: PullRequestInfo, signal?: AbortSignal): Promise<AutoMergeAttempt> {
    const gh = await this.octokit();
    try {
      await gh.graphql(
        'mutation($id: ID!, $oid: GitObjectID) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: MERGE, expectedHeadOid: $oid}) { pullRequest { number } } }',
        { id: pr.nodeId, oid: pr.headSha, request: { signal } },
      );
      return { enabled: true };
    } catch (err) {
      const e = err as { errors?: { message?: string }[]; status?: number };
      if (Array.isArray(e?.errors)) return { enabled: false, message: e.errors.map((x) => x.message ?? '').join('; ') };
      const { status, message } = errorOf(err);
      if (status === 403 || status === 422) return { enabled: false, message };
      throw this.fail(`could not enable auto-merge on pull request #${pr.number}`, err);
    }
  }

  async close(number: number, comment: string, signal?: AbortSignal): Promise<void> {
    const gh = await this.octokit();
    try {
      if (comment) await gh.rest.issues.createComment({ ...this.repo, issue_number: number, body: comment, request: { signal } });
      await gh.rest.pulls.update({ ...this.repo, pull_number: number, state: 'closed', request: { signal } });
    } catch (err) {
      throw this.fail(`could not close pull request #${number}`, err);
    }
  }
}

/** Pull-request mode without GitHub: every call refuses, saying what to configure. */
export class UnconfiguredPulls implements PullRequestPort {
  constructor(readonly unavailable: string) {}
  private refuse(): never {
    throw new PortError('github', 'auth', this.unavailable);
  }
  async create(): Promise<PullRequestInfo> {
    this.refuse();
  }
  async get(): Promise<PullRequestInfo> {
    this.refuse();
  }
  async listOpen(): Promise<PullRequestInfo[]> {
    this.refuse();
  }
  async merge(): Promise<MergeAttempt> {
    this.refuse();
  }
  async enableAutoMerge(): Promise<AutoMergeAttempt> {
    this.refuse();
  }
  async close(): Promise<void> {
    this.refuse();
  }
}

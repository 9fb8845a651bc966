// What pull-request mode needs from GitHub: open a pull request for a change pushed to its own
// branch, read it, merge it (or turn on auto-merge) when the branch rules allow, and list the
// promotion PRs still open. The adapter over @octokit/rest lives in src/clients/; unit tests use
// fakes; integration tests use the sandbox's GitHub stand-in. Nothing here imports vscode or an SDK.

/** A pull request as the pipeline and the editor see it. */
export interface PullRequestInfo {
  number: number;
  /** GraphQL node id (for enablePullRequestAutoMerge). */
  nodeId: string;
  htmlUrl: string;
  title: string;
  state: 'open' | 'closed';
  merged: boolean;
  /** The commit on the base branch once merged (what Argo CD syncs). */
  mergeCommitSha?: string;
  mergedBy?: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  labels: string[];
  /** Auto-merge is enabled on it. */
  autoMerge: boolean;
  /** GitHub's mergeable_state: clean | blocked | behind | dirty | unstable | unknown … */
  mergeableState?: string;
  author?: string;
  createdAt: string;
}

/** Why a merge did not happen, as data (the text is made at the edge). */
export type MergeRefusal =
  /** Reviews required by the branch rules are missing. */
  | 'review-required'
  /** Required status checks are missing or not successful. */
  | 'checks-required'
  /** Conflicts, or GitHub says it is not mergeable. */
  | 'not-mergeable'
  /** The head moved since it was read (409). */
  | 'head-changed'
  /** The token may not merge (403). */
  | 'forbidden'
  /** Already closed without a merge. */
  | 'closed';

export type MergeAttempt = { merged: true; sha: string } | { merged: false; refusal: MergeRefusal; message: string };

export type AutoMergeAttempt = { enabled: true } | { enabled: false; message: string };

export interface CreatePullRequest {
  /** Branch name on origin (`gitops-deploy/{env}/{service}/{tag}`). */
  head: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
}

export interface PullRequestPort {
  /** Set when GitHub cannot be used (not configured, no token, untrusted host): why, and what to configure. */
  readonly unavailable?: string;
  create(input: CreatePullRequest, signal?: AbortSignal): Promise<PullRequestInfo>;
  get(number: number, signal?: AbortSignal): Promise<PullRequestInfo>;
  /** Open pull requests whose head branch starts with `headPrefix` (e.g. `gitops-deploy/prod/`). */
  listOpen(headPrefix: string, signal?: AbortSignal): Promise<PullRequestInfo[]>;
  /** Merge now at `sha` (the head the pipeline pushed) when the rules allow. */
  merge(number: number, sha: string, signal?: AbortSignal): Promise<MergeAttempt>;
  /** Ask GitHub to merge it as soon as the rules allow (GraphQL enablePullRequestAutoMerge). */
  enableAutoMerge(pr: PullRequestInfo, signal?: AbortSignal): Promise<AutoMergeAttempt>;
  /** Close without merging, with a comment saying why. */
  close(number: number, comment: string, signal?: AbortSignal): Promise<void>;
}

/** The branch a change goes to in pull-request mode. */
export function promotionBranch(environment: string, service: string, tag: string): string {
  return `gitops-deploy/${environment}/${service}/${tag}`;
}

/** The prefix of an environment's promotion branches (for listing its open PRs). */
export function promotionBranchPrefix(environment: string): string {
  return `gitops-deploy/${environment}/`;
}

/** The branch of a run's automatic rollback in pull-request mode. */
export function rollbackBranch(environment: string, service: string, runId: string): string {
  return `gitops-deploy/${environment}/${service}/rollback-${runId}`;
}

/** The branch a record goes to when origin's branch refuses a direct push of it. */
export function recordBranch(environment: string, service: string, runId: string): string {
  return `gitops-deploy/records/${environment}/${service}/${runId}`;
}

/** The prefix of an environment's record branches. */
export function recordBranchPrefix(environment: string): string {
  return `gitops-deploy/records/${environment}/`;
}

/** A promotion PR as `status --json` and the tree list it: what it promotes and where it stands. */
export interface PromotionPullRequest {
  number: number;
  url: string;
  environment: string;
  service: string;
  tag: string;
  /** deploy: a promotion; rollback: an automatic rollback's PR; record: a record waiting to be merged. */
  purpose: 'deploy' | 'rollback' | 'record';
  mergeableState?: string;
  autoMerge: boolean;
  headRef: string;
  createdAt: string;
}

/** What an open PR's head branch says it is (undefined: not one of ours for that environment). */
export function parsePromotionBranch(headRef: string): { environment: string; service: string; tag: string; purpose: PromotionPullRequest['purpose'] } | undefined {
  const rec = /^gitops-deploy\/records\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(headRef);
  if (rec) return { environment: rec[1], service: rec[2], tag: '', purpose: 'record' };
  const m = /^gitops-deploy\/([^/]+)\/([^/]+)\/(.+)$/.exec(headRef);
  if (!m) return undefined;
  const rb = /^rollback-(.+)$/.exec(m[3]);
  return rb ? { environment: m[1], service: m[2], tag: '', purpose: 'rollback' } : { environment: m[1], service: m[2], tag: m[3], purpose: 'deploy' };
}

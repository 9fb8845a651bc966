// The words of pull-request mode in the editor: a promotion pull request's tree node (label,
// description, tooltip), the status bar while a run waits for its pull request, the merge
// confirmation and a refused merge. Pure (no vscode import), made from PullRequestInfo / PullRequestEvent.
import { relativeTime } from '../pipeline/model/format';
import { parsePromotionBranch, type MergeRefusal, type PullRequestInfo } from '../pipeline/github/pulls';
import type { PullRequestEvent } from '../pipeline/outcome';

/**
 * What a branch of ours says, for one environment: a promotion `gitops-deploy/{env}/{service}/{tag}`,
 * an automatic rollback `…/{service}/rollback-{runId}`, a record `gitops-deploy/records/{env}/{service}/{runId}`
 * (undefined for another branch or environment).
 */
export function promotionOfBranch(headRef: string, environment: string): { service: string; tag: string; purpose: 'deploy' | 'rollback' | 'record' } | undefined {
  const p = parsePromotionBranch(headRef);
  if (!p || p.environment !== environment) return undefined;
  return { service: p.service, tag: p.tag, purpose: p.purpose };
}

/** What a run of this editor knows about a pull request (from its events): why it waits, what it is for. */
export interface PullRequestRunView {
  purpose: PullRequestEvent['purpose'];
  waitingFor?: MergeRefusal;
}

/** "#12 accounts 1.4.0 → prod", "#13 rollback of accounts in prod", "#14 record of accounts in prod" (another branch: "#12 <title>"). */
export function pullRequestLabel(pr: PullRequestInfo, environment: string): string {
  const p = promotionOfBranch(pr.headRef, environment);
  if (!p) return `#${pr.number} ${pr.title}`;
  if (p.purpose === 'rollback') return `#${pr.number} rollback of ${p.service} in ${environment}`;
  if (p.purpose === 'record') return `#${pr.number} record of ${p.service} in ${environment}`;
  return `#${pr.number} ${p.service} ${p.tag} → ${environment}`;
}

const WAITING: Record<MergeRefusal, string> = {
  'review-required': 'waiting for review',
  'checks-required': 'waiting for checks',
  'not-mergeable': 'conflicts: not mergeable',
  'head-changed': 'head changed',
  forbidden: 'waiting for someone allowed to merge',
  closed: 'closed',
};

/**
 * Its state in a few words: auto-merge on / waiting for review / waiting for checks / mergeable /
 * behind / conflicts. What a run here was told (waitingFor) is more precise than GitHub's
 * mergeable_state, which says "blocked" for a missing review and missing checks alike.
 */
export function pullRequestState(pr: PullRequestInfo, run?: PullRequestRunView): string {
  if (pr.merged) return 'merged';
  if (pr.state === 'closed') return 'closed';
  if (pr.autoMerge) return 'auto-merge on';
  const s = pr.mergeableState;
  if (s === 'clean' || s === 'has_hooks') return 'mergeable';
  if (s === 'unstable') return 'mergeable · a check is not passing';
  if (s === 'behind') return 'behind its base: needs an update';
  if (s === 'dirty') return 'conflicts: not mergeable';
  if (s === 'draft') return 'draft';
  if (run?.waitingFor) return WAITING[run.waitingFor];
  if (s === 'blocked') return 'waiting for review or checks';
  return 'checking mergeability';
}

/** The node's description: the state, and that a run of this editor waits for it. */
export function pullRequestDescription(pr: PullRequestInfo, run?: PullRequestRunView): string {
  return `${pullRequestState(pr, run)}${run ? ' · the run waits' : ''}`;
}

/** Whether the state asks a person to act (the node's icon is then a warning's). */
export function pullRequestNeedsSomeone(pr: PullRequestInfo, run?: PullRequestRunView): boolean {
  if (pr.state !== 'open' || pr.autoMerge) return false;
  return !['clean', 'has_hooks', 'unstable', undefined, 'unknown'].includes(pr.mergeableState) || !!run?.waitingFor;
}

/** The tooltip (plain text: a pull request's title and labels are someone else's text). */
export function pullRequestTooltip(pr: PullRequestInfo, environment: string, now: Date, run?: PullRequestRunView): string {
  const lines = [`Pull request #${pr.number}: ${pr.title}`, pr.htmlUrl, ''];
  lines.push(`${pr.headRef} → ${pr.baseRef} (head ${pr.headSha.slice(0, 7)})`);
  lines.push(`Opened${pr.author ? ` by ${pr.author}` : ''} ${relativeTime(pr.createdAt, now)} (${pr.createdAt})`);
  if (pr.labels.length) lines.push(`Labels: ${pr.labels.join(', ')}`);
  lines.push(`State: ${pullRequestState(pr, run)}`);
  if (run) lines.push(`A ${run.purpose === 'rollback' ? 'rollback' : 'deployment'} running in this editor waits for it to be merged, then waits for Argo CD and verifies ${environment}.`);
  lines.push('', 'Open shows it on GitHub; Merge merges it there when the branch rules allow.');
  return lines.join('\n');
}

/** The status bar while a run waits for its pull request; undefined once merged or closed (cleared). */
export function pullRequestStatus(e: PullRequestEvent): { text: string; tooltip: string; url: string } | undefined {
  if (e.phase === 'merged' || e.phase === 'closed') return undefined;
  const what = `${e.service} ${e.purpose === 'rollback' ? '↩' : '→'} ${e.environment}`;
  const pr = `${e.purpose === 'rollback' ? 'rollback ' : ''}PR #${e.pr.number}`;
  const state =
    e.phase === 'opened'
      ? `${pr} opened`
      : e.phase === 'auto-merge-enabled'
        ? `${pr} auto-merge on`
        : `waiting for ${pr}${e.waitingFor ? ` ${STATUS_WAITING[e.waitingFor]}` : ' to be merged'}`;
  return {
    text: `$(git-pull-request) ${what}: ${state}`,
    tooltip: `GitOps Deploy: ${what} — ${state}. Click to open the pull request: ${e.pr.htmlUrl}`,
    url: e.pr.htmlUrl,
  };
}

const STATUS_WAITING: Record<MergeRefusal, string> = {
  'review-required': 'review',
  'checks-required': 'checks',
  'not-mergeable': '(conflicts)',
  'head-changed': '(head changed)',
  forbidden: '(someone allowed to merge)',
  closed: '(closed)',
};

/** What a person must do about a pull request the branch rules keep from being merged. */
export const REFUSAL_NEEDS: Record<MergeRefusal, string> = {
  'review-required': 'an approving review by someone other than its author',
  'checks-required': 'its required status checks to pass',
  'not-mergeable': 'its conflicts resolved (GitHub says it is not mergeable)',
  'head-changed': 'a fresh look: its head moved since it was read — refresh and try again',
  forbidden: 'someone allowed to merge into the protected branch (your token may not)',
  closed: 'nothing: it is closed',
};

/** The modal question before Merge. */
export function mergeQuestion(pr: PullRequestInfo, environment: string, run?: PullRequestRunView): { message: string; detail: string } {
  const p = promotionOfBranch(pr.headRef, environment);
  const what = p?.purpose === 'deploy' ? `${p.service} ${p.tag} → ${environment}` : pullRequestLabel(pr, environment).replace(/^#\d+ /, '');
  const detail = [
    `${pr.headRef} at ${pr.headSha.slice(0, 7)} is merged into ${pr.baseRef} on GitHub, if the branch rules allow it.`,
    p?.purpose === 'deploy' ? `Argo CD then deploys ${p.service} ${p.tag} to ${environment}.` : p?.purpose === 'record' ? 'It adds the deployment record and changes nothing else.' : `Argo CD then syncs ${environment} to what ${pr.baseRef} says.`,
    run
      ? `The ${run.purpose === 'rollback' ? 'rollback' : 'deployment'} running in this editor waits for this merge; it goes on with the sync wait and the verification, and writes the record.`
      : 'The run that opened it goes on when it sees the merge (if it still waits).',
  ].join(' ');
  return { message: `Merge pull request #${pr.number}: ${what}?`, detail };
}

/** A merge the branch rules refused: what is missing, as a warning (not an error dump). */
export function mergeRefusedText(pr: PullRequestInfo, refusal: MergeRefusal, message: string): string {
  const said = message.trim() ? ` (GitHub: ${message.trim().split('\n')[0]})` : '';
  return `Pull request #${pr.number} was not merged: it needs ${REFUSAL_NEEDS[refusal]}${said}.`;
}

/** The notification when an automatic rollback's pull request needs a human to merge it. */
export function rollbackNeedsHumanText(e: PullRequestEvent): string {
  const needs = e.waitingFor ? REFUSAL_NEEDS[e.waitingFor] : 'someone to merge it';
  return `The automatic rollback of ${e.service} in ${e.environment} needs a human: its pull request #${e.pr.number} needs ${needs}. Until it is merged, ${e.environment} keeps the failed change.`;
}

/** The one node shown instead of the list when it cannot be read. */
export function listingProblemText(kind: 'no-token' | 'untrusted-host' | 'no-repository' | 'failed', detail?: string): { label: string; detail: string } {
  switch (kind) {
    case 'no-token':
      return { label: 'Pull requests: sign in to GitHub to list them', detail: 'pull-request mode: sign in to GitHub (Accounts menu) or set GITHUB_TOKEN to see the open promotion pull requests here.' };
    case 'untrusted-host':
      return { label: 'Pull requests: GitHub host not trusted', detail: `.gitops-deploy.yaml names ${detail ?? 'a GitHub host'} as github.apiUrl and you have not trusted it: your token is not sent there, so the pull requests are not listed. Trust it when a deployment asks, or list it in trustedHosts (~/.config/gitops-deploy/config.yaml) or GITOPS_DEPLOY_TRUSTED_HOSTS.` };
    case 'no-repository':
      return { label: 'Pull requests: github.owner / github.repo not set', detail: 'pull-request mode needs github.owner and github.repo in .gitops-deploy.yaml to open and list pull requests.' };
    case 'failed':
      return { label: 'Pull requests: could not list them', detail: `GitHub did not answer the list of open pull requests: ${detail ?? 'unknown error'}. Refresh to try again.` };
  }
}

/** The environment's tooltip line in pull-request mode. */
export function environmentPullRequestMode(merge: 'manual' | 'auto', labels: readonly string[]): string {
  const how = merge === 'auto' ? 'merged by the pipeline (or auto-merge) as soon as the branch rules allow' : 'merged by a reviewer; the run waits for the merge';
  return `pull-request mode: each change goes to a branch gitops-deploy/{env}/{service}/{tag} and a pull request, ${how}${labels.length ? ` (labels: ${labels.join(', ')})` : ''}.`;
}

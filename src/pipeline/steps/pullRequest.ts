// Pull-request mode (git.mode: pull-request): the change commit — built on origin's head as in push
// mode, with the same trailers — goes to its own branch, a pull request is opened with the plan as its
// body, and the run waits for it to be merged (by a reviewer, or by itself / GitHub's auto-merge with
// git.merge: auto) before it waits for Argo CD at the merge commit. Closed unmerged: refused, nothing
// deployed. The automatic rollback goes the same way, and always merges itself when the rules allow.
import type { MergeRefusal, PullRequestInfo } from '../github/pulls';
import { promotionBranch, rollbackBranch } from '../github/pulls';
import type { PullRequestEvent, PullRequestRef } from '../outcome';
import { evidenceSignal } from '../observe';
import type { Ports } from '../ports';
import type { Step, StepContext, StepResult } from '../runner';
import { changeMessage, syncCheckout } from './execute';
import { rollbackMessage } from './rollback';
import { shortSha, type Resolved } from './state';

export type MergeWait =
  | { kind: 'merged'; pr: PullRequestInfo; sha: string }
  | { kind: 'closed'; pr: PullRequestInfo }
  | { kind: 'timed-out'; pr: PullRequestInfo; waitingFor?: MergeRefusal; minutes: number };

export function pullRequestRef(pr: PullRequestInfo, extra: Partial<PullRequestRef> = {}): PullRequestRef {
  return {
    number: pr.number,
    url: pr.htmlUrl,
    branch: pr.headRef,
    state: pr.state,
    merged: pr.merged,
    ...(pr.mergeCommitSha ? { mergeCommit: pr.mergeCommitSha } : {}),
    ...(pr.mergedBy ? { mergedBy: pr.mergedBy } : {}),
    ...(pr.autoMerge ? { autoMerge: true } : {}),
    ...extra,
  };
}

/** What the branch rules ask for, as far as GitHub's mergeable_state tells without trying. */
function waitingForOf(pr: PullRequestInfo): MergeRefusal | undefined {
  if (pr.mergeableState === 'dirty') return 'not-mergeable';
  return undefined;
}

/** How often the run reads its pull request (GitHub's rate limit: a few thousand requests an hour). */
export function pullPollMs(s: Resolved): number {
  return Math.max(2000, s.settings.pollIntervalMs * 4);
}

/**
 * Wait until `pr` is merged or closed, or `git.mergeTimeoutMinutes` passed (on the run's clock; the
 * injected sleep polls). With `tryMerge`, merge it now when the rules allow, else turn on auto-merge.
 */
export async function awaitMerge(s: Resolved, ctx: StepContext<'pulls'>, first: PullRequestInfo, purpose: PullRequestEvent['purpose'], tryMerge: boolean, onRef: (r: PullRequestRef) => void): Promise<MergeWait> {
  const pulls = ctx.ports.pulls;
  const event = (phase: PullRequestEvent['phase'], pr: PullRequestInfo, waitingFor?: MergeRefusal) =>
    ctx.emit({ type: 'pull-request', phase, purpose, service: s.service, environment: s.environment, pr, ...(waitingFor ? { waitingFor } : {}), at: ctx.clock.now().toISOString() });
  let pr = first;
  let refusal: MergeRefusal | undefined;
  let autoMerge = pr.autoMerge;
  const attemptMerge = async (): Promise<boolean> => {
    const m = await pulls.merge(pr.number, pr.headSha, ctx.signal);
    if (m.merged) return true;
    refusal = m.refusal;
    ctx.log(`pull request #${pr.number} cannot be merged yet: ${m.message}`);
    if (/merge commits are not allowed/i.test(m.message)) ctx.log(`the repository does not allow merge commits; pull-request mode merges with a merge commit so the deploy commit keeps the run's trailers (allow merge commits, or merge #${pr.number} by hand)`, 'warn');
    return false;
  };
  if (tryMerge) {
    if (await attemptMerge()) {
      pr = await pulls.get(pr.number, ctx.signal);
      onRef(pullRequestRef(pr));
      event('merged', pr);
      return { kind: 'merged', pr, sha: pr.mergeCommitSha ?? pr.headSha };
    }
    if (!autoMerge && (refusal === 'review-required' || refusal === 'checks-required')) {
      const a = await pulls.enableAutoMerge(pr, ctx.signal);
      if (a.enabled) {
        autoMerge = true;
        pr = { ...pr, autoMerge: true };
        event('auto-merge-enabled', pr);
        ctx.log(refusal === 'review-required' ? `auto-merge is on, but a human must still approve pull request #${pr.number}: ${pr.htmlUrl}` : `auto-merge is on: GitHub merges pull request #${pr.number} once its required checks pass`, refusal === 'review-required' ? 'warn' : 'info');
      } else {
        ctx.log(`auto-merge could not be turned on for pull request #${pr.number}: ${a.message}; a human must act on it (the run merges it once the rules allow): ${pr.htmlUrl}`, 'warn');
      }
    }
  }
  const minutes = s.target.env.git.mergeTimeoutMinutes;
  const deadline = ctx.clock.now().getTime() + minutes * 60_000;
  let announced: string | undefined;
  /** The run already tried to merge since GitHub last said clean (one attempt per change to clean). */
  let triedClean = false;
  for (;;) {
    pr = await pulls.get(pr.number, ctx.signal);
    if (pr.merged) {
      onRef(pullRequestRef(pr, autoMerge ? { autoMerge: true } : {}));
      event('merged', pr);
      return { kind: 'merged', pr, sha: pr.mergeCommitSha ?? pr.headSha };
    }
    if (pr.state === 'closed') {
      onRef(pullRequestRef(pr));
      event('closed', pr);
      return { kind: 'closed', pr };
    }
    // merge: auto refused for a lost race (head or base moved), or the rules are met now (approved
    // before auto-merge could be turned on): try again.
    const cleanNow = pr.mergeableState === 'clean' && !triedClean;
    triedClean = pr.mergeableState === 'clean';
    if (tryMerge && !autoMerge && (refusal === 'head-changed' || cleanNow) && (await attemptMerge())) continue;
    const waitingFor = refusal ?? waitingForOf(pr);
    onRef(pullRequestRef(pr, { ...(autoMerge ? { autoMerge: true } : {}), ...(waitingFor ? { waitingFor } : {}) }));
    const key = `${waitingFor ?? ''}`;
    if (announced !== key) {
      announced = key;
      event('waiting-for-merge', pr, waitingFor);
    }
    if (ctx.clock.now().getTime() >= deadline) return { kind: 'timed-out', pr, waitingFor, minutes };
    await s.settings.sleep(pullPollMs(s), ctx.signal);
  }
}

/** Push `sha` to `branch` and open (or find) its pull request; emits `opened`. */
async function openPullRequest(s: Resolved, ctx: StepContext<'git' | 'pulls'>, sha: string, branch: string, title: string, body: string, purpose: PullRequestEvent['purpose']): Promise<{ ok: true; pr: PullRequestInfo } | { ok: false; result: StepResult }> {
  const pushed = await ctx.ports.git.pushBranch(sha, branch, ctx.signal);
  if (!pushed.ok) {
    const text = `could not push ${shortSha(sha)} to the branch ${branch} on origin: ${pushed.message}. Nothing reached ${s.settings.config.git.branch}.`;
    return { ok: false, result: { status: 'failed', message: text, cause: { code: 'error', text } } };
  }
  ctx.log(`pushed ${shortSha(sha)} to ${branch}`);
  const pr = await ctx.ports.pulls.create({ head: branch, base: s.settings.config.git.branch, title, body, labels: s.target.env.git.labels }, ctx.signal);
  ctx.emit({ type: 'pull-request', phase: 'opened', purpose, service: s.service, environment: s.environment, pr, at: ctx.clock.now().toISOString() });
  return { ok: true, pr };
}

function subject(message: string): string {
  return message.split('\n')[0];
}

/** Refused before anything is pushed when GitHub cannot be used. */
function unavailable(s: Resolved, pulls: Ports['pulls']): StepResult | undefined {
  if (!pulls.unavailable) return undefined;
  const text = `${s.environment} uses git.mode: pull-request, but ${pulls.unavailable}. Nothing was pushed.`;
  return { status: 'refused', message: text, cause: { code: 'refused', text, system: 'github' } };
}

/** What the timeout says, for the step and the outcome. */
function timedOutText(w: Extract<MergeWait, { kind: 'timed-out' }>, what: string): string {
  return `${what} #${w.pr.number} was not merged within ${w.minutes} min (git.mergeTimeoutMinutes); it stays open: ${w.pr.htmlUrl}`;
}

/** pull-request mode's push: the change commit to its branch, the pull request, the wait for its merge. */
export const pullRequestPushStep: Step<Resolved, 'git' | 'pulls'> = {
  name: 'push',
  title: 'Open the pull request and wait for its merge',
  needs: ['git', 'pulls'],
  timeoutMs: 0, // set per run from git.mergeTimeoutMinutes
  async run(s, ctx) {
    const refused = unavailable(s, ctx.ports.pulls);
    if (refused) return refused;
    const git = ctx.ports.git;
    let pr: PullRequestInfo;
    if (s.pullRequest && s.changeCommit === s.commit) {
      // Resumed: the change is on its branch and its pull request is open; wait for it again.
      pr = await ctx.ports.pulls.get(s.pullRequest.number, ctx.signal);
      ctx.log(`waiting again for pull request #${pr.number}: ${pr.htmlUrl}`);
    } else {
      const branch = promotionBranch(s.environment, s.service, s.target.tag);
      const message = changeMessage(s);
      const opened = await openPullRequest(s, ctx, s.commit!, branch, subject(message), s.pullRequestBody ?? message, 'deploy');
      if (!opened.ok) return opened.result;
      pr = opened.pr;
      s.changeCommit = s.commit;
    }
    s.pullRequest = pullRequestRef(pr);
    const w = await awaitMerge(s, ctx, pr, 'deploy', s.target.env.git.merge === 'auto', (r) => (s.pullRequest = r));
    if (w.kind === 'closed') {
      const text = `pull request #${w.pr.number} was closed without merging; nothing was deployed (${s.settings.config.git.branch} on origin was not changed by this run)`;
      return { status: 'refused', message: text, cause: { code: 'pull-request-closed', text, system: 'github' } };
    }
    if (w.kind === 'timed-out') {
      const text = `${timedOutText(w, 'pull request')}. Nothing is deployed until it is merged; after a merge, check it with gitops-deploy verify ${s.service} --env ${s.environment}`;
      return { status: 'failed', message: text, cause: { code: 'pull-request-open', text, system: 'github', retryable: true } };
    }
    s.commit = w.sha;
    s.pushed = true;
    await git.fetch(ctx.signal);
    await syncCheckout(s, git, w.sha, ctx.log, evidenceSignal(ctx.deadline));
    return { status: 'succeeded', message: `pull request #${w.pr.number} merged${w.pr.mergedBy ? ` by ${w.pr.mergedBy}` : ''} as ${shortSha(w.sha)}`, output: { commit: w.sha, changeCommit: s.changeCommit, pullRequest: s.pullRequest } };
  },
};

/** The automatic rollback in pull-request mode: a rollback pull request, merged as soon as the rules allow. */
export const rollbackPullRequestStep: Step<Resolved, 'git' | 'pulls' | 'notifier'> = {
  name: 'rollback-push',
  title: 'Rollback: open the pull request and wait for its merge',
  needs: ['git', 'pulls', 'notifier'],
  timeoutMs: 0,
  async run(s, ctx) {
    if (ctx.ports.pulls.unavailable) {
      const text = `the rollback needs a pull request, but ${ctx.ports.pulls.unavailable}`;
      return { status: 'failed', message: text, cause: { code: 'refused', text, system: 'github' } };
    }
    const git = ctx.ports.git;
    const branch = rollbackBranch(s.environment, s.service, s.runId);
    const message = rollbackMessage(s);
    const body = [`Automatic rollback of ${s.service} in ${s.environment}: ${s.target.tag} → ${s.target.previousTag}.`, '', `Why: ${s.causeStep ? `${s.causeStep} failed: ` : ''}${s.cause ?? 'verification failed'}`, '', s.pullRequest ? `The deployment was pull request #${s.pullRequest.number}.` : '', 'gitops-deploy merges this pull request itself as soon as the branch rules allow; otherwise a human must merge it.'].join('\n');
    const opened = await openPullRequest(s, ctx, s.rollbackCommit!, branch, subject(message), body, 'rollback');
    if (!opened.ok) {
      s.rollbackCommit = undefined;
      return opened.result;
    }
    s.rollbackPullRequest = pullRequestRef(opened.pr);
    let told = false;
    const w = await awaitMerge(s, ctx, opened.pr, 'rollback', true, (r) => {
      s.rollbackPullRequest = r;
      if (!told && !r.merged && r.state === 'open' && r.waitingFor) {
        told = true;
        const text = `a human must merge rollback pull request #${r.number} (${s.service} ${s.target.tag} → ${s.target.previousTag} in ${s.environment}): ${r.url}`;
        ctx.log(text, 'warn');
        ctx.emit({ type: 'notification', kind: 'action-required', message: text, at: ctx.clock.now().toISOString() });
        void ctx.ports.notifier.notify({ kind: 'action-required', service: s.service, environment: s.environment, tag: s.target.tag, previousTag: s.target.previousTag, message: text }, ctx.signal).catch(() => undefined);
      }
    });
    if (w.kind !== 'merged') {
      s.rollbackCommit = undefined;
      const text = w.kind === 'closed' ? `rollback pull request #${w.pr.number} was closed without merging: ${w.pr.htmlUrl}` : `a human must merge rollback ${timedOutText(w, 'pull request')}`;
      return { status: 'failed', message: text, cause: { code: w.kind === 'closed' ? 'pull-request-closed' : 'pull-request-open', text, system: 'github' } };
    }
    s.rollbackCommit = w.sha;
    s.rollbackPushed = true;
    await git.fetch(ctx.signal);
    await syncCheckout(s, git, w.sha, ctx.log, evidenceSignal(ctx.deadline));
    return { status: 'succeeded', message: `rollback pull request #${w.pr.number} merged as ${shortSha(w.sha)}` };
  },
};

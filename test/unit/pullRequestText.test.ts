// Pull-request mode's words in the editor, from PullRequestInfo and PullRequestEvent: the tree node,
// the status bar while a run waits, the merge question, a refused merge and the rollback that needs a human.
import { strict as assert } from 'node:assert';
import type { PullRequestInfo } from '../../src/pipeline/github/pulls';
import type { PullRequestEvent } from '../../src/pipeline/outcome';
import {
  environmentPullRequestMode,
  listingProblemText,
  mergeQuestion,
  mergeRefusedText,
  promotionOfBranch,
  pullRequestDescription,
  pullRequestLabel,
  pullRequestNeedsSomeone,
  pullRequestState,
  pullRequestStatus,
  pullRequestTooltip,
  rollbackNeedsHumanText,
} from '../../src/providers/pullRequestText';

const NOW = new Date('2026-12-04T10:00:00Z');

function pr(over: Partial<PullRequestInfo> = {}): PullRequestInfo {
  return {
    number: 12,
    nodeId: 'PR_12',
    htmlUrl: 'https://github.example/acme/gitops/pull/12',
    title: 'Deploy accounts to prod: 1.4.0 → 1.5.0',
    state: 'open',
    merged: false,
    headRef: 'gitops-deploy/prod/accounts/1.5.0',
    headSha: '0123456789abcdef0123456789abcdef01234567',
    baseRef: 'main',
    labels: ['gitops-deploy', 'env:prod'],
    autoMerge: false,
    mergeableState: 'blocked',
    author: 'alice',
    createdAt: '2026-12-04T09:55:00Z',
    ...over,
  };
}

function event(over: Partial<PullRequestEvent> = {}): PullRequestEvent {
  return { type: 'pull-request', phase: 'waiting-for-merge', purpose: 'deploy', service: 'accounts', environment: 'prod', pr: pr(), waitingFor: 'review-required', at: '2026-12-04T09:56:00Z', ...over };
}

describe('pull-request mode in the editor: the words', () => {
  describe('the tree node', () => {
    it('reads the service and tag from a branch of ours for its environment only', () => {
      assert.deepEqual(promotionOfBranch('gitops-deploy/prod/accounts/1.5.0', 'prod'), { service: 'accounts', tag: '1.5.0', purpose: 'deploy' });
      assert.deepEqual(promotionOfBranch('gitops-deploy/prod/accounts/rollback-20261204T065900Z-kqzxmt', 'prod'), { service: 'accounts', tag: '', purpose: 'rollback' });
      assert.deepEqual(promotionOfBranch('gitops-deploy/records/prod/accounts/20261204T065900Z-kqzxmt', 'prod'), { service: 'accounts', tag: '', purpose: 'record' });
      assert.equal(promotionOfBranch('gitops-deploy/prod-eu/accounts/1.5.0', 'prod'), undefined, 'another environment whose name starts the same');
      assert.equal(promotionOfBranch('gitops-deploy/prod/accounts', 'prod'), undefined);
      assert.equal(promotionOfBranch('feature/x', 'prod'), undefined);
    });

    it('labels it "#12 accounts 1.5.0 → prod"; a rollback or a record said so; another branch by its title', () => {
      assert.equal(pullRequestLabel(pr(), 'prod'), '#12 accounts 1.5.0 → prod');
      assert.equal(pullRequestLabel(pr({ headRef: 'gitops-deploy/prod/accounts/rollback-20261204T065900Z-kqzxmt' }), 'prod'), '#12 rollback of accounts in prod');
      assert.equal(pullRequestLabel(pr({ headRef: 'gitops-deploy/records/prod/accounts/20261204T065900Z-kqzxmt' }), 'prod'), '#12 record of accounts in prod');
      assert.equal(pullRequestLabel(pr({ headRef: 'gitops-deploy/stag/accounts/1.5.0' }), 'prod'), '#12 Deploy accounts to prod: 1.4.0 → 1.5.0');
    });

    it('describes its state: what a waiting run was told first, else GitHub\'s mergeable_state', () => {
      assert.equal(pullRequestState(pr({ mergeableState: 'blocked' })), 'waiting for review or checks', 'blocked alone does not say which');
      assert.equal(pullRequestState(pr(), { purpose: 'deploy', waitingFor: 'review-required' }), 'waiting for review');
      assert.equal(pullRequestState(pr(), { purpose: 'deploy', waitingFor: 'checks-required' }), 'waiting for checks');
      assert.equal(pullRequestState(pr({ mergeableState: 'clean' })), 'mergeable');
      assert.equal(pullRequestState(pr({ mergeableState: 'clean' }), { purpose: 'deploy', waitingFor: 'review-required' }), 'mergeable', 'GitHub says it is mergeable now (approved since)');
      assert.equal(pullRequestState(pr({ mergeableState: 'unstable' })), 'mergeable · a check is not passing');
      assert.equal(pullRequestState(pr({ mergeableState: 'behind' })), 'behind its base: needs an update');
      assert.equal(pullRequestState(pr({ mergeableState: 'dirty' })), 'conflicts: not mergeable');
      assert.equal(pullRequestState(pr({ mergeableState: undefined })), 'checking mergeability');
      assert.equal(pullRequestState(pr({ mergeableState: 'unknown' })), 'checking mergeability');
      assert.equal(pullRequestState(pr({ autoMerge: true })), 'auto-merge on');
      assert.equal(pullRequestState(pr({ state: 'closed', merged: true })), 'merged');
      assert.equal(pullRequestState(pr({ state: 'closed' })), 'closed');
    });

    it('says when a run of this editor waits for it, and whether a person must act (the icon)', () => {
      assert.equal(pullRequestDescription(pr(), { purpose: 'deploy', waitingFor: 'review-required' }), 'waiting for review · the run waits');
      assert.equal(pullRequestDescription(pr({ mergeableState: 'clean' })), 'mergeable');
      assert.equal(pullRequestNeedsSomeone(pr({ mergeableState: 'blocked' })), true);
      assert.equal(pullRequestNeedsSomeone(pr({ mergeableState: 'dirty' })), true);
      assert.equal(pullRequestNeedsSomeone(pr({ mergeableState: 'clean' })), false);
      assert.equal(pullRequestNeedsSomeone(pr({ mergeableState: 'blocked', autoMerge: true })), false, 'auto-merge: GitHub merges it once the rules are met');
      assert.equal(pullRequestNeedsSomeone(pr({ mergeableState: undefined }), { purpose: 'deploy', waitingFor: 'review-required' }), true);
    });

    it('tooltip: title, URL, branch and head, author and age, labels, state', () => {
      const t = pullRequestTooltip(pr(), 'prod', NOW, { purpose: 'deploy', waitingFor: 'review-required' }).split('\n');
      assert.equal(t[0], 'Pull request #12: Deploy accounts to prod: 1.4.0 → 1.5.0');
      assert.equal(t[1], 'https://github.example/acme/gitops/pull/12');
      assert.ok(t.includes('gitops-deploy/prod/accounts/1.5.0 → main (head 0123456)'), t.join('\n'));
      assert.ok(t.includes('Opened by alice 5 min ago (2026-12-04T09:55:00Z)'), t.join('\n'));
      assert.ok(t.includes('Labels: gitops-deploy, env:prod'));
      assert.ok(t.includes('State: waiting for review'));
      assert.ok(t.some((l) => l.startsWith('A deployment running in this editor waits for it to be merged')));
      const plain = pullRequestTooltip(pr({ labels: [], author: undefined }), 'prod', NOW).split('\n');
      assert.ok(plain.includes('Opened 5 min ago (2026-12-04T09:55:00Z)'));
      assert.ok(!plain.some((l) => l.startsWith('Labels:') || l.includes('running in this editor')));
    });

    it('the environment tooltip says pull-request mode and how it merges', () => {
      assert.match(environmentPullRequestMode('manual', ['gitops-deploy', 'env:prod']), /^pull-request mode: .*merged by a reviewer; the run waits for the merge \(labels: gitops-deploy, env:prod\)\.$/);
      assert.match(environmentPullRequestMode('auto', []), /merged by the pipeline \(or auto-merge\) as soon as the branch rules allow\.$/);
    });

    it('one explanatory node when the list cannot be read', () => {
      assert.equal(listingProblemText('no-token').label, 'Pull requests: sign in to GitHub to list them');
      assert.match(listingProblemText('untrusted-host', 'gh.corp.example').detail, /names gh\.corp\.example as github\.apiUrl and you have not trusted it: your token is not sent there/);
      assert.equal(listingProblemText('failed', 'connect ECONNREFUSED 127.0.0.1:9').label, 'Pull requests: could not list them');
      assert.match(listingProblemText('failed', 'connect ECONNREFUSED 127.0.0.1:9').detail, /ECONNREFUSED 127\.0\.0\.1:9\. Refresh to try again\.$/);
    });
  });

  describe('the status bar while a run waits for its pull request', () => {
    it('"$(git-pull-request) accounts → prod: waiting for PR #12 review", a click opens the pull request', () => {
      const s = pullRequestStatus(event())!;
      assert.equal(s.text, '$(git-pull-request) accounts → prod: waiting for PR #12 review');
      assert.equal(s.url, 'https://github.example/acme/gitops/pull/12');
      assert.match(s.tooltip, /Click to open the pull request: https:\/\/github\.example\/acme\/gitops\/pull\/12$/);
    });

    it('each phase; merged and closed clear it', () => {
      assert.equal(pullRequestStatus(event({ phase: 'opened', waitingFor: undefined }))!.text, '$(git-pull-request) accounts → prod: PR #12 opened');
      assert.equal(pullRequestStatus(event({ phase: 'auto-merge-enabled', waitingFor: undefined }))!.text, '$(git-pull-request) accounts → prod: PR #12 auto-merge on');
      assert.equal(pullRequestStatus(event({ waitingFor: 'checks-required' }))!.text, '$(git-pull-request) accounts → prod: waiting for PR #12 checks');
      assert.equal(pullRequestStatus(event({ waitingFor: undefined }))!.text, '$(git-pull-request) accounts → prod: waiting for PR #12 to be merged');
      assert.equal(pullRequestStatus(event({ purpose: 'rollback', pr: pr({ number: 13 }) }))!.text, '$(git-pull-request) accounts ↩ prod: waiting for rollback PR #13 review');
      assert.equal(pullRequestStatus(event({ phase: 'merged', pr: pr({ state: 'closed', merged: true }) })), undefined);
      assert.equal(pullRequestStatus(event({ phase: 'closed', pr: pr({ state: 'closed' }) })), undefined);
    });
  });

  describe('Merge', () => {
    it('asks naming the pull request, the service, the tag and the environment', () => {
      const q = mergeQuestion(pr(), 'prod', { purpose: 'deploy', waitingFor: 'review-required' });
      assert.equal(q.message, 'Merge pull request #12: accounts 1.5.0 → prod?');
      assert.match(q.detail, /^gitops-deploy\/prod\/accounts\/1\.5\.0 at 0123456 is merged into main on GitHub, if the branch rules allow it\. Argo CD then deploys accounts 1\.5\.0 to prod\. The deployment running in this editor waits for this merge/);
      assert.match(mergeQuestion(pr(), 'prod').detail, /The run that opened it goes on when it sees the merge \(if it still waits\)\.$/);
      const rollback = mergeQuestion(pr({ headRef: 'gitops-deploy/prod/accounts/rollback-20261204T065900Z-kqzxmt' }), 'prod', { purpose: 'rollback' });
      assert.equal(rollback.message, 'Merge pull request #12: rollback of accounts in prod?');
      assert.match(rollback.detail, /Argo CD then syncs prod to what main says\. The rollback running in this editor waits for this merge/);
    });

    it('a refusal by the branch rules says what is missing', () => {
      assert.equal(mergeRefusedText(pr(), 'review-required', 'At least 1 approving review is required by reviewers with write access.'), 'Pull request #12 was not merged: it needs an approving review by someone other than its author (GitHub: At least 1 approving review is required by reviewers with write access.).');
      assert.equal(mergeRefusedText(pr(), 'checks-required', 'Required status check "validate" is expected.'), 'Pull request #12 was not merged: it needs its required status checks to pass (GitHub: Required status check "validate" is expected.).');
      assert.equal(mergeRefusedText(pr(), 'head-changed', ''), 'Pull request #12 was not merged: it needs a fresh look: its head moved since it was read — refresh and try again.');
    });

    it('an automatic rollback whose pull request a human must merge says so', () => {
      assert.equal(
        rollbackNeedsHumanText(event({ purpose: 'rollback', pr: pr({ number: 13 }) })),
        'The automatic rollback of accounts in prod needs a human: its pull request #13 needs an approving review by someone other than its author. Until it is merged, prod keeps the failed change.',
      );
      assert.match(rollbackNeedsHumanText(event({ purpose: 'rollback', waitingFor: undefined })), /needs someone to merge it\./);
    });
  });
});

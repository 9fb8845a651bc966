import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { runDeployment, runResume } from '../../src/pipeline/deploy';
import { changeCommitMessage, withTrailers } from '../../src/pipeline/plan';
import { journalTrailers, leaseMessage, leaseRef } from '../../src/pipeline/model/journal';
import { finishedRuns } from '../../src/pipeline/journal';
import { parseRecord } from '../../src/pipeline/model/records';
import { trailers } from '../../src/pipeline/model/journal';
import type { PipelineEvent, PullRequestEvent } from '../../src/pipeline/outcome';
import { formatEvent, formatPlan } from '../../src/pipeline/transcript';
import { mergeRefusal } from '../../src/clients/pulls';
import { parsePromotionBranch } from '../../src/pipeline/github/pulls';
import { depsOf, makeWorld, type World, type WorldOptions } from './pipelineFakes';

let w: World;
afterEach(() => w?.cleanup());

const PROM = 'verification:\n  prometheusUrl: http://127.0.0.1:9090\n';

function world(git: string, o: WorldOptions = {}) {
  w = makeWorld({ config: `${PROM}git:\n${git}`, ...o });
  return w;
}

async function deploy(req: Partial<Parameters<typeof runDeployment>[0]> = {}) {
  const events: PipelineEvent[] = [];
  const out = await runDeployment({ service: 'accounts', environment: 'stag', tag: '1.6.0', reason: 'CHG-7', ...req }, depsOf(w), { onEvent: (e) => events.push(e) });
  w.events = events;
  return out;
}

const prEvents = () => w.events.filter((e): e is PullRequestEvent => e.type === 'pull-request').map((e) => `${e.purpose} ${e.phase} #${e.pr.number}${e.waitingFor ? ` ${e.waitingFor}` : ''}`);

function newRecord(env: string) {
  const files = w.recordFiles(env).filter((f) => !f.startsWith('20261119'));
  assert.equal(files.length, 1, `one new record in ${env}: ${files.join(', ')}`);
  const rel = `docs/deployments/${env}/${files[0]}`;
  return parseRecord(w.read(rel), rel);
}

describe('pull-request mode (git.mode: pull-request)', () => {
  it('merged by a reviewer: the change on its branch, a labelled pull request with the plan, verification at the merge commit, the record names the pull request', async () => {
    world('  mode: pull-request\n');
    w.pulls.onPoll = (pr, polls) => {
      if (polls === 3) w.pulls.mergeByHuman(pr.number, 'rev-ann');
    };
    const out = await deploy();
    assert.equal(out.kind, 'deployed', out.message);
    assert.equal(out.exitCode, 0);
    assert.deepEqual(w.pulls.calls.filter((c) => c.startsWith('merge')), [], 'merge: manual never merges itself');
    const pr = w.pulls.prs.get(1)!;
    assert.equal(pr.headRef, 'gitops-deploy/stag/accounts/1.6.0');
    assert.equal(pr.title, 'Deploy accounts to stag: 1.5.0 → 1.6.0');
    assert.deepEqual(pr.labels, ['gitops-deploy', 'env:stag']);
    const body = (pr as unknown as { body: string }).body;
    assert.ok(body.includes('-    tag: "1.5.0"') && body.includes('+    tag: "1.6.0"'), body);
    assert.ok(body.includes('| Reason | CHG-7 |'), body);
    assert.match(body, /\| signature \| ✅ passed \|/);
    // The deploy commit (with the journal's trailers) then the merge commit on origin's main.
    const merge = w.git.remote[w.git.remote.length - 2];
    const change = w.git.remote[w.git.remote.length - 3];
    assert.equal(merge.sha, pr.mergeCommitSha);
    assert.match(merge.message, /^Merge pull request #1 from acme\/gitops-deploy\/stag\/accounts\/1\.6\.0/);
    assert.equal(trailers(change.message).get('run-id'), out.runId);
    assert.equal(out.commit, merge.sha, 'sync and verification at the merge commit');
    assert.deepEqual(out.pullRequest && { n: out.pullRequest.number, merged: out.pullRequest.merged, by: out.pullRequest.mergedBy, at: out.pullRequest.mergeCommit }, { n: 1, merged: true, by: 'rev-ann', at: merge.sha });
    assert.deepEqual(prEvents(), ['deploy opened #1', 'deploy waiting-for-merge #1', 'deploy merged #1']);
    const rec = newRecord('stag');
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.commit, merge.sha);
    assert.deepEqual(rec.pullRequest, { number: 1, url: pr.htmlUrl, merged: true, mergeCommit: merge.sha, mergedBy: 'rev-ann' });
    assert.ok(w.events.some((e) => e.type === 'pull-request' && formatEvent(e)[0].includes('pull request #1 merged by rev-ann')));
  });

  it('a dry run says where the change would go and how it gets merged', async () => {
    world('  mode: pull-request\n');
    const out = await deploy({ dryRun: true });
    assert.equal(out.kind, 'dry-run', out.message);
    assert.deepEqual(out.plan?.pullRequest, { branch: 'gitops-deploy/stag/accounts/1.6.0', base: 'main', merge: 'manual', labels: ['gitops-deploy', 'env:stag'], mergeTimeoutMinutes: 60 });
    assert.ok(formatPlan(out.plan!).includes('Would proceed: commit, push to gitops-deploy/stag/accounts/1.6.0, open a pull request into main (a reviewer merges it; waits up to 60 min), wait for Argo CD accounts-stag, verify.'));
    assert.deepEqual(w.pulls.calls, []);
  });

  it('merge: auto with no review required: merged by the run at once, no waiting', async () => {
    world('  mode: pull-request\n  merge: auto\n');
    w.pulls.rules.reviewRequired = false;
    const out = await deploy();
    assert.equal(out.kind, 'deployed', out.message);
    assert.deepEqual(w.pulls.calls, ['create gitops-deploy/stag/accounts/1.6.0', 'merge #1']);
    assert.deepEqual(prEvents(), ['deploy opened #1', 'deploy merged #1']);
    assert.equal(out.pullRequest?.mergedBy, 'gitops-deploy');
  });

  it('merge: auto when a review is required: auto-merge on, the transcript says a human must approve, GitHub merges after the approval', async () => {
    world('  mode: pull-request\n  merge: auto\n');
    w.pulls.onPoll = (pr, polls) => {
      if (polls === 2) w.pulls.approve(pr.number);
    };
    const out = await deploy();
    assert.equal(out.kind, 'deployed', out.message);
    assert.deepEqual(w.pulls.calls, ['create gitops-deploy/stag/accounts/1.6.0', 'merge #1', 'auto-merge #1']);
    assert.deepEqual(prEvents(), ['deploy opened #1', 'deploy auto-merge-enabled #1', 'deploy waiting-for-merge #1 review-required', 'deploy merged #1']);
    assert.ok(w.events.some((e) => e.type === 'log' && e.message.includes('a human must still approve pull request #1')));
    const waiting = w.events.find((e): e is PullRequestEvent => e.type === 'pull-request' && e.phase === 'waiting-for-merge')!;
    assert.match(formatEvent(waiting)[0], /a human must act: it needs an approving review/);
    assert.equal(out.pullRequest?.autoMerge, true);
  });

  it('merge: auto without auto-merge on the repository: approved later, the run merges it itself once GitHub says clean (once per change)', async () => {
    world('  mode: pull-request\n  merge: auto\n');
    w.pulls.rules.autoMergeAllowed = false;
    w.pulls.onPoll = (pr, polls) => {
      if (polls === 3) w.pulls.approve(pr.number);
    };
    const out = await deploy();
    assert.equal(out.kind, 'deployed', out.message);
    assert.deepEqual(w.pulls.calls, ['create gitops-deploy/stag/accounts/1.6.0', 'merge #1', 'auto-merge #1', 'merge #1']);
    assert.equal(out.pullRequest?.mergedBy, 'gitops-deploy');
    assert.ok(w.events.some((e) => e.type === 'log' && e.message.includes('auto-merge could not be turned on for pull request #1: Auto merge is not allowed for this repository; a human must act on it')));
  });

  it('closed unmerged: refused (exit 2), nothing deployed, the record says why', async () => {
    world('  mode: pull-request\n');
    const before = w.git.originText(w.valuesRel('stag'));
    w.pulls.onPoll = (pr, polls) => {
      if (polls === 2) w.pulls.closeUnmerged(pr.number);
    };
    const out = await deploy();
    assert.equal(out.kind, 'refused', out.message);
    assert.equal(out.exitCode, 2);
    assert.equal(out.cause?.code, 'pull-request-closed');
    assert.equal(out.commit, undefined);
    assert.equal(w.git.originText(w.valuesRel('stag')), before, 'origin main unchanged');
    assert.ok(!w.git.remote.some((c) => c.message.startsWith('Deploy')), 'no deploy commit on main');
    assert.deepEqual(prEvents(), ['deploy opened #1', 'deploy waiting-for-merge #1', 'deploy closed #1']);
    const rec = newRecord('stag');
    assert.equal(rec.status, 'failed');
    assert.equal(rec.causeCode, 'pull-request-closed');
    assert.equal(rec.commit, undefined);
    assert.deepEqual(rec.pullRequest, { number: 1, url: w.pulls.prs.get(1)!.htmlUrl, merged: false });
    assert.equal(w.argo.calls.length, 0, 'Argo CD was never waited on');
  });

  it('not merged within git.mergeTimeoutMinutes: exit 5, the pull request stays open, the record says so', async () => {
    world('  mode: pull-request\n  mergeTimeoutMinutes: 10\n');
    const out = await deploy();
    assert.equal(out.exitCode, 5, out.message);
    assert.equal(out.kind, 'failed-needs-human');
    assert.equal(out.cause?.code, 'pull-request-open');
    assert.equal(w.pulls.prs.get(1)!.state, 'open');
    assert.match(out.message, /#1 was not merged within 10 min \(git\.mergeTimeoutMinutes\); it stays open/);
    const rec = newRecord('stag');
    assert.equal(rec.causeCode, 'pull-request-open');
    assert.equal(rec.pullRequest?.open, true);
  });

  it('a failing tag is rolled back by a rollback pull request; when a review is required a human is told to merge it, and the run waits for it', async () => {
    world('  mode: pull-request\n', { behaviour: { '1.6.0': { crashLoop: true } } });
    w.pulls.onPoll = (pr, polls) => {
      if (pr.number === 1 && polls === 1) w.pulls.mergeByHuman(1);
      if (pr.number === 2 && polls === 2) w.pulls.approve(2);
    };
    const out = await deploy();
    assert.equal(out.kind, 'rolled-back', out.message);
    assert.equal(out.exitCode, 3);
    const rb = w.pulls.prs.get(2)!;
    assert.equal(rb.headRef, `gitops-deploy/stag/accounts/rollback-${out.runId}`);
    assert.equal(rb.merged, true);
    assert.deepEqual(prEvents(), ['deploy opened #1', 'deploy merged #1', 'rollback opened #2', 'rollback auto-merge-enabled #2', 'rollback waiting-for-merge #2 review-required', 'rollback merged #2']);
    const told = w.events.find((e) => e.type === 'notification' && e.kind === 'action-required');
    assert.ok(told && told.type === 'notification' && told.message.startsWith('a human must merge rollback pull request #2'), JSON.stringify(told));
    assert.deepEqual(w.notifier.events.map((e) => e.kind), ['action-required', 'rolled-back']);
    assert.equal(out.rollbackCommit, rb.mergeCommitSha);
    assert.equal(w.git.originText(w.valuesRel('stag'))?.includes('tag: "1.5.0"'), true);
    const rollbackChange = w.git.remote.find((c) => c.message.startsWith('Rollback'))!;
    assert.equal(trailers(rollbackChange.message).get('kind'), 'auto-rollback');
    const rec = newRecord('stag');
    assert.equal(rec.status, 'rolled-back');
    assert.equal(rec.rollbackPullRequest?.merged, true);
  });

  it('a rollback pull request nobody merges in time: ROLLBACK FAILED with the pull request to merge as the fix', async () => {
    world('  mode: pull-request\n  merge: auto\n  mergeTimeoutMinutes: 5\n', { behaviour: { '1.6.0': { crashLoop: true } } });
    w.pulls.onPoll = (pr, polls) => {
      if (pr.number === 1 && polls === 1) w.pulls.approve(1);
    };
    const out = await deploy();
    assert.equal(out.kind, 'failed-needs-human', out.message);
    assert.equal(out.exitCode, 4);
    assert.equal(out.rollbackPullRequest?.state, 'open');
    assert.equal(out.rollbackPullRequest?.waitingFor, 'review-required');
    assert.match(out.manualFix ?? '', /1\. a human must merge rollback pull request #2 \(accounts: 1\.5\.0\): https:\/\/github\.example\/acme\/gitops\/pull\/2/);
    assert.deepEqual(w.notifier.events.map((e) => e.kind), ['action-required', 'rollback-failed']);
    assert.equal(newRecord('stag').rollbackPullRequest?.open, true);
  });

  it('a protected main: the record goes to its own branch and pull request; the journal counts the run as finished', async () => {
    world('  mode: pull-request\n  merge: auto\n');
    w.pulls.rules.reviewRequired = false;
    w.git.protectedMain = true;
    const out = await deploy();
    assert.equal(out.kind, 'deployed', out.message);
    assert.equal(out.record?.pushed, true);
    assert.equal(out.record?.pullRequest?.number, 2);
    assert.equal(out.record?.pullRequest?.merged, true);
    assert.equal(out.record?.pullRequest?.branch, `gitops-deploy/records/stag/accounts/${out.runId}`);

    // A review required for the record too: it waits on its branch; the run is still finished.
    w.cleanup();
    world('  mode: pull-request\n  merge: auto\n');
    w.git.protectedMain = true;
    w.pulls.onPoll = (pr, polls) => {
      if (pr.number === 1 && polls === 1) w.pulls.approve(1);
    };
    const o2 = await deploy();
    assert.equal(o2.kind, 'deployed', o2.message);
    assert.equal(o2.record?.pullRequest?.merged, false);
    assert.equal(o2.record?.pullRequest?.waitingFor, 'review-required');
    assert.match(o2.message, /a human must merge record pull request #2/);
    const env = w.config.environments.find((e) => e.name === 'stag')!;
    assert.ok((await finishedRuns(w.git, w.config, env, await w.git.remoteSha())).has(o2.runId!), 'the record branch finishes the run');
  });

  it('push mode against a protected main: refused with cause branch-protected naming git.mode: pull-request; nothing pushed, no record', async () => {
    w = makeWorld();
    w.git.protectedMain = true;
    const out = await deploy();
    assert.equal(out.kind, 'refused');
    assert.equal(out.exitCode, 2);
    assert.equal(out.cause?.code, 'branch-protected');
    assert.match(out.message, /set git\.mode: pull-request for stag/);
    assert.match(out.message, /GH006/);
    assert.deepEqual(w.recordFiles('stag').filter((f) => !f.startsWith('20261119')), []);
    assert.deepEqual(w.pulls.calls, []);
  });

  it('pull-request mode without GitHub: refused before anything is pushed', async () => {
    world('  mode: pull-request\n');
    w.pulls.unavailable = 'pull-request mode needs github.owner/repo and a GitHub token (GITHUB_TOKEN)';
    const out = await deploy();
    assert.equal(out.kind, 'refused', out.message);
    assert.match(out.message, /needs github\.owner\/repo and a GitHub token/);
    assert.deepEqual([...w.git.branches.keys()], []);
  });

  /** What a run killed (kill -9) while waiting for its pull request leaves: the branch, the open pull request, its lease. */
  async function killedWhileWaiting(): Promise<{ runId: string; sha: string }> {
    const runId = '20261121T145000Z-kqzxmt';
    const rel = w.valuesRel('stag');
    const base = await w.git.remoteSha();
    const text = w.git.originText(rel)!.replace('tag: "1.5.0"', 'tag: "1.6.0"');
    const message = withTrailers(changeCommitMessage('deploy', { service: 'accounts', environment: 'stag', previousTag: '1.5.0', tag: '1.6.0', reason: 'CHG-9', actor: 'bob' }), journalTrailers({ runId, kind: 'deploy' }));
    const sha = await w.git.commitOnto(base, { [rel]: text }, message);
    await w.git.pushBranch(sha, 'gitops-deploy/stag/accounts/1.6.0');
    await w.pulls.create({ head: 'gitops-deploy/stag/accounts/1.6.0', base: 'main', title: 'Deploy accounts to stag: 1.5.0 → 1.6.0', body: '', labels: [] });
    const lease = leaseMessage({ runId, holder: 'bob', host: os.hostname(), pid: 2 ** 22 + 7, service: 'accounts', environment: 'stag', tag: '1.6.0', startedAt: '2026-11-21T14:50:00Z', expiresAt: '2026-11-21T18:00:00Z' });
    await w.git.writeLease(leaseRef('stag', 'accounts'), undefined, lease);
    return { runId, sha };
  }

  async function resume() {
    const events: PipelineEvent[] = [];
    const out = await runResume({ service: 'accounts', environment: 'stag', action: 'resume' }, depsOf(w), { onEvent: (e) => events.push(e) });
    w.events = events;
    return out;
  }

  it('resume after kill -9 while the pull request is open: re-attached by its branch, waits for the merge, verifies at the merge commit, records the run', async () => {
    world('  mode: pull-request\n');
    const killed = await killedWhileWaiting();
    w.pulls.onPoll = (pr, polls) => {
      if (polls === 3) w.pulls.mergeByHuman(pr.number);
    };
    const out = await resume();
    assert.equal(out.kind, 'deployed', out.message);
    assert.equal(out.runId, killed.runId);
    assert.equal(out.pullRequest?.number, 1);
    assert.equal(out.commit, w.pulls.prs.get(1)!.mergeCommitSha);
    assert.deepEqual(w.pulls.calls.filter((c) => c.startsWith('create')), ['create gitops-deploy/stag/accounts/1.6.0'], 'no second pull request');
    assert.ok(w.events.some((e) => e.type === 'log' && e.message.includes('re-attached, waiting for its merge')));
    const rec = newRecord('stag');
    assert.equal(rec.runId, killed.runId);
    assert.equal(rec.interrupted, true);
    assert.equal(rec.pullRequest?.merged, true);
  });

  it('resume after kill -9 when a reviewer merged meanwhile: the interrupted run continues at the sync wait for the merge commit', async () => {
    world('  mode: pull-request\n');
    const killed = await killedWhileWaiting();
    w.pulls.mergeByHuman(1);
    const out = await resume();
    assert.equal(out.kind, 'deployed', out.message);
    assert.equal(out.runId, killed.runId);
    assert.equal(out.commit, w.pulls.prs.get(1)!.mergeCommitSha, 'the merge commit, not the deploy commit on the branch');
    assert.notEqual(out.commit, killed.sha);
  });

  it("GitHub's merge refusals as data, and the branches' names", () => {
    assert.equal(mergeRefusal(405, 'At least 1 approving review is required by reviewers with write access.'), 'review-required');
    assert.equal(mergeRefusal(405, 'Required status check "validate" is expected.'), 'checks-required');
    assert.equal(mergeRefusal(405, '2 of 2 required status checks are expected.'), 'checks-required');
    assert.equal(mergeRefusal(405, 'Pull Request is not mergeable'), 'not-mergeable');
    assert.equal(mergeRefusal(409, 'Head branch was modified. Review and try the merge again.'), 'head-changed');
    assert.equal(mergeRefusal(403, 'Resource not accessible by integration'), 'forbidden');
    assert.deepEqual(parsePromotionBranch('gitops-deploy/prod/accounts/1.6.0'), { environment: 'prod', service: 'accounts', tag: '1.6.0', purpose: 'deploy' });
    assert.deepEqual(parsePromotionBranch('gitops-deploy/prod/accounts/rollback-20261204T063000Z-kqzxmt'), { environment: 'prod', service: 'accounts', tag: '', purpose: 'rollback' });
    assert.deepEqual(parsePromotionBranch('gitops-deploy/records/prod/accounts/20261204T063000Z-kqzxmt'), { environment: 'prod', service: 'accounts', tag: '', purpose: 'record' });
    assert.equal(parsePromotionBranch('feature/x'), undefined);
  });
});

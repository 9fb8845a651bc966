// The sandbox's GitHub as a protected `main` makes it: a direct push refused with GitHub's GH006
// text, pull requests created, reviewed, checked and merged for real into the bare origin (merge
// commit, squash), auto-merge through GraphQL, a closed pull request and a conflict refused —
// through the product's own Octokit (src/clients/octokit.ts) and the git CLI.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { SANDBOX_GIT_IDENTITY } from '../../sandbox/git';
import type { PullEvent } from '../../sandbox/pulls';
import { createOctokit } from '../../src/clients/octokit';
import { git, runCmd } from './helpers/cli';
import { BASE_SCENARIO, tempDir } from './helpers/sandbox';

const VALUES = 'helm/environments/prod-env/image-tags.yaml';

describe('sandbox GitHub: protected main and pull requests', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let dir: string;
  let gh: Octokit;
  let clone: string;
  let seq = 0;

  const origin = (args: string[]): Promise<string> => git(['--git-dir', sb.originDir, ...args], dir).then((s) => s.trim());
  const control = async (p: string, body: unknown = {}): Promise<{ status: number; data: any }> => {
    const r = await fetch(`${sb.endpoints.github}/sandbox/github${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, data: await r.json() };
  };
  /** A branch off origin's main (or `from`) with one commit that writes `content` to `file`; pushed; returns its head. */
  const pushBranch = async (branch: string, file = VALUES, content = `# change ${++seq}\n`, from = 'origin/main'): Promise<string> => {
    await git(['fetch', '--quiet', 'origin'], clone);
    await git(['checkout', '--quiet', '-B', branch, from], clone);
    fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    fs.appendFileSync(path.join(clone, file), content);
    await git(['add', '-A'], clone);
    await git([...SANDBOX_GIT_IDENTITY, 'commit', '--quiet', '-m', `Change ${branch}`], clone);
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], clone);
    return (await git(['rev-parse', 'HEAD'], clone)).trim();
  };
  const status = async (p: Promise<unknown>): Promise<{ status: number; data: any }> => {
    try {
      await p;
    } catch (e) {
      // RequestError: status and response.data; GraphqlResponseError (HTTP 200): errors.
      const err = e as { status?: number; response?: { data?: unknown }; errors?: unknown[] };
      return err.errors ? { status: 200, data: { errors: err.errors } } : { status: err.status ?? 0, data: err.response?.data };
    }
    throw new Error('expected the request to fail');
  };
  const merged = (n: number): Promise<PullEvent> => sb.waitFor<PullEvent>('pull-request', (e) => e.type === 'merged' && e.number === n, 20_000);

  before(async () => {
    dir = tempDir('gitops-gh-pulls-');
    sb = await startSandbox({ dir: path.join(dir, 'world'), scenario: { ...BASE_SCENARIO, github: { protectedBranch: true, requiredReviews: 1, requiredChecks: ['build'], autoMerge: true } }, fast: true });
    gh = await createOctokit({ baseUrl: sb.endpoints.github, token: sb.githubToken, retries: 0, writeIntervalMs: 0 });
    clone = path.join(dir, 'clone');
    await git(['clone', '--quiet', sb.originDir, clone], dir);
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a direct push to main with GitHub\'s GH006 text and leaves origin unchanged; other refs are accepted', async () => {
    const before = await origin(['rev-parse', 'refs/heads/main']);
    await git(['checkout', '--quiet', '-B', 'direct', 'origin/main'], clone);
    fs.appendFileSync(path.join(clone, VALUES), '# direct\n');
    await git([...SANDBOX_GIT_IDENTITY, 'commit', '--quiet', '-am', 'Direct change'], clone);
    const r = await runCmd('git', ['push', 'origin', 'HEAD:main'], clone);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.split('\n').map((l) => l.trimEnd());
    assert.ok(lines.includes('remote: error: GH006: Protected branch update failed for refs/heads/main.'), r.stderr);
    assert.ok(lines.includes('remote: error: Changes must be made through a pull request.'), r.stderr);
    assert.ok(lines.includes('remote: error: Required status check "build" is expected.'), r.stderr);
    assert.equal(await origin(['rev-parse', 'refs/heads/main']), before);
    // A branch of the pipeline and a lock ref are not main: accepted.
    const ok = await runCmd('git', ['push', 'origin', 'HEAD:refs/heads/gitops-deploy/prod/accounts/1.5.0', 'HEAD:refs/gitops-deploy/locks/prod'], clone);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await origin(['rev-parse', 'refs/gitops-deploy/locks/prod']), (await git(['rev-parse', 'HEAD'], clone)).trim());
  });

  it('answers 401 without a token and shows main\'s protection', async () => {
    const anon = await createOctokit({ baseUrl: sb.endpoints.github, retries: 0 });
    assert.equal((await status(anon.rest.pulls.list({ owner: 'acme', repo: 'gitops' }))).status, 401);
    const { data: p } = await gh.rest.repos.getBranchProtection({ owner: 'acme', repo: 'gitops', branch: 'main' });
    assert.equal(p.required_pull_request_reviews?.required_approving_review_count, 1);
    assert.deepEqual(p.required_status_checks?.contexts, ['build']);
    const { data: b } = await gh.rest.repos.getBranch({ owner: 'acme', repo: 'gitops', branch: 'main' });
    assert.equal(b.protected, true);
    const { data: repo } = await gh.rest.repos.get({ owner: 'acme', repo: 'gitops' });
    assert.equal(repo.allow_auto_merge, true);
    await pushBranch('feature/unprotected-check');
    const none = await status(gh.rest.repos.getBranchProtection({ owner: 'acme', repo: 'gitops', branch: 'feature/unprotected-check' }));
    assert.deepEqual([none.status, none.data.message], [404, 'Branch not protected']);
  });

  it('merges a reviewed pull request with passing checks into origin as a merge commit whose second parent is the branch head', async () => {
    const branch = 'gitops-deploy/prod/accounts/1.5.0-a';
    const head = await pushBranch(branch);
    const base = await origin(['rev-parse', 'refs/heads/main']);
    const { data: pr } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Deploy accounts 1.5.0 to prod', head: branch, base: 'main', body: 'plan' });
    assert.equal(pr.head.sha, head);
    assert.equal(pr.base.sha, base);
    assert.equal(pr.state, 'open');
    const again = await status(gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'again', head: branch, base: 'main' }));
    assert.equal(again.status, 422);
    assert.equal(again.data.errors[0].message, `A pull request already exists for acme:${branch}.`);
    const noBranch = await status(gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'x', head: 'no/such/branch', base: 'main' }));
    assert.deepEqual([noBranch.status, noBranch.data.errors[0].field], [422, 'head']);
    const { data: listed } = await gh.rest.pulls.list({ owner: 'acme', repo: 'gitops', state: 'open', head: `acme:${branch}` });
    assert.deepEqual(listed.map((p) => p.number), [pr.number]);
    const { data: labels } = await gh.rest.issues.addLabels({ owner: 'acme', repo: 'gitops', issue_number: pr.number, labels: ['gitops-deploy', 'env:prod'] });
    assert.deepEqual(labels.map((l) => l.name), ['gitops-deploy', 'env:prod']);

    const noReview = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number }));
    assert.deepEqual([noReview.status, noReview.data.message], [405, 'At least 1 approving review is required by reviewers with write access.']);
    assert.equal((await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number })).data.mergeable_state, 'blocked');
    const own = await status(gh.rest.pulls.createReview({ owner: 'acme', repo: 'gitops', pull_number: pr.number, event: 'APPROVE' }));
    assert.deepEqual([own.status, own.data.errors], [422, ['Can not approve your own pull request']]);
    assert.equal((await control(`/pulls/${pr.number}/approve`)).status, 200);
    const { data: reviews } = await gh.rest.pulls.listReviews({ owner: 'acme', repo: 'gitops', pull_number: pr.number });
    assert.deepEqual(reviews.map((r) => [r.user?.login, r.state, r.commit_id]), [['reviewer', 'APPROVED', head]]);

    const noCheck = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number }));
    assert.deepEqual([noCheck.status, noCheck.data.message], [405, 'Required status check "build" is expected.']);
    await gh.rest.repos.createCommitStatus({ owner: 'acme', repo: 'gitops', sha: head, state: 'success', context: 'build' });
    const { data: combined } = await gh.rest.repos.getCombinedStatusForRef({ owner: 'acme', repo: 'gitops', ref: branch });
    assert.deepEqual([combined.state, combined.sha], ['success', head]);
    assert.equal((await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number })).data.mergeable_state, 'clean');

    const stale = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number, sha: base }));
    assert.deepEqual([stale.status, stale.data.message], [409, 'Head branch was modified. Review and try the merge again.']);
    const moved = sb.waitFor<{ sha: string }>('origin-moved', () => true, 20_000);
    const { data: m } = await gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number, sha: head });
    assert.deepEqual([m.merged, m.message], [true, 'Pull Request successfully merged']);
    assert.equal((await moved).sha, m.sha, 'Argo CD sees main move to the merge commit');
    assert.equal(await origin(['rev-parse', 'refs/heads/main']), m.sha);
    assert.equal(await origin(['rev-list', '--parents', '-n', '1', m.sha]), `${m.sha} ${base} ${head}`);
    assert.equal(await origin(['log', '-1', '--format=%B', m.sha]), `Merge pull request #${pr.number} from acme/${branch}\n\nDeploy accounts 1.5.0 to prod`);
    const { data: after } = await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number });
    assert.deepEqual([after.state, after.merged, after.merge_commit_sha, after.merged_by?.login, after.labels.map((l) => l.name)], ['closed', true, m.sha, 'sandbox-user', ['gitops-deploy', 'env:prod']]);
    assert.equal((await gh.rest.pulls.checkIfMerged({ owner: 'acme', repo: 'gitops', pull_number: pr.number })).status, 204);
    const again2 = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number }));
    assert.deepEqual([again2.status, again2.data.message], [405, 'Pull Request is not mergeable']);
  });

  it('squash-merges into one commit on main with the title and message given', async () => {
    const branch = 'gitops-deploy/prod/cards/2.2.0';
    const head = await pushBranch(branch);
    const base = await origin(['rev-parse', 'refs/heads/main']);
    const { data: pr } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Deploy cards 2.2.0 to prod', head: branch, base: 'main' });
    await control(`/pulls/${pr.number}/approve`);
    const checks = await control(`/pulls/${pr.number}/check`, { state: 'success' });
    assert.deepEqual(checks.data.map((c: { name: string; conclusion: string }) => [c.name, c.conclusion]), [['build', 'success']]);
    const { data: runs } = await gh.rest.checks.listForRef({ owner: 'acme', repo: 'gitops', ref: head });
    assert.deepEqual(runs.check_runs.map((c) => [c.name, c.status, c.conclusion]), [['build', 'completed', 'success']]);
    const { data: m } = await gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number, merge_method: 'squash', commit_title: 'Deploy cards 2.2.0 to prod (#squash)', commit_message: 'CHG-7' });
    assert.equal(await origin(['rev-parse', 'refs/heads/main']), m.sha);
    assert.equal(await origin(['rev-list', '--parents', '-n', '1', m.sha]), `${m.sha} ${base}`);
    assert.equal(await origin(['rev-parse', `${m.sha}^{tree}`]), await origin(['rev-parse', `${head}^{tree}`]));
    assert.equal(await origin(['log', '-1', '--format=%B', m.sha]), 'Deploy cards 2.2.0 to prod (#squash)\n\nCHG-7');
  });

  it('rebase-merges the branch commits onto main; a method the repository does not allow is refused', async () => {
    const branch = 'gitops-deploy/stag/accounts/1.5.0';
    const head = await pushBranch(branch, 'helm/environments/stag-env/image-tags.yaml');
    const base = await origin(['rev-parse', 'refs/heads/main']);
    const { data: pr } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Deploy to stag', head: branch, base: 'main' });
    await control(`/pulls/${pr.number}/approve`);
    await control(`/pulls/${pr.number}/check`);
    const saved = sb.scenario.github;
    sb.scenario.github = { ...saved, mergeMethods: ['squash'] };
    try {
      const r = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number, merge_method: 'rebase' }));
      assert.deepEqual([r.status, r.data.message], [405, 'Rebase merges are not allowed on this repository.']);
    } finally {
      sb.scenario.github = saved;
    }
    const { data: m } = await gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number, merge_method: 'rebase' });
    assert.equal(await origin(['rev-parse', 'refs/heads/main']), m.sha);
    assert.equal(await origin(['rev-list', '--parents', '-n', '1', m.sha]), `${m.sha} ${base}`);
    assert.equal(await origin(['log', '-1', '--format=%s', m.sha]), `Change ${branch}`);
    assert.equal(await origin(['rev-parse', `${m.sha}^{tree}`]), await origin(['rev-parse', `${head}^{tree}`]));
    assert.deepEqual(await origin(['worktree', 'list', '--porcelain']).then((t) => t.split('\n').filter((l) => l.startsWith('worktree ')).length), 1, 'the rebase worktree is gone');
  });

  it('the scenario\'s reviewer and CI approve and pass a new pull request on their own (autoApproveSeconds, checksSucceedSeconds)', async () => {
    const saved = sb.scenario.github;
    sb.scenario.github = { ...saved, autoApproveSeconds: 0, checksSucceedSeconds: 0 };
    try {
      const branch = 'gitops-deploy/prod/cards/2.1.0';
      await pushBranch(branch);
      const after = sb.github.api.pulls.log.at(-1)?.id ?? 0;
      const { data: pr } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Deploy cards', head: branch, base: 'main' });
      // Wait on the event log (no sleep) until the reviewer approved and the check run came in.
      const seen: PullEvent[] = [];
      while (!(seen.some((e) => e.type === 'review' && e.number === pr.number) && seen.some((e) => e.type === 'check-run'))) {
        const more = await sb.github.api.pulls.eventsAfter(seen.at(-1)?.id ?? after, 10_000);
        assert.ok(more.length, `no reviewer or check within 10 s: ${JSON.stringify(seen)}`);
        seen.push(...more);
      }
      assert.equal((await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number })).data.mergeable_state, 'clean');
      const done = merged(pr.number);
      await gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number, merge_method: 'squash' });
      const e = await done;
      assert.equal(await origin(['rev-parse', 'refs/heads/main']), e.sha);
      const { data: reviews } = await gh.rest.pulls.listReviews({ owner: 'acme', repo: 'gitops', pull_number: pr.number });
      assert.deepEqual(reviews.map((r) => [r.user?.login, r.state]), [['reviewer', 'APPROVED']]);
    } finally {
      sb.scenario.github = saved;
    }
  });

  it('auto-merges through GraphQL once the review and the required check are in', async () => {
    const branch = 'gitops-deploy/prod/loans/0.9.3';
    const head = await pushBranch(branch);
    const { data: pr } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Deploy loans', head: branch, base: 'main' });
    const mutation = 'mutation($id: ID!, $how: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $how}) { pullRequest { autoMergeRequest { enabledAt mergeMethod } } } }';
    const res = await gh.graphql<{ enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { mergeMethod: string } } } }>(mutation, { id: pr.node_id, how: 'MERGE' });
    assert.equal(res.enablePullRequestAutoMerge.pullRequest.autoMergeRequest.mergeMethod, 'MERGE');
    assert.equal((await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number })).data.auto_merge?.merge_method, 'merge');
    // Off and on again, the input written inline this time.
    await gh.graphql(`mutation { disablePullRequestAutoMerge(input: {pullRequestId: "${pr.node_id}"}) { pullRequest { id } } }`);
    assert.equal((await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number })).data.auto_merge, null);
    await gh.graphql(`mutation { enablePullRequestAutoMerge(input: {pullRequestId: "${pr.node_id}", mergeMethod: MERGE}) { clientMutationId } }`);
    const q = await gh.graphql<{ repository: { pullRequest: { id: string; mergeStateStatus: string; autoMergeRequest: { mergeMethod: string } | null } } }>('query($n: Int!) { repository(owner: "acme", name: "gitops") { pullRequest(number: $n) { id mergeStateStatus autoMergeRequest { mergeMethod } } } }', { n: pr.number });
    assert.deepEqual([q.repository.pullRequest.id, q.repository.pullRequest.mergeStateStatus, q.repository.pullRequest.autoMergeRequest?.mergeMethod], [pr.node_id, 'BLOCKED', 'MERGE']);
    const unknown = await status(gh.graphql(mutation, { id: 'PR_nope', how: 'MERGE' }));
    assert.deepEqual([unknown.data.errors[0].type, unknown.data.errors[0].message], ['NOT_FOUND', "Could not resolve to a node with the global id of 'PR_nope'."]);
    await control(`/pulls/${pr.number}/approve`);
    assert.equal((await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number })).data.state, 'open', 'the check is still missing');
    const done = merged(pr.number);
    await control(`/pulls/${pr.number}/check`, { name: 'build', state: 'success' });
    const e = await done;
    assert.equal(e.auto, true);
    assert.equal(await origin(['rev-parse', 'refs/heads/main']), e.sha);
    assert.equal((await origin(['rev-list', '--parents', '-n', '1', String(e.sha)])).split(' ')[2], head);
    // A pull request that could merge now: GitHub refuses to arm auto-merge ("clean status").
    const branch2 = 'gitops-deploy/prod/gateway/3.1.0';
    await pushBranch(branch2);
    const { data: pr2 } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Deploy gateway', head: branch2, base: 'main' });
    await control(`/pulls/${pr2.number}/approve`);
    await control(`/pulls/${pr2.number}/check`);
    const clean = await status(gh.graphql(mutation, { id: pr2.node_id, how: 'SQUASH' }));
    assert.equal(clean.data.errors[0].message, 'Pull request Pull request is in clean status');
    assert.equal(clean.data.errors[0].type, 'UNPROCESSABLE');
    const saved = sb.scenario.github;
    sb.scenario.github = { ...saved, autoMerge: false };
    try {
      const off = await status(gh.graphql(mutation, { id: pr2.node_id, how: 'MERGE' }));
      assert.equal(off.data.errors[0].message, 'Auto merge is not allowed for this repository');
    } finally {
      sb.scenario.github = saved;
    }
  });

  it('a closed pull request cannot be merged; the event log long-polls', async () => {
    const branch = 'gitops-deploy/prod/accounts/1.5.1';
    await pushBranch(branch);
    const { data: pr } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Deploy accounts 1.5.1', head: branch, base: 'main' });
    const last = sb.github.api.pulls.log.at(-1)!.id;
    const polled = fetch(`${sb.endpoints.github}/sandbox/github/events?after=${last}&timeoutMs=20000`).then((r) => r.json() as Promise<{ events: PullEvent[] }>);
    await gh.rest.pulls.update({ owner: 'acme', repo: 'gitops', pull_number: pr.number, state: 'closed' });
    const { events } = await polled;
    assert.deepEqual(events.map((e) => [e.type, e.number]), [['closed', pr.number]]);
    await control(`/pulls/${pr.number}/approve`);
    const r = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number }));
    assert.deepEqual([r.status, r.data.message], [405, 'Pull Request is not mergeable']);
    const { data: closed } = await gh.rest.pulls.list({ owner: 'acme', repo: 'gitops', state: 'closed', head: `acme:${branch}` });
    assert.deepEqual(closed.map((p) => [p.number, p.merged_at]), [[pr.number, null]]);
  });

  it('with requireUpToDate a pull request behind main is refused until its branch is updated; a pending check is in progress', async () => {
    const saved = sb.scenario.github;
    sb.scenario.github = { ...saved, requireUpToDate: true };
    try {
      const from = await origin(['rev-parse', 'refs/heads/main']);
      const branch = 'gitops-deploy/prod/gateway/3.0.1';
      const head = await pushBranch(branch, 'behind.txt', 'branch\n', from);
      await control('/commit', { path: 'elsewhere.txt', content: 'main moved\n' });
      const { data: pr } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Behind', head: branch, base: 'main' });
      await control(`/pulls/${pr.number}/approve`);
      await control(`/pulls/${pr.number}/check`, { state: 'pending' });
      const pending = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number }));
      assert.deepEqual([pending.status, pending.data.message], [405, 'Required status check "build" is in progress.']);
      await control(`/pulls/${pr.number}/check`, { state: 'success' });
      assert.equal((await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number })).data.mergeable_state, 'behind');
      const behind = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number }));
      assert.deepEqual([behind.status, behind.data.message], [409, 'Head branch is out of date. Review and try the merge again.']);
      const upd = await gh.rest.pulls.updateBranch({ owner: 'acme', repo: 'gitops', pull_number: pr.number, expected_head_sha: head });
      assert.equal(upd.status, 202);
      const { data: updated } = await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number });
      assert.notEqual(updated.head.sha, head);
      assert.equal(await origin(['rev-list', '--parents', '-n', '1', updated.head.sha]), `${updated.head.sha} ${head} ${updated.base.sha}`);
      assert.equal(updated.mergeable_state, 'blocked', 'the new head has no check yet');
      await control(`/pulls/${pr.number}/check`);
      const { data: m } = await gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number, sha: updated.head.sha });
      assert.equal(await origin(['rev-parse', 'refs/heads/main']), m.sha);
    } finally {
      sb.scenario.github = saved;
    }
  });

  it('a conflict with main makes the pull request not mergeable (dirty)', async () => {
    const from = await origin(['rev-parse', 'refs/heads/main']);
    const branch = 'gitops-deploy/prod/accounts/1.6.0';
    await pushBranch(branch, 'conflict.txt', 'from the branch\n', from);
    // Someone else changes the same file on main (an admin, past the protection).
    const moved = await control('/commit', { path: 'conflict.txt', content: 'from main\n', message: 'Another change' });
    assert.equal(moved.status, 201);
    const { data: pr } = await gh.rest.pulls.create({ owner: 'acme', repo: 'gitops', title: 'Conflicting', head: branch, base: 'main' });
    await control(`/pulls/${pr.number}/approve`);
    await control(`/pulls/${pr.number}/check`);
    const { data: got } = await gh.rest.pulls.get({ owner: 'acme', repo: 'gitops', pull_number: pr.number });
    assert.deepEqual([got.mergeable, got.mergeable_state], [false, 'dirty']);
    const r = await status(gh.rest.pulls.merge({ owner: 'acme', repo: 'gitops', pull_number: pr.number }));
    assert.deepEqual([r.status, r.data.message], [405, 'Pull Request is not mergeable']);
    assert.equal(await origin(['rev-parse', 'refs/heads/main']), moved.data.sha);
  });
});

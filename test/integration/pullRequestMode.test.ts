// Pull-request mode through the built CLI against the sandbox with a protected main: the origin
// refuses direct pushes (GH006), the GitHub stand-in opens, reviews and merges pull requests into
// the bare origin for real. The test acts as the reviewer through the sandbox's control endpoints,
// waiting on the stand-in's events, never on sleeps.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import type { Sandbox, Scenario } from '../../sandbox/index';
import type { PipelineOutcome } from '../../src/pipeline/outcome';
import { parseRecord } from '../../src/pipeline/model/records';
import { trailers } from '../../src/pipeline/model/journal';
import { CLI, cli, git, originLog, recordsOnOrigin, sandboxPerTest } from './helpers/cli';

/** The CLI as a child process; each action runs once its pattern shows in the output (in order); resolves at its exit. */
function spawnCli(sb: Sandbox, args: string[], steps: [RegExp, (kill: () => void) => Promise<void>][]): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1' } as NodeJS.ProcessEnv;
  const child = spawn(process.execPath, [CLI, ...args, '--repo', sb.repoDir], { env, cwd: sb.repoDir });
  let out = '';
  let next = 0;
  const failures: unknown[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const onData = (b: Buffer) => {
    out += b;
    while (next < steps.length && steps[next][0].test(out)) {
      const act = steps[next++][1];
      act(() => child.kill('SIGKILL')).catch((err: unknown) => failures.push(err));
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return exited.then((e) => {
    if (failures.length) throw failures[0];
    return { ...e, out };
  });
}

const VALUES = 'helm/environments/stag-env/image-tags.yaml';

function scenario(github: Record<string, unknown>, stagGit: Record<string, unknown> | undefined, dev = '1.5.0'): Scenario {
  return {
    services: { accounts: { images: { '1.4.0': {}, '1.5.0': {}, '1.6.0': { crashLoop: true } } } },
    environments: { dev: { accounts: dev }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } },
    github: { protectedBranch: true, autoMerge: true, ...github },
    config: stagGit ? { perEnvironment: { stag: { git: stagGit } } } : {},
  } as Scenario;
}

interface PullEvent {
  type: string;
  number: number;
  [k: string]: unknown;
}

async function control(sb: Sandbox, n: number, action: 'approve' | 'merge' | 'close', body: Record<string, unknown> = {}): Promise<void> {
  const r = await fetch(`${sb.endpoints.github}/sandbox/github/pulls/${n}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(r.ok, `${action} #${n}: HTTP ${r.status} ${await r.text()}`);
}

async function pulls(sb: Sandbox): Promise<{ number: number; state: string; merged: boolean; head: { ref: string }; labels: { name: string }[]; body: string; merge_commit_sha: string | null; auto_merge: unknown }[]> {
  const r = await fetch(`${sb.endpoints.github}/sandbox/github/pulls`);
  return (await r.json()) as never;
}

const parents = async (sb: Sandbox, rev: string) => (await git(['rev-list', '--parents', '-n', '1', rev], sb.originDir)).trim().split(' ').slice(1);
const message = async (sb: Sandbox, rev: string) => git(['log', '-1', '--format=%B', rev], sb.originDir);
const originValues = (sb: Sandbox) => git(['show', `main:${VALUES}`], sb.originDir);

describe('pull-request mode through the CLI (protected main)', function () {
  this.timeout(180_000);
  const world = sandboxPerTest('gd-prmode-');

  it('merged by a reviewer: the deploy commit (with its trailers) is the merge’s second parent, Argo CD and the verification at the merge commit; the record waits in its own pull request', async () => {
    const sb = await world.start(scenario({ requiredReviews: 1 }, { mode: 'pull-request' }));
    const opened = sb.waitFor<PullEvent>('pull-request', (e) => e.type === 'opened', 60_000);
    const run = cli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--reason', 'CHG-11', '--json']);
    const pr = await opened;
    await control(sb, pr.number, 'approve');
    await control(sb, pr.number, 'merge', { user: 'rev-ann' });
    const r = await run;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as PipelineOutcome;
    assert.equal(out.kind, 'deployed');
    assert.equal(out.pullRequest?.number, pr.number);
    assert.equal(out.pullRequest?.merged, true);
    assert.equal(out.pullRequest?.mergedBy, 'rev-ann');
    assert.equal(out.pullRequest?.branch, 'gitops-deploy/stag/accounts/1.5.0');

    // origin: main's merge commit (main, deploy commit); the deploy commit carries the run's trailers.
    const mergeSha = out.commit!;
    assert.equal(out.pullRequest?.mergeCommit, mergeSha);
    const [first, second] = await parents(sb, mergeSha);
    assert.ok(first && second, 'a merge commit');
    assert.match(await message(sb, mergeSha), new RegExp(`^Merge pull request #${pr.number} from acme/gitops-deploy/stag/accounts/1\\.5\\.0`));
    const t = trailers(await message(sb, second));
    assert.equal(t.get('run-id'), out.runId);
    assert.equal(t.get('kind'), 'deploy');
    assert.equal(t.get('tag'), '1.5.0');
    assert.match(await originValues(sb), /tag: "1\.5\.0"/);
    assert.equal((sb.app('accounts', 'stag') as { status?: { sync?: { revision?: string } } } | undefined)?.status?.sync?.revision, mergeSha, 'Argo CD synced the merge commit');

    const list = await pulls(sb);
    const deployPr = list.find((p) => p.number === pr.number)!;
    assert.deepEqual(deployPr.labels.map((l) => l.name).sort(), ['env:stag', 'gitops-deploy']);
    assert.ok(deployPr.body.includes('+    tag: "1.5.0"'), deployPr.body);
    assert.ok(deployPr.body.includes('| Reason | CHG-11 |'), deployPr.body);

    // The record: main refuses it directly, so it waits in its own pull request (auto-merge on) for a review.
    const rp = out.record?.pullRequest;
    assert.ok(rp, JSON.stringify(out.record));
    assert.equal(rp.merged, false);
    assert.equal(rp.branch, `gitops-deploy/records/stag/accounts/${out.runId}`);
    assert.equal(rp.autoMerge, true);
    const recordOnBranch = parseRecord(await git(['show', `${rp.branch}:${out.record!.path}`], sb.originDir), out.record!.path);
    assert.equal(recordOnBranch.status, 'succeeded');
    assert.equal(recordOnBranch.commit, mergeSha);
    assert.equal(recordOnBranch.pullRequest?.number, pr.number);
    assert.equal(recordOnBranch.pullRequest?.mergedBy, 'rev-ann');

    // status: the run is finished (its record is on origin's branch); the record's pull request is listed.
    const st = await cli(sb, ['status', '--json']);
    assert.equal(st.code, 0, st.stderr);
    const status = JSON.parse(st.stdout);
    assert.deepEqual(status.unfinished, []);
    const stag = status.environments.find((e: { name: string }) => e.name === 'stag');
    assert.deepEqual(stag.pullRequests.map((p: { number: number; purpose: string; service: string }) => [p.number, p.purpose, p.service]), [[rp.number, 'record', 'accounts']]);

    // A reviewer approves the record: GitHub's auto-merge puts it on main.
    const merged = sb.waitFor<PullEvent>('pull-request', (e) => e.type === 'merged' && e.number === rp.number, 60_000);
    await control(sb, rp.number, 'approve');
    await merged;
    assert.ok((await recordsOnOrigin(sb, 'stag')).includes(out.record!.path));
  });

  it('git.merge: auto with no review required: the run merges its own pull request and its record; the transcript shows the pull request', async () => {
    const sb = await world.start(scenario({ requiredReviews: 0 }, { mode: 'pull-request', merge: 'auto' }));
    const r = await cli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--reason', 'CHG-12']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /opened pull request #1: http/);
    assert.match(r.stdout, /pull request #1 merged by sandbox-user as [0-9a-f]{7}/);
    const log = await originLog(sb);
    assert.match(log[0], /^Merge pull request #2 from acme\/gitops-deploy\/records\/stag\/accounts\//, 'the record merged last');
    assert.ok(log.includes('Merge pull request #1 from acme/gitops-deploy/stag/accounts/1.5.0'), log.join('\n'));
    const head = (await git(['rev-parse', 'main'], sb.originDir)).trim();
    const recordCommit = (await parents(sb, head))[1];
    const file = (await git(['diff-tree', '--no-commit-id', '--name-only', '-r', recordCommit], sb.originDir)).trim();
    const rec = parseRecord(await git(['show', `main:${file}`], sb.originDir), file);
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.pullRequest?.merged, true);
    assert.equal(trailers(await message(sb, recordCommit)).get('run-id'), rec.runId);
  });

  it('closed unmerged: exit 2, nothing deployed, origin’s main changed only by the record', async () => {
    const sb = await world.start(scenario({ requiredReviews: 0 }, { mode: 'pull-request' }));
    const valuesBefore = await originValues(sb);
    const headBefore = (await git(['rev-parse', 'main'], sb.originDir)).trim();
    const opened = sb.waitFor<PullEvent>('pull-request', (e) => e.type === 'opened', 60_000);
    const run = cli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--reason', 'CHG-13', '--json']);
    const pr = await opened;
    await control(sb, pr.number, 'close');
    const r = await run;
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as PipelineOutcome;
    assert.equal(out.kind, 'refused');
    assert.equal(out.cause?.code, 'pull-request-closed');
    assert.equal(out.commit, undefined);
    assert.equal(out.pullRequest?.state, 'closed');
    assert.equal(await originValues(sb), valuesBefore);
    // The only change on main: the record, through its own (merged) pull request.
    const added = (await git(['diff', '--name-only', headBefore, 'main'], sb.originDir)).trim().split('\n');
    assert.deepEqual(added, [out.record!.path]);
    const rec = parseRecord(await git(['show', `main:${out.record!.path}`], sb.originDir), out.record!.path);
    assert.equal(rec.status, 'failed');
    assert.equal(rec.causeCode, 'pull-request-closed');
    assert.deepEqual(rec.pullRequest, { number: pr.number, url: out.pullRequest!.url, merged: false });
  });

  it('a failing tag is rolled back through a rollback pull request, merged automatically when the rules allow', async () => {
    const sb = await world.start(scenario({ requiredReviews: 0 }, { mode: 'pull-request', merge: 'auto' }, '1.6.0'));
    const r = await cli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.0', '--reason', 'CHG-14', '--json']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as PipelineOutcome;
    assert.equal(out.kind, 'rolled-back');
    const rb = out.rollbackPullRequest!;
    assert.equal(rb.branch, `gitops-deploy/stag/accounts/rollback-${out.runId}`);
    assert.equal(rb.merged, true);
    assert.equal(out.rollbackCommit, rb.mergeCommit);
    const [, rollbackChange] = await parents(sb, rb.mergeCommit!);
    const t = trailers(await message(sb, rollbackChange));
    assert.equal(t.get('kind'), 'auto-rollback');
    assert.equal(t.get('run-id'), out.runId);
    assert.match(await originValues(sb), /tag: "1\.4\.0"/);
    const rec = parseRecord(await git(['show', `main:${out.record!.path}`], sb.originDir), out.record!.path);
    assert.equal(rec.status, 'rolled-back');
    assert.equal(rec.rollbackPullRequest?.merged, true);
    assert.equal(rec.pullRequest?.merged, true);
  });

  it('a rollback pull request a human must merge: the transcript says so, the run waits for the review, then verifies the rollback (exit 3)', async () => {
    const sb = await world.start(scenario({ requiredReviews: 1 }, { mode: 'pull-request', merge: 'auto' }, '1.6.0'));
    const r = await spawnCli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.0', '--reason', 'CHG-17'], [
      [/waiting for pull request #1 to be merged/, () => control(sb, 1, 'approve')],
      [/a human must merge rollback pull request #2/, () => control(sb, 2, 'approve')],
    ]);
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /auto-merge is on, but a human must still approve pull request #1/);
    assert.match(r.out, /🔔 action-required: a human must merge rollback pull request #2 \(accounts 1\.6\.0 → 1\.4\.0 in stag\)/);
    assert.match(r.out, /rollback pull request #2 merged by/);
    assert.match(r.out, /rollback pull request: #2 merged/);
    assert.match(await originValues(sb), /tag: "1\.4\.0"/);
  });

  it('push mode against the protected main: refused (exit 2) with cause branch-protected, naming git.mode: pull-request; origin unchanged', async () => {
    const sb = await world.start(scenario({}, undefined));
    const head = (await git(['rev-parse', 'main'], sb.originDir)).trim();
    const r = await cli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--reason', 'CHG-15', '--json']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as PipelineOutcome;
    assert.equal(out.cause?.code, 'branch-protected');
    assert.match(out.message, /GH006: Protected branch update failed/);
    assert.match(out.message, /set git\.mode: pull-request for stag/);
    assert.equal((await git(['rev-parse', 'main'], sb.originDir)).trim(), head);
    const text = await cli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--reason', 'CHG-15']);
    assert.equal(text.code, 2);
    assert.match(text.stderr + text.stdout, /git\.mode: pull-request/);
  });

  it('kill -9 while waiting for the merge: status shows the open pull request, resume re-attaches to it by its branch and finishes the run after the merge', async () => {
    const sb = await world.start(scenario({ requiredReviews: 0 }, { mode: 'pull-request' }));
    const killed = await spawnCli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--reason', 'CHG-16'], [[/waiting for pull request #1 to be merged/, async (kill) => kill()]]);
    assert.equal(killed.signal, 'SIGKILL', killed.out);
    const runId = /run (\d{8}T\d{6}Z-[a-z]{6})/.exec(killed.out)?.[1] ?? (await git(['log', '-1', '--format=%B', 'gitops-deploy/stag/accounts/1.5.0'], sb.originDir)).match(/Run-Id: (\S+)/)![1];

    const st = JSON.parse((await cli(sb, ['status', '--json'])).stdout);
    const stag = st.environments.find((e: { name: string }) => e.name === 'stag');
    assert.deepEqual(stag.pullRequests.map((p: { number: number; purpose: string; service: string; tag: string }) => [p.number, p.purpose, p.service, p.tag]), [[1, 'deploy', 'accounts', '1.5.0']]);
    assert.deepEqual(st.unfinished, [], 'nothing of the run is on main');
    assert.equal(stag.pullRequests[0].runId, runId);
    assert.deepEqual([stag.pullRequests[0].lease.state, stag.pullRequests[0].lease.runId], ['over', runId], 'the dead run’s lease, reported as over');
    const text = await cli(sb, ['status']);
    assert.match(text.stdout, new RegExp(`run ${runId}: no run is waiting for it; continue it with gitops-deploy resume accounts --env stag`));
    assert.ok((await git(['for-each-ref', '--format=%(refname)', 'refs/gitops-deploy/locks/stag/accounts'], sb.originDir)).trim(), 'the killed run left its lease');

    const resumed = await spawnCli(sb, ['resume', 'accounts', '--env', 'stag'], [[/re-attached, waiting for its merge/, () => control(sb, 1, 'merge', { user: 'rev-bo' })]]);
    assert.equal(resumed.code, 0, resumed.out);
    assert.match(resumed.out, /pull request #1 merged by rev-bo/);
    const list = await pulls(sb);
    assert.equal(list.filter((p) => p.head.ref === 'gitops-deploy/stag/accounts/1.5.0').length, 1, 'no second pull request');
    const head = (await git(['rev-parse', 'main'], sb.originDir)).trim();
    const recordCommit = (await parents(sb, head))[1];
    const file = (await git(['diff-tree', '--no-commit-id', '--name-only', '-r', recordCommit], sb.originDir)).trim();
    const rec = parseRecord(await git(['show', `main:${file}`], sb.originDir), file);
    assert.equal(rec.runId, runId);
    assert.equal(rec.interrupted, true);
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.commit, list.find((p) => p.number === 1)!.merge_commit_sha);
    assert.equal((await git(['for-each-ref', '--format=%(refname)', 'refs/gitops-deploy/locks/stag/accounts'], sb.originDir)).trim(), '', 'the lease is released');
  });
});

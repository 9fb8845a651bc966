// The evidence pack's approvals against the GitHub stand-in: a prod run waits for a required
// reviewer, is approved (another is rejected); the pack written by the core both front ends use
// (the CLI's `records export`, the editor's Export Evidence Pack) names who reviewed, the verdict and
// when — a time GitHub's review history lacks, read from the deployment Actions made for the job.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { GitHubActionsClient } from '../../src/clients/githubActions';
import { exportEvidencePack } from '../../src/commands/exportEvidenceCore';
import { loadConfig } from '../../src/pipeline/config/load';
import { BASE_SCENARIO, tempDir } from './helpers/sandbox';

describe('evidence pack: approvals with their time (GitHub stand-in)', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  let dir: string;
  let gh: GitHubActionsClient;

  before(async () => {
    dir = tempDir('evidence-approvals-');
    sb = await startSandbox({ dir, scenario: BASE_SCENARIO, fast: true, log: () => undefined });
    gh = new GitHubActionsClient({ apiUrl: sb.endpoints.github, owner: 'acme', repo: 'gitops', token: sb.githubToken, retries: 0 });
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Dispatches a prod deploy run, reviews it when it waits; the review's time window (whole seconds). */
  async function reviewedRun(state: 'approved' | 'rejected', comment: string) {
    const waiting = sb.waitFor<any>('run-updated', (r) => r.status === 'waiting');
    await gh.dispatchWorkflow('deploy.yml', 'main', { service: 'accounts', environment: 'prod', tag: '1.5.0', reason: 'CHG-7' });
    const run = await waiting;
    const done = sb.waitFor<any>('run-updated', (r) => r.id === run.id && r.status === 'completed');
    const [pending] = await gh.pendingDeployments(run.id);
    const from = Math.floor(Date.now() / 1000) * 1000;
    await gh.reviewPendingDeployments(run.id, [pending.environmentId], state, comment);
    const to = Date.now();
    await done;
    return { id: run.id as number, from, to };
  }

  it('the review history has no time: the adapter reads it from the run’s deployment; an approval and a rejection', async () => {
    const ok = await reviewedRun('approved', 'CAB-7 ok');
    const no = await reviewedRun('rejected', 'not today');
    const [a] = await gh.runApprovals(ok.id);
    assert.deepEqual([a.user, a.state, a.comment, a.environments], ['sandbox-user', 'approved', 'CAB-7 ok', ['prod']]);
    assert.ok(a.at && Date.parse(a.at) >= ok.from && Date.parse(a.at) <= ok.to, `${a.at} within the review call`);
    const [r] = await gh.runApprovals(no.id);
    assert.deepEqual([r.user, r.state, r.comment], ['sandbox-user', 'rejected', 'not today']);
    assert.ok(r.at && Date.parse(r.at) >= no.from && Date.parse(r.at) <= no.to, `${r.at} within the review call`);
  });

  it('the pack written for the editor and the CLI carries by, state, at and comment per change; no token, no approvals', async () => {
    const run = await reviewedRun('approved', 'change CHG-8 approved');
    const started = new Date(run.to).toISOString().replace(/\.\d+Z$/, 'Z');
    const recordsDir = path.join(sb.repoDir, 'docs/deployments/prod');
    fs.mkdirSync(recordsDir, { recursive: true });
    const file = `${started.replace(/[-:]/g, '')}-accounts.md`;
    fs.writeFileSync(
      path.join(recordsDir, file),
      [
        '---', 'service: accounts', 'environment: prod', 'tag: "1.5.0"', 'previousTag: "1.4.0"', 'status: succeeded', `startedAt: ${started}`, `finishedAt: ${started}`, 'actor: sandbox-user', 'reason: "CHG-8 statement export"',
        'workflowRun:', `  id: ${run.id}`, '  attempt: 1', `  url: https://github.com/acme/gitops/actions/runs/${run.id}`, 'checks: []', '---', '', 'Deployed.', '',
      ].join('\n'),
    );
    const config = await loadConfig(sb.repoDir, sb.env);
    const window = { environment: 'prod', since: new Date(run.from - 3_600_000), until: new Date(run.to + 3_600_000), now: new Date() };
    const pack = await exportEvidencePack(config, { ...window, out: path.join(dir, 'pack'), githubToken: sb.githubToken });
    const fromFile = JSON.parse(fs.readFileSync(path.join(dir, 'pack', 'evidence.json'), 'utf8'));
    assert.deepEqual(fromFile.changes, JSON.parse(JSON.stringify(pack.changes)));
    const change = fromFile.changes.find((c: any) => c.record === `docs/deployments/prod/${file}`);
    assert.ok(change, JSON.stringify(fromFile.changes.map((c: any) => c.record)));
    assert.equal(change.approvals.length, 1, JSON.stringify(change.approvals));
    const [a] = change.approvals;
    assert.deepEqual([a.by, a.state, a.comment], ['sandbox-user', 'approved', 'change CHG-8 approved']);
    assert.ok(Date.parse(a.at) >= run.from && Date.parse(a.at) <= run.to, `${a.at} within the review call`);
    assert.ok(fs.readFileSync(path.join(dir, 'pack', 'evidence.html'), 'utf8').includes(`<strong>approved</strong> by sandbox-user at ${a.at}`));

    const without = await exportEvidencePack(config, { ...window, out: path.join(dir, 'pack-no-token') });
    const same = without.changes.find((c) => c.record === `docs/deployments/prod/${file}`)!;
    assert.equal('approvals' in same, false);
  });
});

// The GitHub integration against the sandbox's GitHub stand-in, through the real @octokit/rest:
// dispatch and follow a run (waiting → approved → completed, rejected, cancelled), GitHub
// Deployments set by the reporter while the real pipeline deploys and rolls back, the run info
// in a record, and no token anywhere in what is shown or written.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { createPorts } from '../../src/clients/index';
import { GitHubActionsClient } from '../../src/clients/githubActions';
import { deploymentReporterFor } from '../../src/launcher';
import { loadConfig } from '../../src/pipeline/config/load';
import { runDeployment } from '../../src/pipeline/deploy';
import { dispatchAndFollow, describeFollowEvent, type FollowEvent } from '../../src/pipeline/github/follow';
import { dispatchInputs, WORKFLOW_FILE } from '../../src/pipeline/github/workflow';
import { parseRecord } from '../../src/pipeline/model/records';
import type { PipelineEvent } from '../../src/pipeline/outcome';
import { BASE_SCENARIO, tempDir } from './helpers/sandbox';

const clock = { now: () => new Date() };

describe('GitHub integration (sandbox stand-in)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let dir: string;
  let gh: GitHubActionsClient;

  before(async () => {
    dir = tempDir('gitops-github-');
    sb = await startSandbox({ dir, scenario: { ...BASE_SCENARIO, timing: { ...BASE_SCENARIO.timing, runStepSeconds: 0.15 } } });
    gh = new GitHubActionsClient({ apiUrl: sb.endpoints.github, owner: 'acme', repo: 'gitops', token: sb.githubToken, retries: 0 });
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function follow(inputs: Parameters<typeof dispatchInputs>[0], onEvent: (e: FollowEvent, all: FollowEvent[]) => void, cancel?: AbortSignal) {
    const events: FollowEvent[] = [];
    const result = dispatchAndFollow({
      port: gh, workflowFile: WORKFLOW_FILE, ref: 'main', inputs: dispatchInputs(inputs), pollMs: 10, clock, cancelSignal: cancel,
      onEvent: (e) => {
        events.push(e);
        onEvent(e, events);
      },
    });
    return { events, result };
  }

  const phases = (events: FollowEvent[]) => events.flatMap((e) => (e.type === 'status' ? [e.phase] : e.type === 'completed' ? [`completed:${e.conclusion}`] : e.type === 'waiting-for-approval' ? ['approval-requested'] : []));

  it('dispatches, finds its run, waits for approval, is approved, completes', async () => {
    const { events, result } = follow({ operation: 'deploy', service: 'accounts', environment: 'prod', image_tag: '1.4.0', reason: 'CHG-7' }, (e) => {
      if (e.type === 'waiting-for-approval') {
        const mine = e.pending.filter((p) => p.currentUserCanApprove);
        void gh.reviewPendingDeployments(e.run.id, mine.map((p) => p.environmentId), 'approved', 'ship it');
      }
    });
    const r = await result;
    assert.equal(r.conclusion, 'success');
    assert.deepEqual(phases(events), ['queued', 'waiting', 'approval-requested', 'in_progress', 'completed:success']);
    const waiting = events.find((e) => e.type === 'waiting-for-approval') as Extract<FollowEvent, { type: 'waiting-for-approval' }>;
    assert.deepEqual(waiting.pending.map((p) => [p.environment, p.reviewers, p.currentUserCanApprove]), [['prod', ['sandbox-user'], true]]);
    const run = sb.github.api.runs.find((x) => x.id === r.run.id)!;
    assert.deepEqual(run.inputs, { operation: 'deploy', service: 'accounts', environment: 'prod', image_tag: '1.4.0', reason: 'CHG-7' });
    assert.deepEqual(run.reviews, [{ state: 'approved', comment: 'ship it', user: 'sandbox-user' }]);
    assert.ok(events.some((e) => e.type === 'step' && e.state === 'completed' && e.step.name === 'Write deployment record'));
    assert.match(events.map(describeFollowEvent).join('\n'), /waiting for approval of prod by sandbox-user \(you may approve\)/);
  });

  it('finds the newest run among earlier ones and reports a rejection as a failure', async () => {
    const { events, result } = follow({ operation: 'deploy', service: 'cards', environment: 'prod', reason: 'CHG-8' }, (e) => {
      if (e.type === 'waiting-for-approval') void gh.reviewPendingDeployments(e.run.id, e.pending.map((p) => p.environmentId), 'rejected', 'not today');
    });
    const r = await result;
    assert.equal(r.conclusion, 'failure');
    const run = sb.github.api.runs.find((x) => x.id === r.run.id)!;
    assert.equal(run.inputs.service, 'cards');
    assert.deepEqual(run.reviews.map((x) => [x.state, x.comment]), [['rejected', 'not today']]);
    assert.deepEqual(phases(events).slice(-1), ['completed:failure']);
  });

  it('follows an unprotected environment straight to in progress, and cancels a run', async () => {
    const plain = follow({ operation: 'deploy', service: 'loans', environment: 'dev', reason: 'x' }, () => undefined);
    assert.equal((await plain.result).conclusion, 'success');
    assert.ok(!phases(plain.events).includes('waiting'));

    const ctrl = new AbortController();
    const c = follow({ operation: 'rollback', service: 'gateway', environment: 'prod', reason: 'stop' }, (e) => {
      if (e.type === 'waiting-for-approval') ctrl.abort();
    }, ctrl.signal);
    const r = await c.result;
    assert.equal(r.conclusion, 'cancelled');
    assert.ok(c.events.some((e) => e.type === 'cancel-requested'));
    assert.equal(sb.github.api.runs.find((x) => x.id === r.run.id)!.conclusion, 'cancelled');
  });

  describe('GitHub Deployments from the pipeline', () => {
    const statuses: { deployment: number; environment: string; sha: string; state: string; logUrl: string }[] = [];
    const onStatus = (e: { deployment: { id: number; environment: string; sha: string }; status: { state: string; log_url: string } }) =>
      statuses.push({ deployment: e.deployment.id, environment: e.deployment.environment, sha: e.deployment.sha, state: e.status.state, logUrl: e.status.log_url });
    before(() => sb.github.api.events.on('deployment-status', onStatus));
    after(() => sb.github.api.events.off('deployment-status', onStatus));

    async function deploy(service: string, tag: string, extraEnv: Record<string, string> = {}) {
      const env = { ...sb.env, ...extraEnv };
      const config = await loadConfig(sb.repoDir, env);
      const ports = createPorts(config, { env });
      const warnings: string[] = [];
      const request = { service, environment: 'stag', tag, reason: 'CHG-9' };
      const reporter = deploymentReporterFor(config, { ...request, mode: 'deploy' }, { env, warn: (m) => warnings.push(m), headSha: () => ports.git.headSha(), retries: 0 })!;
      assert.ok(reporter, 'GitHub is configured in the sandbox repo');
      const events: PipelineEvent[] = [];
      const outcome = await runDeployment(request, { config, ports, env, pollIntervalMs: 20 }, { onEvent: (e) => { events.push(e); reporter.onEvent(e); } });
      await reporter.flush();
      return { outcome, events, warnings, reporter };
    }

    it('a verified deployment: in_progress then success, log_url at the record', async () => {
      statuses.length = 0;
      const { outcome, warnings, reporter } = await deploy('cards', '2.2.0');
      assert.equal(outcome.kind, 'deployed', outcome.message);
      assert.deepEqual(warnings, []);
      const [id] = reporter.deploymentIds;
      const mine = statuses.filter((s) => s.deployment === id);
      assert.deepEqual(mine.map((s) => s.state), ['in_progress', 'success']);
      assert.equal(mine[0].sha, outcome.commit);
      assert.equal(mine[1].logUrl, `${sb.endpoints.github}/acme/gitops/blob/main/${outcome.record!.path}`);
      assert.equal(mine[0].environment, 'stag');
    });

    it('an automatic rollback: failure for the deployment, success for the rollback commit', async () => {
      statuses.length = 0;
      const { outcome, reporter } = await deploy('accounts', '1.6.0', { GITHUB_RUN_ID: '77001', GITHUB_RUN_ATTEMPT: '2', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/gitops', GITHUB_WORKFLOW: 'Deploy Service to Environment', GITHUB_ACTOR: 'octocat' });
      assert.equal(outcome.kind, 'rolled-back', outcome.message);
      const [dep, rb] = reporter.deploymentIds;
      assert.ok(dep && rb);
      assert.deepEqual(statuses.map((s) => [s.deployment === dep ? 'deploy' : s.deployment === rb ? 'rollback' : 'earlier', s.state]), [
        ['deploy', 'in_progress'],
        ['deploy', 'failure'],
        ['rollback', 'success'],
      ]);
      assert.equal(statuses[0].logUrl, 'https://github.com/acme/gitops/actions/runs/77001');
      assert.equal(statuses.find((s) => s.deployment === rb)!.sha, outcome.rollbackCommit);
      // The run info in the record.
      const rec = parseRecord(fs.readFileSync(outcome.record!.absolutePath, 'utf8'), outcome.record!.path);
      assert.deepEqual(rec.workflowRun, { id: 77001, attempt: 2, url: 'https://github.com/acme/gitops/actions/runs/77001', workflow: 'Deploy Service to Environment', actor: 'octocat' });
      assert.equal(rec.actor, 'octocat');
    });

    it('a GitHub outage is a warning, never a failed deployment; no token in events, warnings or records', async () => {
      sb.setFault('github', 'POST /repos/acme/gitops/deployments', { code: 502, message: `upstream said token ${sb.githubToken}` });
      try {
        const { outcome, events, warnings } = await deploy('gateway', '3.1.0');
        assert.equal(outcome.kind, 'deployed', outcome.message);
        assert.equal(warnings.length, 1, warnings.join('\n'));
        assert.match(warnings[0], /create failed: GitHub create deployment \(stag\): HTTP 502/);
        const everything = [JSON.stringify(events), ...warnings, ...walk(path.join(sb.repoDir, 'docs')).map((f) => fs.readFileSync(f, 'utf8'))].join('\n');
        assert.ok(!everything.includes(sb.githubToken), 'the token leaked');
        assert.ok(!everything.includes(sb.githubToken.slice(4)), 'part of the token leaked');
      } finally {
        sb.setFault('github', 'POST /repos/acme/gitops/deployments', null);
      }
    });
  });
});

function walk(d: string): string[] {
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
}

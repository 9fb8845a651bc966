// GitHub's limits against the sandbox's GitHub stand-in, which answers as GitHub does when asked
// to (a fault switch): a secondary limit with Retry-After, the primary limit with
// x-ratelimit-remaining: 0 and x-ratelimit-reset, and a 502. The real @octokit/rest with
// @octokit/plugin-retry and @octokit/plugin-throttling (src/clients/octokit.ts) waits and retries;
// Retry-After is honoured in a unit the test sets to 0 ms, so nothing really sleeps. Then the run
// follower against a run waiting for approval: the requests the stand-in received per poll, with
// an injected sleep that records the pauses asked for.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { GitHubActionsClient } from '../../src/clients/githubActions';
import type { RateLimitEvent } from '../../src/clients/octokit';
import { dispatchAndFollow, type FollowPhase } from '../../src/pipeline/github/follow';
import { dispatchInputs, WORKFLOW_FILE } from '../../src/pipeline/github/workflow';
import { BASE_SCENARIO, tempDir } from './helpers/sandbox';

const RUNS = `/repos/acme/gitops/actions/workflows/${WORKFLOW_FILE}/runs`;

describe('GitHub rate limits and polling (sandbox stand-in)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let dir: string;
  let limits: RateLimitEvent[];
  let gh: GitHubActionsClient;

  before(async () => {
    dir = tempDir('gitops-ratelimit-');
    sb = await startSandbox({ dir, scenario: { ...BASE_SCENARIO, timing: { ...BASE_SCENARIO.timing, runStepSeconds: 0.15 } } });
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    limits = [];
    gh = new GitHubActionsClient({ apiUrl: sb.endpoints.github, owner: 'acme', repo: 'gitops', token: sb.githubToken, retries: 2, rateLimit: { retryAfterUnitMs: 0, onRateLimit: (e) => limits.push(e) } });
  });
  afterEach(() => sb.setFault('github', `GET ${RUNS}`, null));

  const received = (path: string) => sb.github.api.requests.filter((r) => r.method === 'GET' && r.path === path).length;

  it('a secondary limit with Retry-After: 30 is waited out and the request retried', async () => {
    const before = received(RUNS);
    sb.setFault('github', `GET ${RUNS}`, { code: 403, rateLimit: 'secondary', retryAfter: 30, times: 1 });
    const runs = await gh.listWorkflowRuns(WORKFLOW_FILE, { perPage: 5 });
    assert.ok(Array.isArray(runs));
    assert.equal(received(RUNS) - before, 2, 'the limited request and its retry');
    assert.deepEqual(limits.map((e) => [e.kind, e.retryAfterS, e.retryCount, e.willRetry]), [['secondary', 30, 0, true]]);
  });

  it('the primary limit (429, remaining 0) is waited out until x-ratelimit-reset', async () => {
    const before = received(RUNS);
    sb.setFault('github', `GET ${RUNS}`, { code: 429, rateLimit: 'primary', retryAfter: 45, times: 1 });
    await gh.listWorkflowRuns(WORKFLOW_FILE, { perPage: 5 });
    assert.equal(received(RUNS) - before, 2);
    assert.equal(limits.length, 1);
    assert.equal(limits[0].kind, 'primary');
    // The reset is 45 s after the stand-in's clock; the plugin adds a second to land after it.
    assert.ok(limits[0].retryAfterS >= 45 && limits[0].retryAfterS <= 47, String(limits[0].retryAfterS));
  });

  it('a limit that asks for longer than we wait fails at once, with GitHub\'s status and message', async () => {
    const before = received(RUNS);
    sb.setFault('github', `GET ${RUNS}`, { code: 403, rateLimit: 'secondary', retryAfter: 600 });
    await assert.rejects(gh.listWorkflowRuns(WORKFLOW_FILE, { perPage: 5 }), (err: Error & { status?: number }) => err.status === 403 && /secondary rate limit/.test(err.message));
    assert.equal(received(RUNS) - before, 1);
    assert.deepEqual(limits.map((e) => [e.kind, e.retryAfterS, e.willRetry]), [['secondary', 600, false]]);
  });

  it('a 502 is retried (plugin-retry); without the plugin `retries` did nothing', async () => {
    const before = received(RUNS);
    sb.setFault('github', `GET ${RUNS}`, { code: 502, times: 1 });
    await gh.listWorkflowRuns(WORKFLOW_FILE, { perPage: 5 });
    assert.equal(received(RUNS) - before, 2);
    assert.deepEqual(limits, []);
  });

  it('follows a run waiting for approval at a slower and slower rate, and at pollMs again once it moves', async () => {
    const api = sb.github.api;
    const polls: { ms: number; phase: FollowPhase | undefined; requests: number }[] = [];
    let phase: FollowPhase | undefined;
    let runId: number | undefined;
    let mark = 0;
    const result = await dispatchAndFollow({
      port: gh, workflowFile: WORKFLOW_FILE, ref: 'main', pollMs: 2000, clock: { now: () => new Date() },
      inputs: dispatchInputs({ operation: 'deploy', service: 'accounts', environment: 'prod', image_tag: '1.4.0', reason: 'CHG-77' }),
      onEvent: (e) => {
        if (e.type === 'run-found') runId = e.run.id;
        if (e.type === 'status') phase = e.phase;
        if (e.type === 'waiting-for-approval') phase = 'waiting';
      },
      sleep: async (ms) => {
        // What the stand-in received since the previous pause: one poll's requests.
        polls.push({ ms, phase, requests: api.requests.length - mark });
        mark = api.requests.length;
        const waiting = polls.filter((p) => p.phase === 'waiting').length;
        if (phase === 'waiting' && waiting === 7) {
          const pending = (await gh.pendingDeployments(runId!)).filter((p) => p.currentUserCanApprove);
          await gh.reviewPendingDeployments(runId!, pending.map((p) => p.environmentId), 'approved', 'after seven polls');
          mark = api.requests.length; // the review is not the follower's
        }
        // Pacing only (the stand-in's run moves on its own timers): no assertion depends on it.
        await new Promise((r) => setImmediate(r));
      },
    });
    assert.equal(result.conclusion, 'success');
    const waiting = polls.filter((p) => p.phase === 'waiting');
    assert.deepEqual(waiting.map((p) => p.ms), [2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    // Each waiting poll: the run and its pending deployments (the first one also came from the previous phase's poll).
    assert.deepEqual(waiting.slice(1).map((p) => p.requests), [2, 2, 2, 2, 2, 2]);
    const after = polls.slice(polls.indexOf(waiting.at(-1)!) + 1);
    assert.ok(after.length > 0 && after.every((p) => p.ms === 2000), JSON.stringify(after.map((p) => [p.phase, p.ms])));
    // Over those seven waiting polls, 2 s each would have taken 14 s of GitHub's attention; backed off, 120 s.
    assert.equal(waiting.reduce((a, p) => a + p.ms, 0), 120_000);
  });
});

// The run follower's pure state machine and the run picker, and the deployment reporter with a
// recording fake port (no network).
import { strict as assert } from 'node:assert';
import { createDeploymentReporter } from '../../src/pipeline/github/deployments';
import { describeFollowEvent, followRun, initialState, nextPollMs, pickRun, reduce, type FollowEvent, type FollowState, type Observation } from '../../src/pipeline/github/follow';
import { waitOutRateLimit } from '../../src/clients/octokit';
import type { GitHubPort, JobInfo, WorkflowRunInfo } from '../../src/pipeline/github/port';
import { recordBlobUrl, serverUrlFromApi } from '../../src/pipeline/github/port';
import type { PipelineEvent } from '../../src/pipeline/outcome';
import type { PipelineOutcome } from '../../src/pipeline/outcome';

const run = (o: Partial<WorkflowRunInfo> = {}): WorkflowRunInfo => ({ id: 1, event: 'workflow_dispatch', branch: 'main', status: 'queued', conclusion: null, createdAt: '2026-11-26T10:00:05Z', htmlUrl: 'https://github.com/acme/gitops/actions/runs/1', ...o });
const job = (steps: [string, string, string | null][]): JobInfo => ({ id: 7, name: 'deploy', status: 'in_progress', steps: steps.map(([name, status, conclusion], i) => ({ number: i + 1, name, status, conclusion })) });

function drive(observations: Observation[]): FollowEvent[] {
  let s: FollowState = initialState();
  const out: FollowEvent[] = [];
  for (const o of observations) {
    const r = reduce(s, o);
    s = r.state;
    out.push(...r.events);
  }
  return out;
}

describe('GitHub run follower (state machine)', () => {
  it('reports found → queued → waiting (+ who may approve, once) → in progress with steps once each → completed', () => {
    const pending = [{ environment: 'prod', environmentId: 5, currentUserCanApprove: true, reviewers: ['alice', 'sre-team'] }];
    const events = drive([
      { run: run() },
      { run: run() },
      { run: run({ status: 'waiting' }), pending },
      { run: run({ status: 'waiting' }), pending },
      { run: run({ status: 'in_progress' }), jobs: [job([['Set up job', 'completed', 'success'], ['Run GitOps Deploy', 'in_progress', null]])] },
      { run: run({ status: 'in_progress' }), jobs: [job([['Set up job', 'completed', 'success'], ['Run GitOps Deploy', 'in_progress', null]])] },
      { run: run({ status: 'completed', conclusion: 'success' }), jobs: [job([['Set up job', 'completed', 'success'], ['Run GitOps Deploy', 'completed', 'success']])] },
    ]);
    assert.deepEqual(events.map(describeFollowEvent), [
      'run #1: https://github.com/acme/gitops/actions/runs/1',
      'queued',
      'waiting for approval',
      'waiting for approval of prod by alice, sre-team (you may approve)',
      'in progress',
      '  ✓ Set up job',
      '  … Run GitOps Deploy',
      '  ✓ Run GitOps Deploy',
      'completed: success — https://github.com/acme/gitops/actions/runs/1',
    ]);
  });

  it('reports the approval request again when the reviewers change, and a skipped step', () => {
    const p = (can: boolean) => [{ environment: 'prod', environmentId: 5, currentUserCanApprove: can, reviewers: ['alice'] }];
    const events = drive([{ run: run({ status: 'waiting' }), pending: p(false) }, { run: run({ status: 'waiting' }), pending: p(true) }, { run: run({ status: 'completed', conclusion: 'failure' }), jobs: [job([['Verify', 'completed', 'skipped']])] }]);
    assert.equal(events.filter((e) => e.type === 'waiting-for-approval').length, 2);
    assert.ok(events.map(describeFollowEvent).includes('  – Verify (skipped)'));
    assert.deepEqual(events.at(-1), { type: 'completed', run: run({ status: 'completed', conclusion: 'failure' }), conclusion: 'failure' });
  });

  it('a waiting run read just after its approval (nothing pending yet still waiting) is not a new approval request', () => {
    const pending = [{ environment: 'prod', environmentId: 5, currentUserCanApprove: true, reviewers: ['alice'] }];
    const events = drive([{ run: run({ status: 'waiting' }), pending }, { run: run({ status: 'waiting' }), pending: [] }, { run: run({ status: 'in_progress' }) }]);
    assert.deepEqual(events.filter((e) => e.type === 'waiting-for-approval').map((e) => e.type === 'waiting-for-approval' && e.pending), [pending]);
  });

  it('picks the newest dispatch run on the branch that was not there before the dispatch', () => {
    const at = new Date('2026-11-26T10:00:05.400Z');
    const runs = [
      run({ id: 1, createdAt: '2026-11-26T09:00:00Z' }),
      run({ id: 2, createdAt: '2026-11-26T10:00:05Z' }), // GitHub rounds to seconds
      run({ id: 3, createdAt: '2026-11-26T10:00:06Z', branch: 'other' }),
      run({ id: 4, createdAt: '2026-11-26T10:00:07Z', event: 'push' }),
      run({ id: 5, createdAt: '2026-11-26T10:00:08Z' }),
    ];
    assert.equal(pickRun(runs, { knownIds: new Set([1]), dispatchedAt: at, branch: 'main' })?.id, 5);
    assert.equal(pickRun(runs, { knownIds: new Set([1, 5]), dispatchedAt: at, branch: 'main' })?.id, 2);
    assert.equal(pickRun(runs, { knownIds: new Set([2, 5]), dispatchedAt: at, branch: 'main' }), undefined);
  });
});

type Call = [string, ...unknown[]];
function fakePort(existing: { id: number; service: string; state: string }[] = [], fail?: string): { port: GitHubPort; calls: Call[] } {
  const calls: Call[] = [];
  let next = 100;
  const no = () => Promise.reject(new Error('not used'));
  const port: GitHubPort = {
    currentUser: no, dispatchWorkflow: no, listWorkflowRuns: no, getRun: no, listJobs: no, jobLog: no, pendingDeployments: no, reviewPendingDeployments: no, cancelRun: no,
    createDeployment: async (i) => {
      calls.push(['deployment', i.ref, i.environment, i.task, (i.payload as { service: string }).service]);
      if (fail) throw new Error(fail);
      return { id: next++, environment: i.environment, createdAt: '' };
    },
    createDeploymentStatus: async (id, i) => {
      calls.push(['status', id, i.state, i.logUrl]);
      return { id: 1, state: i.state, createdAt: '' };
    },
    listDeployments: async () => [{ id: 100, environment: 'stag', createdAt: '', payload: { service: 'accounts' } }, ...existing.map((e) => ({ id: e.id, environment: 'stag', createdAt: '', payload: { service: e.service } }))],
    listDeploymentStatuses: async (id) => [{ id: 1, state: existing.find((e) => e.id === id)?.state ?? 'in_progress', createdAt: '' }],
  };
  return { port, calls };
}

const at = '2026-11-26T10:00:00Z';
const pushed: PipelineEvent = { type: 'step-finished', step: 'push', title: 'Push', status: 'succeeded', message: 'pushed abc1234', startedAt: at, finishedAt: at, durationMs: 1 };
const finished = (o: Partial<PipelineOutcome>): PipelineEvent => ({ type: 'pipeline-finished', at, outcome: { kind: 'deployed', exitCode: 0, message: 'ok', mode: 'deploy', service: 'accounts', environment: 'stag', tag: '1.5.0', previousTag: '1.4.0', checks: [], steps: [], startedAt: at, finishedAt: at, record: { path: 'docs/deployments/stag/r.md', absolutePath: '/x', status: 'succeeded', pushed: true }, ...o } as PipelineOutcome });
const repo = { owner: 'acme', repo: 'gitops', serverUrl: 'https://ghe.example.com' };
const request = { service: 'accounts', environment: 'stag', mode: 'deploy' as const };

describe('GitHub deployment reporter', () => {
  it('creates the deployment after the push, in_progress with the run, success with the record, and retires only this service\'s earlier one', async () => {
    const { port, calls } = fakePort([{ id: 50, service: 'accounts', state: 'success' }, { id: 51, service: 'cards', state: 'success' }]);
    const r = createDeploymentReporter({ port, repo, branch: 'main', headSha: async () => 'a'.repeat(40), runUrl: 'https://ghe.example.com/acme/gitops/actions/runs/9', warn: assert.fail, request });
    r.onEvent({ type: 'step-started', step: 'resolve', title: 'Resolve', at });
    r.onEvent(pushed);
    r.onEvent(finished({}));
    await r.flush();
    assert.deepEqual(calls, [
      ['deployment', 'a'.repeat(40), 'stag', 'deploy', 'accounts'],
      ['status', 100, 'in_progress', 'https://ghe.example.com/acme/gitops/actions/runs/9'],
      ['status', 100, 'success', 'https://ghe.example.com/acme/gitops/blob/main/docs/deployments/stag/r.md'],
      ['status', 50, 'inactive', undefined],
    ]);
  });

  it('does nothing for a refusal, and a failing GitHub becomes one masked warning', async () => {
    const quiet = fakePort();
    const r1 = createDeploymentReporter({ port: quiet.port, repo, branch: 'main', warn: assert.fail, request });
    r1.onEvent(finished({ kind: 'refused', record: undefined }));
    await r1.flush();
    assert.deepEqual(quiet.calls, []);

    const token = 'ghp_' + 'Z'.repeat(36);
    const broken = fakePort([], `HTTP 502 with token ${token}`);
    const warnings: string[] = [];
    const r2 = createDeploymentReporter({ port: broken.port, repo, branch: 'main', warn: (m) => warnings.push(m), env: { GITHUB_TOKEN: token }, request });
    r2.onEvent(pushed);
    r2.onEvent(finished({}));
    await r2.flush();
    assert.equal(warnings.length, 1);
    assert.ok(!warnings[0].includes(token) && warnings[0].includes('HTTP 502'), warnings[0]);
    assert.deepEqual(broken.calls, [['deployment', 'abc1234', 'stag', 'deploy', 'accounts']]);
  });

  it('builds web URLs for github.com and GitHub Enterprise', () => {
    assert.equal(serverUrlFromApi('https://api.github.com/'), 'https://github.com');
    assert.equal(serverUrlFromApi('https://ghe.example.com/api/v3'), 'https://ghe.example.com');
    assert.equal(recordBlobUrl(repo, 'main', 'docs/deployments/prod/a b.md'), 'https://ghe.example.com/acme/gitops/blob/main/docs/deployments/prod/a%20b.md');
  });
});

describe('GitHub run follower: how often it asks', () => {
  it('backs off while a run waits for approval (doubling to 30 s) and polls at pollMs in every other phase', () => {
    const o = { pollMs: 2000 };
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map((n) => nextPollMs(o, 'waiting', n)), [2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    for (const phase of ['queued', 'in_progress', 'finding'] as const) assert.equal(nextPollMs(o, phase, 9), 2000);
    assert.equal(nextPollMs({ pollMs: 60_000 }, 'waiting', 5), 60_000, 'never faster than pollMs');
  });

  it('followRun: the pauses it asks for (injected sleep) while waiting, after the approval, and after a wake', async () => {
    const statuses = ['waiting', 'waiting', 'waiting', 'waiting', 'waiting', 'waiting', 'in_progress', 'in_progress', 'completed'];
    let i = 0;
    const calls: string[] = [];
    const pending = [{ environment: 'prod', environmentId: 5, currentUserCanApprove: true, reviewers: ['alice'] }];
    const port = {
      getRun: async () => {
        calls.push('getRun');
        const status = statuses[Math.min(i++, statuses.length - 1)];
        return run({ status: status as WorkflowRunInfo['status'], conclusion: status === 'completed' ? 'success' : null });
      },
      pendingDeployments: async () => (calls.push('pending'), pending),
      listJobs: async () => (calls.push('jobs'), []),
    } as unknown as GitHubPort;
    const pauses: number[] = [];
    const result = await followRun({ port, runId: 1, pollMs: 2000, clock: { now: () => new Date() }, onEvent: () => undefined, sleep: async (ms) => void pauses.push(ms) });
    assert.equal(result.conclusion, 'success');
    assert.deepEqual(pauses, [2000, 4000, 8000, 16000, 30000, 30000, 2000, 2000]);
    // Two requests per poll while waiting (the run and its pending deployments).
    assert.equal(calls.filter((c) => c === 'pending').length, 6);
    // 3,600 requests an hour at 2 s; at the 30 s ceiling, 2 per 30 s.
    assert.equal((3600_000 / nextPollMs({ pollMs: 2000 }, 'waiting', 99)) * 2, 240);
  });

  it('a wake (the editor reviewed the run) ends the pause and starts the backoff over', async () => {
    let listener: (() => void) | undefined;
    let i = 0;
    const statuses = ['waiting', 'waiting', 'waiting', 'waiting', 'in_progress', 'completed'];
    const port = {
      getRun: async () => {
        const status = statuses[Math.min(i++, statuses.length - 1)];
        return run({ status: status as WorkflowRunInfo['status'], conclusion: status === 'completed' ? 'success' : null });
      },
      pendingDeployments: async () => [],
      listJobs: async () => [],
    } as unknown as GitHubPort;
    const pauses: number[] = [];
    await followRun({
      port, runId: 1, pollMs: 1000, clock: { now: () => new Date() }, onEvent: () => undefined,
      wake: (fn) => ((listener = fn), () => (listener = undefined)),
      sleep: (ms, signal) => {
        pauses.push(ms);
        if (pauses.length === 3) {
          // This pause is ended by a wake, not by time.
          return new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
            listener!();
          });
        }
        return Promise.resolve();
      },
    });
    assert.deepEqual(pauses, [1000, 2000, 4000, 1000, 1000]);
    assert.equal(listener, undefined, 'unsubscribed at the end');
  });
});

describe('GitHub rate limits: when to wait one out', () => {
  it('waits up to 120 s, twice; a longer wait or a third limit goes to the caller', () => {
    assert.equal(waitOutRateLimit(60, 0), true);
    assert.equal(waitOutRateLimit(120, 1), true);
    assert.equal(waitOutRateLimit(121, 0), false);
    assert.equal(waitOutRateLimit(1, 2), false);
    assert.equal(waitOutRateLimit(600, 0, { maxRateLimitWaitS: 900 }), true);
  });
});

// One describe per verification check file; each asserts the verdict's fields, not its wording.
import { strict as assert } from 'node:assert';
import { errorRate } from '../../../src/pipeline/checks/errorRate';
import { health } from '../../../src/pipeline/checks/health';
import { pods } from '../../../src/pipeline/checks/pods';
import { resources } from '../../../src/pipeline/checks/resources';
import { restarts } from '../../../src/pipeline/checks/restarts';
import { rollout } from '../../../src/pipeline/checks/rollout';
import { runningDigest } from '../../../src/pipeline/checks/runningDigest';
import { smoke } from '../../../src/pipeline/checks/smoke';
import { runAfterChecks } from '../../../src/pipeline/checks/run';
import { PortError } from '../../../src/pipeline/model/cause';
import type { StepContext } from '../../../src/pipeline/runner';
import { sha256, type TagBehaviour, type World } from '../pipelineFakes';
import { resolved, runAfter } from './harness';

const worlds: World[] = [];
/** A stag run of accounts 1.6.0, with the cluster already running it (behaving as told). */
async function running(b: TagBehaviour = {}, digest = true) {
  const r = await resolved({ behaviour: { '1.6.0': b } });
  worlds.push(r.w);
  r.w.cluster.runningTag.accounts = '1.6.0';
  if (digest) r.s.digest = sha256('accounts:1.6.0');
  return r;
}
afterEach(() => worlds.splice(0).forEach((w) => w.cleanup()));

describe('check rollout', () => {
  it('complete at the tag: passed; a crash loop: failed with the workload evidence', async () => {
    const ok = await running();
    assert.equal((await runAfter(rollout, ok.w, ok.s))?.status, 'passed');
    const bad = await running({ crashLoop: true });
    const v = await runAfter(rollout, bad.w, bad.s);
    assert.equal(v?.status, 'failed');
    assert.ok(Array.isArray(v?.evidence));
  });
  it('the Deployment cannot be read: inconclusive, never failed', async () => {
    const { w, s } = await running();
    w.cluster.getDeployment = async () => {
      throw new PortError('cluster', 'auth', 'Unauthorized', 401);
    };
    assert.equal((await runAfter(rollout, w, s))?.status, 'inconclusive');
  });
});

describe('check pods', () => {
  it('ready and running the tag: passed; not ready: failed; unreadable: inconclusive with the fault', async () => {
    const ok = await running();
    assert.equal((await runAfter(pods, ok.w, ok.s))?.status, 'passed');
    const bad = await running({ crashLoop: true });
    assert.equal((await runAfter(pods, bad.w, bad.s))?.status, 'failed');
    const blind = await running();
    blind.w.cluster.listPods = async () => {
      throw new PortError('cluster', 'auth', 'Unauthorized', 401);
    };
    const v = await runAfter(pods, blind.w, blind.s);
    assert.equal(v?.status, 'inconclusive');
    assert.deepEqual(v?.fault, { system: 'cluster', kind: 'auth' });
  });
});

describe('check restarts', () => {
  it('under the threshold: passed; over it: failed; a crash loop: failed', async () => {
    const ok = await running({ restarts: 0 });
    assert.equal((await runAfter(restarts, ok.w, ok.s))?.status, 'passed');
    const many = await running({ restarts: 9 });
    assert.equal((await runAfter(restarts, many.w, many.s))?.status, 'failed');
    const crash = await running({ crashLoop: true });
    assert.equal((await runAfter(restarts, crash.w, crash.s))?.status, 'failed');
  });
});

describe('check running-digest', () => {
  it('the verified digest runs: passed; the tag was pushed again: failed with both digests as fields', async () => {
    const ok = await running();
    assert.equal((await runAfter(runningDigest, ok.w, ok.s))?.status, 'passed');
    const again = await running({ repushed: true });
    const v = await runAfter(runningDigest, again.w, again.s);
    assert.equal(v?.status, 'failed');
    assert.deepEqual(v?.runningDigest, { verified: sha256('accounts:1.6.0'), running: [sha256('accounts:1.6.0:rebuilt')] });
  });
  it('does not apply to a tag validation did not verify (a rollback target)', async () => {
    const { w, s } = await running({}, false);
    assert.equal(await runAfter(runningDigest, w, s), undefined);
  });
});

describe('checks health and smoke', () => {
  it('UP: both passed', async () => {
    const { w, s } = await running();
    assert.equal((await runAfter(health, w, s))?.status, 'passed');
    assert.equal((await runAfter(smoke, w, s))?.status, 'passed');
  });
  it('DOWN: health failed with the health response and the pod log as evidence', async () => {
    const { w, s } = await running({ health: 'DOWN' });
    const v = await runAfter(health, w, s);
    assert.equal(v?.status, 'failed');
    assert.deepEqual(v?.evidence?.map((e) => e.kind), ['health', 'log']);
    assert.equal((await runAfter(smoke, w, s))?.status, 'failed');
  });
  it('the endpoint cannot be reached: both inconclusive (smoke not tried)', async () => {
    const { w, s } = await running();
    w.cluster.health = async () => {
      throw new PortError('cluster', 'transport', 'ECONNREFUSED');
    };
    assert.equal((await runAfter(health, w, s))?.status, 'inconclusive');
    assert.equal((await runAfter(smoke, w, s))?.status, 'inconclusive');
  });
});

describe('check error-rate', () => {
  it('under the threshold: passed; over: failed with the query as evidence; Prometheus down: inconclusive', async () => {
    const ok = await running();
    assert.equal((await runAfter(errorRate, ok.w, ok.s))?.status, 'passed');
    const bad = await running({ errorRate: 0.2 });
    const v = await runAfter(errorRate, bad.w, bad.s);
    assert.equal(v?.status, 'failed');
    assert.deepEqual(v?.evidence?.map((e) => e.kind), ['metric']);
    const down = await running();
    down.w.metrics.query = async () => {
      throw new PortError('metrics', 'transport', 'HTTP 503', 503);
    };
    const d = await runAfter(errorRate, down.w, down.s);
    assert.equal(d?.status, 'inconclusive');
    assert.deepEqual(d?.fault, { system: 'metrics', kind: 'transport' });
  });
});

describe('check resources', () => {
  it('under the limit: passed; over it: a warning (failed only with resourceFailOnExceed)', async () => {
    const ok = await running();
    assert.equal((await runAfter(resources, ok.w, ok.s))?.status, 'passed');
    const hot = await running({ cpuMilli: 490 });
    assert.equal((await runAfter(resources, hot.w, hot.s))?.status, 'warning');
  });
});

describe('the verification phase (runAfterChecks)', () => {
  it('runs every after-check in registry order; two failures from one gathering show the evidence once', async () => {
    const { w, s } = await running({ crashLoop: true });
    const ctx = { ports: w.ports, signal: new AbortController().signal, clock: w.clock, deadline: Date.now() + 60_000, log: () => undefined, emit: () => undefined } as StepContext<'cluster' | 'metrics'>;
    const { results } = await runAfterChecks('after', s, '1.6.0', ctx);
    assert.deepEqual(results.map((r) => r.name), ['pods', 'restarts', 'running-digest', 'health', 'smoke', 'error-rate', 'resources']);
    const p = results.find((r) => r.name === 'pods')!;
    const r = results.find((x) => x.name === 'restarts')!;
    assert.equal(p.status, 'failed');
    assert.equal(r.status, 'failed');
    assert.ok(p.evidence?.length);
    assert.equal(r.evidence, undefined);
    assert.equal(r.evidenceFrom, 'pods');
  });
});

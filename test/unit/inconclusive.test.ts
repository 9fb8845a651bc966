// "Could not observe" is its own outcome: each verification check says passed / failed /
// inconclusive, and an inconclusive verification holds for a human (or rolls back by policy),
// never a blind rollback reported as failed.
import * as assert from 'node:assert/strict';
import { runDeployment } from '../../src/pipeline/deploy';
import { parseRecord } from '../../src/pipeline/model/records';
import { PortError } from '../../src/pipeline/model/cause';
import { observe } from '../../src/pipeline/observe';
import { renderCommand } from '../../src/pipeline/outcome';
import { WaitTimeoutError, type AppStatus } from '../../src/pipeline/ports';
import { depsOf, makeWorld, type World, type WorldOptions } from './pipelineFakes';

let w: World;
afterEach(() => w?.cleanup());

function world(o: WorldOptions = {}) {
  w = makeWorld(o);
  return w;
}

const PROM = 'verification:\n  prometheusUrl: http://127.0.0.1:9090\n';

function deploy(tag = '1.6.0') {
  return runDeployment({ service: 'accounts', environment: 'stag', tag, reason: 'CHG-7' }, depsOf(w));
}

function check(out: { checks: { name: string; status: string }[] }, name: string) {
  return out.checks.find((c) => c.name === name)?.status;
}

function newRecord(env = 'stag') {
  const files = w.recordFiles(env).filter((f) => !f.startsWith('20261119'));
  assert.equal(files.length, 1, files.join(', '));
  const rel = `docs/deployments/${env}/${files[0]}`;
  return parseRecord(w.read(rel), rel);
}

/** The fault starts once the change is on origin: the pre-flight saw every system healthy. */
const pushed = () => w.git.remote.some((c) => c.message.startsWith('Deploy'));

const subjects = () => w.git.remote.map((c) => c.message.split('\n')[0].split(':')[0]);

describe('inconclusive verification', () => {
  describe('observe()', () => {
    it('retries a failing read with backoff and returns the value once it answers', async () => {
      let calls = 0;
      const pauses: number[] = [];
      const r = await observe(
        async () => {
          if (++calls < 3) throw new Error('HTTP 503');
          return 42;
        },
        { signal: new AbortController().signal, sleep: async (ms) => void pauses.push(ms) },
      );
      assert.deepEqual(r, { ok: true, value: 42 });
      assert.deepEqual(pauses, [250, 500]);
    });

    it('gives up after the tries as data (not a throw), and rethrows an abort', async () => {
      const r = await observe(async () => Promise.reject(new Error('connection refused')), { signal: new AbortController().signal, sleep: async () => undefined, attempts: 2 });
      assert.deepEqual(r, { ok: false, error: 'connection refused', attempts: 2 });
      const c = new AbortController();
      c.abort(new Error('step timed out'));
      await assert.rejects(observe(async () => 1, { signal: c.signal, sleep: async () => undefined }), /step timed out/);
    });
  });

  describe('Prometheus cannot be read', () => {
    beforeEach(() => {
      world({ config: PROM });
      const query = w.metrics.query.bind(w.metrics);
      w.metrics.query = async (q) => {
        if (pushed()) throw new Error('Prometheus query failed (HTTP 503)');
        return query(q);
      };
    });

    it('holds by default: nothing rolled back, exit 4 "inconclusive", the record says inconclusive, the decision is data', async () => {
      const out = await deploy();
      assert.equal(out.kind, 'inconclusive', out.message);
      assert.equal(out.exitCode, 4);
      assert.equal(check(out, 'error-rate'), 'inconclusive');
      assert.equal(check(out, 'health'), 'passed');
      assert.equal(check(out, 'rollback'), undefined);
      assert.deepEqual(subjects(), ['init', 'Deploy accounts to stag', 'Record accounts 1.6.0 in stag']);
      assert.ok(!subjects().some((s) => s.startsWith('Rollback')), subjects().join(' | '));
      assert.equal(out.rollbackCommit, undefined);
      assert.equal(newRecord().status, 'inconclusive');
      assert.deepEqual(out.decision?.unobserved, ['error-rate']);
      assert.ok(out.decision?.observed.includes('health'));
      assert.equal(renderCommand(out.decision!.recheck), 'gitops-deploy verify accounts --env stag');
      assert.deepEqual(out.decision?.rollback, { command: 'rollback', service: 'accounts', environment: 'stag', to: '1.5.0', reason: 'verification of 1.6.0 was inconclusive' });
      assert.equal(w.notifier.events.at(-1)?.kind, 'inconclusive');
    });

    it('with onInconclusive: rollback it rolls back, and a rollback whose metric cannot be read is inconclusive, never failed', async () => {
      w.cleanup();
      world({ config: `${PROM}  onInconclusive: rollback\n` });
      const query = w.metrics.query.bind(w.metrics);
      w.metrics.query = async (q) => {
        if (pushed()) throw new Error('Prometheus query failed (HTTP 503)');
        return query(q);
      };
      const out = await deploy();
      assert.equal(out.kind, 'inconclusive', out.message);
      assert.equal(out.exitCode, 4);
      assert.ok(out.rollbackCommit, 'the rollback was pushed');
      assert.equal(check(out, 'rollback'), 'inconclusive');
      assert.equal(check(out, 'rollback-error-rate'), 'inconclusive');
      assert.equal(out.manualFix, undefined, 'not a ROLLBACK FAILED');
      assert.equal(newRecord().status, 'inconclusive');
      assert.equal(out.decision?.rollback, undefined, 'already rolled back: only the re-check is offered');
    });

    it('with onInconclusive: rollback and Prometheus back for the rollback: rolled back, exit 3', async () => {
      w.cleanup();
      world({ config: `${PROM}  onInconclusive: rollback\n` });
      let calls = 0;
      w.metrics.query = async () => {
        if (pushed() && ++calls <= 3) throw new Error('HTTP 503');
        return 0.001;
      };
      const out = await deploy();
      assert.equal(out.kind, 'rolled-back', out.message);
      assert.equal(out.exitCode, 3);
      assert.equal(check(out, 'rollback'), 'passed');
      assert.equal(newRecord().status, 'rolled-back');
    });
  });

  it('a measured 5xx ratio over the threshold still fails and rolls back (observed, not inconclusive)', async () => {
    world({ config: PROM, behaviour: { '1.6.0': { errorRate: 0.3 } } });
    const out = await deploy();
    assert.equal(out.kind, 'rolled-back');
    assert.equal(check(out, 'error-rate'), 'failed');
  });

  it('the Kubernetes API refusing the token during the rollout: inconclusive, held, not rolled back', async () => {
    world({ config: PROM });
    const real = w.cluster.getDeployment.bind(w.cluster);
    let synced = false;
    const argoWait = w.argo.waitFor.bind(w.argo);
    w.argo.waitFor = async (...a: Parameters<typeof argoWait>) => {
      const r = await argoWait(...a);
      synced = true;
      return r;
    };
    w.cluster.getDeployment = async (ns, name) => {
      if (synced) throw new PortError('cluster', 'auth', 'Kubernetes API: Unauthorized (401)', 401);
      return real(ns, name);
    };
    const out = await deploy();
    assert.equal(out.kind, 'inconclusive', out.message);
    assert.equal(check(out, 'rollout'), 'inconclusive');
    assert.ok(!subjects().some((s) => s.startsWith('Rollback')));
  });

  it('the health route answering 404 without an actuator status is inconclusive (health cannot be judged)', async () => {
    world({ config: PROM });
    const health = w.cluster.health.bind(w.cluster);
    w.cluster.health = async (...a: Parameters<typeof health>) => (pushed() ? { httpStatus: 404, body: '{"status":404,"error":"Not Found"}', downComponents: [] } : health(...a));
    const out = await deploy();
    assert.equal(out.kind, 'inconclusive', out.message);
    assert.equal(check(out, 'health'), 'inconclusive');
    assert.equal(check(out, 'smoke'), 'inconclusive');
  });

  it('a DOWN health is observed: failed and rolled back', async () => {
    world({ config: PROM, behaviour: { '1.6.0': { health: 'DOWN' } } });
    const out = await deploy();
    assert.equal(out.kind, 'rolled-back');
    assert.equal(check(out, 'health'), 'failed');
  });

  describe('the Argo CD wait decides on the object, not on the transport', () => {
    it('the wait failing (watch broken) while a GET shows Synced/Healthy at the commit: deployed', async () => {
      world({ config: PROM });
      w.argo.waitFor = async () => {
        throw new Error('watch: 500 Internal Server Error');
      };
      const out = await deploy();
      assert.equal(out.kind, 'deployed', out.message);
      assert.equal(check(out, 'sync'), 'passed');
    });

    it('a timeout with the object readable and not synced: failed (the object says so) and rolled back', async () => {
      world({ config: PROM });
      const get = w.argo.get.bind(w.argo);
      w.argo.get = async (ns, app) => ({ ...(await get(ns, app)), syncStatus: 'OutOfSync', healthStatus: 'Progressing' }) as AppStatus;
      w.argo.waitFor = async () => {
        throw new WaitTimeoutError('timed out');
      };
      const out = await deploy();
      assert.equal(check(out, 'sync'), 'failed');
    });

    it('neither the watch nor a GET can read the Application: inconclusive, held', async () => {
      world({ config: PROM });
      w.argo.waitFor = async () => {
        throw new PortError('cluster', 'auth', 'Kubernetes API: Unauthorized (401)', 401);
      };
      const get = w.argo.get.bind(w.argo);
      w.argo.get = async (ns, app) => {
        if (pushed()) throw new PortError('cluster', 'auth', 'Kubernetes API: Unauthorized (401)', 401);
        return get(ns, app);
      };
      const out = await deploy();
      assert.equal(out.kind, 'inconclusive', out.message);
      assert.equal(check(out, 'sync'), 'inconclusive');
      assert.ok(!subjects().some((s) => s.startsWith('Rollback')));
    });
  });
});

describe('pre-flight: before any change', () => {
  it('Prometheus not answering refuses with exit 2, names the system, the credential source and the fix; nothing changed', async () => {
    world({ config: PROM });
    w.metrics.query = async () => {
      throw new Error('Prometheus query failed (HTTP 503)');
    };
    const remote = w.git.remote.length;
    const out = await deploy();
    assert.equal(out.kind, 'refused', out.message);
    assert.equal(out.exitCode, 2);
    assert.equal(w.git.remote.length, remote);
    assert.equal(w.git.local.length, remote);
    const prom = out.preflight?.find((r) => r.system === 'prometheus');
    assert.equal(prom?.status, 'failed');
    assert.ok(prom?.fix);
    assert.deepEqual(out.preflight?.filter((r) => r.status === 'failed').map((r) => r.system), ['prometheus']);
  });

  it('a denied patch on the Application (SelfSubjectAccessReview) refuses, naming argocd and the permission', async () => {
    world({ config: PROM });
    w.cluster.denied.add('patch applications.argoproj.io');
    const out = await deploy();
    assert.equal(out.exitCode, 2);
    const argo = out.preflight?.find((r) => r.system === 'argocd' && r.check === 'permissions');
    assert.equal(argo?.status, 'failed');
    assert.match(argo!.detail, /patch applications\.argoproj\.io "accounts-stag" in argocd/);
    assert.equal(argo?.credentialSource, 'kubeconfig /fake/kubeconfig, context "fake", user "alice" (token)');
  });

  it('a query that returns no series refuses (the error rate could never be judged)', async () => {
    world({ config: PROM });
    w.metrics.query = async (): Promise<number | undefined> => undefined;
    const out = await deploy();
    assert.equal(out.exitCode, 2);
    assert.equal(out.preflight?.find((r) => r.system === 'prometheus')?.status, 'failed');
  });

  it('the dry run plan carries the pre-flight results as fields', async () => {
    world({ config: PROM });
    const out = await runDeployment({ service: 'accounts', environment: 'stag', tag: '1.6.0', dryRun: true }, depsOf(w));
    assert.equal(out.kind, 'dry-run');
    assert.deepEqual(out.plan?.preflight?.map((r) => `${r.system}/${r.check}:${r.status}`), ['kubernetes/deployment:passed', 'kubernetes/permissions:passed', 'argocd/application:passed', 'argocd/permissions:passed', 'prometheus/query:passed', 'health/route:passed']);
  });
});

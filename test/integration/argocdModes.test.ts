// Argo CD where it lives, through the built CLI against the sandbox: the Applications in the workload
// cluster (same context), in a management cluster (argocd.kubeContext; the workload cluster has none),
// and behind the Argo CD API server stand-in (argocd.server; token from the argocd login file or
// ARGOCD_AUTH_TOKEN), including a stream broken mid-wait and tokens that are refused or withheld.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { cli, git, newRecordOnOrigin, originLog, recordsOnOrigin, sandboxPerTest } from './helpers/cli';
import { loadK8s } from './helpers/sandbox';

function scenario(argocd?: Scenario['argocd'], syncSeconds = 0): Scenario {
  return {
    signature: 'classic',
    services: { accounts: { images: { '1.4.0': {}, '1.5.0': { ...(syncSeconds ? { syncSeconds } : {}) } } } },
    environments: { dev: { accounts: '1.5.0' }, stag: { accounts: '1.4.0' } },
    timing: { podReadySeconds: 0, syncSeconds: 0, runStepSeconds: 0, progressDeadlineSeconds: 5 },
    ...(argocd ? { argocd } : {}),
  };
}

async function repoConfig(sb: Sandbox): Promise<any> {
  return YAML.parse(await git(['show', 'main:.gitops-deploy.yaml'], sb.originDir));
}

/** deploy accounts 1.5.0 to stag with --json: exit code, the JSON outcome and the new record on origin. */
async function deploy(sb: Sandbox, opts: { env?: Record<string, string>; drop?: string[] } = {}): Promise<{ code: number; out: any; stderr: string }> {
  const r = await cli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--reason', 'CHG-15', '--json'], opts);
  let out: any;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    assert.fail(`not JSON (exit ${r.code}): ${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
  return { code: r.code, out, stderr: r.stderr };
}

async function assertDeployed(sb: Sandbox, before: string[], r: { code: number; out: any; stderr: string }): Promise<void> {
  assert.equal(r.code, 0, JSON.stringify(r.out).slice(-2000) + r.stderr.slice(-1000));
  assert.equal(r.out.kind, 'deployed');
  const rec = await newRecordOnOrigin(sb, 'stag', before);
  assert.equal(rec.status, 'succeeded');
  assert.equal(rec.tag, '1.5.0');
  assert.equal(rec.previousTag, '1.4.0');
  assert.equal(rec.commit, r.out.commit);
  assert.equal(rec.checks.find((c) => c.name === 'preflight-argocd')?.status, 'passed');
  assert.equal(rec.checks.find((c) => c.name === 'preflight-argocd-permissions')?.status, 'passed');
  const app = sb.app('accounts', 'stag')!;
  assert.ok(app.status.history.some((h: { revision: string }) => h.revision === r.out.commit), 'Argo CD deployed the commit');
  assert.equal(app.status.health.status, 'Healthy');
}

describe('Argo CD where it lives: same context, another context, the API server (CLI + sandbox)', function () {
  this.timeout(180_000);
  const box = sandboxPerTest('argocd-modes-');

  it('same context: the Applications next to the workloads (no argocd.server / kubeContext)', async () => {
    const sb = await box.start(scenario());
    const cfg = (await repoConfig(sb)).environments.find((e: any) => e.name === 'stag');
    assert.equal(cfg.argocd.server, undefined);
    assert.equal(cfg.argocd.kubeContext, undefined);
    assert.equal(sb.endpoints.kubernetesMgmt, undefined);
    const before = await recordsOnOrigin(sb, 'stag');
    await assertDeployed(sb, before, await deploy(sb));
  });

  it('another context (hub-and-spoke): the workload cluster has no Applications, argocd.kubeContext reads and syncs them in the management cluster', async () => {
    const sb = await box.start(scenario({ cluster: 'separate' }));
    assert.equal(sb.kubeMgmtContext, 'sandbox-mgmt');
    assert.equal((await repoConfig(sb)).environments.find((e: any) => e.name === 'stag').argocd.kubeContext, 'sandbox-mgmt');
    // As in a real workload cluster: the argoproj.io group does not exist there; the management cluster serves it (and no workloads).
    const k8s = await loadK8s();
    const custom = (context: string) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(sb.kubeconfigPath);
      kc.setCurrentContext(context);
      return { custom: kc.makeApiClient(k8s.CustomObjectsApi), apps: kc.makeApiClient(k8s.AppsV1Api) };
    };
    const workload = custom('sandbox');
    const mgmt = custom('sandbox-mgmt');
    const list = { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' };
    await assert.rejects(workload.custom.listNamespacedCustomObject(list), (e: any) => e.code === 404);
    const apps = (await mgmt.custom.listNamespacedCustomObject(list)) as { items: { metadata: { name: string } }[] };
    assert.ok(apps.items.some((a) => a.metadata.name === 'accounts-stag'), JSON.stringify(apps.items.map((a) => a.metadata.name)));
    await assert.rejects(mgmt.apps.readNamespacedDeployment({ name: 'accounts-deployment', namespace: 'stag' }), (e: any) => e.code === 404);
    assert.equal((await workload.apps.readNamespacedDeployment({ name: 'accounts-deployment', namespace: 'stag' })).metadata?.name, 'accounts-deployment');

    const before = await recordsOnOrigin(sb, 'stag');
    await assertDeployed(sb, before, await deploy(sb));
  });

  it('the Argo CD API server: token from the argocd login file; deploy, then retry-sync and its Open in Argo CD link', async () => {
    const sb = await box.start(scenario({ cluster: 'separate', api: true }));
    const api = sb.argocdApi!;
    assert.equal((await repoConfig(sb)).environments.find((e: any) => e.name === 'stag').argocd.server, api.url);
    const before = await recordsOnOrigin(sb, 'stag');
    // Only the login file (ARGOCD_CONFIG_DIR/config) carries the token here.
    await assertDeployed(sb, before, await deploy(sb, { drop: ['ARGOCD_AUTH_TOKEN'] }));
    assert.ok(api.server.stats.requests > 0, JSON.stringify(api.server.stats));
    assert.equal(api.server.stats.unauthorized, 0);

    const retried = await cli(sb, ['retry-sync', 'accounts', '--env', 'stag', '--json'], { drop: ['ARGOCD_AUTH_TOKEN'] });
    assert.equal(retried.code, 0, retried.stdout.slice(-1500) + retried.stderr.slice(-1000));
    const out = JSON.parse(retried.stdout);
    assert.equal(out.ok, true, retried.stdout);
    assert.equal(out.link, `${api.url}/applications/argocd/accounts-stag`, 'Open in Argo CD goes to the server (argocd.url defaults to argocd.server)');
    assert.equal(out.evidence.length, 0);
  });

  it('the Argo CD API server: a failing sync is rolled back through POST …/sync (the account as initiator, the actor in its info)', async () => {
    const sb = await box.start({ ...scenario({ cluster: 'separate', api: true }), services: { accounts: { images: { '1.4.0': {}, '1.5.0': { syncFail: true } } } } });
    const api = sb.argocdApi!;
    const before = await recordsOnOrigin(sb, 'stag');
    const r = await deploy(sb);
    assert.equal(r.code, 3, JSON.stringify(r.out).slice(-2000) + r.stderr.slice(-1000));
    const rec = await newRecordOnOrigin(sb, 'stag', before);
    assert.equal(rec.status, 'rolled-back');
    assert.ok(rec.rollbackCommit);
    assert.ok(api.server.stats.syncs >= 1, JSON.stringify(api.server.stats));
    const app = sb.app('accounts', 'stag')!;
    assert.ok(app.status.history.some((h: { revision: string }) => h.revision === rec.rollbackCommit), 'Argo CD deployed the rollback commit');
    const op = app.status.operationState;
    assert.equal(op.operation.initiatedBy.username, 'sandbox-user', 'the API server records its account as the initiator');
    assert.ok(op.operation.info.some((i: any) => i.name === 'Requested by'), JSON.stringify(op.operation));
  });

  it('the API server\'s stream breaks mid-wait: re-read, reconnected, the deploy still succeeds', async () => {
    const sb = await box.start(scenario({ cluster: 'separate', api: true }, 4));
    const api = sb.argocdApi!;
    const before = await recordsOnOrigin(sb, 'stag');
    const running = deploy(sb);
    // The first stream the run opens (its wait for the 4 s sync) is broken at once, mid-response.
    const opened = await Promise.race([once(api.server.events, 'stream-opened').then(() => true), running.then(() => false)]);
    assert.ok(opened, 'the run waited on the stream');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(api.server.breakStreams(), 1, 'one stream was open and was broken');
    const r = await running;
    await assertDeployed(sb, before, r);
    assert.ok(api.server.stats.streamsBroken >= 1, JSON.stringify(api.server.stats));
    assert.ok(api.server.stats.streamsOpened >= 2, `the stream was re-opened: ${JSON.stringify(api.server.stats)}`);
  });

  it('fault switch argocd-stream-breaks (over HTTP): every stream breaks after its first events; the re-reads still see the sync through', async () => {
    const sb = await box.start(scenario({ api: true }, 1));
    const api = sb.argocdApi!;
    const sw = await fetch(`${sb.endpoints.ecr}/sandbox/fault`, { method: 'POST', body: JSON.stringify({ name: 'argocd-stream-breaks', on: true }) });
    assert.equal(sw.status, 200);
    const before = await recordsOnOrigin(sb, 'stag');
    await assertDeployed(sb, before, await deploy(sb));
    assert.ok(api.server.stats.streamsBroken >= 1 && api.server.stats.streamsBroken === api.server.stats.streamsOpened, JSON.stringify(api.server.stats));
  });

  it('a refused token (401): refused before any change, exit 2, the Argo CD pre-flight failed with an auth cause', async () => {
    const sb = await box.start(scenario({ api: true }));
    const head = (await originLog(sb))[0];
    const r = await deploy(sb, { env: { ARGOCD_AUTH_TOKEN: 'argocd-not-the-token' } });
    assert.equal(r.code, 2, JSON.stringify(r.out).slice(-2000));
    assert.equal(r.out.kind, 'refused');
    const failed = r.out.preflight.filter((x: any) => x.status === 'failed');
    const app = failed.find((x: any) => x.system === 'argocd' && x.check === 'application');
    assert.ok(app, JSON.stringify(r.out.preflight, null, 1));
    assert.deepEqual(app.fault, { kind: 'auth', httpStatus: 401 });
    assert.match(app.fix, /argocd login 127\.0\.0\.1:\d+ --sso/);
    assert.equal(app.credentialSource.includes('ARGOCD_AUTH_TOKEN'), true, app.credentialSource);
    assert.ok(sb.argocdApi!.server.stats.unauthorized >= 1);
    assert.equal((await originLog(sb))[0], head, 'origin is untouched');
    assert.ok(!JSON.stringify(r.out).includes('argocd-not-the-token') && !r.stderr.includes('argocd-not-the-token'), 'the token is never printed');
  });

  it('a repository-named server that is not trusted gets no token: refused, and the server saw no request', async () => {
    const sb = await box.start(scenario({ api: true }));
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'argocd-home-'));
    try {
      // ARGOCD_SERVER is the user's trust in that host; without it (and without a login for it) ARGOCD_AUTH_TOKEN stays home.
      const r = await deploy(sb, { drop: ['ARGOCD_SERVER', 'ARGOCD_CONFIG_DIR'], env: { HOME: home } });
      assert.equal(r.code, 2, JSON.stringify(r.out).slice(-2000));
      const app = r.out.preflight.find((x: any) => x.system === 'argocd' && x.check === 'application');
      assert.equal(app.status, 'failed');
      assert.deepEqual(app.fault, { kind: 'auth' }, 'withheld: no HTTP status, nothing was sent');
      assert.match(app.detail, /not trusted/);
      assert.equal(sb.argocdApi!.server.stats.requests, 0, 'nothing was sent to the untrusted host');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

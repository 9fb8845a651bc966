import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type * as K8sNs from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { BatchGetImageCommand, DescribeImagesCommand, GetDownloadUrlForLayerCommand, ListImagesCommand } from '@aws-sdk/client-ecr';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { getWithCa } from '../../sandbox/http';
import { GitHubActionsClient } from '../../src/clients/githubActions';
import { BASE_SCENARIO, ecrClient, kubeClients, octokit, pushTag, tempDir, watchUntil, type KubeClients } from './helpers/sandbox';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications' };
let k8s: KubeClients['k8s'];
let mergePatch: ReturnType<KubeClients['k8s']['setHeaderOptions']>;

async function apiError(p: Promise<unknown>): Promise<K8sNs.ApiException<any>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof k8s.ApiException, `expected ApiException, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

const statusBody = (e: K8sNs.ApiException<any>): any => (typeof e.body === 'string' ? JSON.parse(e.body) : e.body);

/** Application state where Argo CD is really done with revision sha (domain-facts.md). */
function doneAt(app: any, sha: string): boolean {
  const s = app?.status;
  return s?.sync?.status === 'Synced' && s.sync.revision === sha && s.operationState?.phase === 'Succeeded' && s.operationState.syncResult?.revision === sha
    && s.health?.status === 'Healthy' && Date.parse(s.reconciledAt) >= Date.parse(s.operationState.finishedAt);
}

describe('sandbox', function () {
  this.timeout(30000);
  let sb: Sandbox;
  let k: KubeClients;
  let dir: string;

  before(async () => {
    dir = tempDir();
    sb = await startSandbox({ dir, scenario: BASE_SCENARIO });
    k = await kubeClients(sb);
    k8s = k.k8s;
    mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('repository', () => {
    it('has values files, config pointing at the sandbox, cosign.pub and records', () => {
      const cfg = fs.readFileSync(path.join(sb.repoDir, '.gitops-deploy.yaml'), 'utf8');
      assert.match(cfg, new RegExp(sb.endpoints.ecr));
      // The kubeconfig is the user's (KUBECONFIG in sandbox.env), never named by the repository.
      assert.ok(!cfg.includes(sb.kubeconfigPath) && !/kubeconfig:/.test(cfg), cfg);
      assert.equal(fs.readFileSync(path.join(sb.repoDir, 'cosign.pub'), 'utf8'), sb.trustedPublicKeyPem);
      assert.match(fs.readFileSync(path.join(sb.repoDir, 'helm/environments/stag-env/image-tags.yaml'), 'utf8'), /accounts:\n {2}image:\n(.*\n)? {4}tag: "1\.4\.0"/);
      const records = fs.readdirSync(path.join(sb.repoDir, 'docs/deployments/stag'));
      assert.ok(records.some((f) => /^\d{8}T\d{6}Z-accounts\.md$/.test(f)));
    });
  });

  describe('Kubernetes API', () => {
    it('lists namespaces, deployments, pods and services with selectors', async () => {
      const ns = await k.core.listNamespace();
      assert.ok(['default', 'argocd', 'stag'].every((n) => ns.items.some((x) => x.metadata?.name === n)));
      const deps = await k.apps.listNamespacedDeployment({ namespace: 'stag' });
      const acc = deps.items.find((d) => d.metadata?.name === 'accounts-deployment')!;
      assert.equal(acc.spec?.template.spec?.containers[0].image, '123456789012.dkr.ecr.us-east-1.amazonaws.com/accounts:1.4.0');
      assert.equal(acc.status?.readyReplicas, 2);
      assert.ok(Number(deps.metadata?.resourceVersion) > 0);
      const pods = await k.core.listNamespacedPod({ namespace: 'stag', labelSelector: 'app=accounts' });
      assert.equal(pods.items.length, 2);
      assert.ok(pods.items.every((p) => p.status?.containerStatuses?.[0].ready));
      const byName = await k.apps.listNamespacedDeployment({ namespace: 'stag', fieldSelector: 'metadata.name=cards-deployment' });
      assert.deepEqual(byName.items.map((d) => d.metadata?.name), ['cards-deployment']);
      const svc = await k.core.readNamespacedService({ name: 'accounts', namespace: 'stag' });
      assert.equal(svc.spec?.ports?.[0].port, 8080);
      const rs = await k.apps.listNamespacedReplicaSet({ namespace: 'stag', labelSelector: 'app in (accounts)' });
      assert.equal(rs.items.length, 1);
    });

    it('lists Applications Synced and Healthy at origin HEAD', async () => {
      const list: any = await k.custom.listNamespacedCustomObject({ ...APPS, labelSelector: 'environment=stag' });
      assert.equal(list.items.length, 4);
      for (const app of list.items) assert.ok(doneAt(app, sb.headSha()), `${app.metadata.name} not done at HEAD`);
    });

    it('answers 404, 409 and 422 with Status bodies', async () => {
      const e404 = await apiError(k.apps.readNamespacedDeployment({ name: 'nope', namespace: 'stag' }));
      assert.equal(e404.code, 404);
      assert.deepEqual({ ...statusBody(e404), details: undefined }, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'deployments.apps "nope" not found', reason: 'NotFound', code: 404, details: undefined });
      assert.deepEqual(statusBody(e404).details, { name: 'nope', group: 'apps', kind: 'deployments' });

      const app: any = await k.custom.getNamespacedCustomObject({ ...APPS, name: 'cards-stag' });
      const stale = String(Number(app.metadata.resourceVersion) - 1);
      const e409 = await apiError(k.custom.patchNamespacedCustomObject({ ...APPS, name: 'cards-stag', body: { metadata: { resourceVersion: stale, labels: { x: 'y' } } } }, mergePatch));
      assert.equal(e409.code, 409);
      assert.equal(statusBody(e409).reason, 'Conflict');

      const e422 = await apiError(k.custom.patchNamespacedCustomObject({ ...APPS, name: 'cards-stag', body: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }] }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch)));
      assert.equal(e422.code, 422);
      assert.equal(statusBody(e422).reason, 'Invalid');
      const ok: any = await k.custom.patchNamespacedCustomObject({ ...APPS, name: 'cards-stag', body: { metadata: { resourceVersion: app.metadata.resourceVersion, labels: { team: 'cards' } } } }, mergePatch);
      assert.equal(ok.metadata.labels.team, 'cards');
    });

    it('serves discovery, metrics.k8s.io and injected faults', async () => {
      const groups = await k.kc.makeApiClient(k8s.ApisApi).getAPIVersions();
      assert.ok(groups.groups.some((g) => g.name === 'argoproj.io'));
      const pm = await k.metrics.getPodMetrics('stag');
      assert.ok(pm.items.length >= 8);
      assert.match(pm.items[0].containers[0].usage.cpu, /^\d+n$/);
      sb.setFault('kubernetes', 'GET /apis/apps/v1/namespaces/stag/deployments/loans-deployment', { code: 500, times: 1 });
      const e500 = await apiError(k.apps.readNamespacedDeployment({ name: 'loans-deployment', namespace: 'stag' }));
      assert.equal(e500.code, 500);
      assert.equal(statusBody(e500).reason, 'InternalError');
      await k.apps.readNamespacedDeployment({ name: 'loans-deployment', namespace: 'stag' });
    });

    it('replays watch events since a resourceVersion and ends at timeoutSeconds', async () => {
      const list: any = await k.custom.listNamespacedCustomObject({ ...APPS });
      const rv = list.metadata.resourceVersion;
      await k.custom.patchNamespacedCustomObject({ ...APPS, name: 'gateway-dev', body: { metadata: { annotations: { note: 'hello' } } } }, mergePatch);
      const seen = await watchUntil(k.watch, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', { resourceVersion: rv, timeoutSeconds: '5' }, (t, o) => t === 'MODIFIED' && o.metadata.name === 'gateway-dev');
      assert.ok(seen.every((e) => Number(e.obj.metadata.resourceVersion) > Number(rv)));
      const t0 = Date.now();
      await new Promise<void>((resolve, reject) => {
        k.watch.watch('/api/v1/namespaces/stag/pods', { timeoutSeconds: 1, resourceVersion: String(sb.world.store.resourceVersion) }, () => undefined, (err) => (err ? reject(err) : resolve())).catch(reject);
      });
      assert.ok(Date.now() - t0 < 3000);
    });
  });

  describe('Argo CD', () => {
    it('follows a push to origin: OutOfSync → Running → Synced/Healthy, Deployment rolled', async () => {
      const rolled = sb.waitFor<any>('rollout-finished', (e) => e.env === 'stag' && e.service === 'accounts');
      const podsDuringRollout: string[][] = [];
      const onDep = (e: any): void => {
        if (e.env === 'stag' && e.service === 'accounts') podsDuringRollout.push(sb.world.allPods('stag', 'accounts').map((p) => p.tag));
      };
      sb.events.on('deployment-updated', onDep);
      const before: any = await k.custom.listNamespacedCustomObject({ ...APPS });
      const sha = await pushTag(sb, 'stag', 'accounts', '1.5.0');
      // replay from the list's resourceVersion: no transition is missed however fast the world moves
      const seen = await watchUntil(k.watch, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', { fieldSelector: 'metadata.name=accounts-stag', resourceVersion: before.metadata.resourceVersion }, (_t, o) => doneAt(o, sha));
      sb.events.off('deployment-updated', onDep);
      const states = seen.map((e) => `${e.obj.status.sync.status}/${e.obj.status.operationState?.phase}/${e.obj.status.health.status}`);
      const idx = (re: RegExp): number => states.findIndex((s) => re.test(s));
      assert.ok(idx(/^OutOfSync\//) >= 0, states.join(' '));
      assert.ok(idx(/\/Running\//) > idx(/^OutOfSync\//), states.join(' '));
      assert.ok(idx(/^Synced\/Succeeded\/Progressing/) > idx(/\/Running\//), states.join(' '));
      const last = seen[seen.length - 1].obj;
      assert.equal(last.status.history[last.status.history.length - 1].revision, sha);
      assert.ok((await rolled).ok);
      const dep = await k.apps.readNamespacedDeployment({ name: 'accounts-deployment', namespace: 'stag' });
      assert.match(dep.spec?.template.spec?.containers[0].image ?? '', /:1\.5\.0$/);
      assert.equal(dep.status?.observedGeneration, dep.metadata?.generation);
      assert.equal(dep.status?.updatedReplicas, 2);
      assert.equal(dep.status?.availableReplicas, 2);
      assert.ok(podsDuringRollout.some((tags) => tags.includes('1.4.0') && tags.includes('1.5.0')), 'old and new pods coexist during the rollout');
      const rs = await k.apps.listNamespacedReplicaSet({ namespace: 'stag', labelSelector: 'app=accounts' });
      assert.deepEqual(rs.items.map((r) => r.spec?.replicas).sort(), [0, 2]);
      const pods = await k.core.listNamespacedPod({ namespace: 'stag', labelSelector: 'app=accounts' });
      assert.ok(pods.items.every((p) => p.spec?.containers[0].image?.endsWith(':1.5.0') && p.metadata?.labels?.['pod-template-hash']));
    });

    it('syncs on a patched .operation and clears it; removes the refresh annotation', async () => {
      const sha = sb.headSha();
      await k.custom.patchNamespacedCustomObject({ ...APPS, name: 'cards-prod', body: { operation: { initiatedBy: { username: 'alice', automated: false }, info: [{ name: 'Reason', value: 'test' }], sync: { revision: sha } } } }, mergePatch);
      const seen = await watchUntil(k.watch, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', { fieldSelector: 'metadata.name=cards-prod' }, (_t, o) => o.status.operationState?.operation?.initiatedBy?.username === 'alice' && o.status.operationState.phase === 'Succeeded');
      assert.equal(seen[seen.length - 1].obj.operation, undefined);
      await k.custom.patchNamespacedCustomObject({ ...APPS, name: 'cards-prod', body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } } } }, mergePatch);
      await watchUntil(k.watch, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', { fieldSelector: 'metadata.name=cards-prod' }, (_t, o) => !o.metadata.annotations?.['argocd.argoproj.io/refresh']);
    });

    it('reports a failed sync (syncFail) with a SyncError condition', async () => {
      const sha = await pushTag(sb, 'stag', 'cards', '2.2.0');
      assert.ok(sha);
      sb.setScenario({ ...BASE_SCENARIO, services: { ...BASE_SCENARIO.services, cards: { images: { '2.1.0': {}, '2.2.0': { syncFail: true } } } } });
      // the push above already synced 2.2.0 fine; a failing tag now:
      const sha2 = await pushTag(sb, 'stag', 'accounts', '1.7.1');
      const seen = await watchUntil(k.watch, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', { fieldSelector: 'metadata.name=accounts-stag' }, (_t, o) => o.status.operationState?.syncResult?.revision === sha2 && o.status.operationState.phase === 'Failed');
      const app = seen[seen.length - 1].obj;
      assert.equal(app.status.sync.status, 'OutOfSync');
      assert.equal(app.status.conditions[0].type, 'SyncError');
      sb.setScenario(BASE_SCENARIO);
    });

    it('crash-looping pods: CrashLoopBackOff, BackOff events, logs, ProgressDeadlineExceeded, Degraded', async () => {
      const sha = await pushTag(sb, 'dev', 'accounts', '1.6.1');
      const seen = await watchUntil(k.watch, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', { fieldSelector: 'metadata.name=accounts-dev' }, (_t, o) => o.status.sync.revision === sha && o.status.health.status === 'Degraded', 15000);
      assert.match(seen[seen.length - 1].obj.status.health.message, /progress deadline/);
      const dep = await k.apps.readNamespacedDeployment({ name: 'accounts-deployment', namespace: 'dev' });
      assert.equal(dep.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'ProgressDeadlineExceeded');
      const pods = await k.core.listNamespacedPod({ namespace: 'dev', labelSelector: 'app=accounts' });
      const bad = pods.items.find((p) => p.status?.containerStatuses?.[0].state?.waiting?.reason === 'CrashLoopBackOff')!;
      assert.ok(bad, 'a pod in CrashLoopBackOff');
      assert.ok(bad.status!.containerStatuses![0].restartCount >= 1);
      assert.equal(pods.items.filter((p) => p.status?.containerStatuses?.[0].ready).length, 2, 'old pods keep serving');
      const text = await k.core.readNamespacedPodLog({ name: bad.metadata!.name!, namespace: 'dev', previous: true, tailLines: 20 });
      assert.match(text, /Exception in thread "main" .*Application run failed/);
      const out = new PassThrough();
      let streamed = '';
      out.on('data', (c: Buffer) => (streamed += c.toString()));
      await k.log.log('dev', bad.metadata!.name!, 'accounts', out, { tailLines: 5 });
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(streamed.split('\n').filter(Boolean).length <= 5 && streamed.length > 0);
      const evs = await k.core.listNamespacedEvent({ namespace: 'dev', fieldSelector: `involvedObject.name=${bad.metadata!.name}` });
      assert.ok(evs.items.some((e) => e.reason === 'BackOff' && e.type === 'Warning'));
      const evs2 = await k.events.listNamespacedEvent({ namespace: 'dev', fieldSelector: `regarding.name=${bad.metadata!.name}` });
      assert.ok(evs2.items.some((e) => e.reason === 'BackOff'));
      const prom = await fetch(`${sb.endpoints.prometheus}/api/v1/query?query=${encodeURIComponent('sum(increase(kube_pod_container_status_restarts_total{namespace="dev",pod=~"accounts-.*"}[10m]))')}`).then((r) => r.json()) as any;
      assert.ok(Number(prom.data.result[0].value[1]) >= 1);
    });
  });

  describe('service health', () => {
    it('answers UP through the service proxy, and DOWN with 503', async () => {
      const up = await k.core.connectGetNamespacedServiceProxyWithPath({ name: 'accounts:8080', namespace: 'prod', path: 'actuator/health' });
      assert.equal((typeof up === 'string' ? JSON.parse(up) : up).status, 'UP');
      const r = await getWithCa(`${sb.endpoints.kubernetes}/api/v1/namespaces/dev/services/accounts:8080/proxy/actuator/health`, { ca: sb.kubeCaPem, headers: { Authorization: `Bearer ${sb.kubeToken}` } });
      assert.equal(r.status, 503);
      const body = JSON.parse(r.body) as any;
      assert.equal(body.status, 'DOWN');
      assert.equal(body.components.db.status, 'DOWN');
      const direct = await fetch(`${sb.endpoints.services}/stag/cards/actuator/health`);
      assert.equal(direct.status, 200);
    });
  });

  describe('ECR and cosign', () => {
    it('describes images and raises ImageNotFoundException / RepositoryNotFoundException', async () => {
      const ecr = ecrClient(sb);
      const d = await ecr.send(new DescribeImagesCommand({ repositoryName: 'accounts', imageIds: [{ imageTag: '1.4.0' }] }));
      const img = d.imageDetails![0];
      assert.match(img.imageDigest!, /^sha256:[0-9a-f]{64}$/);
      assert.ok(img.imagePushedAt instanceof Date && img.imageTags!.includes('1.4.0'));
      await assert.rejects(ecr.send(new DescribeImagesCommand({ repositoryName: 'accounts', imageIds: [{ imageTag: '9.9.9' }] })), (e: Error) => e.name === 'ImageNotFoundException');
      await assert.rejects(ecr.send(new DescribeImagesCommand({ repositoryName: 'nope' })), (e: Error) => e.name === 'RepositoryNotFoundException');
      const list = await ecr.send(new ListImagesCommand({ repositoryName: 'accounts' }));
      assert.ok(list.imageIds!.some((i) => i.imageTag === '1.5.0'));
      await assert.rejects(ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'accounts', layerDigest: 'sha256:' + '0'.repeat(64) })), (e: Error) => e.name === 'LayersNotFoundException');
    });

    async function signature(tag: string): Promise<{ payload: Buffer; sig: Buffer; digest: string } | undefined> {
      const ecr = ecrClient(sb);
      const d = await ecr.send(new DescribeImagesCommand({ repositoryName: 'accounts', imageIds: [{ imageTag: tag }] }));
      const digest = d.imageDetails![0].imageDigest!;
      const b = await ecr.send(new BatchGetImageCommand({ repositoryName: 'accounts', imageIds: [{ imageTag: digest.replace(':', '-') + '.sig' }], acceptedMediaTypes: ['application/vnd.oci.image.manifest.v1+json'] }));
      if (!b.images?.length) {
        assert.equal(b.failures![0].failureCode, 'ImageNotFound');
        return undefined;
      }
      const manifest = JSON.parse(b.images[0].imageManifest!);
      const layer = manifest.layers[0];
      assert.equal(layer.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
      const url = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'accounts', layerDigest: layer.digest }));
      const payload = Buffer.from(await (await fetch(url.downloadUrl!)).arrayBuffer());
      assert.equal('sha256:' + crypto.createHash('sha256').update(payload).digest('hex'), layer.digest);
      assert.equal(JSON.parse(payload.toString()).critical.image['docker-manifest-digest'], digest);
      return { payload, sig: Buffer.from(layer.annotations['dev.cosignproject.cosign/signature'], 'base64'), digest };
    }

    it('signs with the trusted key; untrusted and unsigned images are told apart', async () => {
      const pub = fs.readFileSync(path.join(sb.repoDir, 'cosign.pub'), 'utf8');
      const good = (await signature('1.4.0'))!;
      assert.ok(crypto.verify('sha256', good.payload, pub, good.sig));
      assert.ok(!crypto.verify('sha256', good.payload, sb.untrustedPublicKeyPem, good.sig));
      const wrong = (await signature('1.5.2'))!;
      assert.ok(!crypto.verify('sha256', wrong.payload, pub, wrong.sig));
      assert.ok(crypto.verify('sha256', wrong.payload, sb.untrustedPublicKeyPem, wrong.sig));
      assert.equal(await signature('1.5.1'), undefined);
    });
  });

  describe('Prometheus', () => {
    it('answers the error-ratio query with the running version’s error rate', async () => {
      const q = 'sum(rate(http_server_requests_seconds_count{namespace="$ns",service="$svc",status=~"5..",uri!~"/actuator.*"}[5m])) / sum(rate(http_server_requests_seconds_count{namespace="$ns",service="$svc",uri!~"/actuator.*"}[5m]))';
      const ask = async (ns: string, svc: string): Promise<any> => (await fetch(`${sb.endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(q.replace(/\$ns/g, ns).replace(/\$svc/g, svc))}`)).json();
      const bad = await ask('prod', 'accounts');
      assert.equal(bad.status, 'success');
      assert.equal(Number(bad.data.result[0].value[1]), 0.25);
      assert.equal(Number((await ask('prod', 'cards')).data.result[0].value[1]), 0);
      const r = await fetch(`${sb.endpoints.prometheus}/api/v1/query`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query: 'histogram_quantile(0.9, foo)' }) });
      assert.equal(r.status, 400);
      assert.equal((await r.json() as any).errorType, 'bad_data');
      const metrics = await (await fetch(`${sb.endpoints.services}/metrics`)).text();
      assert.match(metrics, /http_server_requests_seconds_count\{application="accounts",namespace="prod",service="accounts",pod="[^"]+",method="GET",status="500",uri="\/api\/v1\/accounts",outcome="SERVER_ERROR"/);
    });
  });

  describe('GitHub', () => {
    it('rejects a bad token; creates deployments and statuses', async () => {
      await assert.rejects((await octokit(sb, 'wrong')).rest.users.getAuthenticated(), (e: any) => e.status === 401 && e.response.data.message === 'Bad credentials');
      const gh = await octokit(sb);
      const repo = await gh.rest.repos.get({ owner: 'acme', repo: 'gitops' });
      assert.equal(repo.data.default_branch, 'main');
      const dep = await gh.rest.repos.createDeployment({ owner: 'acme', repo: 'gitops', ref: 'main', environment: 'stag', auto_merge: false, required_contexts: [], payload: { service: 'accounts', tag: '1.5.0' } });
      assert.equal(dep.status, 201);
      const id = (dep.data as { id: number }).id;
      await gh.rest.repos.createDeploymentStatus({ owner: 'acme', repo: 'gitops', deployment_id: id, state: 'success', log_url: 'http://example.invalid/log' });
      const st = await gh.rest.repos.listDeploymentStatuses({ owner: 'acme', repo: 'gitops', deployment_id: id });
      assert.equal(st.data[0].state, 'success');
      const list = await gh.rest.repos.listDeployments({ owner: 'acme', repo: 'gitops', environment: 'stag' });
      assert.equal(list.data[0].id, id);
    });

    it('dispatches a workflow; a prod run waits for review, is approved and completes', async () => {
      const gh = await octokit(sb);
      const waiting = sb.waitFor<any>('run-updated', (r) => r.status === 'waiting');
      const d = await gh.rest.actions.createWorkflowDispatch({ owner: 'acme', repo: 'gitops', workflow_id: 'deploy.yml', ref: 'main', inputs: { service: 'accounts', environment: 'prod', tag: '1.4.0', reason: 'CHG-1' } });
      assert.equal(d.status, 204);
      const run = await waiting;
      const runs = await gh.rest.actions.listWorkflowRunsForRepo({ owner: 'acme', repo: 'gitops', event: 'workflow_dispatch', branch: 'main' });
      assert.equal(runs.data.workflow_runs[0].id, run.id);
      const pending = await gh.rest.actions.getPendingDeploymentsForRun({ owner: 'acme', repo: 'gitops', run_id: run.id });
      assert.equal(pending.data[0].environment.name, 'prod');
      const done = sb.waitFor<any>('run-updated', (r) => r.id === run.id && r.status === 'completed');
      await gh.rest.actions.reviewPendingDeploymentsForRun({ owner: 'acme', repo: 'gitops', run_id: run.id, environment_ids: [pending.data[0].environment.id!], state: 'approved', comment: 'ok' });
      assert.equal((await done).conclusion, 'success');
      const got = await gh.rest.actions.getWorkflowRun({ owner: 'acme', repo: 'gitops', run_id: run.id });
      assert.equal(got.data.conclusion, 'success');
      const jobs = await gh.rest.actions.listJobsForWorkflowRun({ owner: 'acme', repo: 'gitops', run_id: run.id });
      assert.equal(jobs.data.jobs[0].status, 'completed');
      // The review history the evidence pack reads (the adapter, as the CLI uses it).
      const port = new GitHubActionsClient({ apiUrl: sb.endpoints.github, owner: 'acme', repo: 'gitops', token: sb.githubToken });
      const user = (await gh.rest.users.getAuthenticated()).data.login;
      const approvals = await port.runApprovals(run.id);
      assert.deepEqual(approvals.map(({ at: _at, ...a }) => a), [{ state: 'approved', user, comment: 'ok', environments: ['prod'] }]);
      // GitHub's review history has no time: the job's deployment (made by Actions) left `waiting` then.
      const [deployment] = (await gh.rest.repos.listDeployments({ owner: 'acme', repo: 'gitops', environment: 'prod', sha: run.head_sha })).data;
      assert.equal(deployment.creator?.login, 'github-actions[bot]');
      const states = (await gh.rest.repos.listDeploymentStatuses({ owner: 'acme', repo: 'gitops', deployment_id: deployment.id })).data.reverse();
      assert.deepEqual(states.map((x) => x.state), ['waiting', 'queued', 'in_progress', 'success']);
      assert.ok(states.every((x) => x.log_url!.includes(`/actions/runs/${run.id}/job/`)));
      assert.equal(approvals[0].at, states[1].created_at);
    });
  });
});

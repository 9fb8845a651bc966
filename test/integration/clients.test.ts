// The adapters against the sandbox (stand-in Kubernetes API + Argo CD controller, ECR, Prometheus).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { startSandbox, type Sandbox, type Scenario } from '../../sandbox/index';
import { createPorts } from '../../src/clients/index';
import { toAppStatus } from '../../src/clients/kubeMap';
import { PrometheusMetrics } from '../../src/clients/prometheus';
import { WebhookNotifier } from '../../src/clients/webhook';
import { DEFAULT_ERROR_RATE_QUERY, loadConfig } from '../../src/pipeline/config/load';
import { WaitTimeoutError, type AppStatus, type Ports } from '../../src/pipeline/ports';
import { formatDuration } from '../../src/pipeline/model/format';

const SCENARIO: Scenario = {
  signature: 'classic',
  services: {
    accounts: {
      images: {
        '1.5.0': {},
        '1.5.1': { signed: false },
        '1.6.0': { health: 'DOWN' },
        '1.6.1': { crashLoop: true },
        '1.6.2': { errorRate: 0.25 },
        '1.7.0': { syncSeconds: 30 },
      },
    },
    cards: { images: { '2.0.0': {}, '2.1.0': {}, '2.2.0': {} } },
  },
  environments: {
    dev: { accounts: '1.5.0', cards: '2.0.0' },
    stag: { accounts: '1.6.0', cards: '2.0.0' },
    prod: { accounts: '1.6.2', cards: '2.0.0' },
    qa: { accounts: '1.5.0', cards: '2.0.0' },
  },
};

const ARGO_NS = 'argocd';
const SEL = { app: 'accounts' };

/** Change one service's tag in a fresh clone of origin and push; returns the new sha. */
function pushTag(sb: Sandbox, tmp: string, env: string, service: string, tag: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'clone-'));
  const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', ...args], { cwd: dir, encoding: 'utf8' });
  execFileSync('git', ['clone', '--quiet', sb.originDir, dir]);
  const file = path.join(dir, `helm/environments/${env}-env/image-tags.yaml`);
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'));
  doc.setIn([service, 'image', 'tag'], tag);
  fs.writeFileSync(file, doc.toString());
  g('commit', '--quiet', '-am', `${service} ${tag} to ${env}`);
  g('push', '--quiet', 'origin', 'HEAD:main');
  return g('rev-parse', 'HEAD').trim();
}

function syncedAt(sha: string) {
  return (s: AppStatus) => s.syncStatus === 'Synced' && s.syncRevision === sha && s.operationPhase === 'Succeeded' && s.operationRevision === sha && s.healthStatus === 'Healthy';
}

describe('clients: adapters against the sandbox', function () {
  this.timeout(60_000);
  let tmp: string;
  let sb: Sandbox;
  let ports: Ports;
  const logs: string[] = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clients-sandbox-'));
    sb = await startSandbox({ dir: path.join(tmp, 'sandbox'), scenario: SCENARIO, fast: true });
    const env = { ...process.env, ...sb.env };
    const config = await loadConfig(sb.repoDir, env);
    ports = createPorts(config, { env, log: (l) => logs.push(l) });
  });

  after(async () => {
    await sb?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('ECR', () => {
    it('describes an image, a missing tag and a missing repository', async () => {
      const img = await ports.registry.describeImage('accounts', '1.5.0');
      assert.ok(img);
      assert.match(img.digest, /^sha256:[0-9a-f]{64}$/);
      assert.ok(img.tags.includes('1.5.0'));
      assert.ok(img.pushedAt instanceof Date);
      assert.equal(await ports.registry.describeImage('accounts', '9.9.9'), undefined);
      await assert.rejects(ports.registry.describeImage('no-such-repo', '1.0.0'), (e: Error) => {
        assert.match(e.message, /ECR repository no-such-repo not found in region us-east-1/);
        assert.match(e.message, /ecrRepository/);
        return true;
      });
    });

    it('fetches signature layers of a signed image, none for an unsigned one', async () => {
      const signed = await ports.registry.describeImage('accounts', '1.5.0');
      const layers = await ports.registry.signatures('accounts', signed!.digest);
      assert.ok(layers.length >= 1);
      for (const l of layers) {
        assert.equal(`sha256:${createHash('sha256').update(l.payload).digest('hex')}`, l.layerDigest);
        assert.equal(l.mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
        assert.ok(l.signature.length > 0);
        assert.match(l.payload.toString('utf8').toLowerCase(), new RegExp(signed!.digest));
      }
      const unsigned = await ports.registry.describeImage('accounts', '1.5.1');
      assert.deepEqual(await ports.registry.signatures('accounts', unsigned!.digest), []);
    });

    it('lists tags newest first', async () => {
      const tags = await ports.registry.listTags('accounts', 3);
      assert.equal(tags.length, 3);
      for (let i = 1; i < tags.length; i++) assert.ok((tags[i - 1].pushedAt?.getTime() ?? 0) >= (tags[i].pushedAt?.getTime() ?? 0));
      assert.ok(tags.every((t) => !t.tag.endsWith('.sig')));
    });
  });

  describe('Kubernetes', () => {
    it('reads a Deployment, its pods and its newest ReplicaSet', async () => {
      const d = await ports.cluster.getDeployment('dev', 'accounts-deployment');
      assert.equal(d.name, 'accounts-deployment');
      assert.ok(d.images[0].endsWith(':1.5.0'));
      assert.deepEqual(d.selector, SEL);
      assert.ok(d.readyReplicas >= 1);
      const pods = await ports.cluster.listPods('dev', d.selector);
      assert.ok(pods.length >= 1);
      assert.ok(pods.every((p) => p.ready && p.phase === 'Running' && p.images[0].endsWith(':1.5.0')));
      const hash = await ports.cluster.newReplicaSetHash('dev', 'accounts-deployment');
      assert.ok(hash);
      assert.ok(pods.every((p) => p.podTemplateHash === hash));
    });

    it('says which Deployment is missing and where', async () => {
      await assert.rejects(ports.cluster.getDeployment('dev', 'nope-deployment'), (e: Error) => {
        assert.match(e.message, /^Kubernetes API: .*"nope-deployment" not found.*namespace "dev".*\(404\) — check services\./);
        assert.ok(!e.message.includes(sb.kubeToken));
        return true;
      });
    });

    it('reads pod resource usage with limits', async () => {
      const usage = await ports.cluster.podUsage('dev', SEL);
      assert.ok(usage.length >= 1);
      for (const u of usage) {
        assert.ok(u.cpuMillicores > 0, JSON.stringify(u));
        assert.ok(u.memoryBytes > 0, JSON.stringify(u));
      }
    });

    it('reads health through the service proxy: UP, and DOWN with the component named', async () => {
      const up = await ports.cluster.health('dev', 'accounts', 8080, '/actuator/health', undefined);
      assert.equal(up.httpStatus, 200);
      assert.equal(up.status, 'UP');
      assert.deepEqual(up.downComponents, []);
      const down = await ports.cluster.health('stag', 'accounts', 8080, '/actuator/health', undefined);
      assert.equal(down.httpStatus, 503);
      assert.equal(down.status, 'DOWN');
      assert.deepEqual(down.downComponents, ['db']);
      assert.ok(down.body.length <= 4096 + 40);
      const direct = await ports.cluster.health('dev', 'accounts', 8080, '/actuator/health', `${sb.endpoints.services}/dev/accounts/actuator/health`);
      assert.equal(direct.status, 'UP');
      await assert.rejects(ports.cluster.health('dev', 'no-such-service', 8080, '/actuator/health', undefined), /not found/);
    });

    it('reads logs (previous container of a crash loop) and events', async () => {
      pushTag(sb, tmp, 'qa', 'accounts', '1.6.1'); // 1.6.1 crash-loops once rolled out
      let crashing: Awaited<ReturnType<Ports['cluster']['listPods']>>[number] | undefined;
      for (const until = Date.now() + 15_000; !crashing && Date.now() < until; ) {
        crashing = (await ports.cluster.listPods('qa', SEL)).find((p) => p.waitingReason === 'CrashLoopBackOff' && p.restarts > 0);
        if (!crashing) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(crashing, 'a crash-looping qa pod');
      const previous = await ports.cluster.podLog('qa', crashing.name, { previous: true, tailLines: 50 });
      assert.ok(previous.trim().length > 0);
      assert.equal(typeof (await ports.cluster.podLog('qa', crashing.name, { tailLines: 20 })), 'string');
      const events = await ports.cluster.events('qa', 'Pod', crashing.name);
      assert.ok(events.length >= 1);
      assert.ok(events.every((e) => e.reason && e.type));
      assert.ok(events.some((e) => e.type === 'Warning'), JSON.stringify(events));
      for (let i = 1; i < events.length; i++) assert.ok((events[i - 1].time ?? '') <= (events[i].time ?? ''));
    });
  });

  describe('Argo CD', () => {
    it('gets an Application, and names the config when one is missing', async () => {
      const s = await ports.argocd.get(ARGO_NS, 'accounts-dev');
      assert.equal(s.name, 'accounts-dev');
      assert.equal(s.syncStatus, 'Synced');
      assert.equal(s.healthStatus, 'Healthy');
      assert.match(s.syncRevision ?? '', /^[0-9a-f]{40}$/);
      await assert.rejects(ports.argocd.get(ARGO_NS, 'nope-dev'), /not found.*\(404\) — check/);
    });

    it('waitFor resolves at the pushed sha, within 200 ms of the change', async () => {
      let sha: string | undefined;
      let doneSeenAt: number | undefined;
      const done = (s: AppStatus) => sha !== undefined && syncedAt(sha)(s);
      // The store's change event fires synchronously with the change the watch reports.
      const onChange = (ev: { object: any }) => {
        const obj = ev.object;
        if (obj?.kind === 'Application' && obj?.metadata?.name === 'cards-dev' && doneSeenAt === undefined && done(toAppStatus(obj))) doneSeenAt = Date.now();
      };
      sb.world.store.on('change', onChange);
      const updates: AppStatus[] = [];
      try {
        const waiting = ports.argocd.waitFor(ARGO_NS, 'cards-dev', done, 20_000, undefined, (s) => updates.push(s));
        sha = pushTag(sb, tmp, 'dev', 'cards', '2.1.0');
        const s = await waiting;
        const resolvedAt = Date.now();
        assert.equal(s.syncRevision, sha);
        assert.equal(s.operationRevision, sha);
        assert.ok(updates.length >= 2, `${updates.length} updates`);
        assert.ok(doneSeenAt !== undefined, 'the sandbox reported the change');
        assert.ok(resolvedAt - doneSeenAt! < 200, `resolved ${resolvedAt - doneSeenAt!} ms after the change`);
      } finally {
        sb.world.store.off('change', onChange);
      }
      const pods = await ports.cluster.listPods('dev', { app: 'cards' });
      assert.ok(pods.some((p) => p.images[0].endsWith(':2.1.0')));
    });

    it('waitFor re-establishes the watch after errors and 410 Gone', async () => {
      const key = 'WATCH /apis/argoproj.io/v1alpha1/namespaces/argocd/applications';
      for (const [code, tag, expectLog] of [
        [500, '2.2.0', /re-establishing/],
        [410, '2.0.0', /re-reading/],
      ] as const) {
        logs.length = 0;
        sb.setFault('kubernetes', key, { code, times: 2 });
        const pushed: { sha?: string } = {};
        const waiting = ports.argocd.waitFor(ARGO_NS, 'cards-dev', (s) => pushed.sha !== undefined && syncedAt(pushed.sha)(s), 20_000);
        pushed.sha = pushTag(sb, tmp, 'dev', 'cards', tag);
        const s = await waiting;
        assert.equal(s.syncRevision, pushed.sha);
        assert.ok(logs.some((l) => expectLog.test(l)), `${code}: ${logs.join(' | ')}`);
        sb.setFault('kubernetes', key, null);
      }
    });

    it('waitFor times out with how long it waited and the last status', async () => {
      const sha = pushTag(sb, tmp, 'dev', 'accounts', '1.7.0'); // 1.7.0 takes 30 s to sync
      const started = Date.now();
      await assert.rejects(ports.argocd.waitFor(ARGO_NS, 'accounts-dev', syncedAt(sha), 1500), (e: Error) => {
        assert.ok(e instanceof WaitTimeoutError, String(e));
        assert.ok(e.waitedMs! >= 1450 && e.waitedMs! < 60_000, `waited ${e.waitedMs} ms`); // timers may fire a millisecond early; a busy machine late
        assert.equal(e.last?.name, 'accounts-dev');
        assert.ok(e.last?.syncStatus && e.last?.healthStatus, 'the last status has sync and health');
        assert.ok(e.message.startsWith(`Timed out after ${formatDuration(e.waitedMs!)} waiting for Argo CD application argocd/accounts-dev; last status: sync ${e.last.syncStatus}`), e.message);
        return true;
      });
      assert.ok(Date.now() - started < 3000);
    });

    it('waitFor stops on abort', async () => {
      const ac = new AbortController();
      const p = ports.argocd.waitFor(ARGO_NS, 'cards-stag', () => false, 20_000, ac.signal);
      setTimeout(() => ac.abort(), 100);
      await assert.rejects(p, /abort/i);
    });

    it('refresh and sync patch the Application', async () => {
      const seen: any[] = [];
      const onApp = (obj: any) => obj?.metadata?.name === 'cards-stag' && seen.push(structuredClone(obj));
      sb.events.on('app-updated', onApp);
      try {
        await ports.argocd.refresh(ARGO_NS, 'cards-stag', 'hard');
        await ports.argocd.waitFor(ARGO_NS, 'cards-stag', () => seen.some((o) => o.metadata?.annotations?.['argocd.argoproj.io/refresh'] === 'hard'), 5000);
        // The controller removes the annotation once it has refreshed.
        await ports.argocd.waitFor(ARGO_NS, 'cards-stag', (s) => s.refreshAnnotation === undefined, 10_000);

        const head = sb.headSha();
        await ports.argocd.sync(ARGO_NS, 'cards-stag', head, 'Test Actor', 'integration test');
        const patched = seen.find((o) => o.operation);
        const s = await ports.argocd.waitFor(ARGO_NS, 'cards-stag', (x) => x.operationPhase === 'Succeeded' && x.operationRevision === head, 10_000);
        assert.equal(s.operationRevision, head);
        const op = patched?.operation ?? sb.app('cards', 'stag')?.status?.operationState?.operation;
        assert.equal(op?.initiatedBy?.username, 'Test Actor');
        assert.equal(op?.initiatedBy?.automated, false);
        assert.deepEqual(op?.info, [{ name: 'Reason', value: 'integration test' }]);
        assert.equal(op?.sync?.revision, head);
      } finally {
        sb.events.off('app-updated', onApp);
      }
    });
  });

  describe('Prometheus', () => {
    const q = (ns: string, svc: string) => DEFAULT_ERROR_RATE_QUERY.replace(/\$ns/g, ns).replace(/\$svc/g, svc);

    it('queries the error rate of a failing and a healthy service', async () => {
      const bad = await ports.metrics.query(q('prod', 'accounts'));
      assert.ok(bad !== undefined && Math.abs(bad - 0.25) < 0.1, `prod error rate ${bad}`);
      const good = await ports.metrics.query(q('dev', 'cards'));
      assert.ok(good === undefined || good < 0.01, `dev error rate ${good}`);
    });

    it('reports errors with the query', async () => {
      await assert.rejects(ports.metrics.query('this is not promql ((('), (e: Error) => e.message.includes('this is not promql ((('));
      const closed = new PrometheusMetrics({ url: 'http://127.0.0.1:9' });
      await assert.rejects(closed.query('up'), /did not answer.*: up$/);
    });
  });

  describe('webhook', () => {
    it('posts a Slack-compatible body, and swallows failures', async () => {
      const bodies: any[] = [];
      let status = 200;
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push({ method: req.method, type: req.headers['content-type'], json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          res.writeHead(status);
          res.end(status === 200 ? 'ok' : 'no');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/secret`;
      const lines: string[] = [];
      try {
        const n = new WebhookNotifier({ url, log: (l) => lines.push(l) });
        const ev = { kind: 'rolled-back' as const, service: 'accounts', environment: 'prod', tag: '1.6.0', previousTag: '1.5.0', message: 'health DOWN (db)' };
        await n.notify(ev);
        assert.equal(bodies[0].method, 'POST');
        assert.equal(bodies[0].type, 'application/json');
        assert.match(bodies[0].json.text, /accounts 1\.6\.0/);
        assert.ok(Array.isArray(bodies[0].json.blocks));
        status = 500;
        await n.notify(ev);
        assert.equal(lines.length, 1);
        assert.ok(!lines[0].includes('secret'));
        await new WebhookNotifier({ url: 'http://127.0.0.1:9/hook', log: (l) => lines.push(l) }).notify(ev);
        assert.equal(lines.length, 2);
        await new WebhookNotifier({}).notify(ev); // no URL: nothing
      } finally {
        server.close();
      }
    });
  });
});

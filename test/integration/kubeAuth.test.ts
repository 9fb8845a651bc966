// The sandbox's Kubernetes API as real clusters are: HTTPS with its own CA, tokens from an exec credential
// plugin that expire, 401 for anything else — and our adapter against it (refresh after expiry, a plugin
// that fails, KUBECONFIG split over several files).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import YAML from 'yaml';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { getWithCa } from '../../sandbox/http';
import { createServerPki } from '../../sandbox/pki';
import { ArgoCdApplications, KubeConnection, KubernetesCluster } from '../../src/clients/kubernetes';
import { PortError } from '../../src/pipeline/model/cause';
import { BASE_SCENARIO, tempDir } from './helpers/sandbox';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a failure');
}

describe('Kubernetes API over HTTPS with an exec credential plugin (sandbox + adapter)', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  let dir: string;
  let kubeconfig: any;

  before(async () => {
    dir = tempDir('kube-auth-');
    sb = await startSandbox({ dir, scenario: BASE_SCENARIO, fast: true });
    kubeconfig = YAML.parse(fs.readFileSync(sb.kubeconfigPath, 'utf8'));
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    sb.faultSwitch('kube-exec-plugin-fails', false);
    sb.faultSwitch('kube-token-expired', false);
  });

  /** kubeconfig null: none named by the user (KUBECONFIG, then ~/.kube/config); default the sandbox's. */
  const connect = (opts: { kubeconfig?: string | null; context?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const lines: string[] = [];
    const conn = new KubeConnection({ kubeconfig: opts.kubeconfig === null ? undefined : (opts.kubeconfig ?? sb.kubeconfigPath), context: opts.context, env: opts.env ?? { PATH: process.env.PATH, HOME: dir }, log: (l) => lines.push(l) });
    return { conn, cluster: new KubernetesCluster(conn), argocd: new ArgoCdApplications(conn), lines };
  };

  it('the kubeconfig is HTTPS with the CA\'s data and an exec user (what a cloud CLI writes)', () => {
    const cluster = kubeconfig.clusters[0].cluster;
    assert.match(cluster.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(cluster['insecure-skip-tls-verify'], undefined);
    assert.equal(Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'), sb.kubeCaPem);
    const user = kubeconfig.users.find((u: any) => u.name === 'sandbox-user').user;
    assert.equal(user.exec.apiVersion, 'client.authentication.k8s.io/v1beta1');
    assert.equal(user.token, undefined);
    assert.equal(kubeconfig['current-context'], 'sandbox');
  });

  it('a client that does not trust the CA is refused in the TLS handshake (and so is one trusting another CA)', async () => {
    const url = `${sb.endpoints.kubernetes}/api/v1/namespaces`;
    const untrusted = await rejection(getWithCa(url, { headers: { Authorization: `Bearer ${sb.kubeToken}` } }));
    assert.equal((untrusted as NodeJS.ErrnoException).code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', untrusted.message);
    const other = await createServerPki(path.join(dir, 'other-pki'));
    const wrongCa = await rejection(getWithCa(url, { ca: other.caPem, headers: { Authorization: `Bearer ${sb.kubeToken}` } }));
    assert.equal((wrongCa as NodeJS.ErrnoException).code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', wrongCa.message);
    // The same request trusting the sandbox's CA goes through: the refusals above were about trust.
    assert.equal((await getWithCa(url, { ca: sb.kubeCaPem, headers: { Authorization: `Bearer ${sb.kubeToken}` } })).status, 200);
  });

  it('a missing, unknown or forged token is 401 Unauthorized with a Status body, as from a real API server', async () => {
    const url = `${sb.endpoints.kubernetes}/apis/apps/v1/namespaces/stag/deployments/accounts-deployment`;
    const forged = 'k8s-sandbox-v1.' + Buffer.from(JSON.stringify({ sub: 'sandbox-user', iat: Date.now() / 1000, exp: Date.now() / 1000 + 900, jti: 'x' })).toString('base64url') + '.' + Buffer.alloc(32).toString('base64url');
    for (const headers of [{} as Record<string, string>, { Authorization: 'Bearer nope' }, { Authorization: `Bearer ${forged}` }, { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }]) {
      const r = await getWithCa(url, { ca: sb.kubeCaPem, headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.deepEqual(JSON.parse(r.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    }
  });

  it('the token service issues tokens only for the credentials in kube-auth/ (as STS or an OIDC issuer would)', async () => {
    const post = (credential: string): Promise<{ status: number; body: any }> =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify({ user: 'sandbox-user', cluster: 'sandbox', ttlSeconds: 60 });
        const req = https.request(`${sb.endpoints.kubernetes}/sandbox/token`, { method: 'POST', ca: sb.kubeCaPem, headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const refused = await post('not-the-credential');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');
    const ok = await post(fs.readFileSync(path.join(dir, 'kube-auth', 'credentials'), 'utf8').trim());
    assert.equal(ok.status, 200);
    const exp = Date.parse(ok.body.expirationTimestamp);
    assert.ok(exp > Date.now() + 50_000 && exp <= Date.now() + 60_000, ok.body.expirationTimestamp);
    const r = await getWithCa(`${sb.endpoints.kubernetes}/api/v1/namespaces`, { ca: sb.kubeCaPem, headers: { Authorization: `Bearer ${ok.body.token}` } });
    assert.equal(r.status, 200);
  });

  it('the adapter authenticates with the plugin\'s token over HTTPS, runs the plugin once, and names it in the credential source', async () => {
    const { conn, cluster, argocd } = connect();
    const before = sb.kubeTokensSeen().length;
    const d = await cluster.getDeployment('stag', 'accounts-deployment');
    assert.deepEqual(d.images, ['123456789012.dkr.ecr.us-east-1.amazonaws.com/accounts:1.4.0']);
    assert.equal((await argocd.get('argocd', 'accounts-stag')).syncStatus, 'Synced');
    assert.equal((await cluster.listPods('stag', d.selector)).length, 2);
    const seen = sb.kubeTokensSeen().slice(before);
    assert.equal(new Set(seen.map((t) => t.jti)).size, 1, 'one token for all three calls');
    assert.equal(seen[0].user, 'sandbox-user');
    assert.equal((await conn.load()).execAuth.runs, 1);
    assert.equal(await conn.credentialSource(), `kubeconfig ${sb.kubeconfigPath}, context "sandbox", user "sandbox-user" (exec plugin "node get-token.mjs get-token")`);
  });

  it('a token the server calls expired: the adapter gets a fresh one from the plugin and the call succeeds', async () => {
    const { conn, cluster, lines } = connect();
    await cluster.getDeployment('stag', 'accounts-deployment');
    sb.expireKubeTokens();
    const cutoff = Date.now() / 1000;
    const d = await cluster.getDeployment('stag', 'accounts-deployment');
    assert.equal(d.name, 'accounts-deployment');
    assert.equal((await conn.load()).execAuth.runs, 2, 'the plugin ran again after the 401');
    assert.ok(sb.kubeTokensSeen().some((t) => t.issuedAt >= cutoff), 'a token issued after the cutoff was accepted');
    assert.ok(lines.some((l) => l.includes('refused the token of user "sandbox-user" (401)')), lines.join('\n'));
    // The service proxy (a raw GET) and the Argo CD wait recover the same way.
    sb.expireKubeTokens();
    const h = await cluster.health('stag', 'accounts', 8080, '/actuator/health', undefined);
    assert.equal(h.status, 'UP');
    sb.expireKubeTokens();
    const app = await new ArgoCdApplications(conn).waitFor('argocd', 'accounts-stag', (s) => s.healthStatus === 'Healthy', 10_000);
    assert.equal(app.syncStatus, 'Synced');
  });

  it('a token refused even when fresh: 401 naming the context, the user and the plugin (one retry, no loop)', async () => {
    const { conn, cluster } = connect();
    sb.faultSwitch('kube-token-expired', true);
    const e = await rejection(cluster.getDeployment('stag', 'accounts-deployment'));
    assert.ok(e instanceof PortError, String(e));
    assert.equal(e.kind, 'auth');
    assert.equal(e.httpStatus, 401);
    assert.match(e.message, /the credentials of kubeconfig context "sandbox", user "sandbox-user" \(exec plugin "node get-token\.mjs get-token"\), were refused/);
    assert.equal((await conn.load()).execAuth.runs, 2);
  });

  it('a plugin that fails: a clear auth refusal naming the plugin, the user, the context and its message; it works again once the plugin does', async () => {
    const { cluster, argocd } = connect();
    sb.faultSwitch('kube-exec-plugin-fails', true);
    const e = await rejection(cluster.getDeployment('stag', 'accounts-deployment'));
    assert.ok(e instanceof PortError, String(e));
    assert.equal(e.kind, 'auth');
    assert.equal(e.system, 'cluster');
    assert.equal(e.message, 'Kubernetes credentials: the exec credential plugin "node get-token.mjs get-token" of kubeconfig user "sandbox-user" (context "sandbox") failed (exit 254): An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired');
    const a = await rejection(argocd.waitFor('argocd', 'accounts-stag', () => true, 10_000));
    assert.ok(a instanceof PortError && a.kind === 'auth' && a.system === 'argocd', String(a));
    sb.faultSwitch('kube-exec-plugin-fails', false);
    assert.equal((await cluster.getDeployment('stag', 'accounts-deployment')).name, 'accounts-deployment');
  });

  it('the second user (static token) works too: context sandbox-token', async () => {
    const { cluster, conn } = connect({ context: sb.kubeTokenContext });
    assert.equal((await cluster.getDeployment('stag', 'accounts-deployment')).name, 'accounts-deployment');
    assert.match(await conn.credentialSource(), /user "sandbox-token" \(token\)$/);
  });

  it('KUBECONFIG=a:missing:b — cluster in one file, a v1 exec user and the context in another, merged by the kubectl rules', async () => {
    const cluster = kubeconfig.clusters[0];
    const plugin = kubeconfig.users.find((u: any) => u.name === 'sandbox-user').user.exec;
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    fs.writeFileSync(a, YAML.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [cluster], 'current-context': 'split' }));
    fs.writeFileSync(b, YAML.stringify({
      apiVersion: 'v1', kind: 'Config',
      // Same names as in a.yaml: the first file wins, so this cluster (no CA, wrong port) is never used.
      clusters: [{ name: 'sandbox', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'split-user', user: { exec: { ...plugin, apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', args: plugin.args.map((x: string) => (x === 'sandbox-user' ? 'split-user' : x)) } } }],
      contexts: [{ name: 'split', context: { cluster: 'sandbox', user: 'split-user' } }],
      'current-context': 'sandbox',
    }));
    const before = sb.kubeTokensSeen().length;
    const { conn, cluster: kube } = connect({ kubeconfig: null, env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: [a, path.join(dir, 'missing.yaml'), b].join(path.delimiter) } });
    assert.equal((await kube.getDeployment('stag', 'accounts-deployment')).name, 'accounts-deployment');
    assert.deepEqual(sb.kubeTokensSeen().slice(before).map((t) => t.user), ['split-user'], 'the v1 exec user of b.yaml authenticated');
    assert.equal(await conn.credentialSource(), `kubeconfig ${a}${path.delimiter}${b}, context "split", user "split-user" (exec plugin "node get-token.mjs get-token")`);
  });

  it('a kubeconfig the user names that does not exist is a clear refusal', async () => {
    const missing = path.join(dir, 'nope.yaml');
    const e = await rejection(connect({ kubeconfig: missing }).cluster.getDeployment('stag', 'accounts-deployment'));
    assert.ok(e instanceof PortError && e.kind === 'auth', String(e));
    assert.equal(e.message, `cannot read the kubeconfig ${missing}: no such file`);
  });
});

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { describePlugin, ExecCredentialError, ExecCredentials, isFresh, parseExecCredential, type PluginRunner } from '../../src/clients/kubeExec';
import { mergeKubeconfigs, readKubeconfigs } from '../../src/clients/kubeconfigMerge';

const V1 = 'client.authentication.k8s.io/v1';
const V1B = 'client.authentication.k8s.io/v1beta1';
const cred = (status: object, apiVersion = V1): string => JSON.stringify({ kind: 'ExecCredential', apiVersion, spec: {}, status });

describe('exec credential plugins (kubeconfig users[].user.exec)', () => {
  describe('parseExecCredential', () => {
    it('reads the token and expirationTimestamp of v1 and v1beta1 answers', () => {
      const c = parseExecCredential(cred({ token: 'k8s-aws-v1.abc', expirationTimestamp: '2026-12-04T07:15:00Z' }), V1);
      assert.deepEqual(c, { token: 'k8s-aws-v1.abc', clientCertificateData: undefined, clientKeyData: undefined, expiresAt: Date.parse('2026-12-04T07:15:00Z') });
      assert.equal(parseExecCredential(cred({ token: 't' }, V1B), V1B).expiresAt, undefined);
    });

    it('takes a client certificate pair instead of a token', () => {
      const c = parseExecCredential(cred({ clientCertificateData: 'CERT', clientKeyData: 'KEY' }), V1);
      assert.equal(c.token, undefined);
      assert.equal(c.clientCertificateData, 'CERT');
      assert.equal(c.clientKeyData, 'KEY');
    });

    it('refuses what is not a usable ExecCredential, saying what is wrong', () => {
      assert.throws(() => parseExecCredential('', V1), /printed nothing/);
      assert.throws(() => parseExecCredential('Unable to locate credentials', V1), /not JSON \(starts "Unable to locate credentials"\)/);
      assert.throws(() => parseExecCredential(JSON.stringify({ kind: 'Status' }), V1), /not an ExecCredential \(kind "Status"\)/);
      assert.throws(() => parseExecCredential(cred({ token: 't' }, V1B), V1), /answered apiVersion "client.authentication.k8s.io\/v1beta1", the kubeconfig asks for client.authentication.k8s.io\/v1/);
      assert.throws(() => parseExecCredential(cred({}), V1), /neither status.token nor/);
      assert.throws(() => parseExecCredential(cred({ token: 't', expirationTimestamp: 'soon' }), V1), /expirationTimestamp "soon" is not a time/);
      assert.throws(() => parseExecCredential(cred({ clientCertificateData: 'CERT', token: 't' }), V1), /only one of clientCertificateData and clientKeyData/);
    });
  });

  it('isFresh: renewed 5 s before expiry (a quarter of the lifetime for very short-lived tokens); no expiry is fresh until refused', () => {
    const t = 1_000_000;
    assert.equal(isFresh({ token: 'x' }, t), true);
    assert.equal(isFresh({ token: 'x', expiresAt: t + 900_000, obtainedAt: t }, t), true);
    assert.equal(isFresh({ token: 'x', expiresAt: t + 5_001, obtainedAt: t - 895_000 }, t), true);
    assert.equal(isFresh({ token: 'x', expiresAt: t + 4_000, obtainedAt: t - 896_000 }, t), false, '4 s before a 15-minute token expires');
    assert.equal(isFresh({ token: 'x', expiresAt: t + 4_000 }, t), false);
    assert.equal(isFresh({ token: 'x', expiresAt: t + 600, obtainedAt: t - 400 }, t), true, 'a 1 s token: fresh until its last 250 ms');
    assert.equal(isFresh({ token: 'x', expiresAt: t + 200, obtainedAt: t - 800 }, t), false);
    assert.equal(isFresh({ token: 'x', expiresAt: t }, t), false);
  });

  it('describePlugin names the command and its leading words, never flags or their values', () => {
    assert.equal(describePlugin({ command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'prod', '--region', 'eu-west-1'] }), 'aws eks get-token');
    assert.equal(describePlugin({ command: '/usr/bin/node', args: ['/x/sandbox/kube/get-token.mjs', 'get-token', '--state', '/tmp/s'] }), 'node get-token.mjs get-token');
    assert.equal(describePlugin({ command: 'kubelogin', args: ['get-token', '--login', 'azurecli'] }), 'kubelogin get-token');
  });

  describe('ExecCredentials (the authenticator)', () => {
    function setup(answers: ((call: number) => { stdout?: string; stderr?: string; error?: { message?: string; code?: string | number; stderr?: string } })[]) {
      let now = Date.parse('2026-12-04T07:00:00Z');
      const calls: { command: string; args: string[]; env: NodeJS.ProcessEnv }[] = [];
      const run: PluginRunner = async (command, args, env) => {
        calls.push({ command, args, env });
        const a = answers[Math.min(calls.length - 1, answers.length - 1)](calls.length);
        if (a.error) throw Object.assign(new Error(a.error.message ?? 'Command failed'), a.error);
        return { stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
      };
      const auth = new ExecCredentials({ env: { PATH: '/bin', HOME: '/home/me' }, context: () => 'prod', run, now: () => now });
      return { auth, calls, advance: (ms: number) => (now += ms), now: () => now };
    }
    const user = (exec: object = {}) => ({ name: 'eks-prod', exec: { apiVersion: V1, command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'prod'], env: [{ name: 'AWS_PROFILE', value: 'prod' }], ...exec } });
    const token = (n: number, expires: string) => ({ stdout: cred({ token: `tok-${n}`, expirationTimestamp: expires }) });

    it('sets the bearer token, runs the plugin with KUBERNETES_EXEC_INFO and exec.env, and reuses the token until shortly before it expires', async () => {
      const s = setup([(n) => token(n, '2026-12-04T07:15:00Z'), (n) => token(n, '2026-12-04T07:30:00Z')]);
      const opts: { headers?: Record<string, string> } = {};
      await s.auth.applyAuthentication(user(), opts);
      assert.equal(opts.headers?.Authorization, 'Bearer tok-1');
      assert.equal(s.calls.length, 1);
      assert.deepEqual(s.calls[0].args, ['eks', 'get-token', '--cluster-name', 'prod']);
      assert.equal(s.calls[0].env.AWS_PROFILE, 'prod');
      assert.equal(s.calls[0].env.HOME, '/home/me');
      assert.deepEqual(JSON.parse(s.calls[0].env.KUBERNETES_EXEC_INFO!), { apiVersion: V1, kind: 'ExecCredential', spec: { interactive: false } });
      s.advance(14 * 60_000);
      const again: { headers?: Record<string, string> } = {};
      await s.auth.applyAuthentication(user(), again);
      assert.equal(again.headers?.Authorization, 'Bearer tok-1', 'cached for its lifetime');
      assert.equal(s.calls.length, 1);
      s.advance(56_000); // 4 s before expiry
      await s.auth.applyAuthentication(user(), again);
      assert.equal(again.headers?.Authorization, 'Bearer tok-2', 'renewed before it expires');
      assert.equal(s.calls.length, 2);
    });

    it('invalidate (after a 401) makes the next request run the plugin again; concurrent requests share one run', async () => {
      const s = setup([(n) => token(n, '2026-12-04T08:00:00Z')]);
      const [a, b] = await Promise.all([s.auth.credential(user()), s.auth.credential(user())]);
      assert.equal(a.token, 'tok-1');
      assert.equal(b.token, 'tok-1');
      assert.equal(s.calls.length, 1);
      s.auth.invalidate('eks-prod');
      assert.equal((await s.auth.credential(user())).token, 'tok-2');
      assert.equal(s.auth.runs, 2);
    });

    async function failure(s: ReturnType<typeof setup>, u = user()): Promise<ExecCredentialError> {
      try {
        await s.auth.credential(u);
      } catch (e) {
        assert.ok(e instanceof ExecCredentialError, String(e));
        return e;
      }
      assert.fail('expected the plugin to fail');
    }

    it('a failing plugin: the refusal names the plugin, the user, the context, the exit code and the last stderr lines', async () => {
      const s = setup([() => ({ error: { code: 254, stderr: '\nAn error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired\n' } })]);
      const e = await failure(s);
      assert.equal(e.message, 'the exec credential plugin "aws eks get-token" of kubeconfig user "eks-prod" (context "prod") failed (exit 254): An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired');
      assert.equal(e.plugin, 'aws eks get-token');
      assert.equal(e.user, 'eks-prod');
    });

    it('a missing plugin says so with the kubeconfig\'s installHint; bad output and bad config are named', async () => {
      const missing = await failure(setup([() => ({ error: { code: 'ENOENT' } })]), user({ installHint: 'Install the AWS CLI: https://aws.amazon.com/cli/' }));
      assert.match(missing.message, /"aws eks get-token" of kubeconfig user "eks-prod" \(context "prod"\) was not found \(aws\): Install the AWS CLI/);
      const bad = await failure(setup([() => ({ stdout: '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}}' })]));
      assert.match(bad.message, /gave no usable credential: its ExecCredential has neither status.token/);
      const old = await failure(setup([() => ({ stdout: '' })]), user({ apiVersion: 'client.authentication.k8s.io/v1alpha1' }));
      assert.match(old.message, /uses apiVersion "client.authentication.k8s.io\/v1alpha1": use client.authentication.k8s.io\/v1 or client.authentication.k8s.io\/v1beta1/);
      const tty = await failure(setup([() => ({ stdout: '' })]), user({ interactiveMode: 'Always' }));
      assert.match(tty.message, /needs a terminal/);
    });

    it('a failed run is not cached: the next request runs the plugin again', async () => {
      const s = setup([() => ({ error: { code: 1, stderr: 'SSO session expired' } }), (n) => token(n, '2026-12-04T08:00:00Z')]);
      await failure(s);
      assert.equal((await s.auth.credential(user())).token, 'tok-2');
    });
  });
});

describe('KUBECONFIG with several files (the kubectl merge rules)', () => {
  it('the first file to name a cluster, user or context wins; the first current-context wins; entries are not merged field by field', () => {
    const merged = mergeKubeconfigs([
      { path: '/home/me/.kube/a', doc: { clusters: [{ name: 'prod', cluster: { server: 'https://a' } }], 'current-context': 'prod' } },
      { path: '/home/me/.kube/b', doc: { clusters: [{ name: 'prod', cluster: { server: 'https://b', 'insecure-skip-tls-verify': true } }], users: [{ name: 'me', user: { token: 't' } }], contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'me' } }], 'current-context': 'other' } },
    ]);
    assert.deepEqual(merged, {
      apiVersion: 'v1', kind: 'Config',
      clusters: [{ name: 'prod', cluster: { server: 'https://a', 'certificate-authority': undefined } }],
      users: [{ name: 'me', user: { token: 't' } }],
      contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'me' } }],
      'current-context': 'prod',
    });
  });

  it('relative paths are relative to the file that names them (a bare exec command stays a PATH lookup)', () => {
    const merged = mergeKubeconfigs([
      { path: '/etc/kube/clusters.yaml', doc: { clusters: [{ name: 'c', cluster: { server: 'https://x', 'certificate-authority': 'pki/ca.crt' } }] } },
      { path: '/home/me/users.yaml', doc: { users: [{ name: 'u', user: { 'client-certificate': 'me.crt', 'client-key': '/abs/me.key', exec: { command: 'bin/get-token', args: ['x'] } } }, { name: 'v', user: { exec: { command: 'aws' } } }] } },
    ]) as any;
    assert.equal(merged.clusters[0].cluster['certificate-authority'], '/etc/kube/pki/ca.crt');
    assert.equal(merged.users[0].user['client-certificate'], '/home/me/me.crt');
    assert.equal(merged.users[0].user['client-key'], '/abs/me.key');
    assert.equal(merged.users[0].user.exec.command, '/home/me/bin/get-token');
    assert.equal(merged.users[1].user.exec.command, 'aws');
  });

  it('readKubeconfigs skips missing files, names a file that is not YAML, and returns the files read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfigs-'));
    try {
      const a = path.join(dir, 'a');
      const bad = path.join(dir, 'bad');
      fs.writeFileSync(a, YAML.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://x' } }] }));
      fs.writeFileSync(bad, 'clusters: [\n');
      const r = readKubeconfigs([path.join(dir, 'missing'), a]);
      assert.deepEqual(r.files, [a]);
      assert.equal(YAML.parse(r.text).clusters[0].cluster.server, 'https://x');
      assert.throws(() => readKubeconfigs([a, bad]), new RegExp(`${bad} is not valid YAML`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

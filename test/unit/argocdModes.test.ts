// Argo CD where it lives (pure parts): the mode of an environment, the config's checks and trust of a
// repository-named API server, and the token picked from ARGOCD_AUTH_TOKEN or the argocd login file.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { argoCdMode, parseConfig } from '../../src/pipeline/config/load';
import { parseUserSettings } from '../../src/pipeline/config/userSettings';
import { FileProblem } from '../../src/pipeline/errors';
import { argoCdConfigFile, loadArgoCdToken, parseArgoCdLocalConfig, pickArgoCdToken, serverKey } from '../../src/clients/argocdAuth';
import { ArgoCdApi } from '../../src/clients/argocdApi';
import { createPorts } from '../../src/clients/index';

const env = (argocd: string): string => `environments:\n  - name: stag\n    argocd:\n${argocd.split('\n').map((l) => `      ${l}`).join('\n')}\n`;

function problem(text: string, vars: NodeJS.ProcessEnv = {}): FileProblem {
  try {
    parseConfig('/repo', text, undefined, vars);
  } catch (e) {
    assert.ok(e instanceof FileProblem, `expected FileProblem, got ${e}`);
    return e;
  }
  assert.fail('expected the config to be refused');
}

// What `argocd login argocd.example.com --sso` and a second login leave in ~/.config/argocd/config.
const LOGIN = `contexts:
- name: argocd.example.com
  server: argocd.example.com
  user: argocd.example.com
- name: other.example.com:8443
  server: other.example.com:8443
  user: other.example.com:8443
current-context: other.example.com:8443
prompts-enabled: false
servers:
- grpc-web-root-path: ""
  server: argocd.example.com
- grpc-web-root-path: ""
  insecure: true
  server: other.example.com:8443
users:
- auth-token: tok-example
  name: argocd.example.com
  refresh-token: refresh-example
- auth-token: tok-other
  name: other.example.com:8443
`;

describe('Argo CD where it lives: modes and config', () => {
  it('mode: the API server, else another context, else the workloads\' context', () => {
    const c = parseConfig('/repo', 'environments:\n  - name: dev\n  - name: stag\n    argocd: { kubeContext: mgmt }\n  - name: prod\n    argocd: { server: "https://argocd.example.com/" }\n', undefined, {});
    assert.deepEqual(c.environments.map((e) => argoCdMode(e.argocd)), ['same-context', 'other-context', 'api-server']);
    assert.equal(c.environments[1].argocd.kubeContext, 'mgmt');
    const prod = c.environments[2].argocd;
    assert.equal(prod.server, 'https://argocd.example.com', 'the trailing slash is dropped');
    assert.equal(prod.url, 'https://argocd.example.com', 'Open in Argo CD defaults to the server (it serves the UI)');
    assert.equal(prod.untrustedHost, 'argocd.example.com', 'the repository named it and nobody trusted it');
    assert.equal(argoCdMode({ server: 'https://a', kubeContext: 'b' }), 'api-server');
  });

  it('an argocd.url of its own wins over the server for links; an Applications namespace passes through', () => {
    const a = parseConfig('/repo', env('server: https://argocd-api.example.com\nurl: https://argocd.example.com\nnamespace: team-a'), undefined, {}).environments[0].argocd;
    assert.equal(a.url, 'https://argocd.example.com');
    assert.equal(a.namespace, 'team-a');
  });

  it('trust of a repository-named server: trustedHosts, GITOPS_DEPLOY_TRUSTED_HOSTS or the user\'s own ARGOCD_SERVER', () => {
    const text = env('server: https://argocd.example.com:8443');
    assert.equal(parseConfig('/repo', text, undefined, {}).environments[0].argocd.untrustedHost, 'argocd.example.com:8443');
    assert.equal(parseConfig('/repo', text, undefined, {}, parseUserSettings('trustedHosts: [argocd.example.com]\n', '/u.yaml', {})).environments[0].argocd.untrustedHost, undefined);
    assert.equal(parseConfig('/repo', text, undefined, { GITOPS_DEPLOY_TRUSTED_HOSTS: 'argocd.example.com:8443' }, parseUserSettings(undefined, undefined, { GITOPS_DEPLOY_TRUSTED_HOSTS: 'argocd.example.com:8443' })).environments[0].argocd.untrustedHost, undefined);
    assert.equal(parseConfig('/repo', text, undefined, { ARGOCD_SERVER: 'argocd.example.com:8443' }).environments[0].argocd.untrustedHost, undefined);
    assert.equal(parseConfig('/repo', text, undefined, { ARGOCD_SERVER: 'argocd.example.com' }).environments[0].argocd.untrustedHost, 'argocd.example.com:8443', 'another port is another host');
  });

  it('bad values are refused with the key, the line and the fix', () => {
    let p = problem(env('server: http://argocd.example.com'));
    assert.match(p.message, /environments\[0\]\.argocd\.server is not valid \(got "http:\/\/argocd\.example\.com"\): expected the Argo CD API server's https base URL/);
    assert.equal(p.line, 4);
    p = problem(env('server: https://admin:pw@argocd.example.com'));
    assert.match(p.message, /argocd\.server must be an https URL without credentials, query or fragment/);
    p = problem(env('server: https://argocd.example.com\nkubeContext: mgmt'));
    assert.match(p.message, /environments\[0\]\.argocd names both server and kubeContext; set one/);
    assert.equal(p.line, 5);
    p = problem(env('kubeContext: ""'));
    assert.match(p.message, /environments\[0\]\.argocd\.kubeContext must not be empty/);
    p = problem(env('sever: https://argocd.example.com'));
    assert.match(p.message, /unknown key "sever" in environments\[0\]\.argocd: did you mean "server"\?/);
  });
});

describe('the Argo CD token: ARGOCD_AUTH_TOKEN or the argocd login file', () => {
  const config = parseArgoCdLocalConfig(LOGIN, '/h/.config/argocd/config');

  it('parses the argocd CLI\'s configuration (contexts, servers, users with auth-token)', () => {
    assert.equal(config.currentContext, 'other.example.com:8443');
    assert.deepEqual(config.contexts.map((c) => c.server), ['argocd.example.com', 'other.example.com:8443']);
    assert.deepEqual(config.servers[1], { server: 'other.example.com:8443', insecure: true });
    assert.deepEqual(config.users, [{ name: 'argocd.example.com', authToken: 'tok-example' }, { name: 'other.example.com:8443', authToken: 'tok-other' }]);
    assert.throws(() => parseArgoCdLocalConfig('contexts: 3\n', '/f'), /\/f: contexts must be a list/);
    assert.throws(() => parseArgoCdLocalConfig('users: [\n', '/f'), /\/f is not valid YAML .*argocd login/);
    assert.throws(() => parseArgoCdLocalConfig('- a\n', '/f'), /not an argocd CLI configuration/);
  });

  it('host[:port] as argocd names servers: no scheme, no path, :443 is the default', () => {
    assert.equal(serverKey('https://ArgoCD.example.com:443/argo-cd'), 'argocd.example.com');
    assert.equal(serverKey('other.example.com:8443'), 'other.example.com:8443');
  });

  it('the login of this very server, whatever the current context; ARGOCD_AUTH_TOKEN first when the host is trusted', () => {
    const pick = (server: string, o: { env?: NodeJS.ProcessEnv; trusted?: boolean }) => pickArgoCdToken(server, { env: o.env ?? {}, trusted: o.trusted ?? true, config, file: '/h/.config/argocd/config' });
    assert.deepEqual(pick('https://argocd.example.com', {}), { ok: true, token: { token: 'tok-example', source: '/h/.config/argocd/config (context "argocd.example.com")' } });
    assert.deepEqual(pick('https://argocd.example.com:443/', { trusted: false }), { ok: true, token: { token: 'tok-example', source: '/h/.config/argocd/config (context "argocd.example.com")' } }, 'a login for that host is the user\'s own choice');
    assert.deepEqual(pick('https://argocd.example.com', { env: { ARGOCD_AUTH_TOKEN: 'tok-env' } }), { ok: true, token: { token: 'tok-env', source: 'ARGOCD_AUTH_TOKEN' } });
    // Another server: only a trusted host gets the current context's token.
    assert.deepEqual(pick('https://third.example.com', {}), { ok: true, token: { token: 'tok-other', source: '/h/.config/argocd/config (context "other.example.com:8443")' } });
    const withheld = pick('https://third.example.com', { trusted: false, env: { ARGOCD_AUTH_TOKEN: 'tok-env' } });
    assert.equal(withheld.ok, false);
    assert.match(!withheld.ok ? withheld.why : '', /the repository names the Argo CD server third\.example\.com, which is not trusted: ARGOCD_AUTH_TOKEN is not sent there\. Trust it with --trust-host third\.example\.com/);
    assert.ok(!JSON.stringify(withheld).includes('tok-'), 'no token in the message');
  });

  it('no token at all: how to log in', () => {
    const none = pickArgoCdToken('https://argocd.example.com', { env: {}, trusted: true });
    assert.deepEqual(none, { ok: false, why: 'no Argo CD token for argocd.example.com: log in with "argocd login argocd.example.com --sso" (the token goes to ~/.config/argocd/config) or set ARGOCD_AUTH_TOKEN' });
  });

  it('the file: ARGOCD_CONFIG_DIR, else ~/.config/argocd/config; a missing file is no login', async () => {
    assert.equal(argoCdConfigFile({ HOME: '/h' }), '/h/.config/argocd/config');
    assert.equal(argoCdConfigFile({ HOME: '/h', ARGOCD_CONFIG_DIR: '/c' }), '/c/config');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'argocd-cfg-'));
    try {
      const missing = await loadArgoCdToken('https://argocd.example.com', { env: { ARGOCD_CONFIG_DIR: dir }, trusted: true });
      assert.equal(missing.ok, false);
      await fs.writeFile(path.join(dir, 'config'), LOGIN);
      const found = await loadArgoCdToken('https://argocd.example.com', { env: { ARGOCD_CONFIG_DIR: dir }, trusted: false });
      assert.deepEqual(found, { ok: true, token: { token: 'tok-example', source: `${path.join(dir, 'config')} (context "argocd.example.com")` } });
      await fs.writeFile(path.join(dir, 'config'), 'servers: {}\n');
      const bad = await loadArgoCdToken('https://argocd.example.com', { env: { ARGOCD_CONFIG_DIR: dir }, trusted: true });
      assert.deepEqual(bad, { ok: false, why: `${path.join(dir, 'config')}: servers must be a list (an argocd CLI configuration has contexts, servers and users lists)` });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the Argo CD ports: per environment, and routed by application for the editor\'s shared ports', () => {
  const CONFIG = 'environments:\n  - name: stag\n  - name: prod\n    argocd: { server: "https://argocd.example.com", namespace: team-a, application: "{service}" }\nservices:\n  accounts: {}\n';
  const app = { metadata: { name: 'accounts', namespace: 'team-a', resourceVersion: '7' }, spec: { project: 'default' }, status: { sync: { status: 'Synced', revision: 'abc' }, health: { status: 'Healthy' } } };

  function fakeFetch(calls: { url: string; auth?: string; method: string; body?: string }[], answer: (url: URL) => Response = () => new Response(JSON.stringify(app), { status: 200 })): typeof fetch {
    return (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      calls.push({ url, method: init?.method ?? 'GET', auth: (init?.headers as Record<string, string> | undefined)?.Authorization, body: init?.body as string | undefined });
      return answer(new URL(url));
    }) as typeof fetch;
  }

  it('an API-server environment goes to its REST API with the bearer token and appNamespace; the editor\'s ports route there by application', async () => {
    const config = parseConfig('/repo', CONFIG, undefined, { ARGOCD_SERVER: 'argocd.example.com' });
    const calls: { url: string; auth?: string; method: string; body?: string }[] = [];
    const shared = createPorts(config, { env: { ARGOCD_AUTH_TOKEN: 'tok-env' }, fetch: fakeFetch(calls) });
    const s = await shared.argocd.get('team-a', 'accounts');
    assert.equal(s.syncStatus, 'Synced');
    assert.equal(s.healthStatus, 'Healthy');
    await shared.argocd.refresh('team-a', 'accounts', 'hard');
    await shared.argocd.sync('team-a', 'accounts', 'abc123', 'alice', 'CHG-1');
    assert.deepEqual(calls.map((c) => `${c.method} ${c.url}`), [
      'GET https://argocd.example.com/api/v1/applications/accounts?appNamespace=team-a',
      'GET https://argocd.example.com/api/v1/applications/accounts?appNamespace=team-a&refresh=hard',
      'POST https://argocd.example.com/api/v1/applications/accounts/sync',
    ]);
    assert.ok(calls.every((c) => c.auth === 'Bearer tok-env'));
    assert.deepEqual(JSON.parse(calls[2].body!), { name: 'accounts', appNamespace: 'team-a', revision: 'abc123', prune: false, dryRun: false, infos: [{ name: 'Reason', value: 'CHG-1' }, { name: 'Requested by', value: 'alice' }] });
    const perEnv: typeof calls = [];
    await createPorts(config, { environment: 'prod', env: { ARGOCD_AUTH_TOKEN: 'tok-env' }, fetch: fakeFetch(perEnv) }).argocd.get('team-a', 'accounts');
    assert.equal(perEnv.length, 1);
  });

  it('can-i: the application\'s project, sync for patch; 401 names the server and argocd login', async () => {
    const calls: { url: string; auth?: string; method: string }[] = [];
    const api = new ArgoCdApi({ server: 'https://argocd.example.com', env: { ARGOCD_AUTH_TOKEN: 't' }, fetch: fakeFetch(calls, (u) => new Response(JSON.stringify(u.pathname.includes('can-i') ? { value: u.pathname.includes('/sync/') ? 'no' : 'yes' } : app), { status: 200 })) });
    assert.deepEqual(await api.canI({ verb: 'get', group: 'argoproj.io', resource: 'applications', namespace: 'team-a', name: 'accounts' }), { allowed: true, reason: undefined });
    const patch = await api.canI({ verb: 'patch', group: 'argoproj.io', resource: 'applications', namespace: 'team-a', name: 'accounts' });
    assert.equal(patch.allowed, false);
    assert.ok(calls.some((c) => c.url === 'https://argocd.example.com/api/v1/account/can-i/applications/sync/default%2Fteam-a%2Faccounts'), calls.map((c) => c.url).join('\n'));
    const refused = new ArgoCdApi({ server: 'https://argocd.example.com', env: { ARGOCD_AUTH_TOKEN: 'expired' }, fetch: fakeFetch([], () => new Response('{"error":"invalid session: token has invalid claims: token is expired","code":16,"message":"invalid session: token has invalid claims: token is expired"}', { status: 401 })) });
    const err = await refused.get('argocd', 'accounts').then(() => undefined, (e: unknown) => e as { kind: string; system: string; httpStatus: number; message: string });
    assert.equal(err?.kind, 'auth');
    assert.equal(err?.system, 'argocd');
    assert.equal(err?.httpStatus, 401);
    assert.match(err!.message, /Argo CD API server argocd\.example\.com: get application argocd\/accounts: invalid session: token has invalid claims: token is expired \(401\) — the token from ARGOCD_AUTH_TOKEN was refused .*argocd login argocd\.example\.com --sso/);
    assert.ok(!err!.message.includes('expired"') && !err!.message.includes('Bearer'), 'no token in the message');
  });

  it('waitFor: a stream that breaks is followed by a re-read and a new stream (counted), until done', async () => {
    const at = (phase: string) => ({ ...app, status: { ...app.status, operationState: { phase } } });
    let streams = 0;
    let gets = 0;
    const enc = new TextEncoder();
    const fetchImpl = (async (input: string | URL | Request) => {
      const u = new URL(String(input));
      if (u.pathname === '/api/v1/stream/applications') {
        streams++;
        const n = streams;
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(enc.encode(JSON.stringify({ result: { type: 'ADDED', application: at('Running') } }) + '\n'));
            // The first stream breaks mid-line; the second delivers the end of the operation in two chunks.
            if (n === 1) {
              c.enqueue(enc.encode('{"result":{"type":"MODI'));
              c.error(new TypeError('terminated'));
            } else {
              const line = JSON.stringify({ result: { type: 'MODIFIED', application: at('Succeeded') } }) + '\n';
              c.enqueue(enc.encode(line.slice(0, 20)));
              c.enqueue(enc.encode(line.slice(20)));
            }
          },
        });
        return new Response(body, { status: 200 });
      }
      gets++;
      return new Response(JSON.stringify(at('Running')), { status: 200 });
    }) as typeof fetch;
    const lines: string[] = [];
    const api = new ArgoCdApi({ server: 'https://argocd.example.com', env: { ARGOCD_AUTH_TOKEN: 't' }, fetch: fetchImpl, log: (l) => lines.push(l) });
    const s = await api.waitFor('argocd', 'accounts', (x) => x.operationPhase === 'Succeeded', 10_000);
    assert.equal(s.operationPhase, 'Succeeded');
    assert.equal(streams, 2);
    assert.equal(gets, 2, 'one read before each stream');
    assert.equal(api.reconnects, 1);
    assert.ok(lines.some((l) => l.includes('re-opening the stream')), lines.join('\n'));
  });
});

describe('the Applications\' own context (argocd.kubeContext)', () => {
  it('a context missing from the kubeconfig is an Argo CD refusal naming the key', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'argocd-kc-'));
    try {
      const kubeconfig = path.join(dir, 'config');
      await fs.writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: work, context: {cluster: c, user: u}}]\ncurrent-context: work\n');
      const config = parseConfig('/repo', env('kubeContext: mgmt'), undefined, {});
      const ports = createPorts(config, { environment: 'stag', env: { KUBECONFIG: kubeconfig, HOME: dir } });
      const err = await ports.argocd.get('argocd', 'accounts-stag').then(() => undefined, (e: unknown) => e as { system: string; kind: string; message: string });
      assert.equal(err?.system, 'argocd');
      assert.equal(err?.kind, 'auth');
      assert.match(err!.message, /Kubernetes context "mgmt" is not in the kubeconfig .* \(contexts: work\): check environments\.stag\.argocd\.kubeContext in \.gitops-deploy\.yaml/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

// A repository is data, not a credential holder: a committed kubeconfig's exec plugin never runs,
// and a repository-named GitHub API host never receives the token unless the user trusted it.
// The built CLI against the sandbox; a listener in the test sees what arrives.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { SANDBOX_GIT_IDENTITY } from '../../sandbox/git';
import { startSandbox, type Sandbox, type Scenario } from '../../sandbox/index';
import { build, cli, git } from './helpers/cli';

const SCENARIO: Scenario = {
  services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } }, cards: { images: { '2.1.0': {}, '2.2.0': {} } } },
  environments: { dev: { accounts: '1.5.0', cards: '2.2.0' }, stag: { accounts: '1.4.0', cards: '2.1.0' }, prod: { accounts: '1.4.0', cards: '2.1.0' } },
} as Scenario;

/** Edits the repository's .gitops-deploy.yaml (and adds files), commits and pushes: what a colleague's commit would do. */
async function commitToRepo(sb: Sandbox, edit: (cfg: any) => void, files: Record<string, string> = {}): Promise<void> {
  const file = path.join(sb.repoDir, '.gitops-deploy.yaml');
  const cfg = YAML.parse(fs.readFileSync(file, 'utf8'));
  edit(cfg);
  fs.writeFileSync(file, YAML.stringify(cfg));
  for (const [rel, text] of Object.entries(files)) fs.writeFileSync(path.join(sb.repoDir, rel), text);
  await git(['add', '-A'], sb.repoDir);
  await git([...SANDBOX_GIT_IDENTITY, 'commit', '--quiet', '-m', 'Repository change'], sb.repoDir);
  await git(['push', '--quiet', 'origin', 'HEAD:main'], sb.repoDir);
}

describe('the repository cannot run code or take tokens (CLI against the sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox | undefined;
  let dir: string;
  let listener: http.Server | undefined;

  before(async function () {
    this.timeout(120_000);
    await build();
  });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-'));
    sb = await startSandbox({ dir, scenario: SCENARIO, fast: true, log: () => undefined });
  });

  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
    listener = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a committed kubeconfig with an exec plugin named by .gitops-deploy.yaml never runs: the marker file never appears', async () => {
    const s = sb!;
    const marker = path.join(dir, 'exec-plugin-ran');
    const evil = YAML.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'sandbox',
      clusters: [{ name: 'sandbox', cluster: { server: s.endpoints.kubernetes, 'insecure-skip-tls-verify': true } }],
      contexts: [{ name: 'sandbox', context: { cluster: 'sandbox', user: 'evil' } }],
      users: [{ name: 'evil', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'sh', args: ['-c', `touch '${marker}'; echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${s.kubeToken}"}}'`], interactiveMode: 'Never' } } }],
    });
    fs.mkdirSync(path.join(s.repoDir, 'ops'), { recursive: true });
    await commitToRepo(s, (cfg) => (cfg.kubernetes = { kubeconfig: 'ops/kubeconfig', context: 'sandbox' }), { 'ops/kubeconfig': evil });
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-1', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-1500));
    assert.equal(JSON.parse(r.stdout).kind, 'deployed');
    assert.equal(fs.existsSync(marker), false, 'the exec plugin of the committed kubeconfig ran');
    assert.match(r.stderr, /kubernetes\.kubeconfig is ignored/);
    const v = await cli(s, ['verify', 'accounts', '--env', 'stag', '--json']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(fs.existsSync(marker), false);
  });

  it('a repository-named github.apiUrl receives no token unless the user trusts its host (--trust-host)', async () => {
    const s = sb!;
    const seen: { method: string; url: string; authorization?: string }[] = [];
    listener = http.createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"listener"}');
    });
    await new Promise<void>((r) => listener!.listen(0, '127.0.0.1', () => r()));
    const host = `127.0.0.1:${(listener.address() as AddressInfo).port}`;
    await commitToRepo(s, (cfg) => (cfg.github = { apiUrl: `http://${host}`, owner: 'acme', repo: 'gitops' }));
    // No GITHUB_API_URL of the user's: the only API URL is the repository's.
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-2', '--json'], { drop: ['GITHUB_API_URL'] });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(seen.filter((x) => x.authorization?.includes(s.githubToken)), [], 'the token reached the untrusted host');
    assert.equal(seen.length, 0);
    assert.ok(r.stderr.includes(`not sending the GitHub token to ${host}`), r.stderr);

    // Trusted explicitly: now it does arrive (so the listener can see it — the check above can fail).
    const t = await cli(s, ['deploy', 'cards', '--env', 'stag', '--reason', 'CHG-3', '--json', '--trust-host', host], { drop: ['GITHUB_API_URL'] });
    assert.equal(t.code, 0, t.stderr);
    assert.ok(seen.some((x) => x.authorization === `token ${s.githubToken}`), JSON.stringify(seen.map((x) => `${x.method} ${x.url}`)));
  });
});

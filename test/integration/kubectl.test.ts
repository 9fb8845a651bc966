// kubectl as the independent judge: the sandbox's kubeconfig (HTTPS with its own CA, the exec credential
// plugin) works with a standard client unchanged, and what kubectl reads after a CLI deploy is the state
// our pipeline wrote. kubectl is required: CI installs Debian's kubernetes-client (.ci/run); this test fails,
// rather than skips, without it.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { startSandbox, type Sandbox, type Scenario } from '../../sandbox/index';
import { build, cli, git } from './helpers/cli';

const SCENARIO: Scenario = {
  services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } }, cards: { images: { '2.1.0': {} } } },
  environments: { dev: { accounts: '1.5.0', cards: '2.1.0' }, stag: { accounts: '1.4.0', cards: '2.1.0' }, prod: { accounts: '1.4.0', cards: '2.1.0' } },
  timing: { podReadySeconds: 0, syncSeconds: 0, runStepSeconds: 0, progressDeadlineSeconds: 10 },
} as Scenario;

interface Run { code: number; stdout: string; stderr: string }

describe('kubectl against the sandbox (HTTPS, its own CA, exec credential plugin)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let dir: string;
  let kubectlHome: string;

  /** kubectl with only the given kubeconfig (default the sandbox's; no ~/.kube of the machine's, its own cache). */
  const kubectl = (args: string[], kubeconfig = sb.kubeconfigPath): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(kubectlHome, 'cache'), '--request-timeout', '30s', ...args], { env: { PATH: process.env.PATH ?? '', HOME: kubectlHome }, timeout: 60_000 }, (err, stdout, stderr) => {
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          resolve({ code: -1, stdout: '', stderr: 'kubectl is not installed: apt-get install kubernetes-client (CI\'s .ci/run does)' });
          return;
        }
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stdout, stderr });
      });
      // No terminal: kubectl must never wait for a typed username or password.
      child.stdin?.end();
    });
  const json = async (args: string[]): Promise<any> => {
    const r = await kubectl([...args, '-o', 'json']);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };

  before(async function () {
    this.timeout(180_000);
    await new Promise<void>((resolve, reject) =>
      execFile('kubectl', ['version', '--client'], (err, _o, stderr) => (err ? reject(new Error(`kubectl is required for this test and is not usable: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed — apt-get install kubernetes-client (.ci/run installs it)' : stderr || err.message}`)) : resolve())),
    );
    await build();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-'));
    kubectlHome = path.join(dir, 'home');
    fs.mkdirSync(kubectlHome);
    sb = await startSandbox({ dir: path.join(dir, 'sandbox'), scenario: SCENARIO, fast: true, log: () => undefined });
  });
  after(async () => {
    await sb?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('get deployment / applications.argoproj.io authenticate with the plugin over HTTPS; a kubeconfig without the CA is refused', async () => {
    const before = sb.kubeTokensSeen().length;
    const d = await json(['get', 'deployment', 'accounts-deployment', '-n', 'stag']);
    assert.equal(d.spec.template.spec.containers[0].image, '123456789012.dkr.ecr.us-east-1.amazonaws.com/accounts:1.4.0');
    const app = await json(['get', 'applications.argoproj.io', 'accounts-stag', '-n', 'argocd']);
    assert.equal(app.status.sync.revision, sb.headSha());
    assert.ok(sb.kubeTokensSeen().slice(before).every((t) => t.user === 'sandbox-user') && sb.kubeTokensSeen().length > before, 'kubectl used tokens of the exec plugin');

    // The same kubeconfig without the CA: kubectl refuses the server's certificate (and sends nothing).
    const noCa = path.join(dir, 'no-ca.yaml');
    const doc = YAML.parse(fs.readFileSync(sb.kubeconfigPath, 'utf8'));
    delete doc.clusters[0].cluster['certificate-authority-data'];
    fs.writeFileSync(noCa, YAML.stringify(doc));
    const seen = sb.kubeTokensSeen().length;
    const r = await kubectl(['get', 'ns'], noCa);
    assert.equal(r.code, 1);
    assert.equal(sb.kubeTokensSeen().length, seen, 'no request reached the API server');
    assert.match(r.stderr, /certificate signed by unknown authority|x509/);
  });

  it('after a CLI deploy of accounts 1.5.0 to stag, kubectl sees the new image, the Application at the deploy commit, a finished rollout, the new pods\' logs and events, and health through the service proxy', async () => {
    const r = await cli(sb, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--reason', 'CHG-15', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-1500));
    const out = JSON.parse(r.stdout);
    assert.equal(out.kind, 'deployed');
    const head = (await git(['rev-parse', 'main'], sb.originDir)).trim();

    const d = await json(['get', 'deployment', 'accounts-deployment', '-n', 'stag']);
    assert.equal(d.spec.template.spec.containers[0].image, '123456789012.dkr.ecr.us-east-1.amazonaws.com/accounts:1.5.0');
    assert.ok(d.status.observedGeneration >= d.metadata.generation);
    assert.equal(d.status.updatedReplicas, d.spec.replicas);

    const app = await json(['get', 'applications.argoproj.io', 'accounts-stag', '-n', 'argocd']);
    assert.ok(app.status.history.some((h: { revision: string }) => h.revision === out.commit), 'Argo CD deployed the CLI\'s commit');
    assert.equal(app.status.operationState.syncResult.revision, out.commit);
    assert.equal(app.status.health.status, 'Healthy');
    assert.ok([out.commit, head].includes(app.status.sync.revision));

    const rollout = await kubectl(['rollout', 'status', 'deployment/accounts-deployment', '-n', 'stag', '--timeout=30s']);
    assert.equal(rollout.code, 0, rollout.stderr);
    assert.match(rollout.stdout, /deployment "accounts-deployment" successfully rolled out/);

    const pods = (await json(['get', 'pods', '-n', 'stag', '-l', Object.entries(d.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',')])).items;
    const running = pods.filter((p: any) => p.spec.containers[0].image.endsWith(':1.5.0'));
    assert.equal(running.length, 2, pods.map((p: any) => `${p.metadata.name} ${p.spec.containers[0].image}`).join(', '));
    const logs = await kubectl(['logs', '-n', 'stag', running[0].metadata.name, '--tail=5']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.ok(logs.stdout.trim().split('\n').length >= 1);

    const events = await json(['get', 'events', '-n', 'stag', '--field-selector', 'involvedObject.name=accounts-deployment']);
    assert.ok(events.items.some((e: any) => e.reason === 'ScalingReplicaSet'), JSON.stringify(events.items.map((e: any) => e.reason)));

    const health = await kubectl(['get', '--raw', '/api/v1/namespaces/stag/services/accounts:8080/proxy/actuator/health']);
    assert.equal(health.code, 0, health.stderr);
    assert.equal(JSON.parse(health.stdout).status, 'UP');
  });

  it('the second user\'s static token works with kubectl too (context sandbox-token); a wrong one is 401', async () => {
    const d = await json(['--context', sb.kubeTokenContext, 'get', 'deployment', 'accounts-deployment', '-n', 'stag']);
    assert.equal(d.metadata.name, 'accounts-deployment');
    const bad = await kubectl(['--context', sb.kubeTokenContext, '--token', 'not-a-token', 'get', 'deployment', 'accounts-deployment', '-n', 'stag']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Unauthorized|must be logged in/);
  });
});

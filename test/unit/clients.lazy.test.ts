// createPorts builds every adapter without evaluating an SDK; the first call of an adapter loads only its own.
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

describe('clients: lazy SDK loading (bundled with the load marker)', () => {
  it('createPorts loads no SDK; a registry call loads only the ECR SDK, a cluster call only the Kubernetes one', async function () {
    this.timeout(60_000);
    const esbuild = await import('esbuild');
    const { sdkMarker } = await import(path.join(root, 'scripts/sdk-marker.mjs'));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clients-lazy-'));
    const out = path.join(tmp, 'clients.js');
    await esbuild.build({
      entryPoints: [path.join(root, 'src/clients/index.ts')],
      bundle: true, platform: 'node', format: 'cjs', outfile: out, plugins: [sdkMarker], logLevel: 'silent',
    });
    const kubeconfig = path.join(tmp, 'kubeconfig');
    fs.writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: c, context: {cluster: c, user: u}}]',
    ].join('\n'));
    const config: any = {
      root: tmp, environments: [], services: {}, tagPath: 'auto',
      registry: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9' },
      signing: { mode: 'off', publicKeys: [] },
      verification: { errorRateQuery: '', errorRateThreshold: 0.01, restartThreshold: 0, resourceWarnFraction: 0.9, resourceFailOnExceed: false, syncTimeoutSeconds: 1, rolloutTimeoutSeconds: 1 },
      git: { remote: 'origin', branch: 'main' }, github: { apiUrl: 'http://127.0.0.1:9' }, kubernetes: { kubeconfig }, notify: {},
    };
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
    delete (globalThis as any).__gitopsDeploySdks;
    try {
      const mod = require(out);
      const ports = mod.createPorts(config, { env });
      assert.deepEqual((globalThis as any).__gitopsDeploySdks ?? [], []);
      await assert.rejects(ports.registry.describeImage('r', 't', AbortSignal.timeout(5000)));
      assert.deepEqual((globalThis as any).__gitopsDeploySdks, ['@aws-sdk/client-ecr']);
      await assert.rejects(ports.cluster.getDeployment('ns', 'd', AbortSignal.timeout(5000)));
      assert.deepEqual([...(globalThis as any).__gitopsDeploySdks].sort(), ['@aws-sdk/client-ecr', '@kubernetes/client-node']);
    } finally {
      delete (globalThis as any).__gitopsDeploySdks;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

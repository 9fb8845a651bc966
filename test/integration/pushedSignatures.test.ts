// Images pushed on request (the sandbox's control endpoint, as a build's push step) are signed like
// the scenario's other images: a cosign v3 bundle referrer by default (keyless in a keyless world,
// with the build's commit in the certificate), classic only when asked, nothing when unsigned.
import { strict as assert } from 'node:assert';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { EcrRegistry } from '../../src/clients/ecr';
import { OciRegistry } from '../../src/clients/oci';
import { cli, sandboxPerTest } from './helpers/cli';

const SHA = 'c0ffee'.repeat(6) + 'c0ff';

function scenario(signature: Scenario['signature']): Scenario {
  return { signature, services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } } }, environments: { dev: { accounts: '1.5.0' }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } } };
}

async function pushOverHttp(sb: Sandbox, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${sb.endpoints.ecr}/sandbox/push`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { digest: string }).digest;
}

const registries = (sb: Sandbox) => ({
  oci: new OciRegistry({ url: sb.endpoints.oci, credentials: { username: sb.env.GITOPS_DEPLOY_REGISTRY_USERNAME, password: sb.env.GITOPS_DEPLOY_REGISTRY_PASSWORD } }),
  ecr: new EcrRegistry({ region: 'us-east-1', endpoint: sb.env.AWS_ENDPOINT_URL_ECR, credentials: { accessKeyId: sb.env.AWS_ACCESS_KEY_ID, secretAccessKey: sb.env.AWS_SECRET_ACCESS_KEY } }),
});

describe('images pushed on request are signed with a bundle by default', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('pushed-sig-');

  it('a pushed tag: one bundle referrer naming its digest and no .sig (ECR and OCI APIs); classic only with signature: classic; none when unsigned', async () => {
    const s = await box.start(scenario('bundle'));
    const { oci, ecr } = registries(s);
    const bundled = await pushOverHttp(s, { service: 'accounts', tag: 'main-aaaaaaa', commit: SHA });
    for (const r of [oci, ecr]) {
      const bundles = await r.bundles('accounts', bundled);
      assert.equal(bundles.length, 1);
      assert.equal(bundles[0].via, 'referrers-api');
      const statement = JSON.parse(Buffer.from(JSON.parse(bundles[0].json.toString('utf8')).dsseEnvelope.payload, 'base64').toString('utf8'));
      assert.equal('sha256:' + statement.subject[0].digest.sha256, bundled);
      assert.deepEqual(await r.signatures('accounts', bundled), []);
    }
    const classic = s.pushImage('accounts', 'main-bbbbbbb', { signature: 'classic', commit: SHA }).digest;
    assert.deepEqual(await oci.bundles('accounts', classic), []);
    const layers = await oci.signatures('accounts', classic);
    assert.equal(layers.length, 1);
    assert.equal(JSON.parse(layers[0].payload.toString('utf8')).optional.commit, SHA);
    const unsigned = s.pushImage('accounts', 'main-ccccccc', { signed: false }).digest;
    assert.deepEqual([await oci.bundles('accounts', unsigned), await oci.signatures('accounts', unsigned)], [[], []]);
  });

  it('in a keyless world (the demo\'s): a pushed build deploys with a keyless bundle whose certificate names the pushed commit', async () => {
    const s = await box.start(scenario('keyless'));
    const digest = await pushOverHttp(s, { service: 'accounts', tag: 'main-ddddddd', commit: SHA });
    const r = await cli(s, ['deploy', 'accounts', '--env', 'dev', '--tag', 'main-ddddddd', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const sig = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'signature');
    assert.equal(sig.status, 'passed');
    assert.deepEqual([sig.signature.form, sig.signature.signer, sig.signature.via, sig.signature.digest], ['bundle', 'keyless', 'referrers-api', digest]);
    assert.equal(sig.signature.identity.subject, 'https://github.com/acme/accounts/.github/workflows/release.yml@refs/heads/main');
    assert.equal(sig.signature.identity.githubWorkflowSha, SHA);
  });
});

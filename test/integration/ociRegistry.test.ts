// The OCI distribution adapter (registry.type: oci) against the sandbox's OCI registry: bundles
// through the referrers API and through the fallback `sha256-<hex>` tag index (a registry without
// the API), classic .sig signatures, a missing image, auth (basic, the bearer-token flow, credentials
// withheld from a host the repository named), and a full CLI deploy through it.
import { strict as assert } from 'node:assert';
import { createPublicKey, verify } from 'node:crypto';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { OciRegistry } from '../../src/clients/oci';
import { PortError } from '../../src/pipeline/model/cause';
import { cli, git, newRecordOnOrigin, recordsOnOrigin, sandboxPerTest } from './helpers/cli';

const VALUES = (env: string) => `helm/environments/${env}-env/image-tags.yaml`;

function scenario(extra: Partial<Scenario> = {}): Scenario {
  return {
    signature: 'bundle',
    services: { accounts: { images: { '1.4.0': {}, '1.5.0': {}, '1.5.1': { signature: 'classic' }, '1.5.2': { signature: 'keyless' }, '1.5.3': { signed: false } } } },
    environments: { dev: { accounts: '1.5.0' }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } },
    ...extra,
  };
}

function adapter(sb: Sandbox, opts: { anonymous?: boolean; untrustedHost?: string } = {}): OciRegistry {
  return new OciRegistry({
    url: sb.endpoints.oci,
    credentials: opts.anonymous ? undefined : { username: sb.env.GITOPS_DEPLOY_REGISTRY_USERNAME, password: sb.env.GITOPS_DEPLOY_REGISTRY_PASSWORD },
    untrustedHost: opts.untrustedHost,
  });
}

/** The image digest a bundle's DSSE statement names. */
function statementDigest(bundleJson: Buffer): string {
  const b = JSON.parse(bundleJson.toString('utf8'));
  const statement = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8'));
  return 'sha256:' + statement.subject[0].digest.sha256;
}

async function rejection(p: Promise<unknown>): Promise<PortError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PortError, `a PortError, got ${String(e)}`);
    return e;
  }
  throw new Error('expected a rejection');
}

describe('OCI registry adapter against the sandbox', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('oci-registry-');

  it('describeImage: the digest of the served bytes; a missing tag is undefined; a missing repository is not-found', async () => {
    const s = await box.start(scenario());
    const oci = adapter(s);
    const img = await oci.describeImage('accounts', '1.5.0');
    assert.equal(img?.digest, s.registry.find('accounts', { imageTag: '1.5.0' })?.digest);
    assert.deepEqual(img?.tags, ['1.5.0']);
    assert.equal(await oci.describeImage('accounts', '9.9.9'), undefined);
    const e = await rejection(oci.describeImage('payments', '1.0.0'));
    assert.equal(e.kind, 'not-found');
    assert.equal(e.httpStatus, 404);
    // The raw answer is a real registry's: 404 with the OCI error JSON.
    const auth = 'Basic ' + Buffer.from(`${s.env.GITOPS_DEPLOY_REGISTRY_USERNAME}:${s.env.GITOPS_DEPLOY_REGISTRY_PASSWORD}`).toString('base64');
    const raw = await fetch(`${s.endpoints.oci}/v2/accounts/manifests/9.9.9`, { headers: { Authorization: auth, Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(raw.status, 404);
    assert.equal(((await raw.json()) as { errors: { code: string }[] }).errors[0].code, 'MANIFEST_UNKNOWN');
  });

  it('listTags: every image tag, no signature or referrer tags, each with its digest', async () => {
    const s = await box.start(scenario({ registry: { referrers: false } }));
    const tags = await adapter(s).listTags('accounts', 50);
    assert.deepEqual(tags.map((t) => t.tag).sort(), ['1.4.0', '1.5.0', '1.5.1', '1.5.2', '1.5.3']);
    for (const t of tags) assert.equal(t.digest, s.registry.find('accounts', { imageTag: t.tag })?.digest);
  });

  it('a bundle through the referrers API (via referrers-api): the referrer manifest the registry holds, naming the image digest', async () => {
    const s = await box.start(scenario());
    const oci = adapter(s);
    const digest = (await oci.describeImage('accounts', '1.5.0'))!.digest;
    const bundles = await oci.bundles('accounts', digest);
    assert.equal(bundles.length, 1);
    assert.equal(bundles[0].via, 'referrers-api');
    assert.equal(bundles[0].artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(bundles[0].manifestDigest, s.registry.referrers('accounts', digest)[0].digest);
    assert.equal(statementDigest(bundles[0].json), digest);
    // An unsigned image: the API answers an empty index, so no bundle and no fallback.
    const unsigned = (await oci.describeImage('accounts', '1.5.3'))!.digest;
    assert.deepEqual(await oci.bundles('accounts', unsigned), []);
  });

  it('a registry without the referrers API (404): the bundle through the sha256-<hex> tag index (via referrers-tag)', async () => {
    const s = await box.start(scenario({ registry: { referrers: false } }));
    const oci = adapter(s);
    const digest = (await oci.describeImage('accounts', '1.5.2'))!.digest;
    const auth = 'Basic ' + Buffer.from(`${s.env.GITOPS_DEPLOY_REGISTRY_USERNAME}:${s.env.GITOPS_DEPLOY_REGISTRY_PASSWORD}`).toString('base64');
    assert.equal((await fetch(`${s.endpoints.oci}/v2/accounts/referrers/${digest}`, { headers: { Authorization: auth } })).status, 404);
    const bundles = await oci.bundles('accounts', digest);
    assert.equal(bundles.length, 1);
    assert.equal(bundles[0].via, 'referrers-tag');
    assert.equal(statementDigest(bundles[0].json), digest);
    // No index tag for an unsigned image: none.
    assert.deepEqual(await oci.bundles('accounts', (await oci.describeImage('accounts', '1.5.3'))!.digest), []);
  });

  it('classic: the sha256-<hex>.sig layer, its payload naming the digest and a signature the trusted key verifies', async () => {
    const s = await box.start(scenario());
    const oci = adapter(s);
    const digest = (await oci.describeImage('accounts', '1.5.1'))!.digest;
    const layers = await oci.signatures('accounts', digest);
    assert.equal(layers.length, 1);
    assert.equal(JSON.parse(layers[0].payload.toString('utf8')).critical.image['docker-manifest-digest'], digest);
    assert.ok(verify('sha256', layers[0].payload, createPublicKey(s.trustedPublicKeyPem), Buffer.from(layers[0].signature, 'base64')));
    // A bundle-signed image has no .sig tag.
    assert.deepEqual(await oci.signatures('accounts', (await oci.describeImage('accounts', '1.5.0'))!.digest), []);
  });

  it('auth: anonymous is refused (auth, 401); a repository-named host gets no credentials; the bearer-token flow works', async () => {
    const s = await box.start(scenario());
    const anon = await rejection(adapter(s, { anonymous: true }).describeImage('accounts', '1.5.0'));
    assert.equal(anon.kind, 'auth');
    assert.equal(anon.httpStatus, 401);
    const withheld = await rejection(adapter(s, { untrustedHost: new URL(s.endpoints.oci).host }).describeImage('accounts', '1.5.0'));
    assert.equal(withheld.kind, 'auth');
    assert.ok(withheld.message.includes(`--trust-host ${new URL(s.endpoints.oci).host}`), withheld.message);
    s.setScenario({ ...scenario(), registry: { auth: 'bearer' } });
    const oci = adapter(s);
    const digest = (await oci.describeImage('accounts', '1.5.0'))!.digest;
    assert.equal(digest, s.registry.find('accounts', { imageTag: '1.5.0' })?.digest);
    assert.equal((await oci.bundles('accounts', digest)).length, 1);
  });
});

describe('CLI deploy through an OCI registry (registry.type: oci)', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('oci-cli-');

  for (const referrers of [true, false]) {
    it(`deploy accounts 1.5.0 to stag (referrers API ${referrers ? 'on' : 'off'}): exit 0, the bundle verified via ${referrers ? 'referrers-api' : 'referrers-tag'}, the tag on origin, a succeeded record`, async () => {
      const s = await box.start(scenario({ signature: 'keyless', registry: { type: 'oci', referrers } }));
      const config = await git(['show', 'main:.gitops-deploy.yaml'], s.originDir);
      assert.match(config, /type: oci/);
      const before = await recordsOnOrigin(s, 'stag');
      const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = JSON.parse(r.stdout);
      const sig = out.checks.find((c: { name: string }) => c.name === 'signature');
      assert.equal(sig.status, 'passed');
      assert.equal(sig.signature.form, 'bundle');
      assert.equal(sig.signature.via, referrers ? 'referrers-api' : 'referrers-tag');
      assert.equal(sig.signature.digest, s.registry.find('accounts', { imageTag: '1.5.0' })?.digest);
      assert.match(await git(['show', `main:${VALUES('stag')}`], s.originDir), /tag: "1\.5\.0"/);
      const rec = await newRecordOnOrigin(s, 'stag', before);
      assert.equal(rec.status, 'succeeded');
      assert.deepEqual(rec.checks.find((c) => c.name === 'signature')?.signature, sig.signature);
    });
  }

  it('registry.url named only by the repository: no credentials sent, the deploy refused, nothing changed', async () => {
    const s = await box.start(scenario({ signature: 'keyless', registry: { type: 'oci' } }));
    const head = s.headSha();
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--json'], { drop: ['GITOPS_DEPLOY_REGISTRY_URL'] });
    assert.notEqual(r.code, 0, r.stdout + r.stderr);
    assert.ok((r.stdout + r.stderr).includes(`--trust-host ${new URL(s.endpoints.oci).host}`), r.stdout + r.stderr);
    assert.equal(s.headSha(), head);
    assert.equal(await git(['status', '--porcelain'], s.repoDir), '');
    // Trusting the host sends them: the same deploy passes.
    const ok = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0', '--json'], { drop: ['GITOPS_DEPLOY_REGISTRY_URL'], env: { GITOPS_DEPLOY_TRUSTED_HOSTS: new URL(s.endpoints.oci).host } });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });
});

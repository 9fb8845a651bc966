// The verifier (src/pipeline/signatures.ts) against bundles produced by Sigstore's own signing
// library (@sigstore/sign) with a local Fulcio/Rekor (@sigstore/mock) over loopback: each form
// passes with its structured evidence, and each refusal carries its typed reason.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { listen, type Listening } from '../../sandbox/http';
import { GITHUB_ISSUER, LocalSigstore, RELEASE_SUBJECT_REGEXP } from '../../sandbox/sigstore';
import { verifyImage, type BundleArtifact, type TrustPolicy } from '../../src/pipeline/signatures';
import { sha256, signLayer } from './pipelineFakes';

const DIGEST = sha256('accounts:1.5.0');
const OTHER = sha256('accounts:9.9.9');
const RELEASE = 'https://github.com/acme/accounts/.github/workflows/release.yml@refs/heads/main';
const ec = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pemOf = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const art = (json: Buffer): BundleArtifact => ({ json, manifestDigest: sha256(json), artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', via: 'referrers-api' });

describe('signatures: Sigstore bundles, classic .sig, key-based and keyless', function () {
  this.timeout(60_000);
  let ls: LocalSigstore;
  let server: Listening;
  const trusted = ec();
  const untrusted = ec();
  let policy: TrustPolicy;
  const keyless = (identity = RELEASE, digest = DIGEST) => ls.signImage('registry.example/accounts', digest, { kind: 'keyless', identity, repository: 'acme/accounts', sha: 'a'.repeat(40) });
  const keyBased = (key = trusted, digest = DIGEST) => ls.signImage('registry.example/accounts', digest, { kind: 'key', privateKey: key.privateKey, publicPem: pemOf(key.publicKey) });

  before(async () => {
    ls = await LocalSigstore.create();
    server = await listen(ls.handle, () => undefined, 'sigstore');
    ls.setUrl(server.url);
    policy = { keys: [{ name: 'cosign.pub', pem: pemOf(trusted.publicKey) }], identities: [{ issuer: GITHUB_ISSUER, subjectRegExp: RELEASE_SUBJECT_REGEXP }], trustedRoot: ls.trustedRoot(), trustedRootName: 'sigstore/trusted_root.json' };
  });
  after(() => server?.close());

  it('keyless bundle: passes with the certificate identity, GitHub extensions and the Rekor log index', async () => {
    const v = await verifyImage({ bundles: [art(await keyless())], classic: [] }, DIGEST, policy);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.evidence.form, 'bundle');
    assert.equal(v.evidence.via, 'referrers-api');
    assert.equal(v.evidence.signer, 'keyless');
    assert.equal(v.evidence.identity?.subject, RELEASE);
    assert.equal(v.evidence.identity?.issuer, GITHUB_ISSUER);
    assert.equal(v.evidence.identity?.githubWorkflowRepository, 'acme/accounts');
    assert.equal(v.evidence.identity?.githubWorkflowSha, 'a'.repeat(40));
    assert.equal(typeof v.evidence.rekorLogIndex, 'number');
    assert.deepEqual(v.evidence.matchedRule, policy.identities[0]);
  });

  it('key-based bundle: passes with the key name and algorithm', async () => {
    const v = await verifyImage({ bundles: [art(await keyBased())], classic: [] }, DIGEST, policy);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.evidence.signer, 'key');
    assert.equal(v.evidence.key, 'cosign.pub');
    assert.equal(v.evidence.keyAlgorithm, 'ECDSA P-256');
  });

  it('classic .sig: passes with the trusted key; another key is untrusted-key', async () => {
    const ok = await verifyImage({ bundles: [], classic: [signLayer(DIGEST, trusted.privateKey)] }, DIGEST, policy);
    assert.ok(ok.ok);
    assert.equal(ok.evidence.form, 'classic');
    assert.equal(ok.evidence.via, 'sig-tag');
    const bad = await verifyImage({ bundles: [], classic: [signLayer(DIGEST, untrusted.privateKey)] }, DIGEST, policy);
    assert.ok(!bad.ok);
    assert.equal(bad.refusal.reason, 'untrusted-key');
  });

  it('bundles are tried before classic signatures', async () => {
    const v = await verifyImage({ bundles: [art(await keyless())], classic: [signLayer(DIGEST, trusted.privateKey)] }, DIGEST, policy);
    assert.ok(v.ok);
    assert.equal(v.evidence.form, 'bundle');
  });

  const refusal = async (material: Parameters<typeof verifyImage>[0], p = policy) => {
    const v = await verifyImage(material, DIGEST, p);
    assert.ok(!v.ok, 'expected a refusal');
    return v.refusal;
  };

  it('no signature: unsigned', async () => {
    assert.equal((await refusal({ bundles: [], classic: [] })).reason, 'unsigned');
  });

  it('a signature for another digest: digest-mismatch, with the digest it signs', async () => {
    const r = await refusal({ bundles: [art(await keyless(RELEASE, OTHER))], classic: [] });
    assert.equal(r.reason, 'digest-mismatch');
    assert.equal(r.signedDigest, OTHER);
    const c = await refusal({ bundles: [], classic: [signLayer(OTHER, trusted.privateKey)] });
    assert.equal(c.reason, 'digest-mismatch');
  });

  it('a bundle signed with another key: untrusted-key', async () => {
    assert.equal((await refusal({ bundles: [art(await keyBased(untrusted))], classic: [] })).reason, 'untrusted-key');
  });

  it('another workflow: identity-not-allowed, with the identity found and the policy', async () => {
    const fork = 'https://github.com/someone/fork/.github/workflows/release.yml@refs/heads/main';
    const r = await refusal({ bundles: [art(await keyless(fork))], classic: [] });
    assert.equal(r.reason, 'identity-not-allowed');
    assert.equal(r.foundIdentity?.subject, fork);
    assert.equal(r.foundIdentity?.issuer, GITHUB_ISSUER);
    assert.deepEqual(r.policy, policy.identities);
  });

  it('a certificate from another Fulcio: untrusted-certificate', async () => {
    const other = await LocalSigstore.create();
    const otherServer = await listen(other.handle, () => undefined, 'sigstore-2');
    try {
      other.setUrl(otherServer.url);
      const json = await other.signImage('registry.example/accounts', DIGEST, { kind: 'keyless', identity: RELEASE, repository: 'acme/accounts', sha: 'b'.repeat(40) });
      assert.match((await refusal({ bundles: [art(json)], classic: [] })).reason, /^(untrusted-certificate|tlog-invalid)$/);
    } finally {
      await otherServer.close();
    }
  });

  it('a keyless bundle without its Rekor entry: no-timestamp', async () => {
    const b = JSON.parse((await keyless()).toString());
    b.verificationMaterial.tlogEntries = [];
    assert.equal((await refusal({ bundles: [art(Buffer.from(JSON.stringify(b)))], classic: [] })).reason, 'no-timestamp');
  });

  it('a keyless bundle logged after its certificate expired: certificate-expired', async () => {
    const late = await LocalSigstore.create({ logClock: new Date(Date.now() + 3_600_000) });
    const lateServer = await listen(late.handle, () => undefined, 'sigstore-late');
    try {
      late.setUrl(lateServer.url);
      const json = await late.signImage('registry.example/accounts', DIGEST, { kind: 'keyless', identity: RELEASE, repository: 'acme/accounts', sha: 'c'.repeat(40) });
      const r = await refusal({ bundles: [art(json)], classic: [] }, { ...policy, trustedRoot: late.trustedRoot() });
      assert.equal(r.reason, 'certificate-expired');
    } finally {
      await lateServer.close();
    }
  });

  it('an altered bundle: tampered', async () => {
    const b = JSON.parse((await keyless()).toString());
    const sig = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64');
    sig[sig.length - 1] ^= 1;
    b.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    assert.equal((await refusal({ bundles: [art(Buffer.from(JSON.stringify(b)))], classic: [] })).reason, 'tampered');
    assert.equal((await refusal({ bundles: [art(Buffer.from('{"mediaType":"nope"}'))], classic: [] })).reason, 'tampered');
  });
});

import * as assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { loadKeys, verifyImageSignature } from '../../src/pipeline/cosign';
import { payloadFor, sha256, signLayer } from './pipelineFakes';

const digest = sha256('image manifest');
const pem = (k: { publicKey: import('node:crypto').KeyObject }) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString();

describe('pipeline cosign verifier', () => {
  const pairs = {
    'ECDSA P-256': generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
    'RSA 2048': generateKeyPairSync('rsa', { modulusLength: 2048 }),
    Ed25519: generateKeyPairSync('ed25519'),
  };
  for (const [algorithm, pair] of Object.entries(pairs)) {
    it(`verifies a signature made with ${algorithm}`, () => {
      const { keys } = loadKeys([{ name: 'cosign.pub', pem: pem(pair) }]);
      const v = verifyImageSignature([signLayer(digest, pair.privateKey)], digest, keys);
      assert.deepEqual(v, { ok: true, key: 'cosign.pub', algorithm, layerDigest: signLayer(digest, pair.privateKey).layerDigest });
    });
  }

  const ec = pairs['ECDSA P-256'];
  const { keys } = loadKeys([{ name: 'cosign.pub', pem: pem(ec) }]);

  it('rejects a tampered payload (layer digest no longer matches)', () => {
    const layer = signLayer(digest, ec.privateKey);
    const tampered = { ...layer, payload: Buffer.from(layer.payload.toString().replace('cosign container', 'cosign  container')) };
    const v = verifyImageSignature([tampered], digest, keys);
    assert.equal(v.ok, false);
    assert.equal(!v.ok && v.reason, 'bad-payload');
  });

  it('rejects a tampered payload whose layer digest was recomputed (signature fails)', () => {
    const layer = signLayer(digest, ec.privateKey);
    const payload = Buffer.from(layer.payload.toString().replace('registry.example', 'evil.example'));
    const v = verifyImageSignature([{ ...layer, payload, layerDigest: sha256(payload) }], digest, keys);
    assert.equal(!v.ok && v.reason, 'untrusted');
  });

  it('rejects a signature made by another key, naming the trusted key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const v = verifyImageSignature([signLayer(digest, other.privateKey)], digest, keys);
    assert.equal(!v.ok && v.reason, 'untrusted');
    assert.match(!v.ok ? v.message : '', /cosign\.pub/);
  });

  it('rejects a signature over another digest', () => {
    const v = verifyImageSignature([signLayer(sha256('other image'), ec.privateKey)], digest, keys);
    assert.equal(!v.ok && v.reason, 'digest-mismatch');
  });

  it('matches the docker-manifest-digest key case-insensitively', () => {
    const payload = payloadFor(digest, { key: 'Docker-manifest-digest' });
    assert.equal(verifyImageSignature([signLayer(digest, ec.privateKey, { payload })], digest, keys).ok, true);
  });

  it('rejects a payload of the wrong type', () => {
    const payload = payloadFor(digest, { type: 'something else' });
    const v = verifyImageSignature([signLayer(digest, ec.privateKey, { payload })], digest, keys);
    assert.equal(!v.ok && v.reason, 'bad-payload');
  });

  it('reports an unsigned image and a missing key', () => {
    assert.equal((verifyImageSignature([], digest, keys) as any).reason, 'unsigned');
    assert.equal((verifyImageSignature([signLayer(digest, ec.privateKey)], digest, []) as any).reason, 'bad-key');
  });

  it('accepts when any layer verifies with any of several keys', () => {
    const other = generateKeyPairSync('ed25519');
    const { keys: two } = loadKeys([{ name: 'a.pub', pem: pem(other) }, { name: 'b.pub', pem: pem(ec) }]);
    const v = verifyImageSignature([signLayer(digest, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey), signLayer(digest, ec.privateKey)], digest, two);
    assert.equal(v.ok && v.key, 'b.pub');
  });

  it('names a key file that is not PEM', () => {
    const { keys: none, problems } = loadKeys([{ name: 'broken.pub', pem: 'not a key' }]);
    assert.equal(none.length, 0);
    assert.match(problems[0], /broken\.pub/);
  });
});

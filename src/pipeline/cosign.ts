// Verify classic cosign signatures (simple signing payload + base64 signature annotation) with
// PEM public keys. Pure: no I/O. Without a transparency-log check this is the trust of
// `cosign verify --key K --insecure-ignore-tlog`.
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { SignatureLayer } from './ports';

export const COSIGN_TYPE = 'cosign container image signature';

export interface TrustedKey {
  /** Where the key came from, for messages ("cosign.pub"). */
  name: string;
  pem: string;
}

export interface KeyInfo {
  name: string;
  key: KeyObject;
  /** "ECDSA P-256", "RSA 2048", "Ed25519". */
  algorithm: string;
}

export type SignatureVerdict =
  | { ok: true; key: string; algorithm: string; layerDigest: string }
  | { ok: false; reason: 'unsigned' | 'untrusted' | 'digest-mismatch' | 'bad-payload' | 'bad-key'; message: string };

/** Parse PEM public keys; a key that does not parse is reported by name. */
export function loadKeys(keys: readonly TrustedKey[]): { keys: KeyInfo[]; problems: string[] } {
  const out: KeyInfo[] = [];
  const problems: string[] = [];
  for (const k of keys) {
    try {
      const key = createPublicKey(k.pem);
      out.push({ name: k.name, key, algorithm: describeKey(key) });
    } catch (err) {
      problems.push(`${k.name} is not a PEM public key (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return { keys: out, problems };
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return d.namedCurve === 'prime256v1' ? 'ECDSA P-256' : `ECDSA ${d.namedCurve ?? ''}`.trim();
    case 'rsa':
    case 'rsa-pss':
      return `RSA ${d.modulusLength ?? ''}`.trim();
    case 'ed25519':
      return 'Ed25519';
    default:
      return String(key.asymmetricKeyType);
  }
}

function sha256(data: Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** Case-insensitive property lookup (the spec's example spells `Docker-manifest-digest`). */
function prop(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object') return undefined;
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (obj as Record<string, unknown>)[key];
}

function verifyWith(key: KeyInfo, payload: Buffer, signature: Buffer): boolean {
  try {
    // Ed25519 signs the message itself (no separate digest): algorithm null.
    const algo = key.key.asymmetricKeyType === 'ed25519' || key.key.asymmetricKeyType === 'ed448' ? null : 'sha256';
    return cryptoVerify(algo, payload, key.key, signature);
  } catch {
    return false;
  }
}

/** Check one layer: payload integrity, payload content, then the signature with each key. */
export function verifyLayer(layer: SignatureLayer, imageDigest: string, keys: readonly KeyInfo[]): SignatureVerdict {
  const actual = sha256(layer.payload);
  if (actual !== layer.layerDigest.toLowerCase()) {
    return { ok: false, reason: 'bad-payload', message: `the signature payload's sha256 (${short(actual)}) does not match its layer digest (${short(layer.layerDigest)}): the payload was altered` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(layer.payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'bad-payload', message: 'the signature payload is not JSON' };
  }
  const critical = prop(doc, 'critical');
  const type = prop(critical, 'type');
  if (type !== COSIGN_TYPE) {
    return { ok: false, reason: 'bad-payload', message: `the signature payload's critical.type is ${JSON.stringify(type)}, expected "${COSIGN_TYPE}"` };
  }
  const signedDigest = prop(prop(critical, 'image'), 'docker-manifest-digest');
  if (typeof signedDigest !== 'string' || signedDigest.toLowerCase() !== imageDigest.toLowerCase()) {
    return { ok: false, reason: 'digest-mismatch', message: `the signature is for ${typeof signedDigest === 'string' ? short(signedDigest) : 'no digest'}, not for the image's digest ${short(imageDigest)}` };
  }
  if (!layer.signature) return { ok: false, reason: 'unsigned', message: 'the signature layer has no dev.cosignproject.cosign/signature annotation' };
  const sig = Buffer.from(layer.signature, 'base64');
  for (const key of keys) {
    if (verifyWith(key, layer.payload, sig)) return { ok: true, key: key.name, algorithm: key.algorithm, layerDigest: layer.layerDigest };
  }
  return { ok: false, reason: 'untrusted', message: `the signature does not verify with ${keys.length === 1 ? `the trusted key ${keys[0].name}` : `any of the trusted keys (${keys.map((k) => k.name).join(', ')})`}: it was made by another key, or altered` };
}

/**
 * The verdict for an image: ok when any layer verifies with any key; otherwise the most telling
 * failure (a digest mismatch or an altered payload says more than "untrusted").
 */
export function verifyImageSignature(layers: readonly SignatureLayer[], imageDigest: string, keys: readonly KeyInfo[]): SignatureVerdict {
  if (keys.length === 0) return { ok: false, reason: 'bad-key', message: 'no trusted public key is configured' };
  if (layers.length === 0) return { ok: false, reason: 'unsigned', message: `no cosign signature exists for ${short(imageDigest)}` };
  const verdicts = layers.map((l) => verifyLayer(l, imageDigest, keys));
  const good = verdicts.find((v) => v.ok);
  if (good) return good;
  const order = ['untrusted', 'digest-mismatch', 'bad-payload', 'unsigned', 'bad-key'];
  return verdicts.sort((a, b) => order.indexOf((a as any).reason) - order.indexOf((b as any).reason))[0];
}

export function short(digest: string): string {
  const m = /^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/i.exec(digest);
  return m ? `${m[1] ?? ''}${m[2]}…` : digest;
}

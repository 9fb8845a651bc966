// Image signature verification through Sigstore's own libraries (@sigstore/verify and friends).
// One verifier, several forms, tried in order: a Sigstore bundle attached as an OCI 1.1 referrer
// (cosign v3), then the classic `sha256-<hex>.sig` tag (cosign ≤ 2). Key-based and keyless
// (Fulcio certificate + Rekor entry, identity matched against a policy) both pass through the
// library's Verifier; this module only decides which material to hand it and turns its errors
// into typed refusal reasons. The libraries load on the first verification, never at activation.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { BundleArtifact, SignatureLayer } from './ports';

export type { BundleArtifact };

export const BUNDLE_MEDIA_TYPES = ['application/vnd.dev.sigstore.bundle.v0.3+json', 'application/vnd.dev.sigstore.bundle+json;version=0.3', 'application/vnd.dev.sigstore.bundle+json;version=0.2'];
export const COSIGN_TYPE = 'cosign container image signature';
/** The in-toto predicate cosign v3 signs for an image (`cosign sign` with the bundle format). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** A Sigstore bundle found for an image digest. */

export interface SignatureMaterial {
  bundles: BundleArtifact[];
  classic: SignatureLayer[];
}

export interface TrustedKey {
  /** Where the key came from, for messages ("cosign.pub"). */
  name: string;
  pem: string;
}

/** One allowed keyless signer: the OIDC issuer (exact) and a regular expression for the certificate's subject (SAN). */
export interface IdentityRule {
  issuer: string;
  subjectRegExp: string;
}

export interface TrustPolicy {
  keys: TrustedKey[];
  identities: IdentityRule[];
  /** A Sigstore trusted_root.json (parsed), or undefined for the public-good root the library ships. */
  trustedRoot?: unknown;
  /** Name of the trusted root for messages ("sigstore-trusted-root.json" or "Sigstore public-good"). */
  trustedRootName: string;
}

/** The identity in a Fulcio certificate. */
export interface CertificateIdentity {
  subject: string;
  issuer?: string;
  /** GitHub Actions extensions, when present. */
  githubWorkflowRepository?: string;
  githubWorkflowRef?: string;
  githubWorkflowSha?: string;
  githubWorkflowName?: string;
  githubWorkflowTrigger?: string;
  sourceRepositoryUri?: string;
  sourceRepositoryDigest?: string;
  buildSignerUri?: string;
}

export type SignatureForm = 'bundle' | 'classic';
export type SignatureVia = 'referrers-api' | 'referrers-tag' | 'sig-tag';

/** What passed: recorded in the check, the plan, the record and --json. */
export interface SignatureEvidence {
  form: SignatureForm;
  via: SignatureVia;
  signer: 'key' | 'keyless';
  /** The digest the signature covers (= the image digest). */
  digest: string;
  /** The signature artifact (referrer manifest or signature layer). */
  artifactDigest: string;
  key?: string;
  keyAlgorithm?: string;
  identity?: CertificateIdentity;
  /** The identity rule that allowed it. */
  matchedRule?: IdentityRule;
  rekorLogIndex?: number;
  /** When Rekor logged it (ISO), the signing time a keyless certificate is checked against. */
  integratedTime?: string;
  /**
   * Keyless: the start of the signing certificate's validity (ISO). Fulcio issues it to the build
   * when it signs, so it is when the build made the image: the start of the change's lead time.
   */
  certificateNotBefore?: string;
  trustedRoot?: string;
}

export type RefusalReason =
  | 'unsigned'
  | 'digest-mismatch'
  | 'untrusted-key'
  | 'identity-not-allowed'
  | 'untrusted-certificate'
  | 'certificate-expired'
  | 'no-timestamp'
  | 'tlog-invalid'
  | 'tampered'
  | 'no-trust-material';

export interface SignatureRefusal {
  reason: RefusalReason;
  message: string;
  form?: SignatureForm;
  via?: SignatureVia;
  /** identity-not-allowed: what the certificate says, and the policy it was checked against. */
  foundIdentity?: CertificateIdentity;
  policy?: IdentityRule[];
  /** digest-mismatch: the digest the signature is for. */
  signedDigest?: string;
  /** The library's error code (VerificationError / PolicyError), when it refused. */
  libraryCode?: string;
}

export type SignatureVerdict = { ok: true; evidence: SignatureEvidence } | { ok: false; refusal: SignatureRefusal; tried: SignatureRefusal[] };

type Libs = {
  verify: typeof import('@sigstore/verify');
  bundle: typeof import('@sigstore/bundle');
  core: typeof import('@sigstore/core');
  specs: typeof import('@sigstore/protobuf-specs');
};

let libs: Promise<Libs> | undefined;
/** Loads the Sigstore libraries (once). */
export function loadSigstore(): Promise<Libs> {
  libs ??= (async () => {
    const [verify, bundle, core, specs] = await Promise.all([import('@sigstore/verify'), import('@sigstore/bundle'), import('@sigstore/core'), import('@sigstore/protobuf-specs')]);
    return { verify, bundle, core, specs };
  })();
  libs.catch(() => (libs = undefined));
  return libs;
}

let publicGood: unknown;
/** Sigstore's public-good trusted root as shipped (offline) in @sigstore/tuf's seed. */
export async function publicGoodTrustedRoot(): Promise<unknown> {
  if (publicGood) return publicGood;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const seeds = require('@sigstore/tuf/seeds.json') as Record<string, { targets: Record<string, string> }>;
  const repo = seeds['https://tuf-repo-cdn.sigstore.dev'];
  publicGood = JSON.parse(Buffer.from(repo.targets['trusted_root.json'], 'base64').toString('utf8'));
  return publicGood;
}

export function short(digest: string): string {
  const m = /^(sha256:)?([0-9a-f]{12})[0-9a-f]*$/i.exec(digest);
  return m ? `${m[1] ?? ''}${m[2]}…` : digest;
}

const sha256hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Case-insensitive property lookup (cosign's spec example spells `Docker-manifest-digest`). */
function prop(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== 'object') return undefined;
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (obj as Record<string, unknown>)[key];
}

export function describeKey(key: KeyObject): string {
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

/** Parse PEM public keys; a key that does not parse is reported by name. */
export function checkKeys(keys: readonly TrustedKey[]): { keys: (TrustedKey & { algorithm: string })[]; problems: string[] } {
  const out: (TrustedKey & { algorithm: string })[] = [];
  const problems: string[] = [];
  for (const k of keys) {
    try {
      out.push({ ...k, algorithm: describeKey(createPublicKey(k.pem)) });
    } catch (err) {
      problems.push(`${k.name} is not a PEM public key (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return { keys: out, problems };
}

// Fulcio certificate extensions (Fulcio's OID list).
const OIDS = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  trigger: '1.3.6.1.4.1.57264.1.2',
  sha: '1.3.6.1.4.1.57264.1.3',
  workflowName: '1.3.6.1.4.1.57264.1.4',
  repository: '1.3.6.1.4.1.57264.1.5',
  ref: '1.3.6.1.4.1.57264.1.6',
  issuerV2: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  sourceRepoUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepoDigest: '1.3.6.1.4.1.57264.1.13',
};

/** The identity fields of a Fulcio leaf certificate (DER). */
export function certificateIdentity(core: Libs['core'], der: Buffer): CertificateIdentity {
  const cert = core.X509Certificate.parse(der as any);
  const ext = (oid: string): string | undefined => {
    const e = cert.extension(oid);
    if (!e) return undefined;
    const v: Buffer = (e as any).value;
    // v2 extensions hold a DER UTF8String; the legacy ones the raw string.
    if (v.length >= 2 && v[0] === 0x0c) {
      const len = v[1];
      if (len < 0x80 && len === v.length - 2) return v.subarray(2).toString('utf8');
      if (len === 0x81 && v[2] === v.length - 3) return v.subarray(3).toString('utf8');
      if (len === 0x82 && v.readUInt16BE(2) === v.length - 4) return v.subarray(4).toString('utf8');
    }
    return v.toString('utf8');
  };
  const id: CertificateIdentity = { subject: cert.subjectAltName ?? '' };
  const set = (k: keyof CertificateIdentity, v: string | undefined): void => {
    if (v) (id as any)[k] = v;
  };
  set('issuer', ext(OIDS.issuerV2) ?? ext(OIDS.issuerV1));
  set('githubWorkflowRepository', ext(OIDS.repository));
  set('githubWorkflowRef', ext(OIDS.ref));
  set('githubWorkflowSha', ext(OIDS.sha));
  set('githubWorkflowName', ext(OIDS.workflowName));
  set('githubWorkflowTrigger', ext(OIDS.trigger));
  set('sourceRepositoryUri', ext(OIDS.sourceRepoUri));
  set('sourceRepositoryDigest', ext(OIDS.sourceRepoDigest));
  set('buildSignerUri', ext(OIDS.buildSignerUri));
  return id;
}

/** The first rule the identity satisfies (issuer exact, subject by an anchored-as-written RegExp). */
export function matchIdentity(identity: CertificateIdentity, rules: readonly IdentityRule[]): IdentityRule | undefined {
  return rules.find((r) => {
    if (identity.issuer !== r.issuer) return false;
    try {
      return new RegExp(r.subjectRegExp).test(identity.subject);
    } catch {
      return false;
    }
  });
}

/** Map the library's error to our reason. */
function refusalOf(err: unknown, form: SignatureForm, via: SignatureVia, keyless: boolean, tlogEntries?: number): SignatureRefusal {
  const e = err as { code?: string; message?: string; name?: string };
  const code = e?.code ?? e?.name ?? 'Error';
  const msg = e?.message ?? String(err);
  const base = { form, via, libraryCode: code };
  switch (code) {
    case 'SIGNATURE_ERROR':
      return { ...base, reason: 'tampered', message: `the signature does not match the signed content (${msg}): the bundle was altered` };
    case 'PUBLIC_KEY_ERROR':
      return { ...base, reason: 'untrusted-key', message: `the signature was made by a key that is not trusted (${msg})` };
    case 'CERTIFICATE_ERROR':
      // Expired or not: decided by the caller from the certificate's validity and the log's time.
      return { ...base, reason: 'untrusted-certificate', message: `the signing certificate does not chain to the trusted Fulcio root (${msg})` };
    case 'TIMESTAMP_ERROR':
      return { ...base, reason: 'no-timestamp', message: `no verifiable timestamp proves when it was signed (${msg}); ${keyless ? 'a keyless certificate lives 10 minutes, so without a Rekor entry or RFC 3161 timestamp it counts as expired' : 'the signature has no trusted time'}` };
    case 'TLOG_BODY_ERROR':
      return { ...base, reason: 'tampered', message: `the bundle does not match what the transparency log recorded (${msg}): it was altered after signing` };
    case 'TLOG_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
      // No entry at all means nothing proves when it was signed; an entry that does not verify is invalid.
      return { ...base, reason: tlogEntries === 0 ? 'no-timestamp' : 'tlog-invalid', message: `the transparency-log entry does not verify (${msg})` };
    default:
      // ValidationError from @sigstore/bundle or a parse error: the bundle is malformed or altered.
      return { ...base, reason: 'tampered', message: `the bundle is not a valid Sigstore bundle (${msg})` };
  }
}

/** The image digest(s) an in-toto statement or cosign simple-signing payload names. */
function signedDigests(payloadType: string, payload: Buffer): { digests: string[]; problem?: string } {
  let doc: any;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return { digests: [], problem: 'the signed payload is not JSON' };
  }
  if (payloadType === IN_TOTO_PAYLOAD_TYPE) {
    const subjects: any[] = Array.isArray(doc?.subject) ? doc.subject : [];
    return { digests: subjects.map((s) => (typeof s?.digest?.sha256 === 'string' ? `sha256:${s.digest.sha256}` : '')).filter(Boolean) };
  }
  const critical = prop(doc, 'critical');
  if (prop(critical, 'type') !== COSIGN_TYPE) return { digests: [], problem: `the signed payload's critical.type is ${JSON.stringify(prop(critical, 'type'))}, expected "${COSIGN_TYPE}"` };
  const d = prop(prop(critical, 'image'), 'docker-manifest-digest');
  return { digests: typeof d === 'string' ? [d] : [] };
}

export interface VerifyOptions {
  /** Verification time for key-only material without a log entry (tests); default now. */
  now?: Date;
}

/**
 * Verify the image's signature material against the policy. Bundles first (referrers), then
 * classic layers; the first form that verifies wins. A refusal is the most telling failure.
 */
export async function verifyImage(material: SignatureMaterial, imageDigest: string, policy: TrustPolicy): Promise<SignatureVerdict> {
  const tried: SignatureRefusal[] = [];
  const wantDigest = imageDigest.toLowerCase();
  if (material.bundles.length === 0 && material.classic.length === 0) {
    const r: SignatureRefusal = { reason: 'unsigned', message: `no signature exists for ${short(imageDigest)}: no Sigstore bundle among its referrers, no sha256-….sig tag` };
    return { ok: false, refusal: r, tried: [r] };
  }
  const L = await loadSigstore();
  const { keys } = checkKeys(policy.keys);
  const keyByHint = new Map<string, { name: string; algorithm: string; pem: string }>();
  for (const k of keys) keyByHint.set(keyHint(k.pem), k);
  let rootJson = policy.trustedRoot;
  if (!rootJson) rootJson = await publicGoodTrustedRoot();
  let trustedRoot: any;
  try {
    trustedRoot = L.specs.TrustedRoot.fromJSON(rootJson);
  } catch (err) {
    const r: SignatureRefusal = { reason: 'no-trust-material', message: `the trusted root ${policy.trustedRootName} is not a Sigstore trusted_root.json (${err instanceof Error ? err.message : String(err)})` };
    return { ok: false, refusal: r, tried: [r] };
  }
  // Every configured key is offered under every hint the bundle may carry (cosign v3 leaves the hint empty or sets a key id).
  const keyFinder = (hint: string) => {
    const k = keyByHint.get(hint) ?? (keys.length === 1 ? keys[0] : undefined);
    if (!k) throw Object.assign(new Error(`no trusted key with hint ${hint}`), { code: 'PUBLIC_KEY_ERROR' });
    return { publicKey: createPublicKey(k.pem), validFor: () => true };
  };

  for (const b of material.bundles) {
    const v = verifyBundle(L, b, wantDigest, policy, trustedRoot, keys, keyFinder);
    if (v.ok) return { ok: true, evidence: v.evidence };
    tried.push(v.refusal);
  }
  for (const layer of material.classic) {
    const v = verifyClassic(L, layer, wantDigest, trustedRoot, keys);
    if (v.ok) return { ok: true, evidence: v.evidence };
    tried.push(v.refusal);
  }
  const order: RefusalReason[] = ['identity-not-allowed', 'digest-mismatch', 'tampered', 'certificate-expired', 'no-timestamp', 'untrusted-certificate', 'tlog-invalid', 'untrusted-key', 'no-trust-material', 'unsigned'];
  const best = [...tried].sort((a, b) => order.indexOf(a.reason) - order.indexOf(b.reason))[0];
  return { ok: false, refusal: best, tried };
}

export function keyHint(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return sha256hex(der);
}

function verifyBundle(L: Libs, art: BundleArtifact, wantDigest: string, policy: TrustPolicy, trustedRoot: any, keys: { name: string; algorithm: string; pem: string }[], keyFinder: any): { ok: true; evidence: SignatureEvidence } | { ok: false; refusal: SignatureRefusal } {
  const form: SignatureForm = 'bundle';
  const via = art.via;
  let bundle: any;
  try {
    bundle = L.bundle.bundleFromJSON(JSON.parse(art.json.toString('utf8')));
  } catch (err) {
    return { ok: false, refusal: refusalOf(err, form, via, false) };
  }
  const content = bundle.verificationMaterial?.content;
  const keyless = content?.$case === 'certificate' || content?.$case === 'x509CertificateChain';
  // What the bundle signs must be this image.
  if (bundle.content?.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    const { digests, problem } = signedDigests(env.payloadType, env.payload);
    if (problem) return { ok: false, refusal: { reason: 'tampered', message: problem, form, via } };
    if (!digests.map((d) => d.toLowerCase()).includes(wantDigest)) {
      return { ok: false, refusal: { reason: 'digest-mismatch', message: `the bundle signs ${digests.length ? digests.map(short).join(', ') : 'no digest'}, not the image's digest ${short(wantDigest)}`, form, via, signedDigest: digests[0] } };
    }
  } else if (bundle.content?.$case === 'messageSignature') {
    const d = bundle.content.messageSignature.messageDigest?.digest as Buffer | undefined;
    const got = d ? `sha256:${d.toString('hex')}` : '';
    if (got !== wantDigest) return { ok: false, refusal: { reason: 'digest-mismatch', message: `the bundle signs ${got ? short(got) : 'no digest'}, not the image's digest ${short(wantDigest)}`, form, via, signedDigest: got || undefined } };
  }
  if (!keyless && keys.length === 0) return { ok: false, refusal: { reason: 'untrusted-key', message: 'the bundle is signed with a key, and no trusted public key is configured (signing.publicKeys)', form, via } };
  // Keyless: the certificate in the bundle carries the key. Key-based: each trusted key in turn.
  const candidates: ({ name: string; algorithm: string; pem: string } | undefined)[] = keyless ? [undefined] : keys;
  let signer: any;
  let used: { name: string; algorithm: string; pem: string } | undefined;
  const errors: unknown[] = [];
  for (const k of candidates) {
    let trust: any;
    try {
      trust = L.verify.toTrustMaterial(trustedRoot, k ? () => ({ publicKey: createPublicKey(k.pem), validFor: () => true }) : keyFinder);
    } catch (err) {
      return { ok: false, refusal: { reason: 'no-trust-material', message: `the trusted root ${policy.trustedRootName} cannot be used (${err instanceof Error ? err.message : String(err)})`, form, via } };
    }
    try {
      const entity = L.verify.toSignedEntity(bundle);
      const verifier = new L.verify.Verifier(trust, keyless ? { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 } : { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 });
      signer = verifier.verify(entity);
      used = k;
      break;
    } catch (err) {
      errors.push(err);
    }
  }
  if (!signer) {
    const codes = errors.map((e) => (e as { code?: string })?.code);
    if (!keyless && codes.every((c) => c === 'SIGNATURE_ERROR' || c === 'TLOG_BODY_ERROR' || c === 'PUBLIC_KEY_ERROR')) {
      return { ok: false, refusal: { reason: 'untrusted-key', message: `the bundle's signature does not verify with ${keys.length === 1 ? `the trusted key ${keys[0].name}` : `any of the trusted keys (${keys.map((x) => x.name).join(', ')})`}: it was made by another key, or altered`, form, via, libraryCode: codes[0] } };
    }
    const telling = errors.find((e) => (e as { code?: string })?.code !== 'SIGNATURE_ERROR' && (e as { code?: string })?.code !== 'TLOG_BODY_ERROR') ?? errors[0];
    const r = refusalOf(telling, form, via, keyless, (bundle.verificationMaterial?.tlogEntries ?? []).length);
    if (keyless && r.reason === 'untrusted-certificate') {
      // Logged after the certificate's validity: say so, with both times.
      try {
        const der: Buffer = content.$case === 'certificate' ? content.certificate.rawBytes : content.x509CertificateChain.certificates[0].rawBytes;
        const cert = L.core.X509Certificate.parse(der as any);
        const logged = (bundle.verificationMaterial?.tlogEntries ?? []).map((t: any) => new Date(Number(t.integratedTime) * 1000));
        const late = logged.find((d: Date) => d > cert.notAfter || d < cert.notBefore);
        if (late) return { ok: false, refusal: { ...r, reason: 'certificate-expired', message: `the signature was logged at ${late.toISOString()}, outside its certificate's validity (${cert.notBefore.toISOString()} – ${cert.notAfter.toISOString()})` } };
      } catch {
        // keep the library's reason
      }
    }
    return { ok: false, refusal: r };
  }
  const tlog = bundle.verificationMaterial?.tlogEntries?.[0];
  const evidence: SignatureEvidence = {
    form, via, signer: keyless ? 'keyless' : 'key', digest: wantDigest, artifactDigest: art.manifestDigest,
    ...(tlog ? { rekorLogIndex: Number(tlog.logIndex), integratedTime: new Date(Number(tlog.integratedTime) * 1000).toISOString() } : {}),
  };
  if (keyless) {
    const der: Buffer = content.$case === 'certificate' ? content.certificate.rawBytes : content.x509CertificateChain.certificates[0].rawBytes;
    const identity = certificateIdentity(L.core, der);
    let certificateNotBefore: string | undefined;
    try {
      certificateNotBefore = L.core.X509Certificate.parse(der as any).notBefore.toISOString().replace('.000Z', 'Z');
    } catch {
      // the identity was read from it; a certificate without a readable validity has no lead-time start
    }
    const rule = matchIdentity(identity, policy.identities);
    if (!rule) {
      const pol = policy.identities.length ? policy.identities.map((r) => `${r.issuer} ${r.subjectRegExp}`).join('; ') : 'none configured (signing.identities)';
      return { ok: false, refusal: { reason: 'identity-not-allowed', message: `signed by ${identity.subject} (issuer ${identity.issuer ?? 'unknown'}), which no identity rule allows (policy: ${pol})`, form, via, foundIdentity: identity, policy: [...policy.identities] } };
    }
    return { ok: true, evidence: { ...evidence, identity, matchedRule: rule, trustedRoot: policy.trustedRootName, ...(certificateNotBefore ? { certificateNotBefore } : {}) } };
  }
  return { ok: true, evidence: { ...evidence, key: used?.name, keyAlgorithm: used?.algorithm ?? describeKey(signer.key), trustedRoot: policy.trustedRootName } };
}

/** A classic `.sig` layer, verified with each trusted key by the library (as a message-signature bundle without a log entry). */
function verifyClassic(L: Libs, layer: SignatureLayer, wantDigest: string, trustedRoot: any, keys: { name: string; algorithm: string; pem: string }[]): { ok: true; evidence: SignatureEvidence } | { ok: false; refusal: SignatureRefusal } {
  const form: SignatureForm = 'classic';
  const via: SignatureVia = 'sig-tag';
  const actual = 'sha256:' + sha256hex(layer.payload);
  if (actual !== layer.layerDigest.toLowerCase()) {
    return { ok: false, refusal: { reason: 'tampered', message: `the signature payload's sha256 (${short(actual)}) does not match its layer digest (${short(layer.layerDigest)}): the payload was altered`, form, via } };
  }
  const { digests, problem } = signedDigests('cosign', layer.payload);
  if (problem) return { ok: false, refusal: { reason: 'tampered', message: problem, form, via } };
  if (!digests.map((d) => d.toLowerCase()).includes(wantDigest)) {
    return { ok: false, refusal: { reason: 'digest-mismatch', message: `the signature is for ${digests[0] ? short(digests[0]) : 'no digest'}, not for the image's digest ${short(wantDigest)}`, form, via, signedDigest: digests[0] } };
  }
  if (!layer.signature) return { ok: false, refusal: { reason: 'unsigned', message: 'the signature layer has no dev.cosignproject.cosign/signature annotation', form, via } };
  if (keys.length === 0) return { ok: false, refusal: { reason: 'untrusted-key', message: 'the classic signature is key-based, and no trusted public key is configured (signing.publicKeys)', form, via } };
  const sig = Buffer.from(layer.signature, 'base64');
  for (const k of keys) {
    const bundle = L.bundle.bundleFromJSON({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'classic' }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
      messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(layer.payload).digest('base64') }, signature: sig.toString('base64') },
    });
    try {
      const trust = L.verify.toTrustMaterial(trustedRoot, () => ({ publicKey: createPublicKey(k.pem), validFor: () => true }));
      new L.verify.Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(L.verify.toSignedEntity(bundle, layer.payload));
      return { ok: true, evidence: { form, via, signer: 'key', digest: wantDigest, artifactDigest: layer.layerDigest, key: k.name, keyAlgorithm: k.algorithm } };
    } catch {
      // try the next key
    }
  }
  return { ok: false, refusal: { reason: 'untrusted-key', message: `the signature does not verify with ${keys.length === 1 ? `the trusted key ${keys[0].name}` : `any of the trusted keys (${keys.map((k) => k.name).join(', ')})`}: it was made by another key, or altered`, form, via } };
}

/** One line for the check's detail. */
export function describeEvidence(e: SignatureEvidence): string {
  const where = e.form === 'bundle' ? `Sigstore bundle (${e.via === 'referrers-api' ? 'OCI referrer' : 'referrers tag index'})` : 'classic .sig signature';
  const who = e.signer === 'keyless'
    ? `keyless: ${e.identity?.subject} (issuer ${e.identity?.issuer ?? '?'}${e.identity?.githubWorkflowSha ? `, commit ${e.identity.githubWorkflowSha.slice(0, 12)}` : ''})`
    : `key ${e.key} (${e.keyAlgorithm})`;
  return `verified ${where}, ${who}${e.rekorLogIndex !== undefined ? `, Rekor log index ${e.rekorLogIndex}` : ''}`;
}

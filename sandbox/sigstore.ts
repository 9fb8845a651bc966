// A local Sigstore: Fulcio (certificate authority + CT log) and Rekor (transparency log) from
// @sigstore/mock, served over loopback HTTP, and a signer that makes cosign v3 style bundles with
// the official signing library (@sigstore/sign): key-based (a public-key hint + a Rekor entry) or
// keyless (a Fulcio certificate for a GitHub Actions workflow identity + a Rekor entry).
import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { sendText } from './http';

export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
/** The identity the demo repository's release workflow signs as. */
export const RELEASE_IDENTITY = 'https://github.com/acme/{service}/.github/workflows/release.yml@refs/heads/main';
/** The subject pattern the demo repository trusts. */
export const RELEASE_SUBJECT_REGEXP = '^https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/heads/main$';

type Mock = typeof import('@sigstore/mock');
type Sign = typeof import('@sigstore/sign');

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export type SignAs = { kind: 'key'; privateKey: crypto.KeyObject; publicPem: string } | { kind: 'keyless'; identity: string; repository: string; sha: string };

export class LocalSigstore {
  private url = '';
  private constructor(
    private readonly sign: Sign,
    private readonly handlers: Map<string, import('@sigstore/mock').HandlerFn>,
    private readonly material: { caRoot: Buffer; tlogKey: Buffer; ctlogKey: Buffer; ctlogId: Buffer; start: Date },
  ) {}

  /** Creates the CA, the CT log and the transparency log (with fresh keys). */
  static async create(opts: { logClock?: Date } = {}): Promise<LocalSigstore> {
    const mock: Mock = await import('@sigstore/mock');
    const sign: Sign = await import('@sigstore/sign');
    const gen = (): { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject } => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ctLog = await mock.initializeCTLog(gen());
    const ca = await mock.initializeCA(gen(), ctLog);
    const tlog = await mock.initializeTLog('http://127.0.0.1', gen(), opts.logClock);
    const fulcio = mock.fulcioHandler(ca);
    const rekor = mock.rekorHandler(tlog);
    const handlers = new Map([[fulcio.path, fulcio.fn], [rekor.path, rekor.fn]]);
    return new LocalSigstore(sign, handlers, {
      caRoot: Buffer.from(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength),
      tlogKey: tlog.publicKey,
      ctlogKey: (ctLog as any).publicKey,
      ctlogId: Buffer.from((ctLog as any).logID.buffer),
      start: new Date(Date.now() - 3_600_000),
    });
  }

  /** The base URL once the server listens (Fulcio and Rekor share it). */
  setUrl(url: string): void {
    this.url = url;
  }

  get baseUrl(): string {
    return this.url;
  }

  /** POST /api/v2/signingCert (Fulcio), POST /api/v1/log/entries (Rekor). */
  handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL): Promise<void> => {
    const fn = req.method === 'POST' ? this.handlers.get(url.pathname) : undefined;
    if (!fn) return sendText(res, 404, '{"code":404,"message":"not found"}', 'application/json');
    const out = await fn(body.toString('utf8'));
    const text = typeof out.response === 'string' ? out.response : Buffer.from(out.response.buffer, out.response.byteOffset, out.response.byteLength);
    res.writeHead(out.statusCode, { 'Content-Type': out.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };

  /** A trusted_root.json (Sigstore trusted root, JSON form) for this Fulcio and Rekor. */
  trustedRoot(): Record<string, unknown> {
    const m = this.material;
    const start = m.start.toISOString();
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: this.url, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: m.tlogKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } }, logId: { keyId: crypto.createHash('sha256').update(m.tlogKey).digest('base64') } }],
      certificateAuthorities: [{ subject: { organization: 'sandbox', commonName: 'sandbox-fulcio' }, uri: this.url, certChain: { certificates: [{ rawBytes: m.caRoot.toString('base64') }] }, validFor: { start } }],
      ctlogs: [{ baseUrl: this.url, hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: m.ctlogKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } }, logId: { keyId: m.ctlogId.toString('base64') } }],
      timestampAuthorities: [],
    };
  }

  /** An OIDC token as GitHub Actions would hand to Fulcio (the stand-in Fulcio reads its claims). */
  static githubToken(identity: string, repository: string, sha: string): string {
    const m = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/(\.github\/workflows\/[^@]+)@(.+)$/.exec(identity);
    const claims = { iss: GITHUB_ISSUER, sub: identity, aud: 'sigstore', repository: m?.[1] ?? repository, workflow: m?.[2] ?? 'release', ref: m?.[3] ?? 'refs/heads/main', sha, event_name: 'push', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 };
    return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
  }

  /** A cosign v3 style bundle (DSSE envelope over an in-toto statement naming the image digest), as JSON bytes. */
  async signImage(imageRef: string, digest: string, as: SignAs): Promise<Buffer> {
    const S = this.sign;
    const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: imageRef, digest: { sha256: digest.replace(/^sha256:/, '') } }], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} };
    const signer: import('@sigstore/sign').Signer =
      as.kind === 'keyless'
        ? new S.FulcioSigner({ fulcioBaseURL: this.url, identityProvider: { getToken: async () => LocalSigstore.githubToken(as.identity, as.repository, as.sha) }, retry: 0 })
        : { sign: async (data: Buffer) => ({ signature: crypto.sign('sha256', data, as.privateKey), key: { $case: 'publicKey' as const, publicKey: as.publicPem, hint: '' } }) };
    const builder = new S.DSSEBundleBuilder({ signer, witnesses: [new S.RekorWitness({ rekorBaseURL: this.url, retry: 0, entryType: 'intoto' })] });
    const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' });
    const { bundleToJSON } = await import('@sigstore/bundle');
    return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
  }
}

// Who may call the sandbox's Kubernetes API: short-lived tokens its token service issues to the exec
// credential plugin (get-token.mjs, holding DIR/kube-auth/credentials) and one static token (the second user).
// Token: "k8s-sandbox-v1." + base64url(JSON {sub, cluster, iat, exp, jti}) + "." + base64url(HMAC-SHA256(key, that part)),
// the key known to the server only; times from the server's clock.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TOKEN_PREFIX = 'k8s-sandbox-v1.';
export const PLUGIN_SCRIPT = path.join(__dirname, 'get-token.mjs');

export interface IssuedToken { user: string; jti: string; issuedAt: number; expiresAt: number }

export type AuthResult = { ok: true; user: string; token?: IssuedToken } | { ok: false; why: string };

export class KubeAuth {
  readonly stateDir: string;
  private readonly key = randomBytes(32);
  /** What the plugin presents to the token service (as an AWS secret key or an OIDC refresh token). */
  private readonly credential = randomBytes(24).toString('base64url');
  /** Plugin tokens issued before this (epoch seconds, fractional) are refused as expired. */
  private revokedBefore = 0;
  /** Every plugin token that authenticated a request, by jti. */
  readonly seen = new Map<string, IssuedToken>();

  constructor(stateDir: string, readonly staticToken: string, private readonly switches: { kubeTokenExpired?: boolean } = {}) {
    this.stateDir = stateDir;
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(stateDir, 'credentials'), this.credential + '\n', { mode: 0o600 });
  }

  /**
   * The token service (POST /sandbox/token, JSON {user, cluster, ttlSeconds}, `Authorization: Bearer <credentials>`):
   * 200 {token, expirationTimestamp}, 401 for another credential, 400 for a bad body.
   */
  issue(authorization: string | undefined, body: Buffer): { code: number; body: Record<string, unknown> } {
    const m = /^Bearer\s+(\S+)$/.exec(authorization ?? '');
    const got = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(this.credential);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { code: 401, body: { error: 'invalid_client', error_description: 'unknown credentials' } };
    let req: { user?: unknown; cluster?: unknown; ttlSeconds?: unknown };
    try {
      req = JSON.parse(body.toString('utf8')) as typeof req;
    } catch {
      return { code: 400, body: { error: 'invalid_request', error_description: 'the body must be JSON {user, cluster, ttlSeconds}' } };
    }
    if (typeof req.user !== 'string' || !req.user) return { code: 400, body: { error: 'invalid_request', error_description: 'user is required' } };
    const ttl = typeof req.ttlSeconds === 'number' && req.ttlSeconds >= 1 ? Math.min(req.ttlSeconds, 86400) : 900;
    const nowMs = Date.now();
    // iat in fractional seconds: a token issued right after expireIssuedTokens() is told apart from older ones.
    const claims = { sub: req.user, cluster: typeof req.cluster === 'string' ? req.cluster : 'sandbox', iat: nowMs / 1000, exp: Math.floor(nowMs / 1000) + ttl, jti: randomBytes(8).toString('hex') };
    const part = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const sig = createHmac('sha256', this.key).update(part).digest('base64url');
    return { code: 200, body: { token: `${TOKEN_PREFIX}${part}.${sig}`, expirationTimestamp: new Date(claims.exp * 1000).toISOString() } };
  }

  /** Refuse every plugin token issued up to now (as if they had all expired); the plugin's next ones work. */
  expireIssuedTokens(): void {
    this.revokedBefore = Date.now() / 1000;
  }

  /** The plugin fails (exit 254 with this message on stderr) until called with undefined. */
  setPluginFailure(message: string | undefined): void {
    const f = path.join(this.stateDir, 'plugin-fails');
    if (message === undefined) fs.rmSync(f, { force: true });
    else fs.writeFileSync(f, message + '\n');
  }

  check(authorization: string | undefined): AuthResult {
    const m = /^Bearer\s+(\S+)$/.exec(authorization ?? '');
    if (!m) return { ok: false, why: 'no bearer token' };
    if (this.switches.kubeTokenExpired) return { ok: false, why: 'fault switch kube-token-expired' };
    const token = m[1];
    if (token === this.staticToken) return { ok: true, user: 'sandbox-token' };
    if (!token.startsWith(TOKEN_PREFIX)) return { ok: false, why: 'unknown token' };
    const [body, sig] = token.slice(TOKEN_PREFIX.length).split('.');
    if (!body || !sig) return { ok: false, why: 'malformed token' };
    const want = createHmac('sha256', this.key).update(body).digest();
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, why: 'bad signature' };
    let claims: { sub?: unknown; iat?: unknown; exp?: unknown; jti?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { ok: false, why: 'malformed token' };
    }
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || typeof claims.sub !== 'string' || typeof claims.jti !== 'string') return { ok: false, why: 'malformed token' };
    if (claims.exp <= now) return { ok: false, why: 'token expired' };
    if (claims.iat < this.revokedBefore) return { ok: false, why: 'token expired (revoked)' };
    const issued: IssuedToken = { user: claims.sub, jti: claims.jti, issuedAt: claims.iat, expiresAt: claims.exp };
    this.seen.set(issued.jti, issued);
    return { ok: true, user: claims.sub, token: issued };
  }
}

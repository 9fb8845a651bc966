// Who may call the sandbox's Kubernetes API: tokens issued by the exec credential plugin (get-token.mjs,
// signed with DIR/kube-auth/signing.key, short-lived) and one static token (the second user).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TOKEN_PREFIX = 'k8s-sandbox-v1.';
export const PLUGIN_SCRIPT = path.join(__dirname, 'get-token.mjs');

export interface IssuedToken { user: string; jti: string; issuedAt: number; expiresAt: number }

export type AuthResult = { ok: true; user: string; token?: IssuedToken } | { ok: false; why: string };

export class KubeAuth {
  readonly stateDir: string;
  private readonly key: Buffer;
  /** Plugin tokens issued before this (epoch seconds, fractional) are refused as expired. */
  private revokedBefore = 0;
  /** Every plugin token that authenticated a request, by jti. */
  readonly seen = new Map<string, IssuedToken>();

  constructor(stateDir: string, readonly staticToken: string, private readonly switches: { kubeTokenExpired?: boolean } = {}) {
    this.stateDir = stateDir;
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.key = randomBytes(32);
    fs.writeFileSync(path.join(stateDir, 'signing.key'), this.key, { mode: 0o600 });
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

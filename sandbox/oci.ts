// A stand-in for a registry speaking the OCI distribution API (GHCR, Harbor, distribution) over
// the same images as the ECR stand-in: manifests by tag or digest (Docker-Content-Digest, 404
// MANIFEST_UNKNOWN / NAME_UNKNOWN with the OCI error JSON), blobs, tags/list with Link paging,
// and the referrers API — or, in a scenario with `registry.referrers: false`, a plain 404 there
// (a registry without it). Pulls need basic credentials, a bearer token from /token, or nothing.
import type * as http from 'node:http';
import * as crypto from 'node:crypto';
import { sendJson, sendText } from './http';
import { OCI_INDEX, type Registry } from './registry';

export interface OciAuth {
  mode: () => 'basic' | 'bearer' | 'anonymous';
  username: string;
  password: string;
}

const errorBody = (code: string, message: string, detail?: unknown): { errors: { code: string; message: string; detail?: unknown }[] } => ({ errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] });

export class OciApi {
  /** Tokens the /token endpoint handed out (bearer mode). */
  private readonly tokens = new Set<string>();

  /** `storageUrl`: where blob GETs are redirected (pre-signed, another origin), as GHCR or Docker Hub send them to a CDN. */
  constructor(private readonly registry: Registry, private readonly auth: OciAuth, private readonly baseUrl: () => string, private readonly log: (s: string) => void, private readonly storageUrl?: () => string) {}

  handle = async (req: http.IncomingMessage, res: http.ServerResponse, _body: Buffer, url: URL): Promise<void> => {
    await this.registry.ready;
    const headers = { 'Docker-Distribution-API-Version': 'registry/2.0' };
    if (url.pathname === '/token') return this.token(req, res, url);
    if (!url.pathname.startsWith('/v2/')) return sendText(res, 404, '404 page not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, errorBody('UNSUPPORTED', 'the operation is unsupported (this stand-in is read-only)'), headers);
    const m = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\/(.+)$/.exec(url.pathname);
    const scope = m ? `repository:${m[1]}:pull` : 'registry:catalog:*';
    if (!this.authorized(req)) {
      const mode = this.auth.mode();
      const challenge = mode === 'bearer' ? `Bearer realm="${this.baseUrl()}/token",service="sandbox-registry",scope="${scope}"` : 'Basic realm="sandbox-registry"';
      return sendJson(res, 401, errorBody('UNAUTHORIZED', 'authentication required', [{ Type: 'repository', Name: m?.[1] ?? '', Action: 'pull' }]), { ...headers, 'WWW-Authenticate': challenge });
    }
    if (url.pathname === '/v2/') return sendJson(res, 200, {}, headers);
    if (!m) return sendText(res, 404, '404 page not found\n');
    const [, name, kind, rest] = m;
    const images = this.registry.repos.get(name);
    if (!images) return sendJson(res, 404, errorBody('NAME_UNKNOWN', 'repository name not known to registry', { name }), headers);
    this.log(`oci ${req.method} ${url.pathname}`);
    if (kind === 'manifests') return this.manifest(req, res, name, decodeURIComponent(rest), headers);
    if (kind === 'blobs') return this.blob(req, res, name, decodeURIComponent(rest), headers);
    if (kind === 'tags' && rest === 'list') return this.tags(res, name, url, headers);
    if (kind === 'referrers') return this.referrers(res, name, decodeURIComponent(rest), url, headers);
    return sendText(res, 404, '404 page not found\n');
  };

  private authorized(req: http.IncomingMessage): boolean {
    const mode = this.auth.mode();
    if (mode === 'anonymous') return true;
    const h = String(req.headers.authorization ?? '');
    if (mode === 'bearer') return h.startsWith('Bearer ') && this.tokens.has(h.slice(7));
    return h === 'Basic ' + Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64');
  }

  /** GET /token?service=…&scope=…: a token for the basic credentials (bearer mode). */
  private token(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const basic = 'Basic ' + Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64');
    if (this.auth.mode() !== 'bearer') return sendText(res, 404, '404 page not found\n');
    if (req.headers.authorization !== basic) return sendJson(res, 401, { details: 'incorrect username or password' });
    if (!/^repository:[^:]+:pull$/.test(url.searchParams.get('scope') ?? '')) return sendJson(res, 400, { details: 'a pull scope is required' });
    const token = 'sbx.' + crypto.randomBytes(16).toString('hex');
    this.tokens.add(token);
    sendJson(res, 200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  }

  private manifest(req: http.IncomingMessage, res: http.ServerResponse, name: string, ref: string, headers: Record<string, string>): void {
    const byDigest = ref.includes(':');
    if (byDigest && !/^sha256:[0-9a-f]{64}$/.test(ref)) return sendJson(res, 400, errorBody('DIGEST_INVALID', 'provided digest did not match uploaded content'), headers);
    if (!byDigest && !/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(ref)) return sendJson(res, 400, errorBody('TAG_INVALID', 'manifest tag did not match URI'), headers);
    const img = this.registry.find(name, byDigest ? { imageDigest: ref } : { imageTag: ref });
    if (!img) return sendJson(res, 404, errorBody('MANIFEST_UNKNOWN', 'manifest unknown', { name, [byDigest ? 'digest' : 'tag']: ref }), headers);
    const accept = String(req.headers.accept ?? '').split(',').map((s) => s.split(';')[0].trim()).filter(Boolean);
    if (accept.length && !accept.includes('*/*') && !accept.includes(img.mediaType)) {
      return sendJson(res, 404, errorBody('MANIFEST_UNKNOWN', `manifest unknown: its media type ${img.mediaType} is not in the Accept header`, { name, reference: ref }), headers);
    }
    const body = Buffer.from(img.manifest);
    res.writeHead(200, { ...headers, 'Content-Type': img.mediaType, 'Content-Length': body.length, 'Docker-Content-Digest': img.digest, ETag: `"${img.digest}"` });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private blob(req: http.IncomingMessage, res: http.ServerResponse, name: string, digest: string, headers: Record<string, string>): void {
    const blob = this.registry.blobs.get(digest);
    if (!blob || !this.registry.layerDigests(name).has(digest)) return sendJson(res, 404, errorBody('BLOB_UNKNOWN', 'blob unknown to registry', { digest }), headers);
    if (this.storageUrl && req.method === 'GET') {
      const expires = Math.floor(Date.now() / 1000) + 600;
      res.writeHead(307, { ...headers, Location: `${this.storageUrl()}/layers/${encodeURIComponent(name)}/${encodeURIComponent(digest)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600&X-Amz-Date=${expires}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 });
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length, 'Docker-Content-Digest': digest });
    res.end(req.method === 'HEAD' ? undefined : blob);
  }

  /** tags/list with `n` and `last`, and a Link header to the next page. */
  private tags(res: http.ServerResponse, name: string, url: URL, headers: Record<string, string>): void {
    const all = [...new Set((this.registry.repos.get(name) ?? []).flatMap((i) => i.tags))].sort();
    const last = url.searchParams.get('last');
    const n = Number(url.searchParams.get('n') ?? '0');
    let tags = last ? all.filter((t) => t > last) : all;
    let link: string | undefined;
    if (n > 0 && tags.length > n) {
      tags = tags.slice(0, n);
      link = `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1])}>; rel="next"`;
    }
    sendJson(res, 200, { name, tags }, { ...headers, ...(link ? { Link: link } : {}) });
  }

  /** The referrers API (OCI 1.1), or a plain 404 when the scenario's registry has none. */
  private referrers(res: http.ServerResponse, name: string, digest: string, url: URL, headers: Record<string, string>): void {
    if (!this.registry.referrersApi) return sendText(res, 404, '404 page not found\n');
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return sendJson(res, 400, errorBody('DIGEST_INVALID', 'provided digest did not match uploaded content'), headers);
    const type = url.searchParams.get('artifactType');
    // An unknown subject has no referrers: an empty index, not a 404 (distribution spec).
    const refs = this.registry.referrers(name, digest).filter((r) => !type || r.artifactType === type);
    const manifests = refs.map((r) => ({ mediaType: r.mediaType, digest: r.digest, size: Buffer.byteLength(r.manifest), artifactType: r.artifactType, annotations: (JSON.parse(r.manifest) as { annotations?: Record<string, string> }).annotations ?? {} }));
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
    sendText(res, 200, body, OCI_INDEX, { ...headers, ...(type ? { 'OCI-Filters-Applied': 'artifactType' } : {}) });
  }
}

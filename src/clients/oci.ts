// RegistryPort over the OCI distribution API (GHCR, Harbor, a plain distribution registry…):
// manifests by tag, the tags list, cosign's classic `sha256-<hex>.sig` signatures, and Sigstore
// bundles through `GET /v2/<name>/referrers/<digest>` with the fallback `sha256-<hex>` tag index
// when the registry answers 404 there (no referrers API). Anonymous, basic, or the Docker/OCI
// bearer-token flow (a 401 with `WWW-Authenticate: Bearer realm=…` is answered once per scope).
import { createHash } from 'node:crypto';
import type { ImageInfo, RegistryPort, SignatureLayer } from '../pipeline/ports';
import { BUNDLE_MEDIA_TYPES, type BundleArtifact } from '../pipeline/signatures';
import { PortError } from '../pipeline/model/cause';
import { bundleLayerOf, COSIGN_SIGNATURE_ANNOTATION, cosignLayersOf, referrersTag, signatureTag } from './ecr';
import { fetchErrorMessage, isAbortError, safeUrl, throwIfAborted, withTimeout, type FetchLike } from './util';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** What describeImage accepts: an image, or a multi-platform index (its digest is what a pod pulls). */
const IMAGE_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST];
const MANIFEST_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST];
/** Manifests larger than this are refused (the distribution spec's recommended limit). */
const MAX_MANIFEST = 4 * 2 ** 20;
const MAX_BLOB = 32 * 2 ** 20;
const MAX_PAGES = 20;

/** The environment variables holding the registry credentials (never the repository). */
export const REGISTRY_USERNAME_VAR = 'GITOPS_DEPLOY_REGISTRY_USERNAME';
export const REGISTRY_PASSWORD_VAR = 'GITOPS_DEPLOY_REGISTRY_PASSWORD';

export interface OciOptions {
  /** Base URL of the registry (`https://ghcr.io`); `/v2/…` is appended. */
  url: string;
  /** Basic credentials (from GITOPS_DEPLOY_REGISTRY_USERNAME / _PASSWORD); anonymous without. */
  credentials?: { username: string; password: string };
  /** Set when the URL came from the repository and its host is not trusted: credentials are withheld. */
  untrustedHost?: string;
  /** repository → services using it, for hints in messages. */
  servicesByRepository?: Record<string, string[]>;
  fetch?: FetchLike;
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

interface Got {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` → its parameters. */
export function parseBearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^\s*bearer\s/i.test(header)) return undefined;
  const out: Record<string, string> = {};
  for (const m of header.replace(/^\s*bearer\s+/i, '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) out[m[1].toLowerCase()] = m[2];
  return out.realm ? out : undefined;
}

/** The OCI error body's first code and message (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`). */
export function ociError(body: Buffer): { code?: string; message?: string } {
  try {
    const e = JSON.parse(body.toString('utf8'))?.errors?.[0];
    return { code: typeof e?.code === 'string' ? e.code : undefined, message: typeof e?.message === 'string' ? e.message : undefined };
  } catch {
    return {};
  }
}

/** The `next` URL of a `Link: <…>; rel="next"` header, resolved against the registry. */
function nextLink(headers: Headers, base: string): string | undefined {
  const link = headers.get('link');
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link) : null;
  return m ? new URL(m[1], base).toString() : undefined;
}

const sha256 = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

export class OciRegistry implements RegistryPort {
  private readonly base: string;
  /** Bearer tokens by scope (`repository:acme/accounts:pull`). */
  private readonly tokens = new Map<string, string>();

  constructor(private readonly opts: OciOptions) {
    this.base = opts.url.replace(/\/+$/, '');
  }

  private get credentials(): OciOptions['credentials'] {
    return this.opts.untrustedHost ? undefined : this.opts.credentials;
  }

  private get where(): string {
    return safeUrl(this.base).replace(/\/$/, '');
  }

  private hint(repository: string): string {
    const svcs = this.opts.servicesByRepository?.[repository];
    return svcs && svcs.length ? svcs.map((s) => `services.${s}.ecrRepository`).join(' / ') : 'services.<service>.ecrRepository';
  }

  private basicHeader(): string | undefined {
    const c = this.credentials;
    return c ? 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64') : undefined;
  }

  /** GET a registry path (or an absolute URL on the registry) with auth, following the token flow once. */
  private async get(repository: string, pathOrUrl: string, accept: string[], what: string, signal?: AbortSignal, maxBytes = MAX_MANIFEST): Promise<Got> {
    throwIfAborted(signal);
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const scope = `repository:${repository}:pull`;
    let got = await this.send(url, accept, this.tokens.has(scope) ? `Bearer ${this.tokens.get(scope)}` : this.basicHeader(), what, signal, maxBytes);
    if (got.status === 401) {
      const challenge = parseBearerChallenge(got.headers.get('www-authenticate'));
      if (challenge) {
        const token = await this.token(challenge, scope, what, signal);
        got = await this.send(url, accept, `Bearer ${token}`, what, signal, maxBytes);
      }
    }
    if (got.status === 401 || got.status === 403) {
      const e = ociError(got.body);
      const why = this.opts.untrustedHost
        ? `no credentials were sent: registry.url names ${this.opts.untrustedHost}, a host the repository chose; trust it with --trust-host ${this.opts.untrustedHost} (or GITOPS_DEPLOY_TRUSTED_HOSTS), or set GITOPS_DEPLOY_REGISTRY_URL`
        : this.opts.credentials
          ? `check ${REGISTRY_USERNAME_VAR} / ${REGISTRY_PASSWORD_VAR} and that they may pull ${repository}`
          : `set ${REGISTRY_USERNAME_VAR} and ${REGISTRY_PASSWORD_VAR} (anonymous pull was refused)`;
      throw new PortError('registry', 'auth', `registry ${what} for ${repository} at ${this.where} was refused (HTTP ${got.status}${e.code ? ` ${e.code}` : ''}): ${why}`, got.status);
    }
    return got;
  }

  /** One request; redirects are followed by hand so that the Authorization header never leaves the registry's origin. */
  private async send(url: string, accept: string[], auth: string | undefined, what: string, signal: AbortSignal | undefined, maxBytes: number): Promise<Got> {
    const doFetch = this.opts.fetch ?? fetch;
    const origin = new URL(this.base).origin;
    let current = url;
    try {
      for (let hops = 0; hops < 5; hops++) {
        const sameOrigin = new URL(current).origin === origin;
        const headers: Record<string, string> = { Accept: accept.join(', ') };
        if (auth && sameOrigin) headers.Authorization = auth;
        const res = await doFetch(current, { method: 'GET', headers, redirect: 'manual', signal: withTimeout(this.opts.timeoutMs ?? 30_000, signal) });
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location) {
          await res.arrayBuffer().catch(() => undefined);
          current = new URL(location, current).toString();
          continue;
        }
        const declared = Number(res.headers.get('content-length') ?? '0');
        if (declared > maxBytes) throw new Error(`the answer is ${declared} bytes, more than the ${maxBytes} accepted`);
        const body = Buffer.from(await res.arrayBuffer());
        if (body.length > maxBytes) throw new Error(`the answer is ${body.length} bytes, more than the ${maxBytes} accepted`);
        return { status: res.status, headers: res.headers, body };
      }
      throw new Error('more than 5 redirects');
    } catch (err) {
      if (isAbortError(err) && signal?.aborted) throw err;
      const timedOut = isAbortError(err);
      throw new PortError('registry', timedOut ? 'timeout' : 'transport', `registry ${what} at ${safeUrl(current)} failed: ${timedOut ? 'timed out' : fetchErrorMessage(err)}`, undefined, { cause: err });
    }
  }

  /** The Docker/OCI token flow: GET realm?service=…&scope=… (basic credentials only to the registry's own host). */
  private async token(challenge: Record<string, string>, scope: string, what: string, signal?: AbortSignal): Promise<string> {
    const u = new URL(challenge.realm);
    if (challenge.service) u.searchParams.set('service', challenge.service);
    u.searchParams.set('scope', challenge.scope ?? scope);
    const sameHost = u.host === new URL(this.base).host;
    const doFetch = this.opts.fetch ?? fetch;
    let res: Response;
    try {
      const headers: Record<string, string> = { Accept: 'application/json' };
      const basic = this.basicHeader();
      if (basic && sameHost) headers.Authorization = basic;
      res = await doFetch(u.toString(), { method: 'GET', headers, redirect: 'error', signal: withTimeout(this.opts.timeoutMs ?? 30_000, signal) });
    } catch (err) {
      if (isAbortError(err) && signal?.aborted) throw err;
      throw new PortError('registry', isAbortError(err) ? 'timeout' : 'transport', `registry token for ${what} from ${safeUrl(u.toString())} failed: ${fetchErrorMessage(err)}`, undefined, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw new PortError('registry', res.status === 401 || res.status === 403 ? 'auth' : 'transport', `registry token for ${what} from ${safeUrl(u.toString())} was refused (HTTP ${res.status}): check ${REGISTRY_USERNAME_VAR} / ${REGISTRY_PASSWORD_VAR}`, res.status);
    let token: unknown;
    try {
      const j = JSON.parse(text);
      token = j.token ?? j.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || !token) throw new PortError('registry', 'transport', `registry token endpoint ${safeUrl(u.toString())} answered without a token`);
    this.tokens.set(scope, token);
    return token;
  }

  /** Other statuses than 200/404 → a PortError naming the request; 404 NAME_UNKNOWN → the repository is missing. */
  private fail(got: Got, repository: string, what: string): never {
    const e = ociError(got.body);
    if (got.status === 404 && e.code === 'NAME_UNKNOWN') {
      throw new PortError('registry', 'not-found', `repository ${repository} not found in the registry at ${this.where}: check ${this.hint(repository)}`, 404);
    }
    const kind = got.status === 504 || got.status === 408 ? 'timeout' : got.status === 404 ? 'not-found' : 'transport';
    throw new PortError('registry', kind, `registry ${what} for ${repository} at ${this.where} failed: HTTP ${got.status}${e.code ? ` ${e.code}` : ''}${e.message ? `: ${e.message}` : ''}`, got.status);
  }

  /** A manifest by tag or digest; undefined for 404 MANIFEST_UNKNOWN (or a bare 404). */
  private async manifest(repository: string, reference: string, accept: string[], signal?: AbortSignal): Promise<{ json: string; digest: string; mediaType: string } | undefined> {
    const what = `GET manifest ${reference}`;
    const got = await this.get(repository, `/v2/${repository}/manifests/${encodeURIComponent(reference)}`, accept, what, signal);
    if (got.status === 404 && ociError(got.body).code !== 'NAME_UNKNOWN') return undefined;
    if (got.status !== 200) this.fail(got, repository, what);
    const computed = sha256(got.body);
    const header = got.headers.get('docker-content-digest')?.trim();
    // The digest is of the bytes served; a registry that says otherwise is not believed.
    if (header && header.startsWith('sha256:') && header !== computed) {
      throw new PortError('registry', 'transport', `registry ${what} for ${repository} at ${this.where}: Docker-Content-Digest ${header} does not match the manifest's bytes (${computed})`);
    }
    if (reference.startsWith('sha256:') && reference !== computed) {
      throw new PortError('registry', 'transport', `registry ${what} for ${repository} at ${this.where}: the manifest's bytes hash to ${computed}, not the digest asked for`);
    }
    const mediaType = (got.headers.get('content-type') ?? '').split(';')[0].trim() || mediaTypeOf(got.body);
    if (!accept.includes(mediaType)) {
      throw new PortError('registry', 'transport', `registry ${what} for ${repository} at ${this.where} answered ${mediaType || 'no media type'}, expected one of ${accept.join(', ')}`);
    }
    return { json: got.body.toString('utf8'), digest: computed, mediaType };
  }

  private async blob(repository: string, digest: string, signal?: AbortSignal): Promise<Buffer> {
    const what = `GET blob ${digest}`;
    const got = await this.get(repository, `/v2/${repository}/blobs/${digest}`, ['*/*'], what, signal, MAX_BLOB);
    if (got.status !== 200) this.fail(got, repository, what);
    if (digest.startsWith('sha256:') && sha256(got.body) !== digest) throw new PortError('registry', 'transport', `registry ${what} for ${repository} at ${this.where}: the blob's bytes do not hash to its digest`);
    return got.body;
  }

  async describeImage(repository: string, tag: string, signal?: AbortSignal): Promise<ImageInfo | undefined> {
    const m = await this.manifest(repository, tag, IMAGE_TYPES, signal);
    if (!m) return undefined;
    return { repository, tag, digest: m.digest, pushedAt: await this.created(repository, m.json, signal), tags: [tag] };
  }

  /** When the image was built: the manifest's `org.opencontainers.image.created`, else the config's `created`. */
  private async created(repository: string, json: string, signal?: AbortSignal): Promise<Date | undefined> {
    let doc: any;
    try {
      doc = JSON.parse(json);
    } catch {
      return undefined;
    }
    const date = (v: unknown): Date | undefined => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && !v.startsWith('0001-') ? new Date(v) : undefined);
    const annotated = date(doc?.annotations?.['org.opencontainers.image.created']);
    if (annotated || typeof doc?.config?.digest !== 'string') return annotated;
    try {
      return date(JSON.parse((await this.blob(repository, doc.config.digest, signal)).toString('utf8'))?.created);
    } catch (err) {
      if (signal?.aborted) throw err;
      return undefined;
    }
  }

  async listTags(repository: string, limit: number, signal?: AbortSignal): Promise<{ tag: string; pushedAt?: Date; digest: string }[]> {
    const tags: string[] = [];
    let url: string | undefined = `${this.base}/v2/${repository}/tags/list?n=1000`;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const got = await this.get(repository, url, ['application/json'], 'GET tags/list', signal);
      if (got.status !== 200) this.fail(got, repository, 'GET tags/list');
      let doc: any;
      try {
        doc = JSON.parse(got.body.toString('utf8'));
      } catch {
        throw new PortError('registry', 'transport', `registry GET tags/list for ${repository} at ${this.where} answered something that is not JSON`);
      }
      for (const t of Array.isArray(doc?.tags) ? doc.tags : []) if (typeof t === 'string') tags.push(t);
      url = nextLink(got.headers, this.base);
    }
    // No push times in the API: the newest versions first, then each one's digest and build time.
    const candidates = tags
      .filter((t) => !/^sha(256|512)-[0-9a-f]+(\.(sig|att|sbom))?$/i.test(t))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
      .slice(0, Math.max(0, limit));
    const out: { tag: string; pushedAt?: Date; digest: string }[] = [];
    for (let i = 0; i < candidates.length; i += 4) {
      const batch = await Promise.all(candidates.slice(i, i + 4).map((t) => this.describeImage(repository, t, signal)));
      for (const img of batch) if (img) out.push({ tag: img.tag, pushedAt: img.pushedAt, digest: img.digest });
    }
    out.sort((a, b) => (b.pushedAt?.getTime() ?? 0) - (a.pushedAt?.getTime() ?? 0) || b.tag.localeCompare(a.tag, undefined, { numeric: true }));
    return out;
  }

  async signatures(repository: string, digest: string, signal?: AbortSignal): Promise<SignatureLayer[]> {
    const m = await this.manifest(repository, signatureTag(digest), MANIFEST_TYPES, signal);
    if (!m) return [];
    const result: SignatureLayer[] = [];
    for (const layer of cosignLayersOf(m.json)) {
      result.push({
        layerDigest: layer.digest,
        mediaType: layer.mediaType,
        payload: await this.blob(repository, layer.digest, signal),
        signature: layer.annotations[COSIGN_SIGNATURE_ANNOTATION] ?? '',
        annotations: layer.annotations,
      });
    }
    return result;
  }

  async bundles(repository: string, digest: string, signal?: AbortSignal): Promise<BundleArtifact[]> {
    signatureTag(digest); // throws for a malformed digest
    let via: BundleArtifact['via'] = 'referrers-api';
    let refs = await this.referrersApi(repository, digest, signal);
    if (!refs) {
      // The registry has no referrers API: cosign pushed an index under the `sha256-<hex>` tag.
      via = 'referrers-tag';
      const index = await this.manifest(repository, referrersTag(digest), [OCI_INDEX], signal);
      refs = index ? bundleRefsOf(index.json, `${repository}:${referrersTag(digest)}`) : [];
    }
    const result: BundleArtifact[] = [];
    for (const r of refs) {
      const m = await this.manifest(repository, r.digest, MANIFEST_TYPES, signal);
      if (!m) continue;
      const layer = bundleLayerOf(m.json);
      if (!layer || (layer.subject !== undefined && layer.subject !== digest)) continue;
      result.push({ json: await this.blob(repository, layer.digest, signal), manifestDigest: r.digest, artifactType: r.artifactType ?? layer.artifactType, via });
    }
    return result;
  }

  /** The referrers API's bundle entries (every page); undefined when the registry answers 404 (no API). */
  private async referrersApi(repository: string, digest: string, signal?: AbortSignal): Promise<{ digest: string; artifactType?: string }[] | undefined> {
    const what = `GET referrers ${digest}`;
    const found: { digest: string; artifactType?: string }[] = [];
    let url: string | undefined = `${this.base}/v2/${repository}/referrers/${digest}?artifactType=${encodeURIComponent(BUNDLE_MEDIA_TYPES[0])}`;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const got = await this.get(repository, url, [OCI_INDEX], what, signal);
      if (got.status === 404 && ociError(got.body).code !== 'NAME_UNKNOWN') return page === 0 ? undefined : found;
      if (got.status !== 200) this.fail(got, repository, what);
      found.push(...bundleRefsOf(got.body.toString('utf8'), `the referrers of ${repository}@${digest}`));
      url = nextLink(got.headers, this.base);
    }
    return found;
  }
}

function mediaTypeOf(body: Buffer): string {
  try {
    const t = JSON.parse(body.toString('utf8'))?.mediaType;
    return typeof t === 'string' ? t : '';
  } catch {
    return '';
  }
}

/** The bundle entries of an OCI index (the referrers answer or the fallback tag index); a filter the registry ignored is applied here. */
function bundleRefsOf(json: string, what: string): { digest: string; artifactType?: string }[] {
  let doc: any;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new PortError('registry', 'transport', `${what} is not JSON`);
  }
  const out: { digest: string; artifactType?: string }[] = [];
  for (const m of Array.isArray(doc?.manifests) ? doc.manifests : []) {
    if (typeof m?.digest === 'string' && typeof m.artifactType === 'string' && BUNDLE_MEDIA_TYPES.includes(m.artifactType)) out.push({ digest: m.digest, artifactType: m.artifactType });
  }
  return out;
}

// RegistryPort over Amazon ECR (@aws-sdk/client-ecr, loaded on first use).
import type { BatchGetImageCommandOutput, ECRClient } from '@aws-sdk/client-ecr';
import type { ImageInfo, RegistryPort, SignatureLayer } from '../pipeline/ports';
import { BUNDLE_MEDIA_TYPES, type BundleArtifact } from '../pipeline/signatures';
import { PortError } from '../pipeline/model/cause';
import { fetchErrorMessage, isAbortError, safeUrl, throwIfAborted, withTimeout, type FetchLike } from './util';

type EcrSdk = typeof import('@aws-sdk/client-ecr');

export const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

/** `sha256:<hex>` → `sha256-<hex>.sig` (cosign's classic signature tag). */
export function signatureTag(digest: string): string {
  const m = /^(sha256|sha512):([0-9a-f]+)$/i.exec(digest.trim());
  if (!m) throw new Error(`not an image digest: ${JSON.stringify(digest)}`);
  return `${m[1].toLowerCase()}-${m[2].toLowerCase()}.sig`;
}

/** `sha256:<hex>` → `sha256-<hex>` (the OCI referrers fallback tag). */
export function referrersTag(digest: string): string {
  return signatureTag(digest).replace(/\.sig$/, '');
}

const isBundleType = (t: unknown): boolean => typeof t === 'string' && BUNDLE_MEDIA_TYPES.includes(t);

/** The bundle layer of a referrer manifest (JSON): the first layer whose media type is a Sigstore bundle. */
export function bundleLayerOf(manifestJson: string): { digest: string; mediaType: string; artifactType: string; subject?: string } | undefined {
  let m: any;
  try {
    m = JSON.parse(manifestJson);
  } catch {
    return undefined;
  }
  const layer = (Array.isArray(m?.layers) ? m.layers : []).find((l: any) => isBundleType(l?.mediaType) && typeof l.digest === 'string');
  if (!layer) return undefined;
  return { digest: layer.digest, mediaType: layer.mediaType, artifactType: typeof m.artifactType === 'string' ? m.artifactType : layer.mediaType, subject: typeof m.subject?.digest === 'string' ? m.subject.digest : undefined };
}

/** The cosign layers of a signature manifest (a JSON string). */
export function cosignLayersOf(manifestJson: string): { digest: string; mediaType: string; annotations: Record<string, string> }[] {
  let manifest: any;
  try {
    manifest = JSON.parse(manifestJson);
  } catch {
    throw new Error('the signature manifest is not JSON');
  }
  const layers: any[] = Array.isArray(manifest?.layers) ? manifest.layers : [];
  return layers
    .filter((l) => l && l.mediaType === COSIGN_SIMPLESIGNING && typeof l.digest === 'string')
    .map((l) => ({ digest: l.digest, mediaType: l.mediaType, annotations: stringRecord(l.annotations) }));
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export interface EcrOptions {
  region: string;
  endpoint?: string;
  registryId?: string;
  profile?: string;
  /** Explicit credentials (e.g. from an injected env); otherwise the default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** repository → services using it, for hints in messages. */
  servicesByRepository?: Record<string, string[]>;
  fetch?: FetchLike;
  /** For loading: lets a caller observe that the SDK is loaded. */
  onLoad?: () => void;
}

export class EcrRegistry implements RegistryPort {
  private loaded?: Promise<{ sdk: EcrSdk; client: ECRClient }>;

  constructor(private readonly opts: EcrOptions) {}

  private load(): Promise<{ sdk: EcrSdk; client: ECRClient }> {
    if (this.loaded) return this.loaded;
    const loading = (async () => {
      const sdk = await import('@aws-sdk/client-ecr');
      this.opts.onLoad?.();
      const client = new sdk.ECRClient({
        region: this.opts.region,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : this.opts.profile ? { profile: this.opts.profile } : {}),
        maxAttempts: 3,
      });
      return { sdk, client };
    })();
    this.loaded = loading;
    loading.catch(() => (this.loaded = undefined));
    return loading;
  }

  private get where(): string {
    return `region ${this.opts.region}` + (this.opts.registryId ? `, registry ${this.opts.registryId}` : '') + (this.opts.endpoint ? `, endpoint ${safeUrl(this.opts.endpoint)}` : '');
  }

  private hint(repository: string): string {
    const svcs = this.opts.servicesByRepository?.[repository];
    return svcs && svcs.length ? svcs.map((s) => `services.${s}.ecrRepository`).join(' / ') : 'services.<service>.ecrRepository';
  }

  /** Turn SDK errors into messages that say what to check; rethrow aborts untouched. */
  private fail(err: unknown, repository: string, what: string, signal?: AbortSignal): never {
    if (signal?.aborted) throw err;
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = e?.name ?? 'Error';
    if (name === 'RepositoryNotFoundException') {
      throw new PortError('registry', 'not-found', `ECR repository ${repository} not found in ${this.where}: check ${this.hint(repository)}`, 404);
    }
    if (/CredentialsProviderError|ExpiredToken|UnrecognizedClient|InvalidSignature|AccessDenied|NotAuthorized|Unauthorized/i.test(name)) {
      throw new PortError('registry', 'auth', `ECR ${what} for ${repository} was refused (${name}: ${e.message ?? ''}) in ${this.where}: check AWS credentials (AWS_PROFILE, gitopsDeploy.awsProfile or the default chain)`, e?.$metadata?.httpStatusCode);
    }
    const status = e?.$metadata?.httpStatusCode;
    const kind = name === 'TimeoutError' || status === 504 ? 'timeout' : 'transport';
    throw new PortError('registry', kind, `ECR ${what} for ${repository} failed in ${this.where}: ${name}${status ? ` (HTTP ${status})` : ''}: ${e?.message ?? String(err)}`, status);
  }

  private ids(repository: string): { repositoryName: string; registryId?: string } {
    return { repositoryName: repository, ...(this.opts.registryId ? { registryId: this.opts.registryId } : {}) };
  }

  async describeImage(repository: string, tag: string, signal?: AbortSignal): Promise<ImageInfo | undefined> {
    throwIfAborted(signal);
    const { sdk, client } = await this.load();
    try {
      const out = await client.send(new sdk.DescribeImagesCommand({ ...this.ids(repository), imageIds: [{ imageTag: tag }] }), { abortSignal: signal });
      const d = out.imageDetails?.[0];
      if (!d?.imageDigest) return undefined;
      return { repository, tag, digest: d.imageDigest, pushedAt: d.imagePushedAt ? new Date(d.imagePushedAt) : undefined, tags: d.imageTags ?? [] };
    } catch (err) {
      if ((err as { name?: string })?.name === 'ImageNotFoundException') return undefined;
      this.fail(err, repository, 'DescribeImages', signal);
    }
  }

  async listTags(repository: string, limit: number, signal?: AbortSignal): Promise<{ tag: string; pushedAt?: Date; digest: string }[]> {
    throwIfAborted(signal);
    const { sdk, client } = await this.load();
    const all: { tag: string; pushedAt?: Date; digest: string }[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    try {
      do {
        const out = await client.send(
          new sdk.DescribeImagesCommand({ ...this.ids(repository), filter: { tagStatus: 'TAGGED' }, maxResults: 1000, nextToken }),
          { abortSignal: signal },
        );
        for (const d of out.imageDetails ?? []) {
          if (!d.imageDigest) continue;
          for (const tag of d.imageTags ?? []) {
            if (/^sha(256|512)-[0-9a-f]+(\.(sig|att|sbom))?$/i.test(tag)) continue; // cosign artifacts
            all.push({ tag, pushedAt: d.imagePushedAt ? new Date(d.imagePushedAt) : undefined, digest: d.imageDigest });
          }
        }
        nextToken = out.nextToken;
      } while (nextToken && ++pages < 20);
    } catch (err) {
      this.fail(err, repository, 'DescribeImages', signal);
    }
    all.sort((a, b) => (b.pushedAt?.getTime() ?? 0) - (a.pushedAt?.getTime() ?? 0) || b.tag.localeCompare(a.tag, undefined, { numeric: true }));
    return all.slice(0, Math.max(0, limit));
  }

  async signatures(repository: string, digest: string, signal?: AbortSignal): Promise<SignatureLayer[]> {
    throwIfAborted(signal);
    const sigTag = signatureTag(digest);
    const { sdk, client } = await this.load();
    let out: BatchGetImageCommandOutput;
    try {
      out = await client.send(
        new sdk.BatchGetImageCommand({ ...this.ids(repository), imageIds: [{ imageTag: sigTag }], acceptedMediaTypes: MANIFEST_TYPES }),
        { abortSignal: signal },
      );
    } catch (err) {
      this.fail(err, repository, 'BatchGetImage', signal);
    }
    const manifestJson = out.images?.find((i) => i.imageManifest)?.imageManifest;
    if (!manifestJson) {
      const f = out.failures?.[0];
      if (!f || f.failureCode === 'ImageNotFound') return [];
      throw new Error(`ECR BatchGetImage for ${repository}:${sigTag} failed in ${this.where}: ${f.failureCode}: ${f.failureReason ?? ''}`);
    }
    const layers = cosignLayersOf(manifestJson);
    const result: SignatureLayer[] = [];
    for (const layer of layers) {
      const payload = await this.downloadLayer(sdk, client, repository, layer.digest, signal);
      result.push({
        layerDigest: layer.digest,
        mediaType: layer.mediaType,
        payload,
        signature: layer.annotations[COSIGN_SIGNATURE_ANNOTATION] ?? '',
        annotations: layer.annotations,
      });
    }
    return result;
  }

  async bundles(repository: string, digest: string, signal?: AbortSignal): Promise<BundleArtifact[]> {
    throwIfAborted(signal);
    const { sdk, client } = await this.load();
    // 1. The referrers API (ECR ListImageReferrers, OCI 1.1 referrers).
    let refs: { digest: string; artifactType?: string }[] | undefined;
    try {
      const found: { digest: string; artifactType?: string }[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const out = await client.send(new sdk.ListImageReferrersCommand({ ...this.ids(repository), subjectId: { imageDigest: digest }, filter: { artifactTypes: [BUNDLE_MEDIA_TYPES[0]] }, nextToken }), { abortSignal: signal });
        for (const r of out.referrers ?? []) if (r.digest && (r.artifactStatus ?? 'ACTIVE') === 'ACTIVE') found.push({ digest: r.digest, artifactType: r.artifactType });
        nextToken = out.nextToken;
      } while (nextToken && ++pages < 20);
      refs = found;
    } catch (err) {
      const name = (err as { name?: string })?.name ?? '';
      // A registry (or an ECR endpoint) without the referrers API: fall back to the tag scheme.
      if (signal?.aborted || !/UnknownOperation|UnsupportedOperation|NotImplemented/i.test(name)) this.fail(err, repository, 'ListImageReferrers', signal);
    }
    let via: BundleArtifact['via'] = 'referrers-api';
    if (!refs) {
      via = 'referrers-tag';
      const index = await this.manifest(sdk, client, repository, { imageTag: referrersTag(digest) }, [OCI_INDEX], signal);
      refs = [];
      if (index) {
        try {
          const doc = JSON.parse(index);
          for (const m of Array.isArray(doc?.manifests) ? doc.manifests : []) if (typeof m?.digest === 'string' && isBundleType(m.artifactType)) refs.push({ digest: m.digest, artifactType: m.artifactType });
        } catch {
          throw new Error(`the referrers tag index ${repository}:${referrersTag(digest)} is not JSON`);
        }
      }
    }
    const result: BundleArtifact[] = [];
    for (const r of refs) {
      const manifestJson = await this.manifest(sdk, client, repository, { imageDigest: r.digest }, MANIFEST_TYPES, signal);
      if (!manifestJson) continue;
      const layer = bundleLayerOf(manifestJson);
      if (!layer) continue;
      const json = await this.downloadLayer(sdk, client, repository, layer.digest, signal);
      result.push({ json, manifestDigest: r.digest, artifactType: r.artifactType ?? layer.artifactType, via });
    }
    return result;
  }

  /** One manifest (JSON text) by tag or digest; undefined when it does not exist. */
  private async manifest(sdk: EcrSdk, client: ECRClient, repository: string, imageId: { imageTag?: string; imageDigest?: string }, types: string[], signal?: AbortSignal): Promise<string | undefined> {
    let out: BatchGetImageCommandOutput;
    try {
      out = await client.send(new sdk.BatchGetImageCommand({ ...this.ids(repository), imageIds: [imageId], acceptedMediaTypes: types }), { abortSignal: signal });
    } catch (err) {
      this.fail(err, repository, 'BatchGetImage', signal);
    }
    const json = out.images?.find((i) => i.imageManifest)?.imageManifest;
    if (json) return json;
    const f = out.failures?.[0];
    if (!f || f.failureCode === 'ImageNotFound') return undefined;
    throw new Error(`ECR BatchGetImage for ${repository}:${imageId.imageTag ?? imageId.imageDigest} failed in ${this.where}: ${f.failureCode}: ${f.failureReason ?? ''}`);
  }

  private async downloadLayer(sdk: EcrSdk, client: ECRClient, repository: string, layerDigest: string, signal?: AbortSignal): Promise<Buffer> {
    let url: string | undefined;
    try {
      const out = await client.send(new sdk.GetDownloadUrlForLayerCommand({ ...this.ids(repository), layerDigest }), { abortSignal: signal });
      url = out.downloadUrl;
    } catch (err) {
      this.fail(err, repository, `GetDownloadUrlForLayer ${layerDigest}`, signal);
    }
    if (!url) throw new Error(`ECR gave no download URL for layer ${layerDigest} of ${repository}`);
    const doFetch = this.opts.fetch ?? fetch;
    try {
      // A pre-signed URL: no Authorization header (S3 rejects requests that carry two auth mechanisms).
      const res = await doFetch(url, { method: 'GET', redirect: 'follow', signal: withTimeout(60_000, signal) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return Buffer.from(await res.arrayBuffer());
    } catch (err) {
      if (isAbortError(err) && signal?.aborted) throw err;
      throw new Error(`downloading signature layer ${layerDigest} of ${repository} from ${safeUrl(url)} failed: ${fetchErrorMessage(err)}`);
    }
  }
}

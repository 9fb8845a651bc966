import type * as http from 'node:http';
import { sendJson, sendText } from './http';
import type { Faults } from './faults';
import { REGISTRY_ID, REGION, REGISTRY_HOST, type Registry, type StoredImage } from './registry';

const PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

class AwsError extends Error {
  constructor(readonly type: string, message: string, readonly code = 400) {
    super(message);
  }
}

type ImageId = { imageTag?: string; imageDigest?: string };
const idText = (id: ImageId): string => `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;

/** A stand-in for the ECR API (AWS JSON 1.1) plus the layer download URLs it hands out. */
export class EcrApi {
  constructor(private readonly registry: Registry, private readonly faults: Faults, private readonly baseUrl: () => string, private readonly log: (s: string) => void) {}

  handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL): Promise<void> => {
    // Bundles are signed (against the local Fulcio/Rekor) right after the registry loads.
    await this.registry.ready;
    const reqId = `${Date.now().toString(16)}-sandbox-${Math.random().toString(16).slice(2, 10)}`;
    if (req.method === 'GET' && url.pathname.startsWith('/layers/')) return this.layer(req, res, url);
    const target = String(req.headers['x-amz-target'] ?? '');
    const headers = { 'x-amzn-requestid': reqId, 'Content-Type': 'application/x-amz-json-1.1' };
    try {
      if (req.method !== 'POST' || !target.startsWith(PREFIX)) throw new AwsError('UnknownOperationException', 'Unknown operation');
      if (!req.headers.authorization) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      const op = target.slice(PREFIX.length);
      const fault = this.faults.match([op, 'POST'], op);
      if (fault) throw new AwsError(fault.type ?? (fault.code >= 500 ? 'ServerException' : 'InvalidParameterException'), fault.message ?? `sandbox: injected ${fault.code} for ${op}`, fault.code);
      let input: any;
      try {
        input = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch {
        throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
      }
      const out = this.dispatch(op, input);
      this.log(`ecr ${op} ${input.repositoryName ?? ''}`);
      sendJson(res, 200, out, headers);
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      sendJson(res, e.code, { __type: e.type, message: e.message }, { ...headers, 'x-amzn-errortype': `${e.type}:http://internal.amazon.com/coral/com.amazonaws.ecr/` });
    }
  };

  private layer(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    // A pre-signed URL carries its own authorization: like S3, a second mechanism is refused.
    if (req.headers.authorization) return sendText(res, 400, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified</Message></Error>', 'application/xml');
    const digest = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    const blob = this.registry.blobs.get(digest);
    if (!blob) return sendText(res, 404, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>', 'application/xml');
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length, ETag: `"${digest.slice(7, 39)}"` });
    res.end(blob);
  }

  private repo(input: any): StoredImage[] {
    const name = input.repositoryName;
    if (typeof name !== 'string' || !name) throw new AwsError('InvalidParameterException', "1 validation error detected: Value null at 'repositoryName' failed to satisfy constraint: Member must not be null");
    const images = this.registry.repos.get(name);
    if (!images) throw new AwsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${input.registryId ?? REGISTRY_ID}'`);
    return images;
  }

  private detail(img: StoredImage): Record<string, unknown> {
    return {
      registryId: REGISTRY_ID, repositoryName: img.repository, imageDigest: img.digest, imageTags: img.tags, imageSizeInBytes: img.sizeInBytes,
      imagePushedAt: img.pushedAt.getTime() / 1000, imageManifestMediaType: img.mediaType, artifactMediaType: img.signatureOf ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json',
      lastRecordedPullTime: img.pushedAt.getTime() / 1000 + 600,
    };
  }

  private page<X>(items: X[], input: any): { page: X[]; nextToken?: string } {
    const max = Number(input.maxResults ?? 100);
    const start = input.nextToken ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
    const page = items.slice(start, start + max);
    return { page, nextToken: start + max < items.length ? Buffer.from(String(start + max)).toString('base64') : undefined };
  }

  private dispatch(op: string, input: any): Record<string, unknown> {
    switch (op) {
      case 'DescribeImages': {
        const images = this.repo(input);
        if (Array.isArray(input.imageIds) && input.imageIds.length) {
          const out: StoredImage[] = [];
          for (const id of input.imageIds as ImageId[]) {
            const img = this.registry.find(input.repositoryName, id);
            if (!img || (id.imageTag && !img.tags.includes(id.imageTag))) throw new AwsError('ImageNotFoundException', `The image with imageId ${idText(id)} does not exist within the repository with name '${input.repositoryName}' in the registry with id '${REGISTRY_ID}'`);
            if (!out.includes(img)) out.push(img);
          }
          return { imageDetails: out.map((i) => this.detail(i)) };
        }
        let list = images;
        if (input.filter?.tagStatus === 'TAGGED') list = list.filter((i) => i.tags.length);
        if (input.filter?.tagStatus === 'UNTAGGED') list = list.filter((i) => !i.tags.length);
        const { page, nextToken } = this.page(list, input);
        return { imageDetails: page.map((i) => this.detail(i)), ...(nextToken ? { nextToken } : {}) };
      }
      case 'ListImages': {
        const ids = this.repo(input).flatMap((i) => i.tags.map((imageTag) => ({ imageDigest: i.digest, imageTag })));
        const { page, nextToken } = this.page(ids, input);
        return { imageIds: page, ...(nextToken ? { nextToken } : {}) };
      }
      case 'BatchGetImage': {
        this.repo(input);
        if (!Array.isArray(input.imageIds) || !input.imageIds.length) throw new AwsError('InvalidParameterException', "1 validation error detected: Value '[]' at 'imageIds' failed to satisfy constraint: Member must have length greater than or equal to 1");
        const images: Record<string, unknown>[] = [];
        const failures: Record<string, unknown>[] = [];
        const accepted: string[] | undefined = Array.isArray(input.acceptedMediaTypes) && input.acceptedMediaTypes.length ? input.acceptedMediaTypes : undefined;
        for (const id of input.imageIds as ImageId[]) {
          const byDigest = id.imageDigest ? this.registry.find(input.repositoryName, { imageDigest: id.imageDigest }) : undefined;
          const byTag = id.imageTag ? this.registry.find(input.repositoryName, { imageTag: id.imageTag }) : undefined;
          if (id.imageDigest && id.imageTag && byDigest && byTag && byDigest !== byTag) {
            failures.push({ imageId: id, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid image tag for image digest' });
            continue;
          }
          const img = byDigest ?? byTag;
          if (!img || (id.imageTag && !byTag)) {
            failures.push({ imageId: id, failureCode: id.imageTag ? 'ImageNotFound' : 'ImageNotFound', failureReason: 'Requested image not found' });
            continue;
          }
          if (accepted && !accepted.includes(img.mediaType)) {
            failures.push({ imageId: id, failureCode: 'UnsupportedImageType', failureReason: `The image manifest media type ${img.mediaType} is not accepted` });
            continue;
          }
          images.push({ registryId: REGISTRY_ID, repositoryName: img.repository, imageId: { imageDigest: img.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) }, imageManifest: img.manifest, imageManifestMediaType: img.mediaType });
        }
        return { images, failures };
      }
      case 'ListImageReferrers': {
        this.repo(input);
        // A registry without the referrers API (scenario registry.referrers: false).
        if (!this.registry.referrersApi) throw new AwsError('UnknownOperationException', 'Unknown operation ListImageReferrers');
        const subject = input.subjectId?.imageDigest;
        if (typeof subject !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(subject)) {
          throw new AwsError('InvalidParameterException', `1 validation error detected: Value '${subject ?? 'null'}' at 'subjectId.imageDigest' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_+.]+:[a-fA-F0-9]+`);
        }
        if (!this.registry.find(input.repositoryName, { imageDigest: subject })) {
          throw new AwsError('ImageNotFoundException', `The image with imageId {imageDigest:'${subject}', imageTag:'null'} does not exist within the repository with name '${input.repositoryName}' in the registry with id '${REGISTRY_ID}'`);
        }
        const types: string[] | undefined = Array.isArray(input.filter?.artifactTypes) && input.filter.artifactTypes.length ? input.filter.artifactTypes : undefined;
        const refs = this.registry.referrers(input.repositoryName, subject).filter((r) => !types || types.includes(r.artifactType ?? ''));
        const items = refs.map((r) => ({ digest: r.digest, mediaType: r.mediaType, artifactType: r.artifactType, size: Buffer.byteLength(r.manifest), annotations: (JSON.parse(r.manifest) as { annotations?: Record<string, string> }).annotations ?? {}, artifactStatus: 'ACTIVE' }));
        const { page, nextToken } = this.page(items, { ...input, maxResults: input.maxResults ?? 50 });
        return { referrers: page, ...(nextToken ? { nextToken } : {}) };
      }
      case 'GetDownloadUrlForLayer': {
        this.repo(input);
        const digest = input.layerDigest;
        if (typeof digest !== 'string' || !this.registry.layerDigests(input.repositoryName).has(digest) || !this.registry.blobs.has(digest)) {
          throw new AwsError('LayersNotFoundException', `The image layer '${String(digest)}' does not exist in the repository with name '${input.repositoryName}' in the registry with id '${REGISTRY_ID}'`);
        }
        const expires = Math.floor(Date.now() / 1000) + 3600;
        return { downloadUrl: `${this.baseUrl()}/layers/${encodeURIComponent(input.repositoryName)}/${encodeURIComponent(digest)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Date=${expires}`, layerDigest: digest };
      }
      case 'GetAuthorizationToken':
        return { authorizationData: [{ authorizationToken: Buffer.from('AWS:sandbox-registry-password').toString('base64'), expiresAt: Math.floor(Date.now() / 1000) + 43200, proxyEndpoint: `https://${REGISTRY_HOST}` }] };
      case 'DescribeRepositories': {
        const names: string[] = Array.isArray(input.repositoryNames) && input.repositoryNames.length ? input.repositoryNames : [...this.registry.repos.keys()];
        return {
          repositories: names.map((n) => {
            if (!this.registry.repos.has(n)) throw new AwsError('RepositoryNotFoundException', `The repository with name '${n}' does not exist in the registry with id '${REGISTRY_ID}'`);
            return { repositoryArn: `arn:aws:ecr:${REGION}:${REGISTRY_ID}:repository/${n}`, registryId: REGISTRY_ID, repositoryName: n, repositoryUri: `${REGISTRY_HOST}/${n}`, createdAt: 1700000000, imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true }, encryptionConfiguration: { encryptionType: 'AES256' } };
          }),
        };
      }
      default:
        throw new AwsError('UnknownOperationException', `Unknown operation ${op}`);
    }
  }
}

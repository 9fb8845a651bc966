import * as crypto from 'node:crypto';
import type { ImageSpec, NormalizedScenario } from './scenario';

export const REGISTRY_ID = '123456789012';
export const REGION = 'us-east-1';
export const REGISTRY_HOST = `${REGISTRY_ID}.dkr.ecr.${REGION}.amazonaws.com`;

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';

export interface KeyPair { privateKey: crypto.KeyObject; publicPem: string }

export function generateKeys(): { trusted: KeyPair; untrusted: KeyPair } {
  const make = (): KeyPair => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  };
  return { trusted: make(), untrusted: make() };
}

export interface StoredImage {
  repository: string;
  tags: string[];
  digest: string;
  manifest: string;
  mediaType: string;
  sizeInBytes: number;
  pushedAt: Date;
  /** The image this is a signature of (for .sig entries). */
  signatureOf?: string;
  spec?: ImageSpec;
}

export const sha256 = (data: string | Buffer): string => 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');

/** The synthetic registry: images, cosign signatures and blobs, derived from the scenario. */
export class Registry {
  readonly repos = new Map<string, StoredImage[]>();
  readonly blobs = new Map<string, Buffer>();

  constructor(scenario: NormalizedScenario, private readonly keys: { trusted: KeyPair; untrusted: KeyPair }, now = Date.now()) {
    this.load(scenario, now);
  }

  /** (Re)builds every repository from the scenario's images. */
  load(scenario: NormalizedScenario, now = Date.now()): void {
    this.repos.clear();
    for (const [service, spec] of Object.entries(scenario.services)) {
      const images: StoredImage[] = [];
      const tags = Object.keys(spec.images);
      tags.forEach((tag, i) => {
        const img = spec.images[tag];
        const pushedAt = img.pushedAt ? new Date(img.pushedAt) : new Date(Math.floor((now - (tags.length - i) * 3_600_000) / 1000) * 1000);
        const stored = this.makeImage(service, tag, pushedAt, img);
        images.push(stored);
        if (img.signed !== false) images.push(this.makeSignature(service, stored, img.signedBy === 'untrusted' ? this.keys.untrusted : this.keys.trusted, pushedAt, img.commit));
      });
      this.repos.set(service, images);
    }
  }

  /** A new tag arrives (a build pushed it); signed per the spec. Refuses a tag that exists: ECR repositories here are IMMUTABLE. */
  push(service: string, tag: string, spec: ImageSpec, pushedAt: Date): StoredImage {
    const images = this.repos.get(service) ?? [];
    if (images.some((i) => i.tags.includes(tag))) throw new Error(`ImageTagAlreadyExistsException: The image tag '${tag}' already exists in the '${service}' repository and cannot be overwritten because the repository is immutable.`);
    const stored = this.makeImage(service, tag, pushedAt, spec);
    images.push(stored);
    if (spec.signed !== false) images.push(this.makeSignature(service, stored, spec.signedBy === 'untrusted' ? this.keys.untrusted : this.keys.trusted, pushedAt, spec.commit));
    this.repos.set(service, images);
    return stored;
  }

  imageRef(service: string): string {
    return `${REGISTRY_HOST}/${service}`;
  }

  private blob(data: string): { digest: string; size: number } {
    const buf = Buffer.from(data);
    const digest = sha256(buf);
    this.blobs.set(digest, buf);
    return { digest, size: buf.length };
  }

  private makeImage(service: string, tag: string, pushedAt: Date, spec: ImageSpec): StoredImage {
    const config = this.blob(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: [`APP_VERSION=${tag}`], Entrypoint: ['java', '-jar', '/app/app.jar'], Labels: { 'org.opencontainers.image.title': service, 'org.opencontainers.image.version': tag } }, rootfs: { type: 'layers', diff_ids: [] } }));
    const base = this.blob(`base-layer:eclipse-temurin:21-jre`);
    const app = this.blob(`app-layer:${service}:${tag}`);
    const layers = [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 52_428_800 + base.size, digest: base.digest },
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 31_457_280 + app.size + tag.length * 1024, digest: app.digest },
    ];
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.size, digest: config.digest }, layers }, null, 3);
    return { repository: service, tags: [tag], digest: sha256(manifest), manifest, mediaType: DOCKER_MANIFEST, sizeInBytes: layers.reduce((a, l) => a + l.size, 0), pushedAt, spec };
  }

  private makeSignature(service: string, image: StoredImage, key: KeyPair, pushedAt: Date, commit?: string): StoredImage {
    // `cosign sign -a commit=<sha>` puts the annotation into the payload's `optional` section.
    const payload = JSON.stringify({ critical: { identity: { 'docker-reference': this.imageRef(service) }, image: { 'docker-manifest-digest': image.digest }, type: 'cosign container image signature' }, optional: commit ? { commit } : null });
    const layer = this.blob(payload);
    const signature = crypto.sign('sha256', Buffer.from(payload), key.privateKey).toString('base64');
    const config = this.blob(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.size, digest: config.digest },
      layers: [{ mediaType: SIMPLESIGNING, size: layer.size, digest: layer.digest, annotations: { 'dev.cosignproject.cosign/signature': signature } }],
    });
    const tag = image.digest.replace(':', '-') + '.sig';
    return { repository: service, tags: [tag], digest: sha256(manifest), manifest, mediaType: OCI_MANIFEST, sizeInBytes: layer.size + config.size, pushedAt: new Date(pushedAt.getTime() + 30_000), signatureOf: image.digest };
  }

  find(repository: string, id: { imageTag?: string; imageDigest?: string }): StoredImage | undefined {
    const images = this.repos.get(repository) ?? [];
    if (id.imageDigest) return images.find((i) => i.digest === id.imageDigest);
    return images.find((i) => id.imageTag !== undefined && i.tags.includes(id.imageTag));
  }

  /** Layer and config digests referenced by an image manifest. */
  layerDigests(repository: string): Set<string> {
    const out = new Set<string>();
    for (const img of this.repos.get(repository) ?? []) {
      const m = JSON.parse(img.manifest) as { config: { digest: string }; layers: { digest: string }[] };
      out.add(m.config.digest);
      for (const l of m.layers) out.add(l.digest);
    }
    return out;
  }

  specFor(service: string, tag: string): ImageSpec | undefined {
    return this.find(service, { imageTag: tag })?.spec;
  }
}

import * as crypto from 'node:crypto';
import type { ImageSpec, NormalizedScenario, SignatureForm } from './scenario';
import { BUNDLE_V03, RELEASE_IDENTITY, type LocalSigstore } from './sigstore';

export const REGISTRY_ID = '123456789012';
export const REGION = 'us-east-1';
export const REGISTRY_HOST = `${REGISTRY_ID}.dkr.ecr.${REGION}.amazonaws.com`;

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

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
  /** The image this is a signature of (for .sig entries and bundle referrers). */
  signatureOf?: string;
  /** OCI 1.1 referrer: the subject's digest and the artifact type. */
  subject?: string;
  artifactType?: string;
  spec?: ImageSpec;
}

export const sha256 = (data: string | Buffer): string => 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');

/** The synthetic registry: images, cosign signatures and blobs, derived from the scenario. */
export class Registry {
  readonly repos = new Map<string, StoredImage[]>();
  readonly blobs = new Map<string, Buffer>();
  /** Resolves when every bundle of the last load() is signed and stored (the ECR stand-in waits for it). */
  ready: Promise<void> = Promise.resolve();
  private generation = 0;
  /** The scenario's default signature form (images pushed later are signed this way unless they say otherwise). */
  private defaultForm: SignatureForm = 'bundle';
  /** false: the registry has no referrers API; each bundle is also listed in the `sha256-<hex>` tag index (as cosign does then). */
  referrersApi = true;

  constructor(scenario: NormalizedScenario, private readonly keys: { trusted: KeyPair; untrusted: KeyPair }, private readonly sigstore?: LocalSigstore, now = Date.now()) {
    this.load(scenario, now);
  }

  /** The signature form of an image: its own `signature`, else `signed: false` → none, else the scenario's default. */
  static formOf(img: ImageSpec, fallback: SignatureForm): SignatureForm {
    if (img.signed === false) return 'none';
    return img.signature ?? fallback;
  }

  /** (Re)builds every repository from the scenario's images; bundles are signed asynchronously (see ready). */
  load(scenario: NormalizedScenario, now = Date.now()): void {
    this.repos.clear();
    this.defaultForm = scenario.signature;
    this.referrersApi = scenario.registry.referrers;
    const gen = ++this.generation;
    const pending: (() => Promise<void>)[] = [];
    for (const [service, spec] of Object.entries(scenario.services)) {
      const images: StoredImage[] = [];
      const tags = Object.keys(spec.images);
      tags.forEach((tag, i) => {
        const img = spec.images[tag];
        const pushedAt = img.pushedAt ? new Date(img.pushedAt) : new Date(Math.floor((now - (tags.length - i) * 3_600_000) / 1000) * 1000);
        const stored = this.makeImage(service, tag, pushedAt, img);
        images.push(stored);
        const form = Registry.formOf(img, scenario.signature);
        const key = img.signedBy === 'untrusted' ? this.keys.untrusted : this.keys.trusted;
        if (form === 'classic') images.push(this.makeSignature(service, stored, key, pushedAt, img.tampered === true, img.commit));
        if (form === 'bundle' || form === 'keyless') {
          pending.push(async () => {
            const json = await this.signBundle(service, stored, form, img, key);
            if (gen === this.generation) this.attach(images, service, stored, this.makeReferrer(service, stored, json, pushedAt));
          });
        }
      });
      this.repos.set(service, images);
    }
    // One at a time: the stand-in Fulcio/Rekor answer over loopback HTTP.
    this.ready = (async () => {
      for (const job of pending) await job();
    })();
  }

  /** Sign with the official library against the local Fulcio/Rekor: a key-based or keyless cosign v3 bundle. */
  private async signBundle(service: string, image: StoredImage, form: 'bundle' | 'keyless', img: ImageSpec, key: KeyPair): Promise<Buffer> {
    if (!this.sigstore) throw new Error('sandbox: bundle signatures need the local Sigstore');
    const ref = this.imageRef(service);
    let json: Buffer;
    if (form === 'keyless') {
      const identity = (img.identity ?? (img.signedBy === 'untrusted' ? 'https://github.com/acme/{service}/.github/workflows/debug.yml@refs/heads/feature' : RELEASE_IDENTITY)).replace('{service}', service);
      const sha = img.commit ?? crypto.createHash('sha1').update(`${service}:${image.tags[0]}`).digest('hex');
      json = await this.sigstore.signImage(ref, image.digest, { kind: 'keyless', identity, repository: `acme/${service}`, sha });
    } else {
      json = await this.sigstore.signImage(ref, image.digest, { kind: 'key', privateKey: key.privateKey, publicPem: key.publicPem });
    }
    if (img.tampered) {
      // Flip one bit of the DSSE signature: the bundle no longer matches what was logged and signed.
      const b = JSON.parse(json.toString('utf8'));
      const sig = Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64');
      sig[sig.length - 1] ^= 1;
      b.dsseEnvelope.signatures[0].sig = sig.toString('base64');
      json = Buffer.from(JSON.stringify(b));
    }
    return json;
  }

  /** An OCI 1.1 referrer manifest (cosign v3): subject = the image, one layer = the bundle. */
  private makeReferrer(service: string, image: StoredImage, bundle: Buffer, pushedAt: Date): StoredImage {
    const layerDigest = sha256(bundle);
    this.blobs.set(layerDigest, bundle);
    const empty = this.blob('{}');
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_V03,
      config: { mediaType: OCI_EMPTY, size: empty.size, digest: empty.digest },
      layers: [{ mediaType: BUNDLE_V03, size: bundle.length, digest: layerDigest }],
      subject: { mediaType: image.mediaType, size: Buffer.byteLength(image.manifest), digest: image.digest },
      annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1', 'org.opencontainers.image.created': new Date(pushedAt.getTime() + 30_000).toISOString() },
    });
    return { repository: service, tags: [], digest: sha256(manifest), manifest, mediaType: OCI_MANIFEST, sizeInBytes: bundle.length + empty.size, pushedAt: new Date(pushedAt.getTime() + 30_000), signatureOf: image.digest, subject: image.digest, artifactType: BUNDLE_V03 };
  }

  /**
   * Store a referrer; without the referrers API, also (re)write the fallback index tagged
   * `sha256-<hex>` listing every referrer of the subject (what cosign pushes to such a registry).
   */
  private attach(images: StoredImage[], service: string, subject: StoredImage, referrer: StoredImage): void {
    images.push(referrer);
    if (this.referrersApi) return;
    const tag = subject.digest.replace(':', '-');
    const old = images.findIndex((i) => i.tags.includes(tag));
    if (old >= 0) images.splice(old, 1);
    const refs = images.filter((i) => i.subject === subject.digest);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: refs.map((r) => ({ mediaType: r.mediaType, digest: r.digest, size: Buffer.byteLength(r.manifest), artifactType: r.artifactType, annotations: (JSON.parse(r.manifest) as { annotations?: Record<string, string> }).annotations ?? {} })),
    });
    images.push({ repository: service, tags: [tag], digest: sha256(manifest), manifest, mediaType: OCI_INDEX, sizeInBytes: Buffer.byteLength(manifest), pushedAt: referrer.pushedAt, signatureOf: subject.digest });
  }

  /** Referrers of a digest (OCI 1.1 `subject`). */
  referrers(repository: string, digest: string): StoredImage[] {
    return (this.repos.get(repository) ?? []).filter((i) => i.subject === digest);
  }

  /**
   * The tag is pushed again with a rebuilt, unsigned image (the scenario's repushedBeforeRollout):
   * the tag now points to another digest than the one validated.
   */
  repoint(service: string, tag: string): StoredImage | undefined {
    const images = this.repos.get(service);
    const old = images?.find((i) => i.tags.includes(tag));
    if (!images || !old) return undefined;
    const rebuilt = this.makeImage(service, tag, new Date(), { ...(old.spec ?? {}), repushedBeforeRollout: false }, 'rebuilt');
    old.tags = old.tags.filter((t) => t !== tag);
    images.push(rebuilt);
    return rebuilt;
  }

  /**
   * A new tag arrives (a build pushed it); signed per the spec, else the scenario's form (a cosign v3
   * bundle referrer by default, keyless in the demo, like the other images). A bundle is signed
   * against the local Fulcio/Rekor right after: `ready` covers it, so the registry APIs answer with
   * it. Refuses a tag that exists: ECR repositories here are IMMUTABLE.
   */
  push(service: string, tag: string, spec: ImageSpec, pushedAt: Date): StoredImage {
    const images = this.repos.get(service) ?? [];
    if (images.some((i) => i.tags.includes(tag))) throw new Error(`ImageTagAlreadyExistsException: The image tag '${tag}' already exists in the '${service}' repository and cannot be overwritten because the repository is immutable.`);
    const stored = this.makeImage(service, tag, pushedAt, spec);
    images.push(stored);
    const form = Registry.formOf(spec, this.defaultForm);
    const key = spec.signedBy === 'untrusted' ? this.keys.untrusted : this.keys.trusted;
    // cosign sign -a commit=… (classic): synchronously.
    if (form === 'classic') images.push(this.makeSignature(service, stored, key, pushedAt, spec.tampered === true, spec.commit));
    if (form === 'bundle' || form === 'keyless') {
      const gen = this.generation;
      this.ready = this.ready.catch(() => undefined).then(async () => {
        const json = await this.signBundle(service, stored, form, spec, key);
        if (gen === this.generation) this.attach(images, service, stored, this.makeReferrer(service, stored, json, pushedAt));
      });
    }
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

  private makeImage(service: string, tag: string, pushedAt: Date, spec: ImageSpec, build = ''): StoredImage {
    const config = this.blob(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: [`APP_VERSION=${tag}`], Entrypoint: ['java', '-jar', '/app/app.jar'], Labels: { 'org.opencontainers.image.title': service, 'org.opencontainers.image.version': tag } }, rootfs: { type: 'layers', diff_ids: [] } }));
    const base = this.blob(`base-layer:eclipse-temurin:21-jre`);
    const app = this.blob(`app-layer:${service}:${tag}${build ? `:${build}:${Date.now()}` : ''}`);
    const layers = [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 52_428_800 + base.size, digest: base.digest },
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 31_457_280 + app.size + tag.length * 1024, digest: app.digest },
    ];
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.size, digest: config.digest }, layers }, null, 3);
    return { repository: service, tags: [tag], digest: sha256(manifest), manifest, mediaType: DOCKER_MANIFEST, sizeInBytes: layers.reduce((a, l) => a + l.size, 0), pushedAt, spec };
  }

  private makeSignature(service: string, image: StoredImage, key: KeyPair, pushedAt: Date, tampered = false, commit?: string): StoredImage {
    // `cosign sign -a commit=<sha>` puts the annotation into the payload's `optional` section.
    const payload = JSON.stringify({ critical: { identity: { 'docker-reference': this.imageRef(service) }, image: { 'docker-manifest-digest': image.digest }, type: 'cosign container image signature' }, optional: commit ? { commit } : null });
    const layer = this.blob(payload);
    const sigBytes = crypto.sign('sha256', Buffer.from(payload), key.privateKey);
    if (tampered) sigBytes[sigBytes.length - 1] ^= 1;
    const signature = sigBytes.toString('base64');
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
      const m = JSON.parse(img.manifest) as { config?: { digest: string }; layers?: { digest: string }[] };
      if (m.config) out.add(m.config.digest);
      for (const l of m.layers ?? []) out.add(l.digest);
    }
    return out;
  }

  specFor(service: string, tag: string): ImageSpec | undefined {
    return this.find(service, { imageTag: tag })?.spec;
  }
}

import * as fs from 'node:fs';
import YAML from 'yaml';
import { normalizeGithub, type GithubSettings, type GithubSpec } from './pulls';

/** How the sandbox signs an image: a cosign v3 bundle referrer with the key, the classic .sig tag, a keyless bundle (local Fulcio/Rekor), or not at all. */
export type SignatureForm = 'bundle' | 'classic' | 'keyless' | 'none';
export const SIGNATURE_FORMS: readonly SignatureForm[] = ['bundle', 'classic', 'keyless', 'none'];

/** What one image tag of a service does once it runs. */
export interface ImageSpec {
  /** How it is signed (default: the scenario's `signature`, itself default bundle). */
  signature?: SignatureForm;
  /** keyless: the certificate identity (SAN) to sign as; {service} is replaced (default the release workflow of acme/{service}). */
  identity?: string;
  /** The signature is altered after signing (one bit of the signature flipped). */
  tampered?: boolean;
  /** The tag is pushed again (another, unsigned digest) when the rollout starts: after validation, before the pods pull. */
  repushedBeforeRollout?: boolean;
  /** false: no cosign signature in the registry (default true). */
  signed?: boolean;
  /** Which key signs it: the sandbox's trusted key (default) or a second, untrusted key. */
  signedBy?: 'trusted' | 'untrusted';
  /** /actuator/health answer of pods running this tag (default UP). */
  health?: 'UP' | 'DOWN' | 'OUT_OF_SERVICE';
  /** Pods of this tag crash on start (CrashLoopBackOff). */
  crashLoop?: boolean;
  /** Pods of this tag never pull (ImagePullBackOff) even though the tag exists. */
  pullFail?: boolean;
  /** Fraction of HTTP requests answered with 5xx (default 0). */
  errorRate?: number;
  /** Argo CD takes this long to finish syncing a commit that moves to this tag. */
  syncSeconds?: number;
  /** The Argo CD sync operation fails. */
  syncFail?: boolean;
  /** Resource usage reported by metrics.k8s.io per pod (defaults 120m / 300Mi). */
  cpuMilli?: number;
  memoryMi?: number;
  /** ISO time the image was pushed (default: relative to sandbox start, in tag order). */
  pushedAt?: string;
  /** The source commit the build names in its signature (cosign annotation `commit`). */
  commit?: string;
}

/** A tag the registry receives while the sandbox runs (a build of `main` finishing). */
export interface PushSpec extends ImageSpec {
  service: string;
  tag: string;
  /** Seconds after the sandbox starts; default 0. */
  afterSeconds?: number;
}

export interface ServiceSpec {
  images: Record<string, ImageSpec>;
  /** Values-file shape for this service: image.tag (default), tag, or plain. */
  valuesShape?: 'image.tag' | 'tag' | 'plain';
  replicas?: number;
  port?: number;
}

export interface Timing {
  podReadySeconds: number;
  syncSeconds: number;
  /** Deployment spec.progressDeadlineSeconds of the simulated cluster. */
  progressDeadlineSeconds: number;
  /** GitHub Actions run steps (queued → in_progress → completed). */
  runStepSeconds: number;
}

export interface SeedRecord {
  service: string;
  environment: string;
  tag: string;
  status?: 'succeeded' | 'rolled-back' | 'failed' | 'rollback';
  actor?: string;
  startedAt?: string;
  previousTag?: string;
  reason?: string;
}

/** Injected API errors: key "VERB /path" (VERB may be LIST/WATCH/GET/PATCH/...; path may end in *). */
export type FaultMap = Record<string, number | { code: number; message?: string; times?: number }>;

/** Which registry API the demo repository's config points to, and how strict the registry is. */
export interface RegistrySpec {
  /** ecr (default): the ECR stand-in; oci: the OCI distribution API stand-in (registry.type: oci in the config). */
  type?: 'ecr' | 'oci';
  /** false: no referrers API (OCI 404, ECR UnknownOperationException); bundles are indexed under the `sha256-<hex>` tag instead (default true). */
  referrers?: boolean;
  /** How the OCI stand-in authenticates pulls: basic (default), bearer (the Docker/OCI token flow) or anonymous. */
  auth?: 'basic' | 'bearer' | 'anonymous';
}

export interface Scenario {
  /** Default signature form of every image (default bundle; the demo uses keyless). */
  signature?: SignatureForm;
  registry?: RegistrySpec;
  services?: Record<string, ServiceSpec>;
  environments?: Record<string, Record<string, string>>;
  /** Kubernetes namespace of each environment (default: the environment name). */
  namespaces?: Record<string, string>;
  timing?: Partial<Timing>;
  records?: SeedRecord[];
  faults?: { kubernetes?: FaultMap; ecr?: Record<string, number | { code: number; type?: string; message?: string; times?: number }>; github?: FaultMap; prometheus?: FaultMap };
  /** Environments whose GitHub Actions runs wait for a review (default [prod]). */
  protectedEnvironments?: string[];
  /** Deep-merged over the generated .gitops-deploy.yaml. */
  config?: Record<string, unknown>;
  /** Requests per second of simulated traffic per service (default 20). */
  trafficRps?: number;
  /** Tags pushed to the registry on a schedule while the sandbox runs. */
  pushes?: PushSpec[];
  /** The GitHub repository's settings and main's branch protection (pull requests, reviews, required checks, auto-merge). */
  github?: GithubSpec;
}

export interface NormalizedScenario {
  signature: SignatureForm;
  registry: Required<RegistrySpec>;
  services: Record<string, ServiceSpec>;
  environments: Record<string, Record<string, string>>;
  envOrder: string[];
  namespaces: Record<string, string>;
  timing: Timing;
  records?: SeedRecord[];
  faults: NonNullable<Scenario['faults']>;
  protectedEnvironments: string[];
  config: Record<string, unknown>;
  trafficRps: number;
  pushes: PushSpec[];
  github: GithubSettings;
}

export const DEFAULT_TIMING: Timing = { podReadySeconds: 0.3, syncSeconds: 0.2, progressDeadlineSeconds: 10, runStepSeconds: 0.5 };

/** The demo world used when no scenario is given. */
export const DEMO_SCENARIO: Scenario = {
  signature: 'keyless',
  services: {
    accounts: {
      images: {
        '1.3.0': {}, '1.4.0': {}, '1.5.0': {},
        '1.5.1': { signed: false },
        '1.5.2': { signedBy: 'untrusted' },
        '1.6.0': { health: 'DOWN' },
        '1.6.1': { crashLoop: true },
        '1.6.2': { errorRate: 0.25 },
        '1.7.0': { syncSeconds: 30 },
        '1.7.1': { syncFail: true },
        '1.8.0': { signature: 'classic' },
        '1.8.1': { identity: 'https://github.com/someone/fork/.github/workflows/release.yml@refs/heads/main' },
        '1.8.2': { tampered: true },
        '1.8.3': { repushedBeforeRollout: true },
      },
    },
    cards: { images: { '2.0.0': {}, '2.1.0': {}, '2.2.0': {} } },
    loans: { valuesShape: 'tag', images: { '0.9.2': {}, '0.9.3': {}, '0.10.0': { signed: false } } },
    gateway: { valuesShape: 'plain', images: { '3.0.0': {}, '3.0.1': {}, '3.1.0': { errorRate: 0.05 } } },
  },
  environments: {
    dev: { accounts: '1.5.0', cards: '2.2.0', loans: '0.10.0', gateway: '3.1.0' },
    stag: { accounts: '1.4.0', cards: '2.1.0', loans: '0.9.3', gateway: '3.0.1' },
    prod: { accounts: '1.3.0', cards: '2.1.0', loans: '0.9.2', gateway: '3.0.1' },
  },
  // main stays unprotected (dev and stag deploy by push); a promotion by pull request still gets a
  // reviewer and CI: `protectedBranch: true` protects main for every environment (README).
  github: { protectedBranch: false, requiredChecks: ['validate'], autoMerge: true, autoApproveSeconds: 20, checksSucceedSeconds: 5 },
};

export function loadScenarioFile(file: string): Scenario {
  const text = fs.readFileSync(file, 'utf8');
  const parsed: unknown = YAML.parse(text);
  if (!parsed || typeof parsed !== 'object') throw new Error(`${file}: a scenario is a YAML mapping`);
  return parsed as Scenario;
}

export function normalizeScenario(input: Scenario | undefined, overrides: Partial<Timing> = {}): NormalizedScenario {
  const s = input ?? DEMO_SCENARIO;
  const services: Record<string, ServiceSpec> = {};
  for (const [name, spec] of Object.entries(s.services ?? {})) {
    const images: Record<string, ImageSpec> = {};
    for (const [tag, img] of Object.entries(spec?.images ?? {})) images[String(tag)] = { ...(img ?? {}) };
    services[name] = { ...spec, images };
  }
  const environments: Record<string, Record<string, string>> = {};
  for (const [env, tags] of Object.entries(s.environments ?? {})) {
    environments[env] = {};
    for (const [svc, tag] of Object.entries(tags ?? {})) {
      environments[env][svc] = String(tag);
      if (!services[svc]) services[svc] = { images: {} };
      // A running tag must exist: add it (healthy, signed) when the scenario did not list it.
      if (!services[svc].images[String(tag)]) services[svc].images[String(tag)] = {};
    }
  }
  if (Object.keys(environments).length === 0) throw new Error('scenario: environments is empty');
  for (const [name, spec] of Object.entries(services)) {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`scenario: bad service name ${name}`);
    for (const [tag, img] of Object.entries(spec.images)) {
      if (img.signedBy && !['trusted', 'untrusted'].includes(img.signedBy)) throw new Error(`scenario: ${name}:${tag} signedBy must be trusted|untrusted`);
      if (img.signature !== undefined && !SIGNATURE_FORMS.includes(img.signature)) throw new Error(`scenario: ${name}:${tag} signature must be ${SIGNATURE_FORMS.join('|')}`);
      if (img.errorRate !== undefined && (img.errorRate < 0 || img.errorRate > 1)) throw new Error(`scenario: ${name}:${tag} errorRate must be within 0..1`);
    }
  }
  const envOrder = Object.keys(environments);
  const namespaces: Record<string, string> = {};
  for (const env of envOrder) namespaces[env] = s.namespaces?.[env] ?? env;
  if (s.signature !== undefined && !SIGNATURE_FORMS.includes(s.signature)) throw new Error(`scenario: signature must be ${SIGNATURE_FORMS.join('|')}`);
  const reg = s.registry ?? {};
  if (reg.type !== undefined && !['ecr', 'oci'].includes(reg.type)) throw new Error('scenario: registry.type must be ecr|oci');
  if (reg.auth !== undefined && !['basic', 'bearer', 'anonymous'].includes(reg.auth)) throw new Error('scenario: registry.auth must be basic|bearer|anonymous');
  return {
    signature: s.signature ?? 'bundle',
    registry: { type: reg.type ?? 'ecr', referrers: reg.referrers ?? true, auth: reg.auth ?? 'basic' },
    services,
    environments,
    envOrder,
    namespaces,
    timing: { ...DEFAULT_TIMING, ...(s.timing ?? {}), ...overrides },
    records: s.records,
    faults: s.faults ?? {},
    protectedEnvironments: s.protectedEnvironments ?? ['prod'],
    config: s.config ?? {},
    trafficRps: s.trafficRps ?? 20,
    github: normalizeGithub(s.github),
    pushes: (s.pushes ?? []).map((p, i) => {
      if (!p || typeof p.service !== 'string' || !/^[a-z][a-z0-9-]*$/.test(p.service)) throw new Error(`scenario: pushes[${i}].service must be a service name`);
      if (typeof p.tag !== 'string' && typeof p.tag !== 'number') throw new Error(`scenario: pushes[${i}].tag is required`);
      if (p.afterSeconds !== undefined && !(typeof p.afterSeconds === 'number' && p.afterSeconds >= 0)) throw new Error(`scenario: pushes[${i}].afterSeconds must be a number >= 0`);
      return { ...p, tag: String(p.tag) };
    }),
  };
}

// Reads that several checks of one phase need, made once each (whoever asks first), so checks
// running concurrently share what they saw instead of passing state to each other.
import { failingPod, gatherWorkload, podLogEvidence, type Evidence } from '../evidence';
import { observe, type Observation } from '../observe';
import type { DeploymentStatus, HealthResponse, ImageInfo, PodStatus } from '../ports';
import type { StepContext } from '../runner';
import { newPods } from '../steps/pods';
import { substitute, type Resolved } from '../steps/state';
import { errText, faultOf, type Fault } from './check';

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
}

export interface BeforeObservations {
  /** The registry's answer for the tag: its digest and push time, `undefined` when it does not exist. */
  image(): Promise<{ ok: true; info: ImageInfo | undefined } | { ok: false; error: string; fault?: Fault }>;
}

export function beforeObservations(s: Readonly<Resolved>, tag: string, ctx: StepContext<'registry'>): BeforeObservations {
  return {
    image: once(() =>
      ctx.ports.registry.describeImage(s.target.serviceConfig.ecrRepository, tag, ctx.signal).then(
        (info) => ({ ok: true as const, info }),
        (err: unknown) => ({ ok: false as const, error: errText(err), ...faultOf(err) }),
      ),
    ),
  };
}

/** One answer of the health endpoint and how long it took. */
export interface Probe {
  r: HealthResponse;
  ms: number;
}

export interface AfterObservations {
  /** Read with retries within the step's deadline ("could not observe" comes back as data). */
  read<T>(read: (signal: AbortSignal) => Promise<T>): Promise<Observation<T>>;
  /** The pods of the Deployment's newest ReplicaSet. */
  pods(): Promise<Observation<PodStatus[]>>;
  /** The Deployment. */
  deployment(): Promise<Observation<DeploymentStatus>>;
  /** The workload's evidence for a failure among these pods (the same array for every check that asks). */
  workloadEvidence(pods: readonly PodStatus[]): Promise<Evidence[]>;
  /** The log of a pod of the new ReplicaSet: what the application said (health failures). */
  podLog(): Promise<Evidence[]>;
  /** First call: the health check's request; second: the smoke request. */
  probe(n: 1 | 2): Promise<Observation<Probe>>;
  /** How the health endpoint is reached (for details). */
  healthVia: string;
}

export function afterObservations(s: Readonly<Resolved>, tag: string, ctx: StepContext<'cluster'>): AfterObservations {
  const cluster = ctx.ports.cluster;
  const env = s.target.env;
  const svc = s.target.serviceConfig;
  const read = <T>(r: (signal: AbortSignal) => Promise<T>) => observe(r, { signal: ctx.signal, sleep: s.settings.sleep, deadline: ctx.deadline - 1000 });
  const direct = svc.healthUrl ? substitute(svc.healthUrl, { service: s.service, env: env.name, namespace: env.namespace, port: String(svc.port) }) : undefined;
  const probeOnce = async (): Promise<Probe> => {
    const t0 = performance.now();
    const r = await cluster.health(env.namespace, svc.k8sService, svc.port, svc.healthPath, direct, ctx.signal);
    return { r, ms: Math.round(performance.now() - t0) };
  };
  const pods = once(() => read((signal) => newPods(cluster, env.namespace, svc.deployment, tag, signal)));
  let evidence: Promise<Evidence[]> | undefined;
  const firstProbe = once(() => read(() => probeOnce()));
  const secondProbe = once(async () => {
    await firstProbe(); // the smoke request follows the health request
    return read(() => probeOnce());
  });
  return {
    read,
    pods,
    deployment: once(() => read((signal) => cluster.getDeployment(env.namespace, svc.deployment, signal))),
    workloadEvidence: (p) => (evidence ??= gatherWorkload(cluster, env.namespace, svc.deployment, { pods: [...p], pod: failingPod([...p]) }, ctx.signal).catch(() => [])),
    podLog: once(async () => {
      try {
        const p = await newPods(cluster, env.namespace, svc.deployment, tag, ctx.signal);
        const pod = failingPod(p) ?? p[0];
        return pod ? [await podLogEvidence(cluster, env.namespace, pod, ctx.signal)] : [];
      } catch {
        return [];
      }
    }),
    probe: (n) => (n === 1 ? firstProbe() : secondProbe()),
    healthVia: direct ?? `service proxy ${env.namespace}/${svc.k8sService}:${svc.port}${svc.healthPath}`,
  };
}


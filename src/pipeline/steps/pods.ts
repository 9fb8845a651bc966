// Which pods a rollout made: read by verification and by the running-digest check.
import type { Ports, PodStatus } from '../ports';

/** Whether a container image reference runs `tag` (a digest suffix is ignored). */
export function runsTag(image: string, tag: string): boolean {
  const noDigest = image.split('@')[0];
  const i = noDigest.lastIndexOf(':');
  return i > noDigest.lastIndexOf('/') && noDigest.slice(i + 1) === tag;
}

/** Pods of the Deployment's newest ReplicaSet (or, without a hash, the pods running the tag). */
export async function newPods(cluster: Ports['cluster'], ns: string, deployment: string, tag: string, signal?: AbortSignal): Promise<PodStatus[]> {
  const d = await cluster.getDeployment(ns, deployment, signal);
  const [hash, pods] = await Promise.all([cluster.newReplicaSetHash(ns, deployment, signal), cluster.listPods(ns, d.selector, signal)]);
  return hash ? pods.filter((p) => p.podTemplateHash === hash) : pods.filter((p) => p.images.some((i) => runsTag(i, tag)));
}

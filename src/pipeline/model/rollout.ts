// A Deployment's rollout as kubectl judges it (`kubectl rollout status`), and a crash loop in words.
import type { DeploymentStatus, PodStatus } from '../ports';

/** kubectl rollout status: done, or what it waits for; `fatal` for an exceeded progress deadline. */
export function rolloutProgress(d: DeploymentStatus): { done: true } | { done: false; waiting: string; fatal?: boolean } {
  if (d.observedGeneration === undefined || d.generation > d.observedGeneration) return { done: false, waiting: 'waiting for the rollout to be observed' };
  const progressing = d.conditions.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { done: false, fatal: true, waiting: `rollout exceeded its progress deadline: ${progressing.message ?? ''}`.trim() };
  if (d.updatedReplicas < d.replicas) return { done: false, waiting: `${d.updatedReplicas} of ${d.replicas} new replicas updated` };
  if (d.statusReplicas > d.updatedReplicas) return { done: false, waiting: `${d.statusReplicas - d.updatedReplicas} old replicas pending termination` };
  if (d.availableReplicas < d.updatedReplicas) return { done: false, waiting: `${d.availableReplicas} of ${d.updatedReplicas} updated replicas available` };
  return { done: true };
}

/** The cause of a crash loop, one line. */
export function crashDetail(pod: PodStatus): string {
  return `pod ${pod.name} is in CrashLoopBackOff (${pod.restarts} restarts)${pod.waitingMessage ? `: ${pod.waitingMessage}` : ''}`;
}

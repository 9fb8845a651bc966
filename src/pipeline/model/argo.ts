// Argo CD's verdict on an Application, as predicates over its status (after gitops-engine's
// pkg/health): done at a revision, failed at it, and a one-line description.
import type { AppStatus } from '../ports';
import { shortSha } from './format';

/** Argo CD is done with revision `sha` (domain-facts: Synced, op Succeeded, Healthy, reconciled after the op). */
export function syncedAt(sha: string) {
  return (a: AppStatus): boolean =>
    a.syncStatus === 'Synced' &&
    a.syncRevision === sha &&
    a.operationPhase === 'Succeeded' &&
    a.operationRevision === sha &&
    a.healthStatus === 'Healthy' &&
    reconciledAfterOperation(a);
}

function reconciledAfterOperation(a: AppStatus): boolean {
  if (!a.reconciledAt || !a.operationFinishedAt) return false;
  return Date.parse(a.reconciledAt) >= Date.parse(a.operationFinishedAt);
}

/** A terminal failure at `sha`: the operation failed, or the app went Degraded after applying it. */
export function syncFailure(sha: string, a: AppStatus): string | undefined {
  if (a.operationRevision === sha && (a.operationPhase === 'Failed' || a.operationPhase === 'Error')) {
    return `Argo CD sync of ${shortSha(sha)} ${a.operationPhase}: ${a.operationMessage ?? a.conditions.map((c) => c.message).join('; ')}`;
  }
  if (a.operationRevision === sha && a.operationPhase === 'Succeeded' && a.syncRevision === sha && a.healthStatus === 'Degraded' && reconciledAfterOperation(a)) {
    return `the application is Degraded at ${shortSha(sha)}: ${a.healthMessage ?? 'no message'}`;
  }
  return undefined;
}

export function describeApp(a: AppStatus | undefined): string {
  if (!a) return 'no status seen';
  return `sync ${a.syncStatus ?? '?'} at ${shortSha(a.syncRevision)}, health ${a.healthStatus ?? '?'}${a.healthMessage ? ` (${a.healthMessage})` : ''}, operation ${a.operationPhase ?? 'none'}${a.operationRevision ? ` at ${shortSha(a.operationRevision)}` : ''}`;
}

// Pure mappings from Kubernetes / Argo CD JSON objects to the port types.
import type { AppStatus, DeploymentStatus, PodStatus, PodUsage } from '../pipeline/ports';
import { cpuMillicores, memoryBytes } from './quantity';

export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const time = (v: unknown): string | undefined => (v instanceof Date ? v.toISOString() : str(v));

/** An Argo CD Application (plain JSON from the custom-objects API) → AppStatus. */
export function toAppStatus(app: any, fallbackName = ''): AppStatus {
  const st = app?.status ?? {};
  const op = st.operationState ?? {};
  const sync = st.sync ?? {};
  const syncResult = op.syncResult ?? {};
  return {
    name: str(app?.metadata?.name) ?? fallbackName,
    syncStatus: str(sync.status),
    syncRevision: str(sync.revision) ?? (Array.isArray(sync.revisions) ? str(sync.revisions[0]) : undefined),
    healthStatus: str(st.health?.status),
    healthMessage: str(st.health?.message),
    operationPhase: str(op.phase),
    operationMessage: str(op.message),
    operationRevision: str(syncResult.revision) ?? (Array.isArray(syncResult.revisions) ? str(syncResult.revisions[0]) : undefined),
    operationFinishedAt: time(op.finishedAt),
    reconciledAt: time(st.reconciledAt),
    conditions: (Array.isArray(st.conditions) ? st.conditions : []).map((c: any) => ({ type: String(c?.type ?? ''), message: String(c?.message ?? '') })),
    failedResources: (Array.isArray(syncResult.resources) ? syncResult.resources : [])
      .filter((r: any) => r && ((r.status && r.status !== 'Synced') || r.hookPhase === 'Failed' || r.hookPhase === 'Error'))
      .map((r: any) => ({ kind: String(r.kind ?? ''), name: String(r.name ?? ''), status: String(r.status ?? r.hookPhase ?? ''), message: str(r.message) })),
    hasOperation: app?.operation !== undefined && app?.operation !== null,
    refreshAnnotation: str(app?.metadata?.annotations?.[REFRESH_ANNOTATION]),
    resourceVersion: str(app?.metadata?.resourceVersion),
  };
}

/** One line for messages: "sync Synced @abc1234, health Healthy, operation Succeeded (message)". */
export function describeAppStatus(s: AppStatus | undefined): string {
  if (!s) return 'no status seen';
  const parts = [`sync ${s.syncStatus ?? '?'}${s.syncRevision ? ` @${s.syncRevision.slice(0, 7)}` : ''}`, `health ${s.healthStatus ?? '?'}${s.healthMessage ? ` (${s.healthMessage})` : ''}`];
  if (s.operationPhase) parts.push(`operation ${s.operationPhase}${s.operationRevision ? ` @${s.operationRevision.slice(0, 7)}` : ''}${s.operationMessage ? ` (${s.operationMessage})` : ''}`);
  else if (s.hasOperation) parts.push('operation requested');
  if (s.refreshAnnotation) parts.push(`refresh ${s.refreshAnnotation} pending`);
  for (const c of s.conditions) parts.push(`${c.type}: ${c.message}`);
  return parts.join(', ');
}

export function toDeploymentStatus(d: any): DeploymentStatus {
  const containers: any[] = d?.spec?.template?.spec?.containers ?? [];
  return {
    name: String(d?.metadata?.name ?? ''),
    generation: num(d?.metadata?.generation),
    observedGeneration: typeof d?.status?.observedGeneration === 'number' ? d.status.observedGeneration : undefined,
    replicas: num(d?.spec?.replicas, 1),
    statusReplicas: num(d?.status?.replicas),
    updatedReplicas: num(d?.status?.updatedReplicas),
    readyReplicas: num(d?.status?.readyReplicas),
    availableReplicas: num(d?.status?.availableReplicas),
    conditions: (d?.status?.conditions ?? []).map((c: any) => ({
      type: String(c?.type ?? ''),
      status: String(c?.status ?? ''),
      reason: str(c?.reason),
      message: str(c?.message),
    })),
    images: containers.map((c) => String(c?.image ?? '')),
    selector: { ...(d?.spec?.selector?.matchLabels ?? {}) },
  };
}

export function toPodStatus(p: any): PodStatus {
  const statuses: any[] = p?.status?.containerStatuses ?? [];
  const waiting = statuses.map((c) => c?.state?.waiting).find((w) => w && w.reason);
  const ready = (p?.status?.conditions ?? []).some((c: any) => c?.type === 'Ready' && c?.status === 'True');
  const owner = (p?.metadata?.ownerReferences ?? []).find((o: any) => o?.kind === 'ReplicaSet');
  const labels: Record<string, string> = { ...(p?.metadata?.labels ?? {}) };
  return {
    name: String(p?.metadata?.name ?? ''),
    phase: String(p?.status?.phase ?? 'Unknown'),
    ready,
    images: (p?.spec?.containers ?? []).map((c: any) => String(c?.image ?? '')),
    containers: statuses.map((c) => ({ name: String(c?.name ?? ''), image: String(c?.image ?? ''), imageID: String(c?.imageID ?? '') })),
    restarts: statuses.reduce((n, c) => n + num(c?.restartCount), 0),
    waitingReason: str(waiting?.reason),
    waitingMessage: str(waiting?.message),
    ownerReplicaSet: str(owner?.name),
    podTemplateHash: str(labels['pod-template-hash']),
    labels,
  };
}

/** The pod-template-hash of the Deployment's newest ReplicaSet (highest revision annotation). */
export function newestReplicaSetHash(replicaSets: any[], deployment: string): string | undefined {
  let best: { rev: number; hash?: string } | undefined;
  for (const rs of replicaSets) {
    const owned = (rs?.metadata?.ownerReferences ?? []).some((o: any) => o?.kind === 'Deployment' && o?.name === deployment);
    if (!owned) continue;
    const rev = Number(rs?.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? NaN);
    const r = Number.isFinite(rev) ? rev : -1;
    if (!best || r > best.rev) best = { rev: r, hash: str(rs?.metadata?.labels?.['pod-template-hash']) ?? str(rs?.spec?.selector?.matchLabels?.['pod-template-hash']) };
  }
  return best?.hash;
}

/** metrics.k8s.io pod metrics joined with the pods' limits (a limit only when every container has one). */
export function joinPodUsage(pods: any[], metrics: any[]): PodUsage[] {
  const byName = new Map<string, any>(metrics.map((m) => [String(m?.metadata?.name ?? ''), m]));
  const out: PodUsage[] = [];
  for (const pod of pods) {
    const name = String(pod?.metadata?.name ?? '');
    const m = byName.get(name);
    if (!m) continue;
    let cpu = 0;
    let mem = 0;
    for (const c of m.containers ?? []) {
      cpu += cpuMillicores(c?.usage?.cpu) ?? 0;
      mem += memoryBytes(c?.usage?.memory) ?? 0;
    }
    const containers: any[] = pod?.spec?.containers ?? [];
    const limit = (key: 'cpu' | 'memory'): number | undefined => {
      if (containers.length === 0) return undefined;
      let total = 0;
      for (const c of containers) {
        const q = c?.resources?.limits?.[key];
        const v = key === 'cpu' ? cpuMillicores(q) : memoryBytes(q);
        if (v === undefined) return undefined;
        total += v;
      }
      return total;
    };
    out.push({ pod: name, cpuMillicores: Math.round(cpu * 1000) / 1000, memoryBytes: mem, cpuLimitMillicores: limit('cpu'), memoryLimitBytes: limit('memory') });
  }
  return out;
}

/** `{app: "x", tier: "web"}` → `app=x,tier=web`. */
export function labelSelector(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

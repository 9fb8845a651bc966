// Evidence: what a person would look at after a failure (the seed's Troubleshooting section),
// gathered by the step that failed, at the moment it failed. Each piece has a one-line summary
// (appended to the check's detail, so the transcript and the record's front matter carry it) and
// the full text (the LogOutputChannel, the record's "Evidence" section, the --json outcome).
import type { AppStatus, ClusterPort, DeploymentStatus, HealthResponse, PodStatus } from './ports';

export type EvidenceKind = 'argocd' | 'deployment' | 'events' | 'log' | 'health' | 'metric' | 'image';

export interface Evidence {
  kind: EvidenceKind;
  /** "Log of accounts-7d9f-abcde (previous container)", "Events", "Argo CD application accounts-stag". */
  title: string;
  /** One line: the most telling part. */
  summary: string;
  /** The full text, as kubectl / argocd / curl would print it. */
  lines: string[];
  /** A web link (the application in the Argo CD UI). */
  link?: string;
}

export interface KubeEvent {
  type: string;
  reason: string;
  message: string;
  time?: string;
  count?: number;
  /** "Pod/accounts-7d9f-abcde", "Deployment/accounts-deployment". */
  object?: string;
}

const LOG_LINES = 20;
const EVENT_LINES = 10;
const BODY_CHARS = 2000;

export function clip(s: string, n = 200): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * A check's detail with its evidence summaries, for one-line edges (the transcript, a record's
 * table, a notification). The core keeps the two apart: `detail` never holds the evidence.
 */
export function checkText(c: { detail?: string; evidence?: readonly Evidence[]; evidenceFrom?: string }): string {
  const detail = c.detail ?? '';
  if (c.evidenceFrom) return `${detail} (evidence under "${c.evidenceFrom}")`;
  const parts = (c.evidence ?? []).map((e) => e.summary).filter(Boolean);
  return parts.length ? `${detail.replace(/\.?\s*$/, '')}. Evidence: ${parts.join(' · ')}` : detail;
}

/** The Argo CD UI page of an application, when `argocd.url` is configured. */
export function argoCdAppUrl(baseUrl: string | undefined, namespace: string, app: string): string | undefined {
  if (!baseUrl) return undefined;
  return `${baseUrl.replace(/\/+$/, '')}/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(app)}`;
}

// ---------- Argo CD ----------

export function appEvidence(a: AppStatus | undefined, app: string, link: string | undefined, error?: string): Evidence {
  const title = `Argo CD application ${app}`;
  if (!a) return { kind: 'argocd', title, summary: `Argo CD ${app}: ${error ? `cannot read it (${clip(error, 120)})` : 'no status'}`, lines: [error ? `cannot read the application: ${error}` : 'no status'], link };
  const lines = [
    `Sync:       ${a.syncStatus ?? 'Unknown'}${a.syncRevision ? ` at ${a.syncRevision}` : ''}`,
    `Health:     ${a.healthStatus ?? 'Unknown'}${a.healthMessage ? ` — ${a.healthMessage}` : ''}`,
    `Operation:  ${a.operationPhase ?? (a.hasOperation ? 'requested' : 'none')}${a.operationRevision ? ` at ${a.operationRevision}` : ''}${a.operationFinishedAt ? `, finished ${a.operationFinishedAt}` : ''}`,
  ];
  if (a.operationMessage) lines.push(`Message:    ${a.operationMessage}`);
  for (const r of a.failedResources ?? []) lines.push(`Resource:   ${r.kind}/${r.name} ${r.status}${r.message ? `: ${r.message}` : ''}`);
  if (a.conditions.length) {
    lines.push('Conditions:');
    for (const c of a.conditions) lines.push(`  ${c.type}: ${c.message}`);
  }
  if (a.reconciledAt) lines.push(`Reconciled: ${a.reconciledAt}`);
  if (link) lines.push(`Argo CD UI: ${link}`);
  const bits = [`sync ${a.syncStatus ?? '?'}${a.syncRevision ? ` at ${a.syncRevision.slice(0, 7)}` : ''}`, `health ${a.healthStatus ?? '?'}`];
  if (a.operationPhase) bits.push(`operation ${a.operationPhase}${a.operationMessage ? `: "${clip(a.operationMessage, 160)}"` : ''}`);
  const cond = a.conditions[0];
  if (cond) bits.push(`condition ${cond.type}: "${clip(cond.message, 160)}"`);
  if (link) bits.push(link);
  return { kind: 'argocd', title, summary: `Argo CD ${app}: ${bits.join(', ')}`, lines, link };
}

// ---------- workload: Deployment conditions, events, the failing container's log ----------

export function deploymentEvidence(d: DeploymentStatus): Evidence {
  const lines = [`Replicas:   ${d.replicas} desired | ${d.updatedReplicas} updated | ${d.statusReplicas} total | ${d.availableReplicas} available | ${d.readyReplicas} ready`, `Images:     ${d.images.join(', ') || '(none)'}`, 'Conditions:', '  Type            Status  Reason'];
  for (const c of d.conditions) lines.push(`  ${c.type.padEnd(15)} ${c.status.padEnd(7)} ${c.reason ?? ''}${c.message ? ` — ${c.message}` : ''}`);
  const bad = d.conditions.filter((c) => (c.type === 'Available' && c.status !== 'True') || (c.type === 'Progressing' && (c.status !== 'True' || c.reason === 'ProgressDeadlineExceeded')) || (c.type === 'ReplicaFailure' && c.status === 'True'));
  const summary = bad.length
    ? `deployment ${d.name}: ${bad.map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`).join(', ')}`
    : `deployment ${d.name}: ${d.updatedReplicas}/${d.replicas} updated, ${d.availableReplicas} available`;
  return { kind: 'deployment', title: `Deployment ${d.name}`, summary, lines };
}

/** `kubectl describe`'s Events table, oldest first, the last `limit`. */
export function eventsEvidence(events: KubeEvent[], what: string, limit = EVENT_LINES): Evidence {
  const last = events.slice(-limit);
  const lines = last.length ? ['Type     Reason             Object                                   Message'] : ['<none>'];
  for (const e of last) lines.push(`${e.type.padEnd(8)} ${e.reason.padEnd(18)} ${(e.object ?? '').padEnd(40)} ${e.message}${e.count && e.count > 1 ? ` (x${e.count})` : ''}${e.time ? ` [${e.time}]` : ''}`);
  const warning = [...last].reverse().find((e) => e.type === 'Warning') ?? last[last.length - 1];
  const summary = warning ? `event ${warning.reason}${warning.count && warning.count > 1 ? ` (x${warning.count})` : ''}${warning.object ? ` on ${warning.object}` : ''}: "${clip(warning.message, 160)}"` : `no events for ${what}`;
  return { kind: 'events', title: `Events of ${what}`, summary, lines };
}

const TELLING = /\b(ERROR|FATAL|SEVERE|panic)\b|Exception/;
const HINT = /failed|refused|denied|cannot|unable/i;

/** The last lines of a container's log; the summary is the last line that looks like the cause. */
export function logEvidence(pod: string, text: string, previous: boolean, limit = LOG_LINES): Evidence {
  const all = text.replace(/\r/g, '').split('\n');
  while (all.length && all[all.length - 1].trim() === '') all.pop();
  const lines = all.slice(-limit);
  const rev = [...lines].reverse();
  const telling = rev.find((l) => TELLING.test(l)) ?? rev.find((l) => HINT.test(l)) ?? rev.find((l) => l.trim());
  const title = `Log of ${pod}${previous ? ' (previous container)' : ''}`;
  return { kind: 'log', title, summary: telling ? `log of ${pod}${previous ? ' (previous)' : ''}: "${clip(telling, 200)}"` : `log of ${pod} is empty`, lines: lines.length ? lines : ['(empty)'] };
}

/** Pods worth looking at first: crash-looping, then not ready, then with restarts. */
export function failingPod(pods: PodStatus[]): PodStatus | undefined {
  return pods.find((p) => p.waitingReason === 'CrashLoopBackOff') ?? pods.find((p) => p.waitingReason) ?? pods.find((p) => !p.ready) ?? pods.find((p) => p.restarts > 0);
}

/** Events of the Deployment and of these pods, merged oldest first. */
export async function workloadEvents(cluster: ClusterPort, ns: string, deployment: string, pods: string[], signal?: AbortSignal): Promise<KubeEvent[]> {
  const lists = await Promise.all([
    cluster.events(ns, 'Deployment', deployment, signal).then((l) => l.map((e) => ({ ...e, object: `Deployment/${deployment}` }))),
    ...pods.map((p) => cluster.events(ns, 'Pod', p, signal).then((l) => l.map((e) => ({ ...e, object: `Pod/${p}` })))),
  ]);
  return lists.flat().sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
}

/**
 * What `kubectl describe deployment`, `kubectl get events` and `kubectl logs [--previous]` would show
 * for a failing rollout: the Deployment's conditions, the events of it and its pods, the failing
 * container's last lines. Never throws: what cannot be read is said in the evidence.
 */
export async function gatherWorkload(cluster: ClusterPort, ns: string, deployment: string, opts: { pod?: PodStatus; pods?: PodStatus[]; log?: boolean }, signal?: AbortSignal): Promise<Evidence[]> {
  const out: Evidence[] = [];
  const pods = opts.pods ?? (opts.pod ? [opts.pod] : []);
  const pod = opts.pod ?? failingPod(pods);
  const [d, events, log] = await Promise.all([
    cluster.getDeployment(ns, deployment, signal).then((x) => deploymentEvidence(x), (err: unknown) => ({ kind: 'deployment', title: `Deployment ${deployment}`, summary: '', lines: [`cannot read the Deployment: ${errText(err)}`] }) as Evidence),
    workloadEvents(cluster, ns, deployment, pods.slice(0, 5).map((p) => p.name), signal).then((e) => eventsEvidence(e, `${deployment} and its pods`), (err: unknown) => ({ kind: 'events', title: `Events of ${deployment}`, summary: '', lines: [`cannot list events: ${errText(err)}`] }) as Evidence),
    pod && opts.log !== false ? podLogEvidence(cluster, ns, pod, signal) : Promise.resolve(undefined),
  ]);
  out.push(d, events);
  if (log) out.push(log);
  return out;
}

/** The previous container's log for a restarted/crash-looping pod, else the current one. */
export async function podLogEvidence(cluster: ClusterPort, ns: string, pod: PodStatus, signal?: AbortSignal): Promise<Evidence> {
  const previous = pod.waitingReason === 'CrashLoopBackOff' || pod.restarts > 0;
  try {
    return logEvidence(pod.name, await cluster.podLog(ns, pod.name, { previous, tailLines: LOG_LINES }, signal), previous);
  } catch (err) {
    if (previous) {
      try {
        return logEvidence(pod.name, await cluster.podLog(ns, pod.name, { tailLines: LOG_LINES }, signal), false);
      } catch {
        // fall through with the first error
      }
    }
    return { kind: 'log', title: `Log of ${pod.name}`, summary: '', lines: [`cannot read the log: ${errText(err)}`] };
  }
}

// ---------- health and metrics ----------

export function healthEvidence(r: HealthResponse, via: string): Evidence {
  let body = r.body;
  try {
    body = JSON.stringify(JSON.parse(r.body), null, 2);
  } catch {
    // not JSON: as it came
  }
  if (body.length > BODY_CHARS) body = `${body.slice(0, BODY_CHARS)}\n… (${r.body.length} bytes in all)`;
  const lines = [`GET ${via} → HTTP ${r.httpStatus}`, ...body.split('\n')];
  const down = r.downComponents.length ? `, DOWN: ${r.downComponents.join(', ')}` : '';
  return { kind: 'health', title: 'Health response', summary: `HTTP ${r.httpStatus}, status ${r.status ?? 'none'}${down}; body ${clip(r.body, 160)}`, lines };
}

export function metricEvidence(query: string, value: number | undefined, threshold: number, unit: 'ratio' | 'count' = 'ratio'): Evidence {
  const fmt = (x: number) => (unit === 'ratio' ? `${(x * 100).toFixed(2)}% (${x})` : String(x));
  const v = value === undefined ? 'no data' : fmt(value);
  return { kind: 'metric', title: 'Prometheus query', summary: `query ${clip(query, 160)} = ${v}, threshold ${fmt(threshold)}`, lines: [`Query:      ${query}`, `Value:      ${v}`, `Threshold:  ${fmt(threshold)}`] };
}

// ---------- in the record ----------

const FENCE = '~~~~';

/** The record's "Evidence" section: per failed check, each piece with its full text fenced. */
export function evidenceSection(checks: { name: string; evidence?: Evidence[] }[], mask: (s: string) => string = (s) => s): string[] {
  const withEv = checks.filter((c) => c.evidence?.length);
  if (!withEv.length) return [];
  const lines = ['', '## Evidence', ''];
  for (const c of withEv) {
    for (const e of c.evidence!) {
      lines.push(`### ${c.name}: ${e.title}`, '');
      if (e.link) lines.push(`<${e.link}>`, '');
      // Any run of 4+ tildes (e.g. "~~~~~", which replaceAll would only shorten to "~~~~") could close the fence.
      lines.push(`${FENCE}text`, ...e.lines.map((l) => mask(l).replace(/~{4,}/g, '~~~')), FENCE, '');
    }
  }
  return lines;
}

export interface RecordedEvidence {
  check: string;
  title: string;
  lines: string[];
  link?: string;
}

/** The evidence a record's body kept (what evidenceSection wrote). */
export function evidenceFromBody(body: string): RecordedEvidence[] {
  const at = body.indexOf('\n## Evidence\n');
  if (at < 0) return [];
  const text = body.slice(at).split('\n');
  const out: RecordedEvidence[] = [];
  let cur: RecordedEvidence | undefined;
  let inFence = false;
  for (const line of text.slice(2)) {
    if (!inFence && /^## /.test(line)) break;
    const h = /^### ([^:]+): (.*)$/.exec(line);
    if (!inFence && h) {
      cur = { check: h[1], title: h[2], lines: [] };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    if (line.startsWith(FENCE)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) cur.lines.push(line);
    else {
      const link = /^<(https?:\/\/[^>]+)>$/.exec(line);
      if (link) cur.link = link[1];
    }
  }
  return out;
}

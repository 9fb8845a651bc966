// The actions on a failed or rolled-back deployment (the seed's Troubleshooting section, done for
// the person): show the logs, show the events, open the application in Argo CD, retry the sync,
// and — when the automatic rollback itself failed — the manual fix, prefilled. The editor's
// commands and the CLI call these; everything external goes through the ports.
import { promises as fs } from 'node:fs';
import { applicationName, environment, serviceConfig } from './config/load';
import type { EnvironmentConfig, GitOpsConfig, ServiceConfig } from './config/types';
import { UserError } from './errors';
import { appEvidence, argoCdAppUrl, clip, evidenceFromBody, eventsEvidence, failingPod, gatherWorkload, workloadEvents, type Evidence, type RecordedEvidence } from './evidence';
import { describeApp, syncedAt, syncFailure } from './model/argo';
import { shortSha } from './model/format';
import { compareNewestFirst, type LoadedRecord } from './model/records';
import { WaitTimeoutError, type AppStatus, type Ports } from './ports';
import { rollbackFailed } from './model/records';

export { rollbackFailed };

export interface Target {
  config: GitOpsConfig;
  environment: string;
  service: string;
}

interface Resolved {
  env: EnvironmentConfig;
  svc: ServiceConfig;
  app: string;
}

function resolve(t: Target): Resolved {
  const env = environment(t.config, t.environment);
  if (!env) throw new UserError(`unknown environment "${t.environment}"; environments: ${t.config.environments.map((e) => e.name).join(', ')}`);
  return { env, svc: serviceConfig(t.config, t.service), app: applicationName(env, t.service) };
}

/** A section of a troubleshooting report: a title and the text under it. */
export interface ReportSection {
  title: string;
  lines: string[];
  link?: string;
}

export interface Report {
  title: string;
  sections: ReportSection[];
}

export function reportText(r: Report): string {
  const out = [r.title, '='.repeat(Math.min(r.title.length, 100)), ''];
  for (const s of r.sections) out.push(`── ${s.title}${s.link ? `  ${s.link}` : ''}`, ...s.lines, '');
  return out.join('\n');
}

/** The newest record of the service in the environment, when it failed or was rolled back (what the tree marks). */
export function lastFailure(records: readonly LoadedRecord[], environmentName: string, service: string): LoadedRecord | undefined {
  const last = records.filter((r) => r.environment === environmentName && r.service === service).sort(compareNewestFirst)[0];
  return last && (last.status === 'failed' || last.status === 'rolled-back') ? last : undefined;
}

/** Why it failed, in one line: the failed checks (not the rollback's), else the status. */
export function failureCause(r: LoadedRecord): string {
  const failed = r.checks.filter((c) => c.status === 'failed' && !c.name.startsWith('rollback'));
  return failed.length ? failed.map((c) => `${c.name}: ${clip(c.detail ?? 'failed', 300)}`).join('; ') : r.status;
}

/** The automatic rollback of this record failed: a human has to put the previous tag back. */

/** The evidence a record kept in its body. */
export async function recordedEvidence(r: LoadedRecord): Promise<RecordedEvidence[]> {
  try {
    return evidenceFromBody(await fs.readFile(r.file, 'utf8'));
  } catch {
    return [];
  }
}

function capturedSections(r: LoadedRecord | undefined, ev: RecordedEvidence[], title: RegExp): ReportSection[] {
  if (!r) return [];
  return ev.filter((e) => title.test(e.title)).map((e) => ({ title: `${e.title} — captured when ${r.tag} failed (${e.check}, ${r.startedAt})`, lines: e.lines, link: e.link }));
}

/**
 * The logs: what the failing container wrote when the deployment failed (kept in the record), then
 * the live pods of the Deployment — the previous container's log too for a pod that restarted.
 */
export async function serviceLogs(t: Target, ports: Pick<Ports, 'cluster'>, opts: { tailLines?: number; record?: LoadedRecord; signal?: AbortSignal } = {}): Promise<Report> {
  const { env, svc } = resolve(t);
  const tail = opts.tailLines ?? 100;
  const sections = capturedSections(opts.record, opts.record ? await recordedEvidence(opts.record) : [], /^Log of /);
  try {
    const d = await ports.cluster.getDeployment(env.namespace, svc.deployment, opts.signal);
    const pods = await ports.cluster.listPods(env.namespace, d.selector, opts.signal);
    const first = failingPod(pods);
    const ordered = first ? [first, ...pods.filter((p) => p !== first)] : pods;
    for (const p of ordered.slice(0, 5)) {
      const state = `${p.phase}${p.ready ? ', ready' : ', not ready'}${p.waitingReason ? `, ${p.waitingReason}` : ''}, ${p.restarts} restarts, ${p.images.join(', ')}`;
      if (p.restarts > 0 || p.waitingReason === 'CrashLoopBackOff') {
        const prev = await ports.cluster.podLog(env.namespace, p.name, { previous: true, tailLines: tail }, opts.signal).catch((err: unknown) => `(cannot read the previous container's log: ${errText(err)})`);
        sections.push({ title: `Log of ${p.name} (previous container) — live (${state})`, lines: lines(prev) });
      }
      const cur = await ports.cluster.podLog(env.namespace, p.name, { tailLines: tail }, opts.signal).catch((err: unknown) => `(cannot read the log: ${errText(err)})`);
      sections.push({ title: `Log of ${p.name} — live (${state})`, lines: lines(cur) });
    }
    if (pods.length === 0) sections.push({ title: `Pods of ${svc.deployment} — live`, lines: ['no pods'] });
    if (pods.length > 5) sections.push({ title: 'More pods', lines: [`${pods.length - 5} more pods not shown: kubectl logs -l ${selectorText(d.selector)} -n ${env.namespace}`] });
  } catch (err) {
    sections.push({ title: `Pods of ${svc.deployment} — live`, lines: [`cannot read them: ${errText(err)}`] });
  }
  return { title: `Logs of ${t.service} in ${t.environment} (namespace ${env.namespace})`, sections };
}

/** `kubectl describe`'s Events for the Deployment and its pods: captured at the failure, and live. */
export async function serviceEvents(t: Target, ports: Pick<Ports, 'cluster'>, opts: { record?: LoadedRecord; signal?: AbortSignal } = {}): Promise<Report> {
  const { env, svc } = resolve(t);
  const ev = opts.record ? await recordedEvidence(opts.record) : [];
  const sections = capturedSections(opts.record, ev, /^(Events of |Deployment )/);
  try {
    const d = await ports.cluster.getDeployment(env.namespace, svc.deployment, opts.signal);
    const pods = await ports.cluster.listPods(env.namespace, d.selector, opts.signal);
    const live = await gatherWorkload(ports.cluster, env.namespace, svc.deployment, { pods, log: false }, opts.signal);
    sections.push(...live.map((e) => ({ title: `${e.title} — live`, lines: e.lines })));
  } catch (err) {
    const e = await workloadEvents(ports.cluster, env.namespace, svc.deployment, [], opts.signal).then((x) => eventsEvidence(x, svc.deployment)).catch(() => undefined);
    sections.push(e ? { title: `${e.title} — live`, lines: e.lines } : { title: 'Events — live', lines: [`cannot read them: ${errText(err)}`] });
  }
  return { title: `Events of ${t.service} in ${t.environment} (namespace ${env.namespace})`, sections };
}

/** The application's page in the Argo CD UI; a UserError saying what to configure when there is none. */
export function argoCdLink(t: Target): string {
  const { env, app } = resolve(t);
  const url = argoCdAppUrl(env.argocd.url, env.argocd.namespace, app);
  if (!url) throw new UserError(`no Argo CD URL is configured for ${env.name}: set argocd.url in .gitops-deploy.yaml (e.g. argocd: { url: https://argocd.example.com }) to link to ${app}`);
  return url;
}

export interface RetrySyncResult {
  ok: boolean;
  /** What happened, with the fix when it failed. */
  message: string;
  revision: string;
  status?: AppStatus;
  evidence: Evidence[];
  link?: string;
}

/**
 * Retry sync: fetch, ask Argo CD for a hard refresh, wait until it has compared origin's head, sync
 * it when it is out of sync or its last sync failed, then wait for Synced and Healthy — at most
 * `verification.syncTimeoutSeconds`. On failure the evidence says where it stands.
 */
export async function retrySync(t: Target, ports: Pick<Ports, 'argocd' | 'cluster' | 'git'>, opts: { actor: string; log?: (line: string) => void; signal?: AbortSignal; timeoutSeconds?: number }): Promise<RetrySyncResult> {
  const { env, svc, app } = resolve(t);
  const ns = env.argocd.namespace;
  const log = opts.log ?? (() => undefined);
  const link = argoCdAppUrl(env.argocd.url, ns, app);
  const timeoutMs = (opts.timeoutSeconds ?? t.config.verification.syncTimeoutSeconds) * 1000;
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  await ports.git.fetch(opts.signal);
  const revision = await ports.git.remoteSha(opts.signal);
  log(`origin is at ${shortSha(revision)}; asking Argo CD for a hard refresh of ${app}`);
  let last: AppStatus | undefined;
  const onUpdate = (a: AppStatus) => {
    if (!last || describeApp(a) !== describeApp(last)) log(`Argo CD ${app}: ${describeApp(a)}`);
    last = a;
  };
  const fail = async (message: string): Promise<RetrySyncResult> => {
    const signal = new AbortController().signal;
    const a = await ports.argocd.get(ns, app, signal).catch(() => last);
    const evidence = [appEvidence(a, app, link)];
    if (a && a.healthStatus !== 'Healthy' && a.operationPhase === 'Succeeded') {
      const d = await ports.cluster.getDeployment(env.namespace, svc.deployment, signal).catch(() => undefined);
      const pods = d ? await ports.cluster.listPods(env.namespace, d.selector, signal).catch(() => []) : [];
      evidence.push(...(await gatherWorkload(ports.cluster, env.namespace, svc.deployment, { pods }, signal).catch(() => [])));
    }
    return { ok: false, message: `${message}${link ? ` Open it in Argo CD: ${link}` : ''}`, revision, status: a, evidence, link };
  };
  try {
    await ports.argocd.refresh(ns, app, 'hard', opts.signal);
    // The refresh is done when Argo CD removed the annotation, having compared origin's head.
    let a = await ports.argocd.waitFor(ns, app, (x) => !x.refreshAnnotation && x.syncRevision === revision, left(), opts.signal, onUpdate);
    if (a.operationPhase === 'Running' || a.operationPhase === 'Terminating') {
      // Argo CD refuses a sync while another operation runs: wait for it to end first.
      log(`${app}: an operation is ${a.operationPhase} (${a.operationMessage ?? 'no message'}); waiting for it to end`);
      a = await ports.argocd.waitFor(ns, app, (x) => x.operationPhase !== 'Running' && x.operationPhase !== 'Terminating', left(), opts.signal, onUpdate);
      if (syncedAt(revision)(a)) return { ok: true, message: `${app} is Synced and Healthy at ${shortSha(revision)}`, revision, status: a, evidence: [], link };
    }
    const failedBefore = a.operationRevision === revision && (a.operationPhase === 'Failed' || a.operationPhase === 'Error');
    if (a.syncStatus !== 'Synced' || failedBefore) {
      log(`${app} is ${a.syncStatus ?? 'Unknown'}${failedBefore ? ' and its last sync failed' : ''}: syncing ${shortSha(revision)}`);
      await ports.argocd.sync(ns, app, revision, opts.actor, `retry sync of ${t.service} in ${t.environment}`, opts.signal);
      a = await ports.argocd.waitFor(ns, app, (x) => syncedAt(revision)(x) || syncFailure(revision, x) !== undefined, left(), opts.signal, onUpdate);
      const failure = syncFailure(revision, a);
      if (failure) return await fail(`${failure}.`);
    } else if (a.healthStatus !== 'Healthy') {
      a = await ports.argocd.waitFor(ns, app, (x) => x.healthStatus === 'Healthy' || x.healthStatus === 'Degraded' || x.healthStatus === 'Missing', left(), opts.signal, onUpdate);
      if (a.healthStatus !== 'Healthy') return await fail(`${app} is ${a.healthStatus} at ${shortSha(revision)}: ${a.healthMessage ?? 'no message'}.`);
    }
    return { ok: true, message: `${app} is Synced and Healthy at ${shortSha(revision)}`, revision, status: a, evidence: [], link };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const what = errText(err);
    return await fail(err instanceof WaitTimeoutError ? `Argo CD did not report ${app} Synced and Healthy at ${shortSha(revision)} within ${Math.round(timeoutMs / 1000)} s (last seen: ${describeApp(last)}).` : `retrying the sync of ${app} failed: ${what}.`);
  }
}

export interface ManualFix {
  service: string;
  environment: string;
  /** Set the values file back to this tag. */
  to: string;
  /** The broken tag it replaces. */
  from: string;
  /** Prefilled: the failed deployment and why the rollback failed. */
  reason: string;
  /** The window override's justification (the fix may run in a closed window). */
  overrideReason: string;
  /** Origin already has `to` (the rollback commit was pushed): only Argo CD has to sync it. */
  onlySync: boolean;
}

/**
 * The manual fix for a record whose automatic rollback failed (the seed's "fix a failed rollback by
 * editing the values file"): set the values file back to the previous tag, commit and push — or,
 * when the rollback commit already reached origin, retry the sync. Undefined for other records.
 */
export function manualFixFor(r: LoadedRecord): ManualFix | undefined {
  if (!rollbackFailed(r) || !r.previousTag) return undefined;
  const rb = r.checks.find((c) => c.name === 'rollback' && c.status === 'failed');
  const where = rb?.failedStep;
  const reason = `Manual fix: restore ${r.service} ${r.previousTag} in ${r.environment} after ${r.tag} failed (${clip(failureCause(r), 140)}) and the automatic rollback failed${where ? ` at ${where}` : ''}`;
  // The fix repairs a broken environment, so it may run in a closed window, with its own justification.
  const overrideReason = `${r.environment} runs ${r.service} ${r.tag}, which failed, and its automatic rollback failed: restoring ${r.previousTag} cannot wait for the window`;
  return { service: r.service, environment: r.environment, to: r.previousTag, from: r.tag, reason: clip(reason, 480), overrideReason, onlySync: !!r.rollbackCommit };
}

function lines(text: string): string[] {
  const l = text.replace(/\r/g, '').split('\n');
  while (l.length && l[l.length - 1] === '') l.pop();
  return l.length ? l : ['(empty)'];
}

function selectorText(sel: Record<string, string>): string {
  return Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// Step 4: the rollout completes (kubectl's algorithm), the new pods are ready and run the tag,
// no crash loop or restarts, /actuator/health says UP, a smoke request answers UP, the 5xx ratio
// is under the threshold, resource use against limits is reported.
import { brief, failingPod, gatherWorkload, healthEvidence, metricEvidence, podLogEvidence, withEvidence, type Evidence } from '../evidence';
import type { CheckResult } from '../model/records';
import type { DeploymentStatus, Ports, PodStatus } from '../ports';
import { observe } from '../observe';
import type { Step, StepContext } from '../runner';
import { newPods, runsTag } from './pods';
import { judgeRunningDigest, runningDigests } from './runningDigest';

export { newPods, runsTag };
import { substitute, type RunState } from './state';

/** Consecutive failed reads of the Deployment after which the rollout wait is inconclusive. */
const MAX_READ_FAILURES = 5;

/** Reads with the run's sleep and the step's signal and deadline. */
function reader(s: RunState, ctx: StepContext<any>) {
  return <T>(read: (signal: AbortSignal) => Promise<T>) => observe(read, { signal: ctx.signal, sleep: s.settings.sleep, deadline: ctx.deadline - 1000 });
}

/** A check that could not observe: neither passed nor failed. */
export function inconclusive(name: string, what: string, error: string, evidence?: Evidence[]): CheckResult {
  return { name, status: 'inconclusive', detail: `could not observe ${what}: ${error}`, ...(evidence?.length ? { evidence } : {}) };
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));


/** kubectl rollout status: undefined when complete, else what it waits for; `fatal` for a deadline exceeded. */
export function rolloutProgress(d: DeploymentStatus): { done: true } | { done: false; waiting: string; fatal?: boolean } {
  if (d.observedGeneration === undefined || d.generation > d.observedGeneration) return { done: false, waiting: 'waiting for the rollout to be observed' };
  const progressing = d.conditions.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { done: false, fatal: true, waiting: `rollout exceeded its progress deadline: ${progressing.message ?? ''}`.trim() };
  if (d.updatedReplicas < d.replicas) return { done: false, waiting: `${d.updatedReplicas} of ${d.replicas} new replicas updated` };
  if (d.statusReplicas > d.updatedReplicas) return { done: false, waiting: `${d.statusReplicas - d.updatedReplicas} old replicas pending termination` };
  if (d.availableReplicas < d.updatedReplicas) return { done: false, waiting: `${d.availableReplicas} of ${d.updatedReplicas} updated replicas available` };
  return { done: true };
}


/** A 404 that is not the actuator's answer: the route is missing, so health cannot be judged. */
function routeMissing(r: { httpStatus: number; status?: string }): boolean {
  return r.httpStatus === 404 && r.status === undefined;
}

/** The cause of a crash loop, one line. */
export function crashDetail(pod: PodStatus): string {
  return `pod ${pod.name} is in CrashLoopBackOff (${pod.restarts} restarts)${pod.waitingMessage ? `: ${pod.waitingMessage}` : ''}`;
}

/** A failed check with the workload's evidence (Deployment conditions, events, the failing container's log). */
export async function failedWithWorkload(name: string, detail: string, cluster: Ports['cluster'], ns: string, deployment: string, pods: PodStatus[], signal: AbortSignal): Promise<CheckResult> {
  const evidence = await gatherWorkload(cluster, ns, deployment, { pods, pod: failingPod(pods) }, signal).catch(() => [] as Evidence[]);
  return { name, status: 'failed', detail: withEvidence(detail, evidence), evidence };
}

/** Wait for the rollout with a deadline, failing fast on a crash loop or an exceeded progress deadline. */
export async function waitRollout(s: RunState, ctx: StepContext<'cluster'>, tag: string): Promise<CheckResult> {
  const cluster = ctx.ports.cluster;
  const ns = s.env!.namespace;
  const name = s.serviceConfig!.deployment;
  const deadline = ctx.clock.now().getTime() + s.settings.config.verification.rolloutTimeoutSeconds * 1000;
  let lastWaiting = '';
  let interval = Math.min(s.settings.pollIntervalMs, 250);
  let readFailures = 0;
  for (;;) {
    let d: DeploymentStatus;
    let pods: PodStatus[];
    try {
      d = await cluster.getDeployment(ns, name, ctx.signal);
      pods = await newPods(cluster, ns, name, tag, ctx.signal);
      readFailures = 0;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      // The object's state decides, never the transport's: a failed read is retried, then inconclusive.
      readFailures++;
      ctx.log(`${name}: cannot read the rollout (${readFailures}/${MAX_READ_FAILURES}): ${errText(err)}`, 'warn');
      if (readFailures >= MAX_READ_FAILURES || ctx.clock.now().getTime() >= deadline) return inconclusive('rollout', `the rollout of ${name}`, errText(err));
      await s.settings.sleep(interval, ctx.signal);
      interval = Math.min(interval * 2, Math.max(s.settings.pollIntervalMs, 250) * 4);
      continue;
    }
    const p = rolloutProgress(d);
    const imageOk = d.images.some((i) => runsTag(i, tag));
    if (p.done && imageOk) return { name: 'rollout', status: 'passed', detail: `${name}: ${d.updatedReplicas}/${d.replicas} replicas updated and available at ${tag}` };
    if (!p.done && p.fatal) return failedWithWorkload('rollout', `${name}: ${p.waiting}. See kubectl describe deployment ${name} -n ${ns}`, cluster, ns, name, pods, ctx.signal);
    const crashing = pods.find((x) => x.waitingReason === 'CrashLoopBackOff');
    if (crashing) return failedWithWorkload('rollout', `${crashDetail(crashing)}. See kubectl logs ${crashing.name} -n ${ns} --previous`, cluster, ns, name, pods, ctx.signal);
    const waiting = p.done ? `the pod template runs ${d.images.join(', ') || 'no image'}, not tag ${tag}` : p.waiting;
    if (waiting !== lastWaiting) {
      lastWaiting = waiting;
      ctx.log(`${name}: ${waiting}`);
    }
    if (ctx.clock.now().getTime() >= deadline) {
      return failedWithWorkload('rollout', `${name} did not finish rolling out within ${s.settings.config.verification.rolloutTimeoutSeconds} s: ${waiting}. See kubectl rollout status deployment/${name} -n ${ns}`, cluster, ns, name, pods, ctx.signal);
    }
    await s.settings.sleep(interval, ctx.signal);
    interval = Math.min(interval * 2, Math.max(s.settings.pollIntervalMs, 250) * 4);
  }
}

async function podChecks(s: RunState, ctx: StepContext<'cluster'>, tag: string): Promise<CheckResult[]> {
  const cluster = ctx.ports.cluster;
  const ns = s.env!.namespace;
  const dep = s.serviceConfig!.deployment;
  const read = await reader(s, ctx)((signal) => newPods(cluster, ns, dep, tag, signal));
  if (!read.ok) return [inconclusive('pods', `the pods of ${dep}`, read.error), inconclusive('restarts', `the restarts of ${dep}'s pods`, read.error)];
  const pods = read.value;
  const out: CheckResult[] = [];
  if (pods.length === 0) return [await failedWithWorkload('pods', `no pods of the new ReplicaSet of ${dep}`, cluster, ns, dep, [], ctx.signal)];
  const notReady = pods.filter((p) => !p.ready || p.phase !== 'Running');
  const wrongImage = pods.filter((p) => !p.images.some((i) => runsTag(i, tag)));
  // One gathering serves both checks: the same pods, the same events.
  let evidence: Promise<Evidence[]> | undefined;
  const gather = () => (evidence ??= gatherWorkload(cluster, ns, dep, { pods, pod: failingPod(pods) }, ctx.signal).catch(() => []));
  const failed = async (name: string, detail: string): Promise<CheckResult> => {
    const ev = await gather();
    return { name, status: 'failed', detail: withEvidence(detail, ev), evidence: ev };
  };
  out.push(
    notReady.length || wrongImage.length
      ? await failed('pods', [notReady.length ? `not ready: ${notReady.map((p) => `${p.name} (${p.waitingReason ?? p.phase})`).join(', ')}` : '', wrongImage.length ? `not running ${tag}: ${wrongImage.map((p) => `${p.name} (${p.images.join(', ')})`).join(', ')}` : ''].filter(Boolean).join('; '))
      : { name: 'pods', status: 'passed', detail: `${pods.length} pod${pods.length === 1 ? '' : 's'} ready, running ${tag}` },
  );
  const crashing = pods.find((p) => p.waitingReason === 'CrashLoopBackOff');
  const restarts = pods.reduce((n, p) => n + p.restarts, 0);
  const threshold = s.settings.config.verification.restartThreshold;
  if (crashing) out.push(await failed('restarts', `${crashDetail(crashing)}. See kubectl logs ${crashing.name} -n ${ns} --previous`));
  else if (restarts > threshold) out.push(await failed('restarts', `${restarts} container restart${restarts === 1 ? '' : 's'} in the new pods (tolerated: ${threshold}): ${pods.filter((p) => p.restarts).map((p) => `${p.name} ${p.restarts}`).join(', ')}`));
  else out.push({ name: 'restarts', status: 'passed', detail: `${restarts} restarts (tolerated: ${threshold}), no crash loop` });
  // Only the first failed check shows the evidence in the record; the second refers to it.
  if (out[0].status === 'failed' && out[1].status === 'failed') out[1] = { ...out[1], evidence: undefined, detail: `${out[1].detail!.split('. Evidence: ')[0]} (evidence under "pods")` };
  return out;
}

async function healthChecks(s: RunState, ctx: StepContext<'cluster'>, tagOf: string): Promise<CheckResult[]> {
  const svc = s.serviceConfig!;
  const env = s.env!;
  const direct = svc.healthUrl ? substitute(svc.healthUrl, { service: s.service, env: env.name, namespace: env.namespace, port: String(svc.port) }) : undefined;
  const via = direct ?? `service proxy ${env.namespace}/${svc.k8sService}:${svc.port}${svc.healthPath}`;
  const probe = async () => {
    const t0 = performance.now();
    const r = await ctx.ports.cluster.health(env.namespace, svc.k8sService, svc.port, svc.healthPath, direct, ctx.signal);
    return { r, ms: Math.round(performance.now() - t0) };
  };
  const out: CheckResult[] = [];
  /** The log of a pod of the new ReplicaSet: what the application said about it. */
  const podLog = async (): Promise<Evidence[]> => {
    try {
      const pods = await newPods(ctx.ports.cluster, env.namespace, svc.deployment, tagOf, ctx.signal);
      const pod = failingPod(pods) ?? pods[0];
      return pod ? [await podLogEvidence(ctx.ports.cluster, env.namespace, pod, ctx.signal)] : [];
    } catch {
      return [];
    }
  };
  const read = reader(s, ctx);
  const first = await read(() => probe());
  if (!first.ok) {
    const evidence = await podLog();
    const out2 = inconclusive('health', `${svc.healthPath} via ${via}`, first.error, evidence);
    return [out2, { name: 'smoke', status: 'inconclusive', detail: 'not tried: the health endpoint could not be reached' }];
  }
  if (routeMissing(first.value.r)) {
    const what = `${svc.healthPath} via ${via}`;
    const detail = `the route answered HTTP 404 without an actuator status: check services.${s.service}.healthPath / healthUrl`;
    return [inconclusive('health', what, detail, [healthEvidence(first.value.r, via)]), { name: 'smoke', status: 'inconclusive', detail: 'not tried: the health route is missing' }];
  }
  try {
    const { r } = first.value;
    const up = r.status === 'UP' && r.httpStatus >= 200 && r.httpStatus < 300;
    if (up) out.push({ name: 'health', status: 'passed', detail: `UP (HTTP ${r.httpStatus}) via ${via}` });
    else {
      const evidence = [healthEvidence(r, via), ...(await podLog())];
      const detail = `${svc.healthPath} answered ${r.status ?? 'no status'} (HTTP ${r.httpStatus})${r.downComponents.length ? `; DOWN: ${r.downComponents.join(', ')}` : ''} via ${via}. See kubectl logs -l app=${s.service} -n ${env.namespace}`;
      out.push({ name: 'health', status: 'failed', detail: withEvidence(detail, evidence), evidence });
    }
  } catch (err) {
    const evidence = await podLog();
    out.push({ name: 'health', status: 'failed', detail: withEvidence(`${svc.healthPath} did not answer via ${via}: ${errText(err)}`, evidence), evidence });
  }
  const second = await read(() => probe());
  if (!second.ok) {
    out.push(inconclusive('smoke', 'a smoke request', second.error));
    return out;
  }
  try {
    const { r, ms } = second.value;
    const ok = r.httpStatus > 0 && r.httpStatus < 500 && r.status === 'UP';
    if (ok) out.push({ name: 'smoke', status: 'passed', detail: `responds in ${ms} ms and says UP` });
    else {
      // The health check's evidence already shows the same endpoint; only a smoke-only failure gets its own.
      const evidence = out[0]?.status === 'failed' ? [] : [healthEvidence(r, via)];
      const detail = `responds (HTTP ${r.httpStatus}) but says ${r.status ?? JSON.stringify(r.body.slice(0, 80))}, not UP`;
      out.push({ name: 'smoke', status: 'failed', detail: withEvidence(detail, evidence), ...(evidence.length ? { evidence } : {}) });
    }
  } catch (err) {
    out.push({ name: 'smoke', status: 'failed', detail: `the service does not respond: ${errText(err)}` });
  }
  return out;
}

async function errorRate(s: RunState, ctx: StepContext<'metrics'>): Promise<CheckResult> {
  const v = s.settings.config.verification;
  if (!v.prometheusUrl) return { name: 'error-rate', status: 'skipped', detail: 'no verification.prometheusUrl configured' };
  const q = v.errorRateQuery.replace(/\$ns/g, s.env!.namespace).replace(/\$svc/g, s.service);
  const read = await reader(s, ctx)((signal) => ctx.ports.metrics.query(q, signal));
  if (!read.ok) return inconclusive('error-rate', 'the 5xx ratio', `${read.error} (after ${read.attempts} tries)`, [metricEvidence(q, undefined, v.errorRateThreshold)]);
  try {
    const ratio = read.value;
    if (ratio === undefined || Number.isNaN(ratio)) return { name: 'error-rate', status: 'warning', detail: 'no HTTP requests recorded: the 5xx ratio could not be measured' };
    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    if (ratio > v.errorRateThreshold) {
      const evidence = [metricEvidence(q, ratio, v.errorRateThreshold)];
      return { name: 'error-rate', status: 'failed', detail: withEvidence(`HTTP 5xx ratio ${pct(ratio)} is over the threshold ${pct(v.errorRateThreshold)}`, evidence), evidence };
    }
    return { name: 'error-rate', status: 'passed', detail: `HTTP 5xx ratio ${pct(ratio)} (threshold ${pct(v.errorRateThreshold)})` };
  } catch (err) {
    const evidence = [metricEvidence(q, undefined, v.errorRateThreshold)];
    return { name: 'error-rate', status: 'failed', detail: `cannot query Prometheus: ${errText(err)} (query: ${q})`, evidence };
  }
}

async function resources(s: RunState, ctx: StepContext<'cluster'>, selector: Record<string, string>): Promise<CheckResult> {
  const v = s.settings.config.verification;
  try {
    const usage = await ctx.ports.cluster.podUsage(s.env!.namespace, selector, ctx.signal);
    if (usage.length === 0) return { name: 'resources', status: 'skipped', detail: 'metrics.k8s.io reports no usage (metrics-server not available?)' };
    const over: string[] = [];
    let maxCpu = 0;
    let maxMem = 0;
    for (const u of usage) {
      const cpu = u.cpuLimitMillicores ? u.cpuMillicores / u.cpuLimitMillicores : 0;
      const mem = u.memoryLimitBytes ? u.memoryBytes / u.memoryLimitBytes : 0;
      maxCpu = Math.max(maxCpu, cpu);
      maxMem = Math.max(maxMem, mem);
      if (cpu > v.resourceWarnFraction) over.push(`${u.pod} CPU ${u.cpuMillicores}m of ${u.cpuLimitMillicores}m`);
      if (mem > v.resourceWarnFraction) over.push(`${u.pod} memory ${Math.round(u.memoryBytes / 2 ** 20)}Mi of ${Math.round(u.memoryLimitBytes! / 2 ** 20)}Mi`);
    }
    const summary = `peak CPU ${(maxCpu * 100).toFixed(0)}%, memory ${(maxMem * 100).toFixed(0)}% of limits over ${usage.length} pods`;
    if (over.length) return { name: 'resources', status: v.resourceFailOnExceed ? 'failed' : 'warning', detail: `over ${(v.resourceWarnFraction * 100).toFixed(0)}% of the limit: ${over.join(', ')}` };
    return { name: 'resources', status: 'passed', detail: summary };
  } catch (err) {
    return { name: 'resources', status: 'warning', detail: `cannot read resource usage: ${errText(err)}` };
  }
}

/** All verification checks of `tag` (after the rollout); names prefixed for a rollback's re-verification. */
export async function verifyChecks(s: RunState, ctx: StepContext<'cluster' | 'metrics'>, tag: string): Promise<CheckResult[]> {
  const resourcesCheck = async (): Promise<CheckResult> => {
    const d = await reader(s, ctx)((signal) => ctx.ports.cluster.getDeployment(s.env!.namespace, s.serviceConfig!.deployment, signal));
    return d.ok ? resources(s, ctx, d.value.selector) : { name: 'resources', status: 'warning', detail: `cannot read resource usage: ${d.error}` };
  };
  // The verified digest is what runs (only for the tag validate checked, not a rollback's target).
  const digestCheck = async (verified: string): Promise<CheckResult> => {
    const r = await reader(s, ctx)((signal) => newPods(ctx.ports.cluster, s.env!.namespace, s.serviceConfig!.deployment, tag, signal));
    return r.ok ? judgeRunningDigest(verified, runningDigests(r.value, tag), tag) : { name: 'running-digest', status: 'inconclusive', detail: `cannot read the new pods to compare the digest they run: ${r.error}` };
  };
  const digest = tag === s.tag && s.digest ? digestCheck(s.digest) : undefined;
  const [pods, health, rate, res, running] = await Promise.all([podChecks(s, ctx, tag), healthChecks(s, ctx, tag), errorRate(s, ctx), resourcesCheck(), digest]);
  return [...pods, ...(running ? [running] : []), ...health, rate, res];
}

function prefixed(checks: CheckResult[], prefix: string): CheckResult[] {
  return prefix ? checks.map((c) => ({ ...c, name: `${prefix}${c.name}` })) : checks;
}

export function rolloutStep(name: string, title: string, prefix: string, tagOf: (s: RunState) => string): Step<RunState, 'cluster'> {
  return {
    name,
    title,
    needs: ['cluster'],
    timeoutMs: 0,
    async run(s, ctx) {
      const check = prefixed([await waitRollout(s, ctx, tagOf(s))], prefix);
      s.checks.push(...check);
      const st = check[0].status;
      return { status: st === 'failed' ? 'failed' : st === 'inconclusive' ? 'inconclusive' : 'succeeded', message: check[0].detail, checks: check };
    },
  };
}

export function verifyStep(name: string, title: string, prefix: string, tagOf: (s: RunState) => string): Step<RunState, 'cluster' | 'metrics'> {
  return {
    name,
    title,
    needs: ['cluster', 'metrics'],
    timeoutMs: 120_000,
    async run(s, ctx) {
      const checks = prefixed(await verifyChecks(s, ctx, tagOf(s)), prefix);
      s.checks.push(...checks);
      for (const c of checks) ctx.log(`${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : c.status === 'warning' ? '!' : c.status === 'inconclusive' ? '?' : '-'} ${c.name}: ${c.detail ?? ''}`, c.status === 'failed' ? 'error' : c.status === 'warning' || c.status === 'inconclusive' ? 'warn' : 'info');
      const failed = checks.filter((c) => c.status === 'failed');
      if (failed.length) return { status: 'failed', checks, message: `verification failed: ${failed.map((c) => `${c.name}: ${brief(c.detail ?? 'failed')}`).join('; ')}` };
      const unknown = checks.filter((c) => c.status === 'inconclusive');
      if (unknown.length) return { status: 'inconclusive', checks, message: `verification inconclusive: ${unknown.map((c) => `${c.name}: ${brief(c.detail ?? 'could not observe')}`).join('; ')}` };
      return { status: 'succeeded', checks, message: `${checks.filter((c) => c.status === 'passed').length} checks passed${checks.some((c) => c.status === 'warning') ? ' (with warnings)' : ''}` };
    },
  };
}

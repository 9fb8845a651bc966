// Before anything changes: every system the verification will need is observed once. An expired
// token, a missing permission, a Prometheus that does not answer or a missing health route refuses
// the run here (exit 2, nothing changed) instead of after the push, where it would turn into a blind
// rollback. Each result names the system, where its credentials come from and the fix.
import type { CheckResult } from '../model/records';
import type { PreflightResult, PreflightSystem } from '../model/preflight';
import type { AccessAttributes } from '../ports';
import type { Step, StepContext } from '../runner';
import { substitute, type Resolved } from './state';

import { portErrorOf } from '../model/cause';

export type { PreflightResult, PreflightSystem } from '../model/preflight';

type Ctx = StepContext<'cluster' | 'argocd' | 'metrics'>;

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const codeOf = (err: unknown): number | undefined => portErrorOf(err)?.httpStatus;
/** The typed cause of a failed call, when an adapter gave one. */
const faultOf = (err: unknown): { fault?: PreflightResult['fault'] } => {
  const p = portErrorOf(err);
  return p ? { fault: { kind: p.kind, ...(p.httpStatus !== undefined ? { httpStatus: p.httpStatus } : {}) } } : {};
};

/** The fix for a failed Kubernetes API call, by its HTTP status (401 refused credentials, 403 RBAC, 404 config). */
function kubeFix(err: unknown, what: string, configKey: string): string {
  switch (codeOf(err)) {
    case 401:
      return 'the API server refused the credentials (expired or invalid token): renew them — e.g. log in again with your cloud CLI so the kubeconfig\'s exec plugin issues a fresh token, or update the token — then re-run';
    case 403:
      return `the credentials are not allowed to read ${what}: ask for read access (kubectl auth can-i get ${what})`;
    case 404:
      return `${what} does not exist: check ${configKey}`;
    default:
      // A credential plugin that failed (no HTTP status: the request never left) is a login problem, not the network.
      if (portErrorOf(err)?.kind === 'auth') return 'the kubeconfig\'s credential plugin could not issue a token: log in again with your cloud CLI (e.g. aws sso login) so the exec plugin works, then re-run';
      return 'the Kubernetes API did not answer: check the cluster address in the kubeconfig and your network/VPN, then re-run';
  }
}

/** The fix when the Argo CD API server refused or could not be reached. */
function argoApiFix(err: unknown, server: string, app: string, configKey: string): string {
  const host = server.replace(/^https:\/\//, '').replace(/\/.*$/, '');
  const login = `log in again with "argocd login ${host} --sso" (or set ARGOCD_AUTH_TOKEN), then re-run`;
  switch (codeOf(err)) {
    case 401:
      return `the Argo CD API server refused the token (expired or revoked): ${login}`;
    case 403:
      return `Argo CD answers "permission denied" when application ${app} does not exist or your account may not see it: check ${configKey} and your Argo CD RBAC (argocd account can-i get applications '*')`;
    default:
      if (portErrorOf(err)?.kind === 'auth') return `no usable Argo CD token: ${login}`;
      return `the Argo CD API server did not answer: check environments[].argocd.server (${server}) and your network/VPN, then re-run`;
  }
}

function permissionsNeeded(s: Resolved): { system: PreflightSystem; attrs: AccessAttributes }[] {
  const ns = s.target.env.namespace;
  const argoNs = s.target.env.argocd.namespace;
  const svc = s.target.serviceConfig;
  const k = (verb: string, group: string, resource: string, subresource?: string, name?: string): { system: PreflightSystem; attrs: AccessAttributes } => ({ system: 'kubernetes', attrs: { verb, group, resource, ...(subresource ? { subresource } : {}), namespace: ns, ...(name ? { name } : {}) } });
  const a = (verb: string): { system: PreflightSystem; attrs: AccessAttributes } => ({ system: 'argocd', attrs: { verb, group: 'argoproj.io', resource: 'applications', namespace: argoNs, ...(verb === 'watch' ? {} : { name: s.target.application }) } });
  return [
    k('get', 'apps', 'deployments', undefined, svc.deployment),
    k('list', 'apps', 'replicasets'),
    k('list', '', 'pods'),
    k('get', '', 'pods', 'log'),
    k('list', '', 'events'),
    ...(svc.healthUrl ? [] : [k('get', '', 'services', 'proxy', svc.k8sService)]),
    a('get'),
    a('patch'),
    a('watch'),
  ];
}

function describeAttrs(x: AccessAttributes): string {
  return `${x.verb} ${x.resource}${x.subresource ? `/${x.subresource}` : ''}${x.group ? `.${x.group}` : ''}${x.name ? ` "${x.name}"` : ''}${x.namespace ? ` in ${x.namespace}` : ''}`;
}

async function permissions(s: Resolved, ctx: Ctx, kubeSource: string, argoSource: string): Promise<PreflightResult[]> {
  const needed = permissionsNeeded(s);
  let answers: { allowed: boolean; reason?: string }[];
  // Applications' permissions are asked where the Applications live (another cluster, the Argo CD API server).
  const ask = (n: { system: PreflightSystem; attrs: AccessAttributes }) => (n.system === 'argocd' && ctx.ports.argocd.canI ? ctx.ports.argocd.canI(n.attrs, ctx.signal) : ctx.ports.cluster.canI(n.attrs, ctx.signal));
  try {
    answers = await Promise.all(needed.map(ask));
  } catch (err) {
    const source = portErrorOf(err)?.system === 'argocd' ? argoSource : kubeSource;
    return [{ system: 'kubernetes', check: 'permissions', status: 'failed', detail: `cannot check permissions (SelfSubjectAccessReview): ${errText(err)}`, credentialSource: source, fix: kubeFix(err, 'selfsubjectaccessreviews', 'kubernetes.context') }];
  }
  const out: PreflightResult[] = [];
  for (const system of ['kubernetes', 'argocd'] as const) {
    const mine = needed.map((n, i) => ({ ...n, answer: answers[i] })).filter((n) => n.system === system);
    const denied = mine.filter((n) => !n.answer.allowed);
    out.push(
      denied.length
        ? { system, check: 'permissions', status: 'failed', detail: `not allowed: ${denied.map((d) => describeAttrs(d.attrs)).join('; ')}`, credentialSource: system === 'argocd' ? argoSource : kubeSource, fix: `ask a cluster admin to grant ${denied.map((d) => `${d.attrs.verb} on ${d.attrs.resource}${d.attrs.subresource ? `/${d.attrs.subresource}` : ''}${d.attrs.group ? `.${d.attrs.group}` : ''} in ${d.attrs.namespace}`).join(', ')} (check with kubectl auth can-i)` }
        : { system, check: 'permissions', status: 'passed', detail: `${mine.length} permissions allowed (${mine.map((d) => d.attrs.verb + ' ' + d.attrs.resource + (d.attrs.subresource ? `/${d.attrs.subresource}` : '')).join(', ')})`, credentialSource: system === 'argocd' ? argoSource : kubeSource },
    );
  }
  return out;
}

async function deployment(s: Resolved, ctx: Ctx, kubeSource: string): Promise<PreflightResult> {
  const ns = s.target.env.namespace;
  const name = s.target.serviceConfig.deployment;
  try {
    const d = await ctx.ports.cluster.getDeployment(ns, name, ctx.signal);
    return { system: 'kubernetes', check: 'deployment', status: 'passed', detail: `deployment ${name} in ${ns} readable (${d.readyReplicas}/${d.replicas} ready)`, credentialSource: kubeSource };
  } catch (err) {
    return { system: 'kubernetes', check: 'deployment', status: 'failed', detail: `cannot read deployment ${name} in ${ns}: ${errText(err)}`, credentialSource: kubeSource, fix: kubeFix(err, `deployment ${name}`, `services.${s.service}.deployment / environments.${s.environment}.namespace`), ...faultOf(err) };
  }
}

async function application(s: Resolved, ctx: Ctx, kubeSource: string): Promise<PreflightResult> {
  const ns = s.target.env.argocd.namespace;
  const app = s.target.application;
  try {
    const a = await ctx.ports.argocd.get(ns, app, ctx.signal);
    return { system: 'argocd', check: 'application', status: 'passed', detail: `application ${app} in ${ns} readable (sync ${a.syncStatus ?? '?'}, health ${a.healthStatus ?? '?'})`, credentialSource: kubeSource };
  } catch (err) {
    const configKey = `environments.${s.environment}.argocd (application, namespace)`;
    const server = s.target.env.argocd.server;
    return { system: 'argocd', check: 'application', status: 'failed', detail: `cannot read Argo CD application ${app} in ${ns}: ${errText(err)}`, credentialSource: kubeSource, fix: server ? argoApiFix(err, server, app, configKey) : kubeFix(err, `application ${app}`, configKey), ...faultOf(err) };
  }
}

async function prometheus(s: Resolved, ctx: Ctx): Promise<PreflightResult> {
  const v = s.settings.config.verification;
  const source = ctx.ports.metrics.credentialSource?.();
  if (!v.prometheusUrl) return { system: 'prometheus', check: 'query', status: 'skipped', detail: 'no verification.prometheusUrl configured: the error-rate check is skipped' };
  const q = v.errorRateQuery.replace(/\$ns/g, s.target.env.namespace).replace(/\$svc/g, s.service);
  try {
    const value = await ctx.ports.metrics.query(q, ctx.signal);
    if (value === undefined) return { system: 'prometheus', check: 'query', status: 'failed', detail: `the error-rate query returns no series: ${q}`, credentialSource: source, fix: `check verification.errorRateQuery and that Prometheus scrapes ${s.service} in ${s.target.env.namespace} (the series must exist before a deployment can be judged)` };
    return { system: 'prometheus', check: 'query', status: 'passed', detail: `the error-rate query returns a series (now ${value})`, credentialSource: source };
  } catch (err) {
    return { system: 'prometheus', check: 'query', status: 'failed', detail: `the error-rate query does not run: ${errText(err)}`, credentialSource: source, fix: `check that Prometheus at verification.prometheusUrl answers (curl '${v.prometheusUrl.replace(/\/+$/, '')}/api/v1/query?query=up'), then re-run` };
  }
}

async function healthRoute(s: Resolved, ctx: Ctx, kubeSource: string): Promise<PreflightResult> {
  const svc = s.target.serviceConfig;
  const env = s.target.env;
  const direct = svc.healthUrl ? substitute(svc.healthUrl, { service: s.service, env: env.name, namespace: env.namespace, port: String(svc.port) }) : undefined;
  const via = direct ?? `service proxy ${env.namespace}/${svc.k8sService}:${svc.port}${svc.healthPath}`;
  const source = direct ? `services.${s.service}.healthUrl (no credentials)` : kubeSource;
  const fix = `check services.${s.service}.healthPath${direct ? ' / healthUrl' : ', k8sService and port'} (the actuator health endpoint must be exposed)`;
  try {
    const r = await ctx.ports.cluster.health(env.namespace, svc.k8sService, svc.port, svc.healthPath, direct, ctx.signal);
    if (r.status === undefined && (r.httpStatus === 404 || r.httpStatus === 0)) return { system: 'health', check: 'route', status: 'failed', detail: `${svc.healthPath} via ${via} answered HTTP ${r.httpStatus} without an actuator status: the route is missing`, credentialSource: source, fix };
    return { system: 'health', check: 'route', status: 'passed', detail: `${svc.healthPath} via ${via} answers (HTTP ${r.httpStatus}${r.status ? `, ${r.status}` : ''})`, credentialSource: source };
  } catch (err) {
    return { system: 'health', check: 'route', status: 'failed', detail: `${svc.healthPath} via ${via} does not answer: ${errText(err)}`, credentialSource: source, fix: codeOf(err) === 401 || codeOf(err) === 403 ? kubeFix(err, `services/proxy ${svc.k8sService}`, `services.${s.service}.k8sService`) : fix };
  }
}

/** Every pre-flight check of the target, in a fixed order. */
export async function preflight(s: Resolved, ctx: Ctx): Promise<PreflightResult[]> {
  const kubeSource = (await ctx.ports.cluster.credentialSource?.().catch(() => undefined)) ?? 'the kubeconfig';
  const argoSource = (await ctx.ports.argocd.credentialSource?.().catch(() => undefined)) ?? kubeSource;
  const [dep, perms, app, prom, health] = await Promise.all([deployment(s, ctx, kubeSource), permissions(s, ctx, kubeSource, argoSource), application(s, ctx, argoSource), prometheus(s, ctx), healthRoute(s, ctx, kubeSource)]);
  return [dep, perms[0], app, ...perms.slice(1), prom, health];
}

export function preflightCheck(r: PreflightResult): CheckResult {
  return { name: `preflight-${r.system}${r.check === 'permissions' ? '-permissions' : ''}`, status: r.status, detail: r.status === 'failed' ? `${r.detail} — credentials: ${r.credentialSource ?? 'none'}. Fix: ${r.fix ?? ''}` : r.detail };
}

export const preflightStep: Step<Resolved, 'cluster' | 'argocd' | 'metrics'> = {
  name: 'preflight',
  title: 'Pre-flight: observe the systems the verification needs',
  needs: ['cluster', 'argocd', 'metrics'],
  timeoutMs: 60_000,
  async run(s, ctx) {
    const results = await preflight(s, ctx);
    s.preflight = results;
    const checks = results.map(preflightCheck);
    s.checks.push(...checks);
    for (const c of checks) ctx.log(`${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '-'} ${c.name}: ${c.detail ?? ''}`, c.status === 'failed' ? 'error' : 'info');
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length) {
      const list = failed.map((r) => `  - ${r.system} (${r.check}): ${r.detail}\n    credentials: ${r.credentialSource ?? 'none'}\n    fix: ${r.fix ?? ''}`).join('\n');
      return { status: 'refused', checks, message: `pre-flight: ${failed.map((r) => r.system).filter((x, i, a) => a.indexOf(x) === i).join(', ')} cannot be observed, so the change could not be verified; nothing was changed:\n${list}` };
    }
    return { status: 'succeeded', checks, message: `${results.filter((r) => r.status === 'passed').length} systems observed` };
  },
};


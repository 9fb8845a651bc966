// ClusterPort and ArgoCdPort over the Kubernetes API (@kubernetes/client-node 1.x, loaded on first use).
import * as http from 'node:http';
import * as https from 'node:https';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { PortError, type FaultKind, type FaultSystem } from '../pipeline/model/cause';
import type { AccessAttributes, AppStatus, ArgoCdPort, ClusterPort, DeploymentStatus, HealthResponse, PodStatus, PodUsage } from '../pipeline/ports';
import { parseActuatorHealth } from './actuator';
import { describePlugin, ExecCredentialError, ExecCredentials } from './kubeExec';
import { kubeconfigList, readKubeconfigs } from './kubeconfigMerge';
import { waitForApp } from './appWait';
import { joinPodUsage, labelSelector, newestReplicaSetHash, REFRESH_ANNOTATION, toAppStatus, toDeploymentStatus, toPodStatus } from './kubeMap';
import { abortable, abortError, errorMessage, fetchErrorMessage, isAbortError, redactUrls, safeUrl, throwIfAborted, truncate, withTimeout, type FetchLike } from './util';

type K8s = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });

export const ARGO_GROUP = 'argoproj.io';
export const ARGO_VERSION = 'v1alpha1';
export const ARGO_PLURAL = 'applications';
const HEALTH_BODY_MAX = 4096;
const WATCH_SERVER_TIMEOUT_S = 120;

/** Where to point the user when a named object is missing. */
export interface KubeHints {
  deployment?(name: string): string | undefined;
  service?(name: string): string | undefined;
  application?(namespace: string, name: string): string | undefined;
}

export interface KubernetesOptions {
  /** Absolute kubeconfig path (the user's setting, never the repository's); default: every file of KUBECONFIG, merged, then ~/.kube/config. */
  kubeconfig?: string;
  /** Context to use; default: the kubeconfig's current context. */
  context?: string;
  /** The config key that named `context`, for the refusal when it is missing (default: kubeContext / kubernetes.context). */
  contextKey?: string;
  /** Whose fault a connection problem is (default cluster; argocd for the Applications' own context). */
  system?: FaultSystem;
  env?: NodeJS.ProcessEnv;
  hints?: KubeHints;
  fetch?: FetchLike;
  log?: (line: string) => void;
  /** Per-request timeout for plain API calls (default 30 s). */
  requestTimeoutMs?: number;
}

interface Loaded {
  k8s: K8s;
  kc: KubeConfig;
  /** The kubeconfig files read, in order. */
  files: string[];
  execAuth: ExecCredentials;
  apps: AppsV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

interface ApiExceptionLike {
  code: number;
  body?: unknown;
}

function isApiException(err: unknown): err is ApiExceptionLike {
  return typeof (err as ApiExceptionLike)?.code === 'number' && 'body' in (err as object);
}

/** The `message` of a Kubernetes Status body (a JSON string or an object). */
export function statusMessage(body: unknown): string | undefined {
  let b: any = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return b.trim() ? truncate(b.trim(), 300) : undefined;
    }
  }
  return typeof b?.message === 'string' && b.message ? b.message : undefined;
}

export interface KubeErrorContext {
  /** Whose fault it is: the workload cluster (default) or Argo CD's Applications. */
  system?: FaultSystem;
  /** e.g. `deployments.apps "accounts"` — used when the Status has no message. */
  what: string;
  namespace?: string;
  /** Config key to check when the object is missing. */
  hint?: string;
  context?: string;
  server?: string;
  /** `user "u" (exec plugin "aws eks get-token")` — how the request authenticated; never a secret. */
  credentials?: string;
}

const KIND_OF_STATUS: Record<number, FaultKind> = { 401: 'auth', 403: 'auth', 404: 'not-found', 409: 'conflict', 408: 'timeout', 504: 'timeout' };

/** A typed, clear error for a failed Kubernetes call (never including credentials). */
export function kubeError(err: unknown, ctx: KubeErrorContext): Error {
  if (isAbortError(err)) return err as Error;
  const system = ctx.system ?? 'cluster';
  // The plugin's message names it, the user and the context; nothing reached the API server.
  if (err instanceof ExecCredentialError) return new PortError(system, 'auth', `Kubernetes credentials: ${err.message}`);
  const inNs = ctx.namespace ? ` in namespace "${ctx.namespace}"` : '';
  if (isApiException(err)) {
    const msg = statusMessage(err.body) ?? `${ctx.what}: HTTP ${err.code}`;
    let tail = '';
    if (err.code === 404 && ctx.hint) tail = ` — check ${ctx.hint}`;
    else if (err.code === 401) tail = ` — the credentials of kubeconfig context "${ctx.context ?? '(current)'}"${ctx.credentials ? `, ${ctx.credentials},` : ''} were refused`;
    else if (err.code === 403) tail = ` — the user of kubeconfig context "${ctx.context ?? '(current)'}" is not allowed to do this`;
    const msgHasNs = ctx.namespace !== undefined && msg.includes(`"${ctx.namespace}"`);
    return new PortError(system, KIND_OF_STATUS[err.code] ?? 'transport', `Kubernetes API: ${msg}${msgHasNs ? '' : inNs} (${err.code})${tail}`, err.code);
  }
  const where = ctx.server ? ` at ${safeUrl(ctx.server)}` : '';
  return new PortError(system, 'transport', `Kubernetes API${where} (${ctx.what}${inNs}) failed: ${redactUrls(fetchErrorMessage(err))}`);
}


/** Lazily loads the SDK and the kubeconfig; shared by the cluster and Argo CD adapters. */
export class KubeConnection {
  private loaded?: Promise<Loaded>;

  constructor(readonly opts: KubernetesOptions) {}

  load(): Promise<Loaded> {
    if (this.loaded) return this.loaded;
    const loading = (async () => {
      const k8s = await import('@kubernetes/client-node');
      const kc = new k8s.KubeConfig();
      const env = this.opts.env ?? process.env;
      const wanted = this.kubeconfigPaths();
      let files: string[] = [];
      const file = wanted.join(path.delimiter);
      try {
        if (wanted.length === 1 && this.opts.kubeconfig) {
          // The user named one file: it must exist (kubectl --kubeconfig says so too).
          if (!fs.existsSync(wanted[0])) throw new Error('no such file');
        }
        const read = readKubeconfigs(wanted);
        files = read.files;
        if (files.length) kc.loadFromString(read.text);
        else if (!this.opts.kubeconfig && !env.KUBECONFIG && env === process.env) kc.loadFromDefault(); // in-cluster service account
        else throw new Error(wanted.length > 1 ? 'none of these files exists' : 'no such file');
      } catch (err) {
        throw new PortError(this.opts.system ?? 'cluster', 'auth', `cannot read the kubeconfig ${file}: ${errorMessage(err)}`);
      }
      // Exec credential plugins run with the caller's environment, refresh before expiry and after a 401.
      const execAuth = new ExecCredentials({ env, context: () => kc.getCurrentContext(), log: this.opts.log });
      const internals = kc as unknown as { authenticators: unknown[] };
      internals.authenticators = [execAuth, ...internals.authenticators];
      if (this.opts.context) {
        if (!kc.getContextObject(this.opts.context)) {
          const names = kc.getContexts().map((c) => c.name);
          throw new PortError(this.opts.system ?? 'cluster', 'auth', `Kubernetes context "${this.opts.context}" is not in the kubeconfig${file ? ` ${file}` : ''} (contexts: ${names.join(', ') || 'none'}): check ${this.opts.contextKey ?? 'kubeContext / kubernetes.context'} in .gitops-deploy.yaml`);
        }
        kc.setCurrentContext(this.opts.context);
      }
      // A plain-http server has no TLS to verify, but client-node 1.x refuses http unless skipTLSVerify is set
      // (kubectl accepts it): mark such clusters so the kubeconfig works as it does with kubectl.
      kc.clusters = kc.clusters.map((c) => (c.server.startsWith('http:') && !c.skipTLSVerify ? { ...c, skipTLSVerify: true } : c));
      if (!kc.getCurrentCluster()) throw new PortError(this.opts.system ?? 'cluster', 'auth', `no Kubernetes cluster in the kubeconfig${file ? ` ${file}` : ''} (context "${kc.getCurrentContext()}")`);
      return { k8s, kc, files, execAuth, apps: kc.makeApiClient(k8s.AppsV1Api), core: kc.makeApiClient(k8s.CoreV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) };
    })();
    this.loaded = loading;
    loading.catch(() => (this.loaded = undefined));
    return loading;
  }

  /** The kubeconfig files to read, in order: the user's setting, else every file of KUBECONFIG, else ~/.kube/config. */
  kubeconfigPaths(): string[] {
    if (this.opts.kubeconfig) return [this.opts.kubeconfig];
    const env = this.opts.env ?? process.env;
    const list = kubeconfigList(env.KUBECONFIG);
    return list.length ? list : [path.join(env.HOME ?? env.USERPROFILE ?? '~', '.kube', 'config')];
  }

  /** "kubeconfig FILE[:FILE…], context C, user U (token|exec CMD|client certificate)" — never a secret. */
  async credentialSource(): Promise<string> {
    let file = this.kubeconfigPaths().join(path.delimiter);
    try {
      const l = await this.load();
      if (l.files.length) file = l.files.join(path.delimiter);
      const user = l.kc.getCurrentUser();
      return `kubeconfig ${file}, context "${l.kc.getCurrentContext()}", user "${user?.name ?? '?'}" (${userHow(user)})`;
    } catch {
      return `kubeconfig ${file}${this.opts.context ? `, context "${this.opts.context}"` : ''}`;
    }
  }

  /**
   * Runs an API call; when the server answers 401 and the user's token came from an exec plugin, the
   * cached token is dropped and the call made once more with a fresh one (client-go does the same).
   */
  async call<T>(l: Loaded, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(isApiException(err) && err.code === 401) || !this.refreshExecCredential(l)) throw err;
      return await fn();
    }
  }

  /** Drops the exec plugin's cached credential of the current user; false when the user has no plugin. */
  refreshExecCredential(l: Loaded): boolean {
    const user = l.kc.getCurrentUser();
    if (!user?.exec) return false;
    this.opts.log?.(`kubernetes: the API server refused the token of user "${user.name}" (401); asking its exec plugin for a fresh one`);
    l.execAuth.invalidate(user.name);
    return true;
  }

  get contextName(): string | undefined {
    return this.opts.context;
  }

  /** Request options carrying the signal (and a per-request timeout), plus an optional Content-Type. */
  callOptions(l: Loaded, signal: AbortSignal | undefined, contentType?: string, timeoutMs?: number): any {
    const s = withTimeout(timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000, signal);
    const setSignal = {
      pre: (ctx: any) => {
        ctx.setSignal(s);
        return new l.k8s.Observable(Promise.resolve(ctx));
      },
      post: (res: any) => new l.k8s.Observable(Promise.resolve(res)),
    };
    const base = { middleware: [setSignal], middlewareMergeStrategy: 'append' as const };
    return contentType ? l.k8s.setHeaderOptions('Content-Type', contentType, base) : base;
  }

  ctx(l: Loaded, what: string, namespace?: string, hint?: string): KubeErrorContext {
    const user = l.kc.getCurrentUser();
    return { what, namespace, hint, context: l.kc.getCurrentContext(), server: l.kc.getCurrentCluster()?.server, credentials: user ? `user "${user.name}" (${userHow(user)})` : undefined };
  }

  /** A GET through the API server with the kubeconfig's auth (for the service proxy). */
  async rawGet(l: Loaded, apiPath: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<{ status: number; body: string; contentType?: string }> {
    const cluster = l.kc.getCurrentCluster();
    if (!cluster) throw new Error('no current Kubernetes cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + apiPath);
    const reqOpts: https.RequestOptions = {};
    await l.kc.applyToHTTPSOptions(reqOpts);
    const mod = url.protocol === 'https:' ? https : http;
    const s = withTimeout(timeoutMs, signal);
    return new Promise((resolve, reject) => {
      if (s.aborted) return reject(abortError(s));
      const req = mod.request(
        url,
        { ...reqOpts, method: 'GET', headers: { ...(reqOpts.headers ?? {}), accept: 'application/json, text/plain, */*' }, signal: s },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (b: Buffer) => {
            // Keep a little more than we return; a health body has no business being large.
            if (size < 64 * 1024) chunks.push(b);
            size += b.length;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: res.headers['content-type'] }));
          res.on('error', reject);
        },
      );
      req.on('error', (err) => reject(s.aborted ? abortError(s) : err));
      req.end();
    });
  }
}

function userHow(user: { exec?: unknown; token?: string; authProvider?: unknown; certFile?: string; certData?: string } | null | undefined): string {
  if (user?.exec) return `exec plugin "${describePlugin(user.exec as Parameters<typeof describePlugin>[0])}"`;
  if (user?.token || user?.authProvider) return 'token';
  if (user?.certFile || user?.certData) return 'client certificate';
  return 'no credentials';
}

export class KubernetesCluster implements ClusterPort {
  constructor(
    private readonly conn: KubeConnection,
    private readonly opts: { fetch?: FetchLike } = {},
  ) {}

  async canI(attrs: AccessAttributes, signal?: AbortSignal): Promise<{ allowed: boolean; reason?: string }> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    const api = l.kc.makeApiClient(l.k8s.AuthorizationV1Api);
    try {
      const r = await this.conn.call(l, () =>
        api.createSelfSubjectAccessReview(
          { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { ...attrs } } } },
          this.conn.callOptions(l, signal),
        ),
      );
      return { allowed: !!r.status?.allowed, reason: r.status?.reason || undefined };
    } catch (err) {
      throw kubeError(err, this.conn.ctx(l, 'selfsubjectaccessreviews.authorization.k8s.io'));
    }
  }

  async credentialSource(): Promise<string> {
    return this.conn.credentialSource();
  }

  async getDeployment(namespace: string, name: string, signal?: AbortSignal): Promise<DeploymentStatus> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    try {
      const d = await this.conn.call(l, () => l.apps.readNamespacedDeployment({ name, namespace }, this.conn.callOptions(l, signal)));
      return toDeploymentStatus(d);
    } catch (err) {
      throw kubeError(err, this.conn.ctx(l, `deployments.apps "${name}"`, namespace, this.conn.opts.hints?.deployment?.(name) ?? 'services.<service>.deployment'));
    }
  }

  async listPods(namespace: string, selector: Record<string, string>, signal?: AbortSignal): Promise<PodStatus[]> {
    return (await this.rawPods(namespace, selector, signal)).map(toPodStatus);
  }

  private async rawPods(namespace: string, selector: Record<string, string>, signal?: AbortSignal): Promise<any[]> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    try {
      const list = await this.conn.call(l, () => l.core.listNamespacedPod({ namespace, labelSelector: labelSelector(selector) || undefined }, this.conn.callOptions(l, signal)));
      return list.items ?? [];
    } catch (err) {
      throw kubeError(err, this.conn.ctx(l, `pods (${labelSelector(selector)})`, namespace));
    }
  }

  async newReplicaSetHash(namespace: string, deployment: string, signal?: AbortSignal): Promise<string | undefined> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    let selector: Record<string, string> = {};
    try {
      const d = await this.conn.call(l, () => l.apps.readNamespacedDeployment({ name: deployment, namespace }, this.conn.callOptions(l, signal)));
      selector = { ...(d.spec?.selector?.matchLabels ?? {}) };
    } catch (err) {
      throw kubeError(err, this.conn.ctx(l, `deployments.apps "${deployment}"`, namespace, this.conn.opts.hints?.deployment?.(deployment) ?? 'services.<service>.deployment'));
    }
    try {
      const list = await this.conn.call(l, () => l.apps.listNamespacedReplicaSet({ namespace, labelSelector: labelSelector(selector) || undefined }, this.conn.callOptions(l, signal)));
      return newestReplicaSetHash(list.items ?? [], deployment);
    } catch (err) {
      throw kubeError(err, this.conn.ctx(l, `replicasets.apps of ${deployment}`, namespace));
    }
  }

  async podUsage(namespace: string, selector: Record<string, string>, signal?: AbortSignal): Promise<PodUsage[]> {
    const pods = await this.rawPods(namespace, selector, signal);
    if (pods.length === 0) return [];
    const l = await this.conn.load();
    let metrics: any;
    try {
      metrics = await this.conn.call(l, () => abortable(new l.k8s.Metrics(l.kc).getPodMetrics(namespace), signal));
    } catch (err) {
      if (isApiException(err) && [404, 503].includes(err.code)) return []; // metrics-server not installed / not ready
      throw kubeError(err, this.conn.ctx(l, 'pods.metrics.k8s.io', namespace));
    }
    return joinPodUsage(pods, metrics?.items ?? []);
  }

  async health(namespace: string, service: string, port: number, healthPath: string, directUrl: string | undefined, signal?: AbortSignal): Promise<HealthResponse> {
    throwIfAborted(signal);
    const p = healthPath.startsWith('/') ? healthPath : `/${healthPath}`;
    let status: number;
    let body: string;
    if (directUrl) {
      const doFetch = this.opts.fetch ?? fetch;
      try {
        const res = await doFetch(directUrl, { method: 'GET', headers: { accept: 'application/json, */*' }, signal: withTimeout(15_000, signal) });
        status = res.status;
        body = await res.text();
      } catch (err) {
        if (signal?.aborted) throw abortError(signal);
        throw new Error(`health check GET ${safeUrl(directUrl)} failed: ${fetchErrorMessage(err)}`);
      }
    } else {
      const l = await this.conn.load();
      const apiPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${port}/proxy${p}`;
      let r: { status: number; body: string; contentType?: string };
      try {
        r = await this.conn.rawGet(l, apiPath, signal, 15_000);
        if (r.status === 401 && isKubeStatus(r.body) && this.conn.refreshExecCredential(l)) r = await this.conn.rawGet(l, apiPath, signal, 15_000);
      } catch (err) {
        if (signal?.aborted) throw abortError(signal);
        throw kubeError(err, this.conn.ctx(l, `service proxy ${service}:${port}${p}`, namespace));
      }
      // The API server's own answers (no such service, forbidden) are config problems, not health.
      if ([401, 403, 404].includes(r.status) && isKubeStatus(r.body)) {
        const hint = r.status === 404 ? (this.conn.opts.hints?.service?.(service) ?? 'services.<service>.k8sService / port') : undefined;
        throw kubeError({ code: r.status, body: r.body }, this.conn.ctx(l, `services "${service}"`, namespace, hint));
      }
      status = r.status;
      body = r.body;
    }
    const parsed = parseActuatorHealth(body);
    return { httpStatus: status, body: truncate(body, HEALTH_BODY_MAX), status: parsed.status, downComponents: parsed.downComponents };
  }

  async podLog(namespace: string, pod: string, opts: { previous?: boolean; tailLines?: number }, signal?: AbortSignal): Promise<string> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    const read = (container?: string) =>
      this.conn.call(l, () => l.core.readNamespacedPodLog({ name: pod, namespace, container, previous: opts.previous, tailLines: opts.tailLines }, this.conn.callOptions(l, signal)));
    try {
      return String(await read());
    } catch (err) {
      if (isApiException(err) && err.code === 400 && /container name must be specified/i.test(statusMessage(err.body) ?? '')) {
        const p = await this.conn.call(l, () => l.core.readNamespacedPod({ name: pod, namespace }, this.conn.callOptions(l, signal))).catch(() => undefined);
        const names = (p?.spec?.containers ?? []).map((c) => c.name);
        const parts: string[] = [];
        for (const c of names) {
          const text = await read(c).catch((e) => `(${kubeError(e, this.conn.ctx(l, `log of ${pod}/${c}`, namespace)).message})`);
          parts.push(`==> ${c} <==\n${String(text)}`);
        }
        return parts.join('\n');
      }
      throw kubeError(err, this.conn.ctx(l, `log of pod "${pod}"${opts.previous ? ' (previous container)' : ''}`, namespace));
    }
  }

  async events(namespace: string, kind: string, name: string, signal?: AbortSignal): Promise<{ type: string; reason: string; message: string; time?: string; count?: number }[]> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    try {
      const list = await this.conn.call(l, () => l.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` }, this.conn.callOptions(l, signal)));
      const items = (list.items ?? []).map((e: any) => {
        const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
        const time = t instanceof Date ? t.toISOString() : typeof t === 'string' ? t : undefined;
        // core/v1 counts repeats in .count; events.k8s.io in .series.count (or deprecatedCount).
        const count = Number(e.count ?? e.series?.count ?? e.deprecatedCount ?? 1) || 1;
        return { type: String(e.type ?? ''), reason: String(e.reason ?? ''), message: String(e.message ?? e.note ?? ''), time, count };
      });
      return items.sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
    } catch (err) {
      throw kubeError(err, this.conn.ctx(l, `events of ${kind} "${name}"`, namespace));
    }
  }
}

function isKubeStatus(body: string): boolean {
  try {
    const b = JSON.parse(body);
    return b?.kind === 'Status' && typeof b?.apiVersion === 'string';
  } catch {
    return false;
  }
}

export class ArgoCdApplications implements ArgoCdPort {
  constructor(private readonly conn: KubeConnection) {}

  /** SelfSubjectAccessReview in the cluster holding the Applications (its own context). */
  async canI(attrs: AccessAttributes, signal?: AbortSignal): Promise<{ allowed: boolean; reason?: string }> {
    return new KubernetesCluster(this.conn).canI(attrs, signal).catch((err) => {
      throw err instanceof PortError ? new PortError('argocd', err.kind, err.message, err.httpStatus) : err;
    });
  }

  async credentialSource(): Promise<string> {
    return this.conn.credentialSource();
  }

  private hint(namespace: string, app: string): string {
    return this.conn.opts.hints?.application?.(namespace, app) ?? 'the environment\'s argocd.application / argocd.namespace in .gitops-deploy.yaml';
  }

  private async getRaw(l: Loaded, namespace: string, app: string, signal?: AbortSignal): Promise<any> {
    try {
      return await this.conn.call(l, () => l.custom.getNamespacedCustomObject({ group: ARGO_GROUP, version: ARGO_VERSION, namespace, plural: ARGO_PLURAL, name: app }, this.conn.callOptions(l, signal)));
    } catch (err) {
      throw kubeError(err, { ...this.conn.ctx(l, `applications.argoproj.io "${app}"`, namespace, this.hint(namespace, app)), system: 'argocd' });
    }
  }

  private async patch(namespace: string, app: string, body: object, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    try {
      await this.conn.call(l, () =>
        l.custom.patchNamespacedCustomObject(
          { group: ARGO_GROUP, version: ARGO_VERSION, namespace, plural: ARGO_PLURAL, name: app, body },
          this.conn.callOptions(l, signal, l.k8s.PatchStrategy.MergePatch),
        ),
      );
    } catch (err) {
      throw kubeError(err, { ...this.conn.ctx(l, `applications.argoproj.io "${app}"`, namespace, this.hint(namespace, app)), system: 'argocd' });
    }
  }

  async get(namespace: string, app: string, signal?: AbortSignal): Promise<AppStatus> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    return toAppStatus(await this.getRaw(l, namespace, app, signal), app);
  }

  async refresh(namespace: string, app: string, mode: 'normal' | 'hard', signal?: AbortSignal): Promise<void> {
    await this.patch(namespace, app, { metadata: { annotations: { [REFRESH_ANNOTATION]: mode } } }, signal);
  }

  async sync(namespace: string, app: string, revision: string, actor: string, reason: string, signal?: AbortSignal): Promise<void> {
    await this.patch(
      namespace,
      app,
      {
        operation: {
          initiatedBy: { username: actor, automated: false },
          info: [{ name: 'Reason', value: reason }],
          sync: { revision },
        },
        // Clearing the previous operation state in the same patch (as Kargo does; argo-cd#20875).
        status: { operationState: null },
      },
      signal,
    );
  }

  async waitFor(namespace: string, app: string, done: (s: AppStatus) => boolean, timeoutMs: number, signal?: AbortSignal, onUpdate?: (s: AppStatus) => void): Promise<AppStatus> {
    throwIfAborted(signal);
    const l = await this.conn.load();
    const watchPath = `/apis/${ARGO_GROUP}/${ARGO_VERSION}/namespaces/${encodeURIComponent(namespace)}/${ARGO_PLURAL}`;
    const log = this.conn.opts.log;

    return waitForApp({ namespace, app, timeoutMs, signal, done, onUpdate, channel: 'watch' }, (w) => {
      let resourceVersion: string | undefined;
      let controller: AbortController | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const getAbort = new AbortController();
      w.onEnd(() => {
        if (watchdog) clearTimeout(watchdog);
        controller?.abort();
        getAbort.abort();
      });
      const observe = (obj: unknown) => {
        const s = w.observe(obj);
        if (s?.resourceVersion) resourceVersion = s.resourceVersion;
      };

      const getThenWatch = async () => {
        if (w.finished) return;
        try {
          const obj = await this.getRaw(l, namespace, app, getAbort.signal);
          observe(obj);
          startWatch();
        } catch (err) {
          if (w.finished) return;
          const code = err instanceof PortError ? err.httpStatus : undefined;
          // A missing Application will not appear by waiting: that is a configuration problem; nor will
          // credentials refused or an exec plugin that failed (the user must log in again).
          if (code === 404 || code === 401 || code === 403 || (err instanceof PortError && err.kind === 'auth')) return w.finish(err as Error);
          w.lastError = errorMessage(err);
          w.retry(getThenWatch);
        }
      };

      const startWatch = () => {
        if (w.finished) return;
        let gone = false;
        let sawEvent = false;
        const openedAt = Date.now();
        const watch = new l.k8s.Watch(l.kc);
        // The server ends the watch after timeoutSeconds and we re-establish it; the watchdog below
        // covers a connection that died without closing.
        const query: Record<string, string | boolean | number> = { fieldSelector: `metadata.name=${app}`, allowWatchBookmarks: true, timeoutSeconds: WATCH_SERVER_TIMEOUT_S };
        if (resourceVersion) query.resourceVersion = resourceVersion;
        watch
          .watch(
            watchPath,
            query,
            (phase, obj) => {
              if (w.finished) return;
              sawEvent = true;
              if (phase === 'ERROR') {
                if (obj?.code === 410) gone = true;
                else w.lastError = statusMessage(obj) ?? `watch error ${obj?.code ?? ''}`;
                return;
              }
              if (phase === 'BOOKMARK') {
                const rv = obj?.metadata?.resourceVersion;
                if (rv) resourceVersion = rv;
                return;
              }
              if (phase === 'DELETED') {
                w.lastError = `the Application ${namespace}/${app} was deleted`;
                return;
              }
              w.recovered();
              observe(obj);
            },
            (err) => {
              if (w.finished) return;
              const code = (err as { statusCode?: number })?.statusCode;
              if (code === 401) this.conn.refreshExecCredential(l);
              if (gone || code === 410) {
                // resourceVersion too old: start again from a fresh GET.
                resourceVersion = undefined;
                log?.(`Argo CD watch of ${namespace}/${app}: resourceVersion expired, re-reading`);
                w.recovered();
                return void getThenWatch();
              }
              if (err && !isAbortError(err)) {
                // A failing watch must not blind the wait: re-read the object (a poll, with backoff)
                // before re-establishing the watch, so its state — not the transport's — decides.
                w.lastError = redactUrls(errorMessage(err));
                log?.(`Argo CD watch of ${namespace}/${app} failed: ${w.lastError}; polling the Application and re-establishing the watch`);
                return w.retry(getThenWatch);
              }
              // A normal end (server-side timeout): re-establish at once, unless it keeps ending immediately.
              if (!sawEvent && Date.now() - openedAt < 1000) return w.retry(getThenWatch);
              w.recovered();
              startWatch();
            },
          )
          .then(
            (c) => {
              controller = c;
              if (w.finished) return c.abort();
              if (watchdog) clearTimeout(watchdog);
              watchdog = setTimeout(() => c.abort(), (WATCH_SERVER_TIMEOUT_S + 30) * 1000);
            },
            (err) => {
              // No current cluster, an exec plugin that failed, and the like.
              if (err instanceof ExecCredentialError) return w.finish(kubeError(err, { ...this.conn.ctx(l, `applications.argoproj.io "${app}"`, namespace), system: 'argocd' }));
              w.finish(err instanceof Error ? err : new Error(String(err)));
            },
          );
      };

      void getThenWatch();
    });
  }
}

// ArgoCdPort over the Argo CD API server's REST API (what the argocd CLI and the UI use), for users who
// reach Argo CD only through it: GET /api/v1/applications/{name}[?refresh=], POST …/{name}/sync and the
// streaming watch GET /api/v1/stream/applications?name= (newline-delimited {"result":{"type","application"}}).
// Applications in any namespace: every call carries appNamespace. The token (Authorization: Bearer) comes
// from ARGOCD_AUTH_TOKEN or the user's `argocd login` file (argocdAuth.ts) and is never logged.
import { formatDuration } from '../pipeline/model/format';
import { PortError, type FaultKind } from '../pipeline/model/cause';
import type { AccessAttributes, AppStatus, ArgoCdPort } from '../pipeline/ports';
import { waitForApp } from './appWait';
import { ARGOCD_AUTH_TOKEN_VAR, loadArgoCdToken, serverKey, type ArgoCdToken } from './argocdAuth';
import { toAppStatus } from './kubeMap';
import { abortError, errorMessage, fetchErrorMessage, isAbortError, throwIfAborted, truncate, withTimeout, type FetchLike } from './util';

export interface ArgoCdApiOptions {
  /** https base URL of the API server (a root path allowed). */
  server: string;
  /** Set when the repository named the server and its host is not trusted (config `argocd.untrustedHost`). */
  untrustedHost?: string;
  env?: NodeJS.ProcessEnv;
  fetch?: FetchLike;
  log?: (line: string) => void;
  /** Config key to check when an application is missing. */
  hint?: (namespace: string, app: string) => string | undefined;
  /** Per-request timeout (default 30 s; a refresh waits for Argo CD's reconciliation, 90 s). */
  requestTimeoutMs?: number;
  /** Silence after which a stream is assumed dead and re-opened (default 150 s). */
  streamIdleMs?: number;
}

const KIND_OF_STATUS: Record<number, FaultKind> = { 401: 'auth', 403: 'auth', 404: 'not-found', 408: 'timeout', 409: 'conflict', 504: 'timeout' };
const BUSY = /another operation is already in progress/i;

/** The message of an Argo CD (grpc-gateway) error body: {"error","code","message"}. */
function argoMessage(body: string): string | undefined {
  try {
    const b = JSON.parse(body);
    const m = b?.message ?? b?.error;
    return typeof m === 'string' && m ? m : undefined;
  } catch {
    return body.trim() ? truncate(body.trim(), 300) : undefined;
  }
}

export class ArgoCdApi implements ArgoCdPort {
  private token?: Promise<ArgoCdToken>;
  /** How many times a broken or ended stream was re-opened (after a re-read), over this adapter's life. */
  reconnects = 0;

  constructor(readonly opts: ArgoCdApiOptions) {}

  get host(): string {
    return serverKey(this.opts.server);
  }

  private env(): NodeJS.ProcessEnv {
    return this.opts.env ?? process.env;
  }

  /** The token, looked up once; a refusal names the server and how to log in. */
  private auth(): Promise<ArgoCdToken> {
    if (!this.token) {
      const loading = loadArgoCdToken(this.opts.server, { env: this.env(), trusted: !this.opts.untrustedHost }).then((pick) => {
        if (!pick.ok) throw new PortError('argocd', 'auth', `Argo CD API server ${this.host}: ${pick.why}`);
        return pick.token;
      });
      this.token = loading;
      loading.catch(() => (this.token = undefined));
    }
    return this.token;
  }

  private url(apiPath: string, query: Record<string, string | undefined>): string {
    const u = new URL(this.opts.server.replace(/\/+$/, '') + apiPath);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  }

  /** A PortError for an answer that is not 2xx; 401/403 say whose token was refused and how to fix it. */
  private httpError(status: number, body: string, what: string, tok: ArgoCdToken, namespace?: string, app?: string): PortError {
    const msg = argoMessage(body) ?? `HTTP ${status}`;
    let tail = '';
    if (status === 401) tail = ` — the token from ${tok.source} was refused (expired or revoked): log in again with "argocd login ${this.host} --sso" or set ${ARGOCD_AUTH_TOKEN_VAR}`;
    else if (status === 403 && app) tail = ` — Argo CD answers this when application "${app}" does not exist in namespace "${namespace}" or your account may not see it: check ${this.opts.hint?.(namespace ?? '', app) ?? 'argocd.application / argocd.namespace'} and your Argo CD RBAC`;
    else if (status === 403) tail = ' — your Argo CD account is not allowed to do this (Argo CD RBAC)';
    return new PortError('argocd', KIND_OF_STATUS[status] ?? 'transport', `Argo CD API server ${this.host}: ${what}: ${msg} (${status})${tail}`, status);
  }

  private transportError(err: unknown, what: string): Error {
    if (isAbortError(err)) return err as Error;
    const m = fetchErrorMessage(err);
    const tls = /certificate|self[- ]signed|UNABLE_TO_VERIFY/i.test(m) ? ' (a private CA: add it to NODE_EXTRA_CA_CERTS)' : '';
    return new PortError('argocd', 'transport', `Argo CD API server ${this.host}: ${what} failed: ${m}${tls}`);
  }

  private async request(method: 'GET' | 'POST', apiPath: string, query: Record<string, string | undefined>, body: unknown, what: string, signal: AbortSignal | undefined, ctx: { namespace?: string; app?: string } = {}, timeoutMs?: number): Promise<any> {
    throwIfAborted(signal);
    const tok = await this.auth();
    const doFetch = this.opts.fetch ?? fetch;
    let status: number;
    let text: string;
    try {
      const res = await doFetch(this.url(apiPath, query), {
        method,
        headers: { Authorization: `Bearer ${tok.token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: withTimeout(timeoutMs ?? this.opts.requestTimeoutMs ?? 30_000, signal),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw this.transportError(err, what);
    }
    if (status < 200 || status >= 300) throw this.httpError(status, text, what, tok, ctx.namespace, ctx.app);
    try {
      return JSON.parse(text);
    } catch {
      throw new PortError('argocd', 'transport', `Argo CD API server ${this.host}: ${what}: the answer is not JSON (${truncate(text, 120)})`);
    }
  }

  private appPath(app: string): string {
    return `/api/v1/applications/${encodeURIComponent(app)}`;
  }

  private async getRaw(namespace: string, app: string, signal?: AbortSignal, refresh?: 'normal' | 'hard'): Promise<any> {
    return this.request('GET', this.appPath(app), { appNamespace: namespace, ...(refresh ? { refresh } : {}) }, undefined, `${refresh ? `${refresh} refresh of` : 'get'} application ${namespace}/${app}`, signal, { namespace, app }, refresh ? 90_000 : undefined);
  }

  async credentialSource(): Promise<string> {
    try {
      return `Argo CD API server ${this.host}, token from ${(await this.auth()).source}`;
    } catch {
      return `Argo CD API server ${this.host}, no token`;
    }
  }

  /**
   * Argo CD RBAC through GET /api/v1/account/can-i/applications/{action}/{project}/{namespace}/{app}
   * (get and watch → get; patch → sync). The project is the application's spec.project.
   */
  async canI(attrs: AccessAttributes, signal?: AbortSignal): Promise<{ allowed: boolean; reason?: string }> {
    const ns = attrs.namespace ?? 'argocd';
    const app = attrs.name;
    if (!app) return { allowed: true, reason: 'the API server streams single applications it lets you get' };
    const action = attrs.verb === 'patch' || attrs.verb === 'update' ? 'sync' : 'get';
    let project: string;
    try {
      project = String((await this.getRaw(ns, app, signal))?.spec?.project ?? 'default');
    } catch (err) {
      if (err instanceof PortError && err.kind === 'auth') return { allowed: false, reason: err.message };
      throw err;
    }
    const r = await this.request('GET', `/api/v1/account/can-i/applications/${action}/${encodeURIComponent(`${project}/${ns}/${app}`)}`, {}, undefined, `can-i ${action} application ${ns}/${app}`, signal, { namespace: ns, app });
    const allowed = r?.value === 'yes';
    return { allowed, reason: allowed ? undefined : `Argo CD RBAC: ${action} on applications ${project}/${ns}/${app} is not allowed` };
  }

  async get(namespace: string, app: string, signal?: AbortSignal): Promise<AppStatus> {
    return toAppStatus(await this.getRaw(namespace, app, signal), app);
  }

  /** GET with ?refresh=: the API server asks the controller to refresh and answers once it has. */
  async refresh(namespace: string, app: string, mode: 'normal' | 'hard', signal?: AbortSignal): Promise<void> {
    await this.getRaw(namespace, app, signal, mode);
  }

  /**
   * POST …/sync of `revision` (never pruning). The API server records its own user as the initiator;
   * the actor and reason travel as the operation's info. When another operation is running (Argo CD
   * refuses: FailedPrecondition), wait for it to end and ask again.
   */
  async sync(namespace: string, app: string, revision: string, actor: string, reason: string, signal?: AbortSignal): Promise<void> {
    const body = { name: app, appNamespace: namespace, revision, prune: false, dryRun: false, infos: [{ name: 'Reason', value: reason }, { name: 'Requested by', value: actor }] };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.request('POST', `${this.appPath(app)}/sync`, {}, body, `sync of application ${namespace}/${app} to ${revision.slice(0, 12)}`, signal, { namespace, app });
        return;
      } catch (err) {
        if (!(err instanceof PortError && err.httpStatus === 400 && BUSY.test(err.message)) || attempt >= 3) throw err;
        this.opts.log?.(`Argo CD ${namespace}/${app}: another operation is running; waiting for it to end before syncing ${revision.slice(0, 12)}`);
        await this.waitFor(namespace, app, (s) => s.operationPhase !== 'Running' && s.operationPhase !== 'Terminating', 120_000, signal);
      }
    }
  }

  async waitFor(namespace: string, app: string, done: (s: AppStatus) => boolean, timeoutMs: number, signal?: AbortSignal, onUpdate?: (s: AppStatus) => void): Promise<AppStatus> {
    throwIfAborted(signal);
    const log = this.opts.log;
    const tok = await this.auth();
    const doFetch = this.opts.fetch ?? fetch;
    const idleMs = this.opts.streamIdleMs ?? 150_000;

    return waitForApp({ namespace, app, timeoutMs, signal, done, onUpdate, where: ` (API server ${this.host})`, channel: 'stream' }, (w) => {
      let stream: AbortController | undefined;
      const getAbort = new AbortController();
      w.onEnd(() => {
        stream?.abort();
        getAbort.abort();
      });
      const fatal = (err: unknown): boolean => err instanceof PortError && (err.kind === 'auth' || err.kind === 'not-found');

      // Re-read, then (re)open the stream: the object's state — not the transport's — decides.
      const getThenStream = async (): Promise<void> => {
        if (w.finished) return;
        try {
          w.observe(await this.getRaw(namespace, app, getAbort.signal));
          void openStream();
        } catch (err) {
          if (w.finished) return;
          if (fatal(err)) return w.finish(err as Error);
          w.lastError = errorMessage(err);
          w.retry(getThenStream);
        }
      };

      const reconnect = (why: string): void => {
        if (w.finished) return;
        this.reconnects++;
        w.lastError = why;
        log?.(`Argo CD stream of ${namespace}/${app} (API server ${this.host}) ended: ${why}; re-reading the application and re-opening the stream`);
        w.retry(getThenStream);
      };

      const openStream = async (): Promise<void> => {
        if (w.finished) return;
        const c = new AbortController();
        stream = c;
        let idle: NodeJS.Timeout | undefined;
        const poke = (): void => {
          if (idle) clearTimeout(idle);
          idle = setTimeout(() => c.abort(new Error(`no data for ${formatDuration(idleMs)}`)), idleMs);
        };
        poke();
        const what = `stream of application ${namespace}/${app}`;
        try {
          const res = await doFetch(this.url('/api/v1/stream/applications', { name: app, appNamespace: namespace }), { method: 'GET', headers: { Authorization: `Bearer ${tok.token}`, Accept: 'application/json' }, signal: c.signal });
          if (res.status < 200 || res.status >= 300) {
            const err = this.httpError(res.status, await res.text().catch(() => ''), what, tok, namespace, app);
            if (fatal(err)) return w.finish(err);
            return reconnect(err.message);
          }
          if (!res.body) return reconnect('the answer has no body');
          const reader = (res.body as ReadableStream<Uint8Array>).getReader();
          const decoder = new TextDecoder();
          let buf = '';
          for (;;) {
            const { value, done: ended } = await reader.read();
            if (w.finished) return;
            if (ended) break;
            poke();
            buf += decoder.decode(value, { stream: true });
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line) continue;
              let ev: any;
              try {
                ev = JSON.parse(line);
              } catch {
                continue;
              }
              if (ev?.error) {
                w.lastError = argoMessage(JSON.stringify(ev.error)) ?? 'stream error';
                continue;
              }
              const type = ev?.result?.type;
              if (type === 'DELETED') {
                w.lastError = `the application ${namespace}/${app} was deleted`;
                continue;
              }
              if (ev?.result?.application) {
                w.recovered();
                w.observe(ev.result.application);
                if (w.finished) return;
              }
            }
          }
          reconnect('the server closed the stream');
        } catch (err) {
          if (w.finished) return;
          reconnect(c.signal.aborted && c.signal.reason instanceof Error ? c.signal.reason.message : fetchErrorMessage(err));
        } finally {
          if (idle) clearTimeout(idle);
        }
      };

      void getThenStream();
    });
  }
}

// The Argo CD API server stand-in (HTTPS, bearer token), over the same Application objects and
// controllers as the Kubernetes API: GET /api/v1/applications/{name}[?refresh=normal|hard][&appNamespace=],
// POST /api/v1/applications/{name}/sync, the streaming watch GET /api/v1/stream/applications?name=
// (newline-delimited {"result":{"type","application"}}) and GET /api/v1/account/can-i/…. As strict as
// Argo CD: no or a bad token → 401 (gRPC code 16), an application that does not exist or that the
// account may not see → 403 "permission denied" (code 7, Argo CD does not tell which), a sync while an
// operation runs → 400 "another operation is already in progress" (code 9).
import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import { sendJson } from './http';
import type { Store, WatchEvent, KObj } from './kube/store';
import { T } from './kube/types';

export interface ArgoCdApiStats {
  /** Every request that reached the server (with or without a token). */
  requests: number;
  /** Streams opened (GET /api/v1/stream/applications). */
  streamsOpened: number;
  /** Streams the sandbox broke mid-response (breakStreams). */
  streamsBroken: number;
  /** Requests refused with 401. */
  unauthorized: number;
  /** Sync requests accepted. */
  syncs: number;
}

export interface ArgoCdApiOptions {
  store: Store;
  /** The bearer token the server accepts (an account's API token). */
  token: string;
  /** The account the token belongs to (initiatedBy.username of its syncs). */
  user: string;
  /** Namespaces whose Applications the server manages (Argo CD's application.namespaces, plus its own). */
  namespaces: string[];
  /** Denied permissions as the Kubernetes stand-in keeps them ("patch applications.argoproj.io" denies sync). */
  denied?: Set<string>;
  log: (s: string) => void;
}

const grpcError = (res: http.ServerResponse, status: number, code: number, message: string): void => sendJson(res, status, { error: message, code, message });

export class ArgoCdApiServer {
  readonly stats: ArgoCdApiStats = { requests: 0, streamsOpened: 0, streamsBroken: 0, unauthorized: 0, syncs: 0 };
  /** 'stream-opened' {name, namespace}, 'synced' {name, namespace, revision}. */
  readonly events = new EventEmitter();
  private readonly streams = new Set<http.ServerResponse>();
  /** Fault switch argocd-stream-breaks: every stream breaks right after its first events. */
  breaking = false;

  constructor(private readonly o: ArgoCdApiOptions) {}

  /** Breaks every open stream mid-response (the connection is destroyed, no clean end); returns how many. */
  setBreaking(on: boolean): void {
    this.breaking = on;
    if (on) this.breakStreams();
  }

  breakStreams(): number {
    const n = this.streams.size;
    for (const r of this.streams) r.destroy();
    this.streams.clear();
    this.stats.streamsBroken += n;
    return n;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  closeStreams(): void {
    for (const r of this.streams) r.end();
    this.streams.clear();
  }

  private denied(verb: string): boolean {
    const d = this.o.denied;
    return !!d && (d.has(`${verb} applications.argoproj.io`) || d.has('* applications.argoproj.io'));
  }

  private view(o: KObj): KObj {
    return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...o };
  }

  /** The application, or undefined for one that does not exist, lives in an unmanaged namespace, or may not be read. */
  private find(name: string, ns: string): KObj | undefined {
    if (!this.o.namespaces.includes(ns) || this.denied('get')) return undefined;
    return this.o.store.get(T.applications, ns, name);
  }

  handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const p = url.pathname.replace(/\/+$/, '');
    this.stats.requests++;
    if (p === '/healthz') return void sendJson(res, 200, { status: 'ok' });
    const auth = req.headers.authorization;
    if (!auth) {
      this.stats.unauthorized++;
      return grpcError(res, 401, 16, 'no session information');
    }
    if (auth !== `Bearer ${this.o.token}`) {
      this.stats.unauthorized++;
      this.o.log(`argocd-api: 401 for ${method} ${p}: invalid token`);
      return grpcError(res, 401, 16, 'invalid session: token signature is invalid');
    }
    const ns = url.searchParams.get('appNamespace') || 'argocd';
    if (p === '/api/v1/stream/applications' && method === 'GET') return this.stream(req, res, url.searchParams.get('name') ?? undefined, ns);
    const canI = /^\/api\/v1\/account\/can-i\/([^/]+)\/([^/]+)\/(.+)$/.exec(p);
    if (canI && method === 'GET') {
      const [, resource, action] = canI;
      const verb = action === 'sync' ? 'patch' : action;
      return void sendJson(res, 200, { value: resource === 'applications' && !this.denied(verb) ? 'yes' : 'no' });
    }
    const m = /^\/api\/v1\/applications\/([^/]+)(\/sync)?$/.exec(p);
    if (!m) return grpcError(res, 404, 5, 'Not Found');
    const name = decodeURIComponent(m[1]);
    if (m[2]) {
      if (method !== 'POST') return grpcError(res, 405, 12, 'Method Not Allowed');
      return this.sync(res, name, body, url);
    }
    if (method !== 'GET') return grpcError(res, 405, 12, 'Method Not Allowed');
    const app = this.find(name, ns);
    if (!app) return grpcError(res, 403, 7, 'permission denied');
    const refresh = url.searchParams.get('refresh');
    if (refresh !== null && refresh !== '') {
      if (refresh !== 'normal' && refresh !== 'hard') return grpcError(res, 400, 3, `unknown refresh type: ${refresh}`);
      return void sendJson(res, 200, this.view(await this.refreshed(name, ns, refresh)));
    }
    sendJson(res, 200, this.view(app));
  };

  /** Asks the controller to refresh (the annotation) and answers once it has (the annotation gone), as Argo CD does. */
  private refreshed(name: string, ns: string, mode: string): Promise<KObj> {
    const store = this.o.store;
    return new Promise((resolve) => {
      const done = (): void => {
        store.off('change', onChange);
        clearTimeout(t);
        resolve(store.get(T.applications, ns, name)!);
      };
      const onChange = (e: WatchEvent): void => {
        if (e.type_ === T.applications && e.object.metadata.name === name && e.object.metadata.namespace === ns && !e.object.metadata.annotations?.['argocd.argoproj.io/refresh']) done();
      };
      const t = setTimeout(done, 10_000);
      store.on('change', onChange);
      const app = store.update(T.applications, ns, name, (a) => {
        a.metadata.annotations = { ...(a.metadata.annotations ?? {}), 'argocd.argoproj.io/refresh': mode };
      });
      // Argo CD refreshes in a queue of its own, not behind a running sync (the sandbox's controller
      // serialises them): while an operation runs, answer once the refresh is asked.
      if (app?.status?.operationState?.phase === 'Running') done();
    });
  }

  private sync(res: http.ServerResponse, name: string, body: Buffer, url: URL): void {
    let req: any = {};
    if (body.length) {
      try {
        req = JSON.parse(body.toString('utf8'));
      } catch (e) {
        return grpcError(res, 400, 3, `invalid character in request body: ${(e as Error).message}`);
      }
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) return grpcError(res, 400, 3, 'the request body must be an ApplicationSyncRequest object');
    if (req.revision !== undefined && typeof req.revision !== 'string') return grpcError(res, 400, 3, 'revision must be a string');
    if (req.prune !== undefined && typeof req.prune !== 'boolean') return grpcError(res, 400, 3, 'prune must be a boolean');
    if (req.infos !== undefined && (!Array.isArray(req.infos) || req.infos.some((i: any) => typeof i?.name !== 'string' || typeof i?.value !== 'string'))) return grpcError(res, 400, 3, 'infos must be a list of {name, value}');
    const ns = typeof req.appNamespace === 'string' && req.appNamespace ? req.appNamespace : url.searchParams.get('appNamespace') || 'argocd';
    const app = this.find(name, ns);
    if (!app || this.denied('patch')) return grpcError(res, 403, 7, 'permission denied');
    const phase = app.status?.operationState?.phase;
    if (app.operation || phase === 'Running' || phase === 'Terminating') return grpcError(res, 400, 9, 'another operation is already in progress');
    const operation = {
      sync: { ...(req.revision ? { revision: req.revision } : {}), prune: req.prune === true, ...(req.dryRun ? { dryRun: true } : {}) },
      initiatedBy: { username: this.o.user },
      ...(req.infos?.length ? { info: req.infos } : {}),
      retry: {},
    };
    this.stats.syncs++;
    this.events.emit('synced', { name, namespace: ns, revision: req.revision });
    const out = this.o.store.update(T.applications, ns, name, (a) => {
      a.operation = operation;
    });
    sendJson(res, 200, this.view(out!));
  }

  private stream(req: http.IncomingMessage, res: http.ServerResponse, name: string | undefined, ns: string): void {
    this.stats.streamsOpened++;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache', 'Transfer-Encoding': 'chunked', 'Grpc-Metadata-Content-Type': 'application/grpc' });
    const matches = (o: KObj): boolean => o.metadata.namespace === ns && (name === undefined || o.metadata.name === name) && this.o.namespaces.includes(ns) && !this.denied('get');
    const write = (type: string, o: KObj): void => {
      if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify({ result: { type, application: this.view(o) } }) + '\n');
    };
    for (const o of this.o.store.list(T.applications, ns)) if (matches(o)) write('ADDED', o);
    const onChange = (e: WatchEvent): void => {
      if (e.type_ === T.applications && matches(e.object)) write(e.type, e.object);
    };
    this.o.store.on('change', onChange);
    this.streams.add(res);
    const cleanup = (): void => {
      this.o.store.off('change', onChange);
      this.streams.delete(res);
    };
    res.on('close', cleanup);
    req.on('close', cleanup);
    this.events.emit('stream-opened', { name, namespace: ns });
    if (this.breaking) {
      setImmediate(() => {
        if (!res.destroyed && this.streams.delete(res)) {
          this.stats.streamsBroken++;
          res.destroy();
        }
      });
    }
  }
}

import type * as http from 'node:http';
import { sendJson, sendText } from '../http';
import type { Faults } from '../faults';
import type { World } from '../world';
import { actuatorHealth, metricsText } from '../services';
import { Store, typeKey, type KObj, type ResourceType, type WatchEvent } from './store';
import { TYPES, T, findType } from './types';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch';
import type { KubeAuth } from './auth';

const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 410: 'Gone', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };

export function status(code: number, message: string, details?: Record<string, unknown>, reason = REASONS[code] ?? 'Unknown'): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

const resourceName = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);
const apiVersionOf = (t: ResourceType): string => (t.group ? `${t.group}/${t.version}` : t.version);

class HttpError extends Error {
  constructor(readonly code: number, message: string, readonly details?: Record<string, unknown>, readonly reason?: string) {
    super(message);
  }
}

function notFound(t: ResourceType, name: string): HttpError {
  return new HttpError(404, `${resourceName(t)} "${name}" not found`, { name, ...(t.group ? { group: t.group } : {}), kind: t.plural });
}

export interface KubeServerOptions {
  world: World; faults: Faults; auth: KubeAuth; log: (s: string) => void; serverUrl: () => string;
  /** Fault switches: the token is refused as expired; the services' health route answers 404. */
  switches?: { kubeTokenExpired?: boolean; healthRouteMissing?: boolean };
  /** Denied permissions, "verb resource[.group]" (e.g. "patch applications.argoproj.io", "get services/proxy"). */
  denied?: Set<string>;
  /**
   * What this API server serves: everything (default); the workloads only (a workload cluster of a
   * hub-and-spoke setup: the argoproj.io group does not exist there); or Argo CD's Applications only
   * (the management cluster, with namespaces).
   */
  serves?: 'all' | 'workloads' | 'applications';
}

const isArgo = (group: string): boolean => group === 'argoproj.io';

const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/** The Kubernetes API server of the sandbox: discovery, CRUD-ish verbs, watches, logs, service proxy, metrics.k8s.io. */
export class KubeApi {
  private readonly openWatches = new Set<http.ServerResponse>();

  constructor(private readonly o: KubeServerOptions) {}

  get store(): Store {
    return this.o.world.store;
  }

  closeWatches(): void {
    for (const r of this.openWatches) r.end();
    this.openWatches.clear();
  }

  handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL): Promise<void> => {
    try {
      await this.route(req, res, body, url);
    } catch (e) {
      if (e instanceof HttpError) sendJson(res, e.code, status(e.code, e.message, e.details, e.reason));
      else throw e;
    }
  };

  private async route(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const p = url.pathname.replace(/\/+$/, '') || '/';
    if (['/healthz', '/readyz', '/livez'].includes(p)) return sendText(res, 200, 'ok');
    // The token service the exec plugin asks (an STS / OIDC issuer stand-in); not part of the Kubernetes API.
    if (p === '/sandbox/token' && method === 'POST') {
      const r = this.o.auth.issue(req.headers.authorization, body);
      return sendJson(res, r.code, r.body);
    }
    // As a real API server: a missing, unknown, badly signed or expired token is 401 with the bare "Unauthorized".
    const who = this.o.auth.check(req.headers.authorization);
    if (!who.ok) {
      this.o.log(`kubernetes: 401 for ${method} ${p}: ${who.why}`);
      throw new HttpError(401, 'Unauthorized');
    }
    const watching = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const segs = p.split('/').filter(Boolean).map(decodeURIComponent);
    const isCollection = this.isCollection(segs);
    const verbs = [method, method === 'GET' ? (watching ? 'WATCH' : isCollection ? 'LIST' : 'GET') : method];
    const fault = this.o.faults.match(verbs, p);
    if (fault) throw new HttpError(fault.code, fault.message ?? `sandbox: injected ${fault.code} for ${verbs[verbs.length - 1]} ${p}`);

    if (p === SSAR_PATH) return this.accessReview(req, res, method, body);
    if (p === '/version') return sendJson(res, 200, { major: '1', minor: '30', gitVersion: 'v1.30.4-sandbox', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2024-08-14T00:00:00Z', goVersion: 'go1.22.5', compiler: 'gc', platform: 'linux/amd64' });
    if (p === '/api') return sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.o.serverUrl().replace(/^https?:\/\//, '') }] });
    if (p === '/apis') return sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: this.groups() });
    if (segs[0] === 'apis' && segs.length === 2) {
      const g = this.groups().find((x) => x.name === segs[1]);
      if (!g) throw new HttpError(404, 'the server could not find the requested resource');
      return sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
    }
    if ((segs[0] === 'api' && segs.length === 2) || (segs[0] === 'apis' && segs.length === 3)) return sendJson(res, 200, this.resourceList(segs[0] === 'api' ? '' : segs[1], segs[segs.length - 1]));
    if (segs[0] === 'apis' && segs[1] === 'metrics.k8s.io' && this.o.serves !== 'applications') return this.metrics(res, segs.slice(3), url);

    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs[1] === 'v1') {
      group = '';
      version = 'v1';
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 4) {
      group = segs[1];
      version = segs[2];
      rest = segs.slice(3);
    } else throw new HttpError(404, 'the server could not find the requested resource');

    let ns: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      ns = rest[1];
      rest = rest.slice(2);
      if (!this.store.get(T.namespaces, undefined, ns) && method !== 'GET') throw new HttpError(404, `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    }
    const [plural, name, sub, ...subRest] = rest;
    const type = findType(group, version, plural);
    if (!type || !this.servesGroup(group, type.plural)) throw new HttpError(404, 'the server could not find the requested resource');
    if (type.namespaced && ns === undefined && name !== undefined) throw new HttpError(404, 'the server could not find the requested resource');
    const verb = method === 'GET' ? (watching ? 'watch' : name === undefined ? 'list' : 'get') : method === 'PATCH' ? 'patch' : method === 'PUT' ? 'update' : method.toLowerCase();
    const resource = sub && sub !== 'status' ? `${plural}/${sub}` : plural;
    if (!this.allowed(verb, group, resource)) {
      throw new HttpError(403, `${group ? `${resource}.${group}` : resource}${name ? ` "${name}"` : ''} is forbidden: User "sandbox-user" cannot ${verb} resource "${resource}" in API group "${group}"${ns ? ` in the namespace "${ns}"` : ''}`, { ...(name ? { name } : {}), ...(group ? { group } : {}), kind: plural });
    }

    if (sub === 'proxy' && type.plural === 'services' && group === '') return this.proxy(req, res, ns!, name, subRest, url);
    if (sub === 'log' && type.plural === 'pods' && group === '') return this.podLog(res, ns!, name, url);
    if (sub !== undefined && sub !== 'status') throw new HttpError(404, 'the server could not find the requested resource');

    if (name === undefined) {
      if (method !== 'GET') throw new HttpError(405, `the server does not allow this method on the requested resource`);
      if (watching) return this.watch(req, res, type, ns, url);
      return this.list(res, type, ns, url);
    }
    switch (method) {
      case 'GET':
        if (watching) {
          url.searchParams.set('fieldSelector', `metadata.name=${name}`);
          return this.watch(req, res, type, ns, url);
        }
        return sendJson(res, 200, this.getOrThrow(type, ns, name));
      case 'PATCH':
        return sendJson(res, 200, this.patch(type, ns, name, req.headers['content-type'] ?? '', body));
      case 'PUT':
        return sendJson(res, 200, this.replace(type, ns, name, body));
      default:
        throw new HttpError(405, 'the server does not allow this method on the requested resource');
    }
  }

  /** Does this server serve the group (and, on the management cluster, the resource)? */
  private servesGroup(group: string, plural?: string): boolean {
    const serves = this.o.serves ?? 'all';
    if (serves === 'workloads') return !isArgo(group);
    if (serves === 'applications') return isArgo(group) || group === 'authorization.k8s.io' || (group === '' && (plural === undefined || plural === 'namespaces'));
    return true;
  }

  private allowed(verb: string, group: string, resource: string): boolean {
    const d = this.o.denied;
    if (!d?.size) return true;
    const full = group ? `${resource}.${group}` : resource;
    return !d.has(`${verb} ${full}`) && !d.has(`* ${full}`);
  }

  /** SelfSubjectAccessReview (authorization.k8s.io/v1), as strict as the real API server. */
  private accessReview(req: http.IncomingMessage, res: http.ServerResponse, method: string, body: Buffer): void {
    if (method !== 'POST') throw new HttpError(405, 'the server does not allow this method on the requested resource');
    const ct = String(req.headers['content-type'] ?? '').split(';')[0].trim();
    if (ct !== 'application/json') throw new HttpError(415, `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
    let doc: any;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new HttpError(400, `the object provided is unrecognized: ${(e as Error).message}`);
    }
    if (doc?.apiVersion !== 'authorization.k8s.io/v1' || doc?.kind !== 'SelfSubjectAccessReview') {
      throw new HttpError(400, `the API version in the data (${doc?.apiVersion ?? ''}) does not match the expected API version (authorization.k8s.io/v1) or kind (${doc?.kind ?? ''}) is not SelfSubjectAccessReview`);
    }
    const spec = doc.spec ?? {};
    const ra = spec.resourceAttributes;
    const nra = spec.nonResourceAttributes;
    if ((ra === undefined) === (nra === undefined)) {
      throw new HttpError(422, `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified`, { group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview', causes: [{ reason: 'FieldValueInvalid', field: 'spec.resourceAttributes' }] });
    }
    let allowed = true;
    let reason: string | undefined;
    if (ra) {
      if (typeof ra !== 'object' || Array.isArray(ra) || (ra.verb !== undefined && typeof ra.verb !== 'string') || (ra.resource !== undefined && typeof ra.resource !== 'string')) throw new HttpError(400, 'the object provided is unrecognized: spec.resourceAttributes');
      const resource = ra.subresource ? `${ra.resource ?? ''}/${ra.subresource}` : String(ra.resource ?? '');
      allowed = this.allowed(String(ra.verb ?? ''), String(ra.group ?? ''), resource);
      reason = allowed ? 'sandbox: allowed' : `sandbox: ${ra.verb} ${resource}${ra.group ? `.${ra.group}` : ''} is denied to sandbox-user`;
    }
    sendJson(res, 201, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { allowed, ...(allowed ? {} : { denied: true }), ...(reason ? { reason } : {}) } });
  }

  private isCollection(segs: string[]): boolean {
    if (segs[0] === 'api') return segs.length === 3 || (segs[2] === 'namespaces' && segs.length === 5);
    if (segs[0] === 'apis') return segs.length === 4 || (segs[3] === 'namespaces' && segs.length === 6);
    return false;
  }

  private groups(): Record<string, unknown>[] {
    const out = new Map<string, Set<string>>();
    for (const t of TYPES) if (t.group) out.set(t.group, (out.get(t.group) ?? new Set()).add(t.version));
    if (this.o.serves !== 'applications') out.set('metrics.k8s.io', new Set(['v1beta1']));
    out.set('authorization.k8s.io', new Set(['v1']));
    return [...out].filter(([name]) => this.servesGroup(name)).map(([name, versions]) => {
      const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: vs, preferredVersion: vs[0] };
    });
  }

  private resourceList(group: string, version: string): Record<string, unknown> {
    const gv = group ? `${group}/${version}` : version;
    const verbsOf = (t: ResourceType): string[] => (t.plural === 'applications' ? ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'] : ['get', 'list', 'patch', 'watch']);
    const resources: Record<string, unknown>[] = [];
    if (group === 'metrics.k8s.io') {
      resources.push({ name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] }, { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] });
    }
    if (!this.servesGroup(group) || (group === 'metrics.k8s.io' && this.o.serves === 'applications')) throw new HttpError(404, 'the server could not find the requested resource');
    for (const t of TYPES.filter((x) => x.group === group && x.version === version && this.servesGroup(group, x.plural))) {
      resources.push({ name: t.plural, singularName: t.kind.toLowerCase(), namespaced: t.namespaced, kind: t.kind, verbs: verbsOf(t), shortNames: t.shortNames });
      if (['deployments', 'replicasets', 'pods', 'namespaces', 'services'].includes(t.plural)) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
      if (t.plural === 'pods') resources.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
      if (t.plural === 'services') resources.push({ name: 'services/proxy', singularName: '', namespaced: true, kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
    }
    if (group === 'authorization.k8s.io') resources.push({ name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] });
    if (!resources.length) throw new HttpError(404, 'the server could not find the requested resource');
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
  }

  private view(t: ResourceType, o: KObj): KObj {
    const v = t.view ? t.view(o) : o;
    return { ...v, apiVersion: apiVersionOf(t), kind: t.kind };
  }

  private getOrThrow(t: ResourceType, ns: string | undefined, name: string): KObj {
    const o = this.store.get(typeKey(t), t.namespaced ? ns : undefined, name);
    if (!o) throw notFound(t, name);
    return this.view(t, o);
  }

  private selectors(url: URL): (o: KObj) => boolean {
    try {
      const ls = parseLabelSelector(url.searchParams.get('labelSelector'));
      const fs = parseFieldSelector(url.searchParams.get('fieldSelector'));
      return (o) => matchLabels(o, ls) && matchFields(o, fs);
    } catch (e) {
      if (e instanceof SelectorError) throw new HttpError(400, e.message);
      throw e;
    }
  }

  private list(res: http.ServerResponse, t: ResourceType, ns: string | undefined, url: URL): void {
    const match = this.selectors(url);
    // selectors apply to the object as this API version shows it (events.k8s.io: regarding.*)
    let items = this.store.list(typeKey(t), t.namespaced ? ns : undefined).map((o) => this.view(t, o)).filter(match);
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const offset = Number(Buffer.from(url.searchParams.get('continue') ?? '', 'base64').toString() || 0);
    let cont: string | undefined;
    if (limit > 0) {
      cont = offset + limit < items.length ? Buffer.from(String(offset + limit)).toString('base64') : undefined;
      items = items.slice(offset, offset + limit);
    }
    sendJson(res, 200, { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(this.store.resourceVersion), ...(cont ? { continue: cont, remainingItemCount: undefined } : {}) }, items });
  }

  private watch(req: http.IncomingMessage, res: http.ServerResponse, t: ResourceType, ns: string | undefined, url: URL): void {
    const match = this.selectors(url);
    const key = typeKey(t);
    const inScope = (o: KObj): boolean => (!t.namespaced || ns === undefined || o.metadata.namespace === ns) && match(this.view(t, o));
    const rvParam = url.searchParams.get('resourceVersion');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    const write = (type: string, object: KObj): void => {
      if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
    };
    let last = this.store.resourceVersion;
    if (rvParam && rvParam !== '0') {
      const since = Number(rvParam);
      const events = Number.isFinite(since) ? this.store.since(key, since) : undefined;
      if (!events) {
        write('ERROR', status(410, `too old resource version: ${rvParam} (${this.store.oldestRv + 1})`, undefined, 'Expired') as KObj);
        res.end();
        return;
      }
      for (const e of events) if (inScope(e.object)) write(e.type, this.view(t, e.object));
    } else {
      for (const o of this.store.list(key, t.namespaced ? ns : undefined)) if (match(this.view(t, o))) write('ADDED', this.view(t, o));
    }
    const onChange = (e: WatchEvent): void => {
      if (e.type_ !== key || !inScope(e.object)) return;
      last = e.rv;
      write(e.type, this.view(t, e.object));
    };
    this.store.on('change', onChange);
    this.openWatches.add(res);
    const timers: NodeJS.Timeout[] = [];
    const cleanup = (): void => {
      this.store.off('change', onChange);
      this.openWatches.delete(res);
      for (const x of timers) clearTimeout(x);
    };
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 0);
    timers.push(setTimeout(() => res.end(), (timeout > 0 ? timeout : 1800) * 1000));
    if (url.searchParams.get('allowWatchBookmarks') === 'true') {
      const bm = setInterval(() => write('BOOKMARK', { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(Math.max(last, this.store.resourceVersion)) } }), 2000);
      timers.push(bm);
    }
    res.on('close', cleanup);
    req.on('close', cleanup);
  }

  private parsePatch(contentType: string, body: Buffer, current: KObj): KObj {
    const ct = contentType.split(';')[0].trim();
    let patch: any;
    const kinds = ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'];
    if (!kinds.includes(ct)) throw new HttpError(415, `the body of the request was in an unknown format - accepted media types include: ${kinds.join(', ')}, application/apply-patch+yaml`);
    try {
      patch = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new HttpError(422, `error decoding patch: ${(e as Error).message}`, { name: current.metadata.name, kind: current.kind, causes: [{ reason: 'FieldValueInvalid', message: (e as Error).message, field: 'patch' }] });
    }
    try {
      if (ct === 'application/json-patch+json') return jsonPatch(current, patch);
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new PatchError('a merge patch must be a JSON object');
      const rv = patch?.metadata?.resourceVersion;
      if (rv !== undefined && rv !== null && String(rv) !== current.metadata.resourceVersion) {
        throw new HttpError(409, `Operation cannot be fulfilled on ${current.__resource} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: current.metadata.name, ...(current.__group ? { group: current.__group } : {}), kind: current.__plural });
      }
      return ct === 'application/strategic-merge-patch+json' ? strategicMergePatch(current, patch) : mergePatch(current, patch);
    } catch (e) {
      if (e instanceof PatchError) throw new HttpError(422, e.message, { name: current.metadata.name, kind: current.kind, causes: [{ reason: 'FieldValueInvalid', message: e.message }] });
      throw e;
    }
  }

  private validate(t: ResourceType, before: KObj, after: any): void {
    const invalid = (field: string, msg: string): HttpError =>
      new HttpError(422, `${t.kind} "${before.metadata.name}" is invalid: ${field}: ${msg}`, { name: before.metadata.name, ...(t.group ? { group: t.group } : {}), kind: t.kind, causes: [{ reason: 'FieldValueInvalid', message: msg, field }] });
    if (!after || typeof after !== 'object' || !after.metadata || typeof after.metadata !== 'object') throw invalid('metadata', 'Required value');
    if (after.metadata.name !== before.metadata.name) throw invalid('metadata.name', `Invalid value: "${after.metadata.name}": field is immutable`);
    if (after.metadata.namespace !== before.metadata.namespace) throw invalid('metadata.namespace', 'field is immutable');
    for (const f of ['labels', 'annotations'] as const) {
      const m = after.metadata[f];
      if (m !== undefined && (typeof m !== 'object' || Array.isArray(m) || Object.values(m).some((v) => typeof v !== 'string'))) throw invalid(`metadata.${f}`, 'Invalid value: values must be strings');
    }
    if (t.plural === 'deployments') {
      const r = after.spec?.replicas;
      if (r !== undefined && (!Number.isInteger(r) || r < 0)) throw invalid('spec.replicas', `Invalid value: ${JSON.stringify(r)}: must be greater than or equal to 0`);
      const cs = after.spec?.template?.spec?.containers;
      if (!Array.isArray(cs) || cs.length === 0 || cs.some((c: any) => typeof c?.name !== 'string' || typeof c?.image !== 'string' || !c.image)) throw invalid('spec.template.spec.containers', 'Required value');
    }
    if (t.plural === 'applications') {
      if (after.operation !== undefined && (typeof after.operation !== 'object' || Array.isArray(after.operation))) throw invalid('operation', 'Invalid value: must be of type object');
      if (after.operation?.sync !== undefined && (typeof after.operation.sync !== 'object' || (after.operation.sync.revision !== undefined && typeof after.operation.sync.revision !== 'string'))) throw invalid('operation.sync', 'Invalid value');
      if (!after.spec?.destination || !after.spec?.source) throw invalid('spec', 'source and destination are required');
    }
  }

  private patch(t: ResourceType, ns: string | undefined, name: string, contentType: string, body: Buffer): KObj {
    const key = typeKey(t);
    const cur = this.store.get(key, t.namespaced ? ns : undefined, name);
    if (!cur) throw notFound(t, name);
    if (t.storedAs) throw new HttpError(405, 'the server does not allow this method on the requested resource');
    const annotated = { ...cur, __resource: resourceName(t), __group: t.group, __plural: t.plural };
    const patched = this.parsePatch(contentType, body, annotated);
    delete patched.__resource;
    delete patched.__group;
    delete patched.__plural;
    this.validate(t, cur, patched);
    return this.commit(t, cur, patched);
  }

  private replace(t: ResourceType, ns: string | undefined, name: string, body: Buffer): KObj {
    const key = typeKey(t);
    const cur = this.store.get(key, t.namespaced ? ns : undefined, name);
    if (!cur) throw notFound(t, name);
    let obj: any;
    try {
      obj = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new HttpError(400, `the object provided is unrecognized: ${(e as Error).message}`);
    }
    const rv = obj?.metadata?.resourceVersion;
    if (rv && String(rv) !== cur.metadata.resourceVersion) throw new HttpError(409, `Operation cannot be fulfilled on ${resourceName(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, ...(t.group ? { group: t.group } : {}), kind: t.plural });
    obj.metadata = { ...obj.metadata, namespace: cur.metadata.namespace };
    this.validate(t, cur, obj);
    return this.commit(t, cur, obj);
  }

  private commit(t: ResourceType, cur: KObj, next: KObj): KObj {
    next.metadata.uid = cur.metadata.uid;
    next.metadata.creationTimestamp = cur.metadata.creationTimestamp;
    if (t.plural === 'deployments') {
      // The world owns Deployments: an image change starts a rollout; other changes are not simulated.
      const image: string = next.spec.template.spec.containers[0].image;
      const tag = image.slice(image.lastIndexOf(':') + 1);
      const env = this.o.world.envOfNamespace(cur.metadata.namespace);
      const service = cur.metadata.labels?.app;
      if (env && service && image !== cur.spec.template.spec.containers[0].image) this.o.world.rollout(env, service, tag);
      return this.view(t, this.store.get(typeKey(t), cur.metadata.namespace, cur.metadata.name)!);
    }
    if (t.plural === 'applications' && JSON.stringify(cur.spec) !== JSON.stringify(next.spec)) next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    return this.view(t, this.store.put(typeKey(t), next));
  }

  private async proxy(req: http.IncomingMessage, res: http.ServerResponse, ns: string, nameAndPort: string, rest: string[], url: URL): Promise<void> {
    const parts = nameAndPort.split(':');
    const name = parts.length === 3 ? parts[1] : parts[0];
    const port = parts.length === 3 ? parts[2] : parts[1];
    const svc = this.store.get(T.services, ns, name);
    if (!svc) throw notFound(TYPES.find((x) => x.plural === 'services')!, name);
    const ports = (svc.spec.ports ?? []) as { name?: string; port: number }[];
    if (port && !ports.some((x) => String(x.port) === port || x.name === port)) throw new HttpError(503, `no endpoints available for service "${name}:${port}"`);
    const env = this.o.world.envOfNamespace(ns);
    const service = svc.metadata.labels?.app ?? name;
    const tag = env ? this.o.world.servingTag(env, service) : undefined;
    if (!env || !tag) throw new HttpError(503, `no endpoints available for service "${name}"`);
    const sub = '/' + rest.join('/');
    let out: { status: number; contentType: string; body: string };
    if (sub.startsWith('/actuator/health') && this.o.switches?.healthRouteMissing) out = { status: 404, contentType: 'application/json', body: JSON.stringify({ timestamp: new Date().toISOString(), status: 404, error: 'Not Found', path: sub }) };
    else if (sub.startsWith('/actuator/health')) out = actuatorHealth(this.o.world, service, tag, sub.slice('/actuator/health'.length));
    else if (sub === '/actuator/prometheus' || sub === '/metrics') out = { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: metricsText(this.o.world, { env, service }) };
    else if (sub === '/actuator/info') out = { status: 200, contentType: 'application/json', body: JSON.stringify({ app: { name: service, version: tag }, build: { version: tag } }) };
    else out = { status: 404, contentType: 'application/json', body: JSON.stringify({ timestamp: new Date().toISOString(), status: 404, error: 'Not Found', path: sub }) };
    void req;
    void url;
    sendText(res, out.status, out.body, out.contentType);
  }

  private podLog(res: http.ServerResponse, ns: string, name: string, url: URL): void {
    const podType = TYPES.find((x) => x.plural === 'pods')!;
    const pod = this.store.get(T.pods, ns, name);
    const logs = this.o.world.podLogs(ns, name);
    if (!pod || !logs) throw notFound(podType, name);
    const container = url.searchParams.get('container');
    if (container && container !== logs.container) throw new HttpError(400, `container ${container} is not valid for pod ${name}`);
    const previous = ['true', '1'].includes(url.searchParams.get('previous') ?? '');
    const st = pod.status?.containerStatuses?.[0];
    let lines: string[];
    if (previous) {
      if (!logs.previous) throw new HttpError(400, `previous terminated container "${logs.container}" in pod "${name}" not found`);
      lines = logs.previous;
    } else {
      const waiting = st?.state?.waiting?.reason as string | undefined;
      if (waiting && waiting !== 'CrashLoopBackOff') throw new HttpError(400, `container "${logs.container}" in pod "${name}" is waiting to start: ${waiting === 'ContainerCreating' ? 'ContainerCreating' : 'trying and failing to pull image'}`);
      lines = logs.logs;
    }
    const tail = url.searchParams.get('tailLines');
    if (tail !== null && Number(tail) >= 0) lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
    if (['true', '1'].includes(url.searchParams.get('timestamps') ?? '')) {
      const ts = st?.state?.running?.startedAt ?? pod.metadata.creationTimestamp;
      lines = lines.map((l) => `${String(ts).replace('Z', '.000000000Z')} ${l}`);
    }
    let text = lines.map((l) => l + '\n').join('');
    const limit = Number(url.searchParams.get('limitBytes') ?? 0);
    if (limit > 0) text = text.slice(0, limit);
    sendText(res, 200, text);
  }

  private metrics(res: http.ServerResponse, rest: string[], url: URL): void {
    const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const item = (ns: string, u: ReturnType<World['podUsage']>[number]): KObj => ({
      metadata: { name: u.name, namespace: ns, creationTimestamp: ts, labels: u.labels },
      timestamp: ts, window: '15.037s',
      containers: [{ name: u.container, usage: { cpu: `${u.cpuMilli * 1_000_000}n`, memory: `${u.memoryMi * 1024}Ki` } }],
    });
    const match = this.selectors(url);
    if (rest[0] === 'nodes') {
      const items = [{ metadata: { name: 'sandbox-node-1', creationTimestamp: ts, labels: { 'kubernetes.io/hostname': 'sandbox-node-1' } }, timestamp: ts, window: '20.022s', usage: { cpu: '850000000n', memory: '6291456Ki' } }];
      return sendJson(res, 200, rest[1] ? { kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', ...items[0] } : { kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items });
    }
    let nsList: string[];
    let podName: string | undefined;
    if (rest[0] === 'namespaces' && rest[2] === 'pods') {
      nsList = [rest[1]];
      podName = rest[3];
    } else if (rest[0] === 'pods') nsList = this.store.list(T.namespaces).map((n) => n.metadata.name);
    else throw new HttpError(404, 'the server could not find the requested resource');
    const items = nsList.flatMap((ns) => this.o.world.podUsage(ns).map((u) => item(ns, u))).filter((i) => match(i as KObj));
    if (podName) {
      const one = items.find((i) => i.metadata.name === podName);
      if (!one) throw new HttpError(404, `podmetrics.metrics.k8s.io "${podName}" not found`, { name: podName, group: 'metrics.k8s.io', kind: 'pods' });
      return sendJson(res, 200, { kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', ...one });
    }
    sendJson(res, 200, { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items });
  }
}

export { Store };

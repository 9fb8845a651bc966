import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import YAML from 'yaml';
import { Store, type KObj, type WatchEvent } from './kube/store';
import { T } from './kube/types';
import { git, showFile } from './git';
import type { ImageSpec, NormalizedScenario } from './scenario';
import type { Registry } from './registry';

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';
const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const randName = (n: number): string => Array.from(crypto.randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('');
function templateHash(s: string): string {
  return Array.from(crypto.createHash('sha256').update(s).digest().subarray(0, 10), (b) => ALNUM[b % ALNUM.length]).join('');
}

export const valuesFile = (env: string): string => `helm/environments/${env}-env/image-tags.yaml`;

/** A service's entry in an image-tags.yaml, parsed (undefined when the YAML does not parse). */
function valuesEntry(text: string, service: string): any {
  try {
    return YAML.parse(text)?.[service];
  } catch {
    return undefined;
  }
}

/** The digest pinned beside a service's tag (`pinDigest`: `image.digest` or `digest`), if any. */
export function digestFromValues(text: string, service: string): string | undefined {
  const v = valuesEntry(text, service);
  const d = v?.image?.tag !== undefined ? v.image.digest : v?.digest;
  return typeof d === 'string' && d ? d : undefined;
}

/** Reads a service's tag from an image-tags.yaml in any of the shapes the product recognises. */
export function tagFromValues(text: string, service: string): string | undefined {
  const v = valuesEntry(text, service);
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (v && typeof v === 'object') {
    if (v.image && typeof v.image === 'object' && v.image.tag !== undefined) return String(v.image.tag);
    if (v.tag !== undefined) return String(v.tag);
  }
  return undefined;
}

interface PodState {
  name: string;
  rs: string;
  hash: string;
  tag: string;
  phase: 'Pending' | 'Running';
  ready: boolean;
  restartCount: number;
  waiting?: { reason: string; message: string };
  lastTerminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string };
  startedAt?: string;
  createdAt: string;
  logs: string[];
  previousLogs?: string[];
  uid: string;
}

interface RsState { name: string; hash: string; tag: string; /** Pinned by the values file (repo:tag@digest): what the pods pull whatever the tag points to. */ digest?: string; replicas: number; revision: number; pods: PodState[]; uid?: string }

interface DeployState {
  env: string;
  service: string;
  ns: string;
  name: string;
  replicas: number;
  generation: number;
  observedGeneration: number;
  revision: number;
  tag: string;
  /** The digest the values file pins beside the tag, if any. */
  digest?: string;
  rsets: RsState[];
  failedDeadline: boolean;
  progressingSince: string;
  lastUpdate: string;
  token: number;
}

interface Traffic { total: number; errors: number; seconds: number; actuator: number; at: number }

export interface AppKey { env: string; service: string }

/**
 * The simulated cluster and Argo CD: Kubernetes objects live in `store`; Deployments, ReplicaSets and Pods are rendered
 * from an in-memory rollout model; one Argo CD controller per Application follows origin's main.
 */
export class World {
  readonly store = new Store();
  readonly events = new EventEmitter();
  private readonly deploys = new Map<string, DeployState>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly appChains = new Map<string, Promise<void>>();
  private readonly traffic = new Map<string, Traffic>();
  private head = '';
  private headPoll?: NodeJS.Timeout;
  private watcher?: fs.FSWatcher;
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(
    public scenario: NormalizedScenario,
    readonly registry: Registry,
    readonly originDir: string,
    private readonly log: (s: string) => void,
  ) {
    this.events.setMaxListeners(0);
    // Deferred: reacting inside the emit would deliver our own follow-up write to watchers before this event.
    this.store.on('change', (ev: WatchEvent) => setImmediate(() => this.onChange(ev)));
  }

  // ---------- helpers ----------

  after(seconds: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, Math.max(0, seconds * 1000));
    this.timers.add(t);
  }

  private sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => this.after(seconds, resolve));
  }

  appName(service: string, env: string): string {
    return `${service}-${env}`;
  }

  imageOf(service: string, tag: string): string {
    return `${this.registry.imageRef(service)}:${tag}`;
  }

  spec(service: string, tag: string): ImageSpec {
    return this.scenario.services[service]?.images[tag] ?? {};
  }

  exists(service: string, tag: string): boolean {
    return Boolean(this.registry.find(service, { imageTag: tag }));
  }

  deployment(env: string, service: string): DeployState | undefined {
    return this.deploys.get(`${env}/${service}`);
  }

  // ---------- initial world ----------

  async init(headSha: string): Promise<void> {
    this.head = headSha;
    for (const ns of new Set(['default', 'kube-system', 'argocd', ...Object.values(this.scenario.namespaces)])) {
      this.store.put(T.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    }
    const past = new Date(this.startedAt - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const env of this.scenario.envOrder) {
      const ns = this.scenario.namespaces[env];
      for (const [service, tag] of Object.entries(this.scenario.environments[env])) {
        const port = this.scenario.services[service]?.port ?? 8080;
        this.store.put(T.services, {
          apiVersion: 'v1', kind: 'Service',
          metadata: { name: service, namespace: ns, labels: { app: service } },
          spec: { type: 'ClusterIP', clusterIP: `10.96.${this.deploys.size + 10}.${(port % 200) + 1}`, selector: { app: service }, ports: [{ name: 'http', port, protocol: 'TCP', targetPort: port }] },
          status: { loadBalancer: {} },
        });
        const d: DeployState = {
          env, service, ns, name: `${service}-deployment`, replicas: this.scenario.services[service]?.replicas ?? 2,
          generation: 1, observedGeneration: 1, revision: 1, tag, rsets: [], failedDeadline: false, progressingSince: past, lastUpdate: past, token: 0,
        };
        this.deploys.set(`${env}/${service}`, d);
        const rs = this.newRs(d, tag);
        rs.replicas = d.replicas;
        for (let i = 0; i < d.replicas; i++) {
          const p = this.newPod(d, rs, past);
          this.startPodOk(d, p, past);
        }
        d.rsets.push(rs);
        this.render(d);
        this.store.put(T.applications, this.initialApp(env, service, headSha, past));
      }
    }
    this.watchOrigin();
  }

  private initialApp(env: string, service: string, sha: string, past: string): KObj {
    const ns = this.scenario.namespaces[env];
    const source = { repoURL: `file://${this.originDir}`, path: path.dirname(valuesFile(env)), targetRevision: 'main', helm: { valueFiles: ['image-tags.yaml'] } };
    return {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
      metadata: { name: this.appName(service, env), namespace: 'argocd', labels: { 'app.kubernetes.io/part-of': 'gitops-sandbox', environment: env, service }, finalizers: ['resources-finalizer.argocd.argoproj.io'], generation: 1 },
      spec: { project: 'default', source, destination: { server: 'https://kubernetes.default.svc', namespace: ns }, syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=false'] } },
      status: {
        sync: { status: 'Synced', revision: sha, comparedTo: { source, destination: { server: 'https://kubernetes.default.svc', namespace: ns } } },
        health: { status: 'Healthy' },
        operationState: {
          operation: { sync: { revision: sha }, initiatedBy: { automated: true }, retry: {} },
          phase: 'Succeeded', message: 'successfully synced (all tasks run)', startedAt: past, finishedAt: past,
          syncResult: { revision: sha, source, resources: [this.syncedResource(env, service)] },
        },
        history: [{ id: 0, revision: sha, deployedAt: past, deployStartedAt: past, source }],
        reconciledAt: now(),
        sourceType: 'Helm',
        summary: { images: [this.imageOf(service, this.scenario.environments[env][service])] },
        resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: ns, name: `${service}-deployment`, status: 'Synced', health: { status: 'Healthy' } }],
      },
    };
  }

  private syncedResource(env: string, service: string): Record<string, unknown> {
    const ns = this.scenario.namespaces[env];
    return { group: 'apps', version: 'v1', kind: 'Deployment', namespace: ns, name: `${service}-deployment`, status: 'Synced', message: `deployment.apps/${service}-deployment configured`, hookPhase: 'Running', syncPhase: 'Sync' };
  }

  // ---------- pods & replica sets ----------

  private newRs(d: DeployState, tag: string, digest?: string): RsState {
    const hash = templateHash(`${d.env}/${d.service}:${this.imageOf(d.service, tag)}${digest ? `@${digest}` : ''}`);
    const existing = d.rsets.find((r) => r.hash === hash);
    if (existing) {
      existing.revision = d.revision;
      return existing;
    }
    return { name: `${d.name}-${hash}`, hash, tag, ...(digest ? { digest } : {}), replicas: 0, revision: d.revision, pods: [] };
  }

  private newPod(d: DeployState, rs: RsState, at = now()): PodState {
    const p: PodState = { name: `${rs.name}-${randName(5)}`, rs: rs.name, hash: rs.hash, tag: rs.tag, phase: 'Pending', ready: false, restartCount: 0, createdAt: at, logs: [], uid: crypto.randomUUID() };
    rs.pods.push(p);
    return p;
  }

  private bootLog(d: DeployState, tag: string, at: string): string[] {
    const cls = d.service[0].toUpperCase() + d.service.slice(1) + 'Application';
    const line = (level: string, logger: string, msg: string): string => `${at.replace('Z', '.000Z')}  ${level.padStart(5)} 1 --- [${d.service}] [           main] ${logger.padEnd(40)} : ${msg}`;
    return [
      '',
      '  .   ____          _            __ _ _',
      ' /\\\\ / ___\'_ __ _ _(_)_ __  __ _ \\ \\ \\ \\',
      "( ( )\\___ | '_ | '_| | '_ \\/ _` | \\ \\ \\ \\",
      ' :: Spring Boot ::                (v3.3.4)',
      '',
      line('INFO', `c.e.${d.service}.${cls}`, `Starting ${cls} v${tag} using Java 21.0.5 with PID 1 (/app/app.jar started by app in /app)`),
      line('INFO', `c.e.${d.service}.${cls}`, `The following 1 profile is active: "${d.env}"`),
      line('INFO', 'o.s.b.w.embedded.tomcat.TomcatWebServer', 'Tomcat initialized with port 8080 (http)'),
      line('INFO', 'com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Starting...'),
    ];
  }

  private startPodOk(d: DeployState, p: PodState, at = now()): void {
    const spec = this.spec(d.service, p.tag);
    p.phase = 'Running';
    p.ready = true;
    p.waiting = undefined;
    p.startedAt = at;
    const line = (level: string, logger: string, msg: string): string => `${at.replace('Z', '.000Z')}  ${level.padStart(5)} 1 --- [${d.service}] [           main] ${logger.padEnd(40)} : ${msg}`;
    p.logs = this.bootLog(d, p.tag, at);
    if (spec.health && spec.health !== 'UP') {
      p.logs.push(line('ERROR', 'com.zaxxer.hikari.pool.HikariPool', 'HikariPool-1 - Exception during pool initialization.'));
      p.logs.push('org.postgresql.util.PSQLException: Connection to accounts-db:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.');
      p.logs.push(line('WARN', 'o.s.b.a.jdbc.DataSourceHealthIndicator', 'DataSource health check failed'));
    } else {
      p.logs.push(line('INFO', 'com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Start completed.'));
    }
    p.logs.push(line('INFO', 'o.s.b.w.embedded.tomcat.TomcatWebServer', "Tomcat started on port 8080 (http) with context path '/'"));
    p.logs.push(line('INFO', `c.e.${d.service}.${d.service[0].toUpperCase() + d.service.slice(1)}Application`, 'Started application in 6.912 seconds (process running for 7.604)'));
    if (spec.errorRate) p.logs.push(line('ERROR', 'o.a.c.c.C.[.[.[/].[dispatcherServlet]', 'Servlet.service() for servlet [dispatcherServlet] threw exception [Request processing failed: java.lang.NullPointerException] with root cause'));
  }

  private crashLog(d: DeployState, p: PodState, at: string): string[] {
    const line = (level: string, logger: string, msg: string): string => `${at.replace('Z', '.000Z')}  ${level.padStart(5)} 1 --- [${d.service}] [           main] ${logger.padEnd(40)} : ${msg}`;
    return [
      ...this.bootLog(d, p.tag, at),
      line('WARN', 'ConfigServletWebServerApplicationContext', "Exception encountered during context initialization - cancelling refresh attempt: org.springframework.beans.factory.BeanCreationException: Error creating bean with name 'entityManagerFactory'"),
      line('ERROR', 'o.s.boot.SpringApplication', 'Application run failed'),
      "org.springframework.beans.factory.BeanCreationException: Error creating bean with name 'entityManagerFactory': Could not create query for public abstract java.util.List",
      '\tat org.springframework.beans.factory.support.AbstractAutowireCapableBeanFactory.initializeBean(AbstractAutowireCapableBeanFactory.java:1806)',
      'Exception in thread "main" java.lang.IllegalStateException: Application run failed',
      '\tat org.springframework.boot.SpringApplication.handleRunFailure(SpringApplication.java:851)',
      '\tat org.springframework.boot.SpringApplication.run(SpringApplication.java:338)',
      `\tat com.example.${d.service}.Application.main(Application.java:12)`,
    ];
  }

  // ---------- rendering to Kubernetes objects ----------

  private putIfChanged(type: string, obj: KObj): KObj {
    const cur = this.store.get(type, obj.metadata.namespace, obj.metadata.name);
    if (cur) {
      const strip = (o: KObj): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, uid: undefined, creationTimestamp: undefined } });
      if (strip(cur) === strip(obj)) return cur;
    }
    return this.store.put(type, obj);
  }

  private podTemplate(d: DeployState, tag: string, hash?: string): KObj {
    const port = this.scenario.services[d.service]?.port ?? 8080;
    return {
      metadata: { labels: { app: d.service, ...(hash ? { 'pod-template-hash': hash } : {}) }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/actuator/prometheus' } },
      spec: {
        containers: [{
          name: d.service, image: this.imageOf(d.service, tag) + (d.digest && tag === d.tag ? `@${d.digest}` : ''), imagePullPolicy: 'IfNotPresent',
          ports: [{ containerPort: port, name: 'http', protocol: 'TCP' }],
          env: [{ name: 'SPRING_PROFILES_ACTIVE', value: d.env }],
          resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
          readinessProbe: { httpGet: { path: '/actuator/health/readiness', port, scheme: 'HTTP' }, periodSeconds: 5, failureThreshold: 3, successThreshold: 1, timeoutSeconds: 1 },
          livenessProbe: { httpGet: { path: '/actuator/health/liveness', port, scheme: 'HTTP' }, periodSeconds: 10, failureThreshold: 3, successThreshold: 1, timeoutSeconds: 1 },
          terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
        }],
        restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', securityContext: {},
      },
    };
  }

  private conditions(d: DeployState): KObj['status'] {
    const current = d.rsets.find((r) => r.tag === d.tag && r.digest === d.digest);
    const all = d.rsets.flatMap((r) => r.pods);
    const upd = current?.pods ?? [];
    const ready = all.filter((p) => p.ready).length;
    const complete = upd.length === d.replicas && upd.every((p) => p.ready) && all.length === upd.length;
    const progressing = d.failedDeadline
      ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${current?.name}" has timed out progressing.` }
      : complete
        ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${current?.name}" has successfully progressed.` }
        : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${current?.name}" is progressing.` };
    const available = ready >= d.replicas
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
    return {
      observedGeneration: d.observedGeneration,
      replicas: all.length,
      updatedReplicas: upd.length,
      readyReplicas: ready || undefined,
      availableReplicas: ready || undefined,
      unavailableReplicas: all.length - ready > 0 ? all.length - ready : undefined,
      conditions: [
        { ...available, lastUpdateTime: d.lastUpdate, lastTransitionTime: d.lastUpdate },
        { ...progressing, lastUpdateTime: d.lastUpdate, lastTransitionTime: d.progressingSince },
      ],
    };
  }

  /** Writes the Deployment, its ReplicaSets and Pods into the store. */
  render(d: DeployState): void {
    const prev = this.store.get(T.deployments, d.ns, d.name);
    const dep = this.putIfChanged(T.deployments, {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { ...(prev?.metadata ?? {}), name: d.name, namespace: d.ns, generation: d.generation, labels: { app: d.service, 'app.kubernetes.io/instance': this.appName(d.service, d.env) }, annotations: { 'deployment.kubernetes.io/revision': String(d.revision) } },
      spec: {
        replicas: d.replicas, selector: { matchLabels: { app: d.service } }, template: this.podTemplate(d, d.tag),
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        revisionHistoryLimit: 10, progressDeadlineSeconds: Math.max(1, Math.ceil(this.scenario.timing.progressDeadlineSeconds)),
      },
      status: this.conditions(d),
    });
    const owner = (kind: string, o: KObj): Record<string, unknown>[] => [{ apiVersion: 'apps/v1', kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true }];
    for (const rs of d.rsets) {
      const ready = rs.pods.filter((p) => p.ready).length;
      const rsObj = this.putIfChanged(T.replicasets, {
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: { name: rs.name, namespace: d.ns, labels: { app: d.service, 'pod-template-hash': rs.hash }, annotations: { 'deployment.kubernetes.io/revision': String(rs.revision), 'deployment.kubernetes.io/desired-replicas': String(d.replicas), 'deployment.kubernetes.io/max-replicas': String(d.replicas + 1) }, ownerReferences: owner('Deployment', dep), generation: 1 },
        spec: { replicas: rs.replicas, selector: { matchLabels: { app: d.service, 'pod-template-hash': rs.hash } }, template: this.podTemplate(d, rs.tag, rs.hash) },
        status: { replicas: rs.pods.length, fullyLabeledReplicas: rs.pods.length || undefined, readyReplicas: ready || undefined, availableReplicas: ready || undefined, observedGeneration: 1 },
      });
      rs.uid = rsObj.metadata.uid;
      for (const p of rs.pods) this.putIfChanged(T.pods, this.podObject(d, rs, rsObj, p));
    }
    // pods that are gone
    for (const pod of this.store.list(T.pods, d.ns)) {
      if (pod.metadata.labels?.app !== d.service) continue;
      if (!d.rsets.some((r) => r.pods.some((p) => p.name === pod.metadata.name))) this.store.delete(T.pods, d.ns, pod.metadata.name);
    }
    this.events.emit('deployment-updated', { env: d.env, service: d.service, deployment: this.store.get(T.deployments, d.ns, d.name) });
  }

  private podObject(d: DeployState, rs: RsState, rsObj: KObj, p: PodState): KObj {
    const tpl = this.podTemplate(d, rs.tag, rs.hash);
    const cond = (type: string, ok: boolean): Record<string, unknown> => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: p.startedAt ?? p.createdAt, ...(ok ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${d.service}]` }) });
    const state = p.waiting ? { waiting: p.waiting } : p.startedAt ? { running: { startedAt: p.startedAt } } : { waiting: { reason: 'ContainerCreating' } };
    const digest = rs.digest ?? this.registry.find(d.service, { imageTag: rs.tag })?.digest;
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: p.name, namespace: d.ns, uid: p.uid, generateName: `${rs.name}-`, labels: tpl.metadata.labels, annotations: tpl.metadata.annotations, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.name, uid: rsObj.metadata.uid, controller: true, blockOwnerDeletion: true }], creationTimestamp: p.createdAt },
      spec: { ...tpl.spec, nodeName: 'sandbox-node-1', serviceAccountName: 'default' },
      status: {
        phase: p.phase,
        conditions: [cond('Initialized', true), cond('Ready', p.ready), cond('ContainersReady', p.ready), cond('PodScheduled', true)],
        hostIP: '172.18.0.2', podIP: `10.244.0.${(parseInt(crypto.createHash('md5').update(p.name).digest('hex').slice(0, 2), 16) % 250) + 2}`,
        startTime: p.createdAt, qosClass: 'Burstable',
        containerStatuses: [{
          name: d.service, image: this.imageOf(d.service, rs.tag) + (rs.digest ? `@${rs.digest}` : ''), imageID: digest && !p.waiting?.reason.includes('Image') ? `${this.registry.imageRef(d.service)}@${digest}` : '',
          ready: p.ready, started: Boolean(p.startedAt) && !p.waiting, restartCount: p.restartCount, state,
          ...(p.lastTerminated ? { lastState: { terminated: p.lastTerminated } } : { lastState: {} }),
          containerID: p.startedAt ? `containerd://${crypto.createHash('sha256').update(p.name + p.restartCount).digest('hex')}` : undefined,
        }],
      },
    };
  }

  // ---------- events ----------

  recordEvent(involved: KObj, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const ns = involved.metadata.namespace ?? 'default';
    const id = crypto.createHash('sha1').update(`${involved.metadata.uid}/${reason}/${message}`).digest('hex').slice(0, 16);
    const name = `${involved.metadata.name}.${id}`;
    const ts = now();
    const existing = this.store.get(T.events, ns, name);
    if (existing) {
      existing.count = (existing.count ?? 1) + 1;
      existing.lastTimestamp = ts;
      this.store.put(T.events, existing);
      return;
    }
    this.store.put(T.events, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: { kind: involved.kind, namespace: ns, name: involved.metadata.name, uid: involved.metadata.uid, apiVersion: involved.apiVersion, resourceVersion: involved.metadata.resourceVersion, ...(involved.kind === 'Pod' ? { fieldPath: `spec.containers{${involved.spec?.containers?.[0]?.name}}` } : {}) },
      reason, message, type, count: 1, firstTimestamp: ts, lastTimestamp: ts, eventTime: null,
      source: { component, ...(component === 'kubelet' ? { host: 'sandbox-node-1' } : {}) }, reportingComponent: component, reportingInstance: component === 'kubelet' ? 'sandbox-node-1' : '',
    });
  }

  private podEvent(d: DeployState, p: PodState, type: 'Normal' | 'Warning', reason: string, message: string, component = 'kubelet'): void {
    const o = this.store.get(T.pods, d.ns, p.name);
    if (o) this.recordEvent(o, type, reason, message, component);
  }

  // ---------- rollout ----------

  /** Rolls a Deployment to a tag, like the deployment controller with maxSurge 1 / maxUnavailable 0 (25 % of 2). */
  rollout(env: string, service: string, tag: string, digest?: string): void {
    const d = this.deployment(env, service);
    if (!d || (d.tag === tag && d.digest === digest)) return;
    const token = ++d.token;
    d.tag = tag;
    d.digest = digest;
    d.generation++;
    d.revision++;
    d.failedDeadline = false;
    d.progressingSince = now();
    d.lastUpdate = d.progressingSince;
    this.render(d); // the spec changed, the controller has not observed it yet
    const step = this.scenario.timing.podReadySeconds;
    const spec = this.spec(service, tag);
    // The tag is pushed again after validation: the pods pull another digest than the one checked.
    if (spec.repushedBeforeRollout) this.registry.repoint(service, tag);
    const pullFails = spec.pullFail || !this.exists(service, tag) || (digest !== undefined && !this.registry.find(service, { imageDigest: digest }));
    const live = (): boolean => d.token === token && !this.stopped;
    this.log(`rollout ${env}/${service} → ${tag}`);
    this.after(0, () => {
      if (!live()) return;
      d.observedGeneration = d.generation;
      const rs = this.newRs(d, tag, digest);
      if (!d.rsets.includes(rs)) d.rsets.push(rs);
      const depObj = this.store.get(T.deployments, d.ns, d.name)!;
      this.render(d);
      const drainOthers = (): void => {
        for (const other of d.rsets) {
          if (other === rs || other.pods.length === 0) continue;
          const from = other.pods.length;
          other.pods = [];
          other.replicas = 0;
          this.recordEvent(depObj, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${other.name} to 0 from ${from}`, 'deployment-controller');
        }
      };
      const stepUp = (): void => {
        if (!live()) return;
        if (rs.pods.length >= d.replicas) {
          // Rolling back to a ReplicaSet that still has all its pods (the new one never became
          // available): the controller scales every other ReplicaSet to zero, and the rollout completes.
          drainOthers();
          this.render(d);
          if (rs.pods.every((p) => p.ready)) this.finishRollout(d, true);
          return;
        }
        rs.replicas = rs.pods.length + 1;
        const p = this.newPod(d, rs);
        d.lastUpdate = now();
        this.render(d);
        this.recordEvent(depObj, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.name} to ${rs.replicas}`, 'deployment-controller');
        const rsObj = this.store.get(T.replicasets, d.ns, rs.name);
        if (rsObj) this.recordEvent(rsObj, 'Normal', 'SuccessfulCreate', `Created pod: ${p.name}`, 'replicaset-controller');
        this.podEvent(d, p, 'Normal', 'Scheduled', `Successfully assigned ${d.ns}/${p.name} to sandbox-node-1`, 'default-scheduler');
        this.podEvent(d, p, 'Normal', 'Pulling', `Pulling image "${this.imageOf(service, tag)}"`);
        if (pullFails) return this.pullFailLoop(d, p, live);
        this.podEvent(d, p, 'Normal', 'Pulled', `Successfully pulled image "${this.imageOf(service, tag)}" in 1.204s (1.204s including waiting). Image size 83886080 bytes.`);
        this.podEvent(d, p, 'Normal', 'Created', `Created container ${service}`);
        this.podEvent(d, p, 'Normal', 'Started', `Started container ${service}`);
        if (spec.crashLoop) return this.crashLoop(d, p, live);
        p.phase = 'Running';
        p.startedAt = now();
        this.render(d);
        this.after(step, () => {
          if (!live()) return;
          this.startPodOk(d, p);
          d.lastUpdate = now();
          // scale an old ReplicaSet down by one
          const old = d.rsets.find((r) => r !== rs && r.pods.length > 0);
          if (old) {
            const victim = old.pods.pop()!;
            old.replicas = old.pods.length;
            this.recordEvent(depObj, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${old.name} to ${old.replicas} from ${old.replicas + 1}`, 'deployment-controller');
            const oldObj = this.store.get(T.replicasets, d.ns, old.name);
            if (oldObj) this.recordEvent(oldObj, 'Normal', 'SuccessfulDelete', `Deleted pod: ${victim.name}`, 'replicaset-controller');
          }
          if (rs.pods.length >= d.replicas) drainOthers();
          this.render(d);
          if (rs.pods.length < d.replicas) this.after(step, stepUp);
          else this.finishRollout(d, true);
        });
      };
      this.after(0, stepUp);
      this.after(this.scenario.timing.progressDeadlineSeconds, () => {
        if (!live()) return;
        const current = d.rsets.find((r) => r.tag === d.tag && r.digest === d.digest);
        const done = current && current.pods.length === d.replicas && current.pods.every((p) => p.ready);
        if (done) return;
        d.failedDeadline = true;
        d.lastUpdate = now();
        this.render(d);
        this.recordEvent(this.store.get(T.deployments, d.ns, d.name)!, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${d.name}" has timed out progressing.`, 'deployment-controller');
        this.finishRollout(d, false);
      });
    });
  }

  private finishRollout(d: DeployState, ok: boolean): void {
    if (d.rsets.length > 10) d.rsets = d.rsets.filter((r, i) => r.pods.length > 0 || i >= d.rsets.length - 10);
    this.render(d);
    this.log(`rollout ${d.env}/${d.service} ${ok ? 'complete' : 'failed'} (${d.tag})`);
    this.events.emit('rollout-finished', { env: d.env, service: d.service, tag: d.tag, ok });
  }

  private crashLoop(d: DeployState, p: PodState, live: () => boolean): void {
    const tick = Math.max(this.scenario.timing.podReadySeconds, 0.05);
    const crash = (): void => {
      if (!live() || p.restartCount >= 12) return;
      const at = now();
      p.previousLogs = this.crashLog(d, p, p.startedAt ?? at);
      p.lastTerminated = { exitCode: 1, reason: 'Error', startedAt: p.startedAt ?? at, finishedAt: at };
      p.phase = 'Running';
      if (p.startedAt) p.restartCount++;
      p.startedAt = at;
      p.logs = this.crashLog(d, p, at);
      p.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${Math.min(10 * 2 ** p.restartCount, 300)}s restarting failed container=${d.service} pod=${p.name}_${d.ns}(${p.uid})` };
      p.ready = false;
      this.render(d);
      this.podEvent(d, p, 'Warning', 'BackOff', 'Back-off restarting failed container ' + d.service + ' in pod ' + p.name + '_' + d.ns + '(' + p.uid + ')');
      this.after(tick, crash);
    };
    p.startedAt = now();
    p.phase = 'Running';
    this.render(d);
    this.after(tick, crash);
  }

  private pullFailLoop(d: DeployState, p: PodState, live: () => boolean): void {
    const image = this.imageOf(d.service, p.tag);
    p.waiting = { reason: 'ErrImagePull', message: `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": ${image}: not found` };
    this.render(d);
    this.podEvent(d, p, 'Warning', 'Failed', `Failed to pull image "${image}": ${p.waiting.message}`);
    this.podEvent(d, p, 'Warning', 'Failed', 'Error: ErrImagePull');
    this.after(Math.max(this.scenario.timing.podReadySeconds, 0.05), () => {
      if (!live()) return;
      p.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` };
      this.render(d);
      this.podEvent(d, p, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.podEvent(d, p, 'Warning', 'Failed', 'Error: ImagePullBackOff');
    });
  }

  // ---------- what pods serve ----------

  /** Tag whose pods answer the Service (newest ready pod), or undefined when no pod is ready. */
  servingTag(env: string, service: string): string | undefined {
    const d = this.deployment(env, service);
    if (!d) return undefined;
    const ready = d.rsets.flatMap((r) => r.pods).filter((p) => p.ready);
    ready.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return ready.length ? ready[ready.length - 1].tag : undefined;
  }

  readyPods(env: string, service: string): { name: string; tag: string; restarts: number }[] {
    const d = this.deployment(env, service);
    return (d?.rsets.flatMap((r) => r.pods) ?? []).filter((p) => p.ready).map((p) => ({ name: p.name, tag: p.tag, restarts: p.restartCount }));
  }

  allPods(env: string, service: string): { name: string; tag: string; restarts: number; ready: boolean }[] {
    const d = this.deployment(env, service);
    return (d?.rsets.flatMap((r) => r.pods) ?? []).map((p) => ({ name: p.name, tag: p.tag, restarts: p.restartCount, ready: p.ready }));
  }

  envOfNamespace(ns: string): string | undefined {
    return this.scenario.envOrder.find((e) => this.scenario.namespaces[e] === ns);
  }

  /** Current error ratio of a service (mean over ready pods), undefined without traffic. */
  errorRatio(env: string, service: string): number | undefined {
    const pods = this.readyPods(env, service);
    if (!pods.length) return undefined;
    return pods.reduce((a, p) => a + (this.spec(service, p.tag).errorRate ?? 0), 0) / pods.length;
  }

  /** Counters of simulated traffic per pod, advanced to now (deterministic given elapsed time). */
  trafficCounters(env: string, service: string): { pod: string; tag: string; total: number; errors: number; seconds: number; actuator: number; restarts: number }[] {
    const d = this.deployment(env, service);
    if (!d) return [];
    const t = Date.now();
    const pods = d.rsets.flatMap((r) => r.pods);
    const ready = pods.filter((p) => p.ready);
    const rps = this.scenario.trafficRps / Math.max(1, ready.length);
    return pods.map((p) => {
      const key = `${d.ns}/${p.name}`;
      let c = this.traffic.get(key);
      if (!c) {
        // Seed a started pod with a few minutes of history so rate() has data right away.
        const seed = p.ready ? 300 * rps : 0;
        const er = this.spec(service, p.tag).errorRate ?? 0;
        c = { total: seed, errors: seed * er, seconds: seed * 0.045, actuator: p.ready ? 60 : 0, at: t };
        this.traffic.set(key, c);
      }
      if (p.ready) {
        const dt = (t - c.at) / 1000;
        const er = this.spec(service, p.tag).errorRate ?? 0;
        c.total += rps * dt;
        c.errors += rps * dt * er;
        c.seconds += rps * dt * (0.04 + er * 0.2);
        c.actuator += dt / 5;
      }
      c.at = t;
      return { pod: p.name, tag: p.tag, total: c.total, errors: c.errors, seconds: c.seconds, actuator: c.actuator, restarts: p.restartCount };
    });
  }

  podLogs(ns: string, pod: string): { container: string; logs: string[]; previous?: string[] } | undefined {
    for (const d of this.deploys.values()) {
      if (d.ns !== ns) continue;
      for (const rs of d.rsets) for (const p of rs.pods) if (p.name === pod) return { container: d.service, logs: p.logs, previous: p.previousLogs };
    }
    return undefined;
  }

  podUsage(ns: string): { name: string; container: string; labels: Record<string, string>; cpuMilli: number; memoryMi: number; startedAt: string }[] {
    const out: { name: string; container: string; labels: Record<string, string>; cpuMilli: number; memoryMi: number; startedAt: string }[] = [];
    for (const d of this.deploys.values()) {
      if (d.ns !== ns) continue;
      for (const rs of d.rsets) for (const p of rs.pods) {
        if (!p.startedAt || p.waiting) continue;
        const s = this.spec(d.service, p.tag);
        const jitter = parseInt(crypto.createHash('md5').update(p.name).digest('hex').slice(0, 2), 16) % 20;
        out.push({ name: p.name, container: d.service, labels: { app: d.service, 'pod-template-hash': rs.hash }, cpuMilli: (s.cpuMilli ?? 120) + jitter, memoryMi: (s.memoryMi ?? 300) + jitter, startedAt: p.startedAt });
      }
    }
    return out;
  }

  // ---------- Argo CD ----------

  get headSha(): string {
    return this.head;
  }

  private readHead(): string | undefined {
    try {
      return fs.readFileSync(path.join(this.originDir, 'refs/heads/main'), 'utf8').trim();
    } catch {
      try {
        const packed = fs.readFileSync(path.join(this.originDir, 'packed-refs'), 'utf8');
        return /^([0-9a-f]{40}) refs\/heads\/main$/m.exec(packed)?.[1];
      } catch {
        return undefined;
      }
    }
  }

  private watchOrigin(): void {
    const check = (): void => {
      if (this.stopped) return;
      const h = this.readHead();
      if (h && h !== this.head) {
        this.head = h;
        this.log(`origin main → ${h.slice(0, 8)}`);
        this.events.emit('origin-moved', { sha: h });
        for (const app of this.store.list(T.applications, 'argocd')) this.enqueue(app.metadata.name, { automated: true });
      }
    };
    this.headPoll = setInterval(check, 50);
    this.headPoll.unref();
    try {
      this.watcher = fs.watch(path.join(this.originDir, 'refs', 'heads'), () => check());
      this.watcher.on('error', () => undefined);
    } catch {
      // polling is enough
    }
  }

  private appKey(name: string): AppKey | undefined {
    for (const env of this.scenario.envOrder) for (const service of Object.keys(this.scenario.environments[env])) if (this.appName(service, env) === name) return { env, service };
    return undefined;
  }

  private onChange(ev: WatchEvent): void {
    if (ev.type_ !== T.applications) return;
    this.events.emit('app-updated', ev.object);
    if (ev.type === 'DELETED') return;
    const o = ev.object;
    const refresh = o.metadata.annotations?.['argocd.argoproj.io/refresh'];
    if (o.operation) {
      const op = o.operation;
      this.store.update(T.applications, 'argocd', o.metadata.name, (a) => {
        delete a.operation;
      });
      this.enqueue(o.metadata.name, { operation: op });
    } else if (refresh) {
      this.enqueue(o.metadata.name, { refresh: String(refresh) });
    }
  }

  private enqueue(name: string, why: { automated?: boolean; refresh?: string; operation?: any }): void {
    const prev = this.appChains.get(name) ?? Promise.resolve();
    const next = prev.then(() => this.reconcile(name, why)).catch((e: unknown) => this.log(`argocd ${name}: ${(e as Error).message}`));
    this.appChains.set(name, next);
  }

  private async resolveRevision(rev: string | undefined): Promise<string | undefined> {
    if (!rev || rev === 'HEAD' || rev === 'main') return this.readHead();
    try {
      return (await git(['--git-dir', this.originDir, 'rev-parse', '--verify', `${rev}^{commit}`])).trim();
    } catch {
      return undefined;
    }
  }

  private patchApp(name: string, fn: (a: KObj) => void): KObj | undefined {
    return this.store.update(T.applications, 'argocd', name, (a) => {
      a.status = a.status ?? {};
      fn(a);
    });
  }

  private async reconcile(name: string, why: { automated?: boolean; refresh?: string; operation?: any }): Promise<void> {
    if (this.stopped) return;
    const key = this.appKey(name);
    const app = this.store.get(T.applications, 'argocd', name);
    if (!key || !app) return;
    const requested = why.operation?.sync?.revision ?? (why.operation ? app.spec?.source?.targetRevision : undefined);
    const sha = await this.resolveRevision(requested);
    const clearRefresh = (a: KObj): void => {
      if (a.metadata.annotations) {
        delete a.metadata.annotations['argocd.argoproj.io/refresh'];
        if (Object.keys(a.metadata.annotations).length === 0) delete a.metadata.annotations;
      }
    };
    if (!sha) {
      this.patchApp(name, (a) => {
        clearRefresh(a);
        const msg = `rpc error: code = Unknown desc = unable to resolve '${requested}' to a commit SHA`;
        a.status.conditions = [{ type: 'ComparisonError', message: msg, lastTransitionTime: now() }];
        a.status.sync = { ...(a.status.sync ?? {}), status: 'Unknown' };
        if (why.operation) a.status.operationState = { operation: why.operation, phase: 'Error', message: msg, startedAt: now(), finishedAt: now() };
        a.status.reconciledAt = now();
      });
      return;
    }
    const text = await showFile(this.originDir, sha, valuesFile(key.env));
    const desired = text === undefined ? undefined : tagFromValues(text, key.service);
    const pinned = text === undefined ? undefined : digestFromValues(text, key.service);
    const d = this.deployment(key.env, key.service)!;
    if (desired === undefined) {
      this.patchApp(name, (a) => {
        clearRefresh(a);
        a.status.conditions = [{ type: 'ComparisonError', message: `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${valuesFile(key.env)}: image tag for ${key.service} not found`, lastTransitionTime: now() }];
        a.status.sync = { ...(a.status.sync ?? {}), status: 'Unknown', revision: sha };
        a.status.reconciledAt = now();
      });
      return;
    }
    const inSync = desired === d.tag && pinned === d.digest;
    this.patchApp(name, (a) => {
      clearRefresh(a);
      a.status.conditions = (a.status.conditions ?? []).filter((c: any) => c.type !== 'ComparisonError');
      if (!a.status.conditions.length) delete a.status.conditions;
      a.status.sync = { ...(a.status.sync ?? {}), status: inSync ? 'Synced' : 'OutOfSync', revision: sha };
      a.status.reconciledAt = now();
    });
    const automated = Boolean(app.spec?.syncPolicy?.automated);
    if (why.operation || (!inSync && automated)) await this.runSync(name, key, sha, desired, why.operation, pinned);
  }

  private async runSync(name: string, key: AppKey, sha: string, tag: string, operation: any, digest?: string): Promise<void> {
    const spec = this.spec(key.service, tag);
    const op = operation ?? { sync: { revision: sha }, initiatedBy: { automated: true }, retry: { limit: 5 } };
    const startedAt = now();
    const source = this.store.get(T.applications, 'argocd', name)?.spec?.source;
    this.patchApp(name, (a) => {
      a.status.operationState = { operation: op, phase: 'Running', message: 'one or more tasks are running', startedAt, syncResult: { revision: sha, source } };
    });
    this.events.emit('sync-started', { app: name, ...key, revision: sha, tag });
    this.log(`argocd ${name}: syncing ${sha.slice(0, 8)} (${tag})`);
    await this.sleep(spec.syncSeconds ?? this.scenario.timing.syncSeconds);
    if (this.stopped) return;
    const finishedAt = now();
    if (spec.syncFail) {
      const message = `one or more objects failed to apply, reason: admission webhook "validate.kyverno.svc-fail" denied the request: resource Deployment/${this.scenario.namespaces[key.env]}/${key.service}-deployment was blocked due to the following policies: require-resource-limits`;
      this.patchApp(name, (a) => {
        a.status.operationState = { ...a.status.operationState, phase: 'Failed', message, finishedAt, syncResult: { revision: sha, source, resources: [{ ...this.syncedResource(key.env, key.service), status: 'SyncFailed', message, hookPhase: 'Failed' }] } };
        a.status.conditions = [{ type: 'SyncError', message: `Failed sync attempt to ${sha}: ${message}`, lastTransitionTime: finishedAt }];
        a.status.reconciledAt = finishedAt;
      });
      this.events.emit('sync-finished', { app: name, ...key, revision: sha, phase: 'Failed' });
      return;
    }
    const dep = this.deployment(key.env, key.service)!;
    const changed = dep.tag !== tag || dep.digest !== digest;
    this.rollout(key.env, key.service, tag, digest);
    this.patchApp(name, (a) => {
      a.status.operationState = { ...a.status.operationState, phase: 'Succeeded', message: 'successfully synced (all tasks run)', finishedAt, syncResult: { revision: sha, source, resources: [{ ...this.syncedResource(key.env, key.service), hookPhase: 'Succeeded' }] } };
      a.status.sync = { ...(a.status.sync ?? {}), status: 'Synced', revision: sha };
      const history: any[] = a.status.history ?? [];
      history.push({ id: (history[history.length - 1]?.id ?? -1) + 1, revision: sha, deployedAt: finishedAt, deployStartedAt: startedAt, source, initiatedBy: op.initiatedBy });
      a.status.history = history.slice(-10);
      a.status.conditions = (a.status.conditions ?? []).filter((c: any) => c.type !== 'SyncError');
      if (!a.status.conditions.length) delete a.status.conditions;
      a.status.summary = { images: [this.imageOf(key.service, tag)] };
      if (changed) a.status.health = { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
      a.status.reconciledAt = finishedAt;
    });
    this.events.emit('sync-finished', { app: name, ...key, revision: sha, phase: 'Succeeded' });
    if (!changed) return;
    // Follow the rollout: health from the Deployment (gitops-engine's deployment health rules).
    await new Promise<void>((resolve) => {
      const update = (): boolean => {
        const dep = this.store.get(T.deployments, this.scenario.namespaces[key.env], `${key.service}-deployment`);
        if (!dep) return true;
        const h = deploymentHealth(dep);
        this.patchApp(name, (a) => {
          a.status.health = h.message ? h : { status: h.status };
          a.status.resources = [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: dep.metadata.namespace, name: dep.metadata.name, status: 'Synced', health: a.status.health }];
          a.status.reconciledAt = now();
        });
        return h.status !== 'Progressing';
      };
      const listener = (e: { env: string; service: string }): void => {
        if (e.env !== key.env || e.service !== key.service) return;
        if (update() || this.stopped) {
          this.events.off('deployment-updated', listener);
          resolve();
        }
      };
      this.events.on('deployment-updated', listener);
      if (update()) {
        this.events.off('deployment-updated', listener);
        resolve();
      }
    });
    const final = this.store.get(T.applications, 'argocd', name);
    this.events.emit('app-health', { app: name, ...key, revision: sha, health: final?.status?.health?.status });
  }

  // ---------- lifecycle ----------

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.headPoll) clearInterval(this.headPoll);
    this.watcher?.close();
    this.events.emit('stopped');
  }
}

export function deploymentHealth(dep: KObj): { status: string; message?: string } {
  const st = dep.status ?? {};
  const specReplicas = dep.spec?.replicas ?? 1;
  const progressing = (st.conditions ?? []).find((c: any) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { status: 'Degraded', message: `Deployment "${dep.metadata.name}" exceeded its progress deadline` };
  if ((dep.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) return { status: 'Progressing', message: 'Waiting for rollout to finish: observed deployment generation less than desired generation' };
  const updated = st.updatedReplicas ?? 0;
  const replicas = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  if (updated < specReplicas) return { status: 'Progressing', message: `Waiting for rollout to finish: ${updated} out of ${specReplicas} new replicas have been updated...` };
  if (replicas > updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination...` };
  if (available < updated) return { status: 'Progressing', message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { status: 'Healthy' };
}

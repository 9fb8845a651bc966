import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { EventEmitter } from 'node:events';
import YAML from 'yaml';
import { listen, sendJson, sendText, type Listening } from './http';
import { Faults, type FaultSpec } from './faults';
import { KubeApi } from './kube/server';
import { KubeAuth, PLUGIN_SCRIPT, type IssuedToken } from './kube/auth';
import { createServerPki } from './pki';
import { EcrApi } from './ecr';
import { OciApi } from './oci';
import { FakePrometheus, startRealPrometheus, type RealPrometheus } from './prometheus';
import { GithubApi } from './github';
import { installBranchProtection, normalizeGithub } from './pulls';
import { ArgoCdApiServer } from './argocdApi';
import { Registry, generateKeys, REGION, type KeyPair } from './registry';
import { LocalSigstore } from './sigstore';
import { createRepo } from './repo';
import { actuatorHealth, metricsText } from './services';
import { World } from './world';
import { T } from './kube/types';
import type { KObj } from './kube/store';
import { loadScenarioFile, normalizeScenario, type ImageSpec, type NormalizedScenario, type PushSpec, type Scenario } from './scenario';

export type { Scenario, NormalizedScenario, ImageSpec, ServiceSpec, Timing, SeedRecord, PushSpec } from './scenario';
export { DEMO_SCENARIO, loadScenarioFile, normalizeScenario } from './scenario';
export { startRealPrometheus } from './prometheus';
export { SANDBOX_GIT_IDENTITY } from './git';

export interface SandboxOptions {
  dir: string;
  /** A scenario object or a YAML file path; the demo world without one. */
  scenario?: Scenario | string;
  /** Overrides timing.syncSeconds (milliseconds). */
  syncDelayMs?: number;
  /** Overrides timing.podReadySeconds (milliseconds). */
  readyDelayMs?: number;
  /** All delays 0 (tests). */
  fast?: boolean;
  /** Use the real /usr/bin/prometheus scraping the sandbox as verification.prometheusUrl. */
  realPrometheus?: boolean;
  /** Lifetime of the tokens the exec credential plugin issues (default 900 s, as EKS's). */
  kubeTokenTtlSeconds?: number;
  log?: (s: string) => void;
}

export interface SandboxEndpoints {
  /** https://127.0.0.1:PORT, a certificate of the sandbox's own CA (kubeCaPem). */
  kubernetes: string;
  ecr: string;
  /** Base for layer downloads handed out by GetDownloadUrlForLayer. */
  layers: string;
  /** The prometheusUrl in the config: the fake API, or the real Prometheus with realPrometheus. */
  prometheus: string;
  /** The fake Prometheus API (always running). */
  fakePrometheus: string;
  github: string;
  /** The OCI distribution API over the same images (registry.type: oci). */
  oci: string;
  /** Service endpoints: /metrics (all) and /{env}/{service}/actuator/health, /{env}/{service}/metrics. */
  services: string;
  /** argocd.cluster: separate — the management cluster's API server (https, same CA), serving only the Applications. */
  kubernetesMgmt?: string;
  /** argocd.api: true — the Argo CD API server stand-in (https, same CA, bearer token). */
  argocd?: string;
}

export type FaultApi = 'kubernetes' | 'ecr' | 'github' | 'prometheus';

/**
 * Named faults for the "cannot observe" cases: the Argo CD watch fails while GETs work; Prometheus
 * answers 503; the Kubernetes API refuses the token (expired: 401); the health route is missing (404);
 * the Argo CD API server's streams break right after their first events (scenario argocd.api).
 */
export type FaultSwitch = 'argocd-watch-fails' | 'prometheus-503' | 'kube-token-expired' | 'health-route-missing' | 'kube-exec-plugin-fails' | 'argocd-stream-breaks';
export const FAULT_SWITCHES: readonly FaultSwitch[] = ['argocd-watch-fails', 'prometheus-503', 'kube-token-expired', 'health-route-missing', 'kube-exec-plugin-fails', 'argocd-stream-breaks'];

export interface Sandbox {
  dir: string;
  repoDir: string;
  originDir: string;
  kubeconfigPath: string;
  cosignPubPath: string;
  /** PEM of the untrusted key (signedBy: untrusted). */
  untrustedPublicKeyPem: string;
  trustedPublicKeyPem: string;
  /** Context of the exec-plugin user (the kubeconfig's current context). */
  kubeContext: string;
  /** Context of the second user, who has a static token (kubeToken). */
  kubeTokenContext: string;
  kubeToken: string;
  /** PEM of the CA that signed the Kubernetes API server's certificate (also DIR/pki/ca.crt). */
  kubeCaPem: string;
  /** argocd.cluster: separate — the kube context of the management cluster holding the Applications (sandbox-mgmt). */
  kubeMgmtContext?: string;
  /**
   * argocd.api: true — the Argo CD API server stand-in: its URL, the token it accepts, the folder of the
   * argocd CLI configuration written for it (ARGOCD_CONFIG_DIR: DIR/argocd/config), and its counters.
   */
  argocdApi?: { url: string; token: string; configDir: string; server: ArgoCdApiServer };
  /** Every token of the exec plugin that authenticated a request so far. */
  kubeTokensSeen(): IssuedToken[];
  /** The API server refuses every plugin token issued until now (401, as expired); fresh ones work. */
  expireKubeTokens(): void;
  githubToken: string;
  github: { owner: string; repo: string; api: GithubApi };
  endpoints: SandboxEndpoints;
  /** Environment variables for clients (also written to DIR/sandbox.env). */
  env: Record<string, string>;
  /** 'app-updated' (Application), 'deployment-updated' {env,service,deployment}, 'rollout-finished' {env,service,tag,ok},
   * 'sync-started' / 'sync-finished' {app,env,service,revision,phase?}, 'app-health' {app,env,service,revision,health},
   * 'origin-moved' {sha}, 'run-updated' (workflow run JSON), 'deployment-created', 'deployment-status', 'stopped'. */
  events: EventEmitter;
  world: World;
  registry: Registry;
  scenario: NormalizedScenario;
  pids: Record<string, number>;
  /** Replaces images, timing and faults (environments and namespaces stay). */
  setScenario(s: Scenario): void;
  setFault(api: FaultApi, key: string, spec: FaultSpec | null): void;
  /**
   * A build pushes a new tag now (also `POST {endpoints.ecr}/sandbox/push` with `{service, tag, …ImageSpec}`);
   * emits 'image-pushed' {service, tag, digest, pushedAt}. Throws for a tag that exists (the repositories are immutable).
   */
  pushImage(service: string, tag: string, spec?: ImageSpec): { digest: string; pushedAt: string };
  /** Turns a named fault on or off. */
  faultSwitch(name: FaultSwitch, on: boolean): void;
  /** Denies (or allows again) a permission, "verb resource[.group]" (e.g. "patch applications.argoproj.io"): 403 and SelfSubjectAccessReview allowed:false. */
  denyPermission(rule: string, on?: boolean): void;
  /** Resolves with the first event (args[0]) that satisfies pred; rejects after timeoutMs. */
  waitFor<X = any>(event: string, pred?: (x: X) => boolean, timeoutMs?: number): Promise<X>;
  /** Current Application object of service-env. */
  app(service: string, env: string): KObj | undefined;
  headSha(): string;
  stop(): Promise<void>;
}

/**
 * The kubeconfig a cloud CLI would write (cf. `aws eks update-kubeconfig`): HTTPS with the CA's data, the
 * exec credential plugin as the current user, and a second user with a static token.
 */
function kubeconfig(server: string, caPem: string, caFile: string, token: string, authDir: string, ttlSeconds: number, mgmtServer?: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return YAML.stringify({
    apiVersion: 'v1', kind: 'Config', preferences: {},
    clusters: [{ name: 'sandbox', cluster: { server, 'certificate-authority-data': ca } }, ...(mgmtServer ? [{ name: 'sandbox-mgmt', cluster: { server: mgmtServer, 'certificate-authority-data': ca } }] : [])],
    users: [
      {
        name: 'sandbox-user',
        user: {
          // v1beta1 as EKS writes it; every kubectl since 1.11 (Debian 12's is 1.20) and client-node know it.
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: process.execPath,
            args: [PLUGIN_SCRIPT, 'get-token', '--cluster-name', 'sandbox', '--user', 'sandbox-user', '--server', server, '--ca-file', caFile, '--state', authDir, '--ttl-seconds', String(ttlSeconds)],
          },
        },
      },
      { name: 'sandbox-token', user: { token } },
    ],
    contexts: [
      { name: 'sandbox', context: { cluster: 'sandbox', user: 'sandbox-user', namespace: 'default' } },
      { name: 'sandbox-token', context: { cluster: 'sandbox', user: 'sandbox-token', namespace: 'default' } },
      // The management cluster (Argo CD and its Applications), reached by the same user, as with one SSO.
      ...(mgmtServer ? [{ name: 'sandbox-mgmt', context: { cluster: 'sandbox-mgmt', user: 'sandbox-user', namespace: 'argocd' } }] : []),
    ],
    'current-context': 'sandbox',
  });
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const log = opts.log ?? ((): void => undefined);
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true });
  const raw = typeof opts.scenario === 'string' ? loadScenarioFile(opts.scenario) : opts.scenario;
  const timing = opts.fast ? { podReadySeconds: 0, syncSeconds: 0, runStepSeconds: 0, progressDeadlineSeconds: 0.3 } : {};
  const scenario = normalizeScenario(raw, {
    ...timing,
    ...(opts.syncDelayMs !== undefined ? { syncSeconds: opts.syncDelayMs / 1000 } : {}),
    ...(opts.readyDelayMs !== undefined ? { podReadySeconds: opts.readyDelayMs / 1000 } : {}),
  });
  if (opts.fast && raw?.timing?.progressDeadlineSeconds !== undefined) scenario.timing.progressDeadlineSeconds = raw.timing.progressDeadlineSeconds;
  const keys = generateKeys();
  // The local Fulcio/Rekor listens before the registry signs its bundles against it.
  const sigstore = await LocalSigstore.create();
  const sigstoreServer = await listen(sigstore.handle, log, 'sigstore');
  sigstore.setUrl(sigstoreServer.url);
  const registry = new Registry(scenario, keys, sigstore);
  const faults: Record<FaultApi, Faults> = {
    kubernetes: new Faults(scenario.faults.kubernetes),
    ecr: new Faults(scenario.faults.ecr),
    github: new Faults(scenario.faults.github),
    prometheus: new Faults(scenario.faults.prometheus),
  };
  const kubeToken = 'sandbox-' + crypto.randomBytes(12).toString('hex');
  const switches = { kubeTokenExpired: false, healthRouteMissing: false };
  const kubeAuth = new KubeAuth(path.join(dir, 'kube-auth'), kubeToken, switches);
  const pki = await createServerPki(path.join(dir, 'pki'));
  const denied = new Set<string>();
  const githubToken = 'ghp_sandbox' + crypto.randomBytes(12).toString('hex');
  const originDir = path.join(dir, 'origin.git');
  let world: World | undefined;
  const servers: Listening[] = [sigstoreServer];
  let kubeApi: KubeApi | undefined;
  let mgmtApi: KubeApi | undefined;
  let argoApi: ArgoCdApiServer | undefined;
  let prom: FakePrometheus | undefined;
  let real: RealPrometheus | undefined;
  const notReady = (res: import('node:http').ServerResponse): void => sendText(res, 503, 'sandbox starting\n');
  try {
    const kube = await listen((req, res, body, url) => (kubeApi ? kubeApi.handle(req, res, body, url) : notReady(res)), log, 'kubernetes', { key: pki.keyPem, cert: pki.certPem });
    servers.push(kube);
    const separate = scenario.argocd.cluster === 'separate';
    const mgmt = separate ? await listen((req, res, body, url) => (mgmtApi ? mgmtApi.handle(req, res, body, url) : notReady(res)), log, 'kubernetes-mgmt', { key: pki.keyPem, cert: pki.certPem }) : undefined;
    if (mgmt) servers.push(mgmt);
    const argoServer = scenario.argocd.api ? await listen((req, res, body, url) => (argoApi ? argoApi.handle(req, res, body, url) : notReady(res)), log, 'argocd', { key: pki.keyPem, cert: pki.certPem }) : undefined;
    if (argoServer) servers.push(argoServer);
    const argoToken = 'argocd-' + crypto.randomBytes(16).toString('hex');
    const ecrApi = new EcrApi(registry, faults.ecr, () => ecr.url, log);
    const control: { pushNow?: (p: PushSpec) => { digest: string; pushedAt: string }; fault?: (name: FaultSwitch, on: boolean, afterPush: boolean) => void } = {};
    const ecr = await listen((req, res, body, url) => {
      if (url.pathname === '/sandbox/fault') {
        // The sandbox's control endpoint for a process outside it (the e2e tests): a named fault switch,
        // now or once origin next moves ({"afterPush": true}: the pre-flight sees every system healthy).
        if (req.method !== 'POST') return sendJson(res, 405, { message: `POST {name: ${FAULT_SWITCHES.join('|')}, on: boolean, afterPush?: boolean}` });
        if (!control.fault) return notReady(res);
        let input: { name?: unknown; on?: unknown; afterPush?: unknown };
        try {
          input = JSON.parse(body.toString('utf8'));
        } catch {
          return sendJson(res, 400, { message: 'body must be JSON: {name, on, afterPush?}' });
        }
        if (!FAULT_SWITCHES.includes(input?.name as FaultSwitch) || typeof input.on !== 'boolean') return sendJson(res, 400, { message: `name must be one of ${FAULT_SWITCHES.join(', ')} and on a boolean` });
        try {
          control.fault(input.name as FaultSwitch, input.on, input.afterPush === true);
        } catch (e) {
          return sendJson(res, 400, { message: (e as Error).message });
        }
        return sendJson(res, 200, { name: input.name, on: input.on, afterPush: input.afterPush === true });
      }
      if (url.pathname !== '/sandbox/push') return ecrApi.handle(req, res, body, url);
      // The sandbox's control endpoint: a build pushes one tag now.
      if (req.method !== 'POST') return sendJson(res, 405, { message: 'POST {service, tag, signed?, signedBy?, crashLoop?, health?, commit?}' });
      if (!control.pushNow) return notReady(res);
      let input: PushSpec;
      try {
        input = JSON.parse(body.toString('utf8')) as PushSpec;
      } catch {
        return sendJson(res, 400, { message: 'body must be JSON: {service, tag, …}' });
      }
      if (!input || typeof input.service !== 'string' || typeof input.tag !== 'string' || !input.tag) return sendJson(res, 400, { message: 'service and tag are required strings' });
      try {
        return sendJson(res, 201, control.pushNow(input));
      } catch (e) {
        return sendJson(res, /already exists/.test((e as Error).message) ? 409 : 400, { message: (e as Error).message });
      }
    }, log, 'ecr');
    servers.push(ecr);
    const registryPassword = 'sandbox-' + crypto.randomBytes(12).toString('hex');
    const ociApi = new OciApi(registry, { mode: () => scenario.registry.auth, username: 'sandbox', password: registryPassword }, () => oci.url, log, () => ecr.url);
    const oci = await listen(ociApi.handle, log, 'oci');
    servers.push(oci);
    const promServer = await listen((req, res, body, url) => (prom ? prom.handle(req, res, body, url) : notReady(res)), log, 'prometheus');
    servers.push(promServer);
    const gh = new GithubApi({
      owner: 'acme', repo: 'gitops', token: githubToken, user: 'sandbox-user', originDir, protectedEnvironments: scenario.protectedEnvironments, environments: scenario.envOrder,
      runStepSeconds: () => scenario.timing.runStepSeconds, faults: faults.github, baseUrl: () => github.url, log, settings: () => scenario.github,
      setSettings: (spec) => {
        scenario.github = normalizeGithub(spec);
        installBranchProtection(originDir, scenario.github);
        return scenario.github;
      },
    });
    const github = await listen(gh.handle, log, 'github');
    servers.push(github);
    const services = await listen((req, res, _body, url) => {
      if (!world) return notReady(res);
      if (url.pathname === '/metrics') return sendText(res, 200, metricsText(world), 'text/plain; version=0.0.4; charset=utf-8');
      const m = /^\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
      const env = m?.[1];
      const service = m?.[2];
      if (!m || !env || !service || !world.scenario.environments[env]?.[service]) return sendText(res, 404, '{"status":404,"error":"Not Found"}', 'application/json');
      const tag = world.servingTag(env, service);
      if (!tag) return sendText(res, 503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure\n');
      if (m[3].startsWith('/actuator/health') && switches.healthRouteMissing) return sendText(res, 404, JSON.stringify({ status: 404, error: 'Not Found', path: m[3] }), 'application/json');
      if (m[3].startsWith('/actuator/health')) {
        const h = actuatorHealth(world, service, tag, m[3].slice('/actuator/health'.length));
        return sendText(res, h.status, h.body, h.contentType);
      }
      if (m[3] === '/metrics' || m[3] === '/actuator/prometheus') return sendText(res, 200, metricsText(world, { env, service }), 'text/plain; version=0.0.4; charset=utf-8');
      return sendText(res, 404, JSON.stringify({ status: 404, error: 'Not Found', path: m[3] }), 'application/json');
    }, log, 'services');
    servers.push(services);

    if (opts.realPrometheus) real = await startRealPrometheus({ dir, scrapeTargets: [`${services.url}/metrics`], log });
    const kubeconfigPath = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfigPath, kubeconfig(kube.url, pki.caPem, pki.caFile, kubeToken, kubeAuth.stateDir, opts.kubeTokenTtlSeconds ?? 900, mgmt?.url), { mode: 0o600 });
    // What `argocd login 127.0.0.1:PORT` writes (util/localconfig): one context, server and user named by host:port.
    const argocdConfigDir = path.join(dir, 'argocd');
    const argoHost = argoServer ? `127.0.0.1:${argoServer.port}` : undefined;
    if (argoHost) {
      fs.mkdirSync(argocdConfigDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(argocdConfigDir, 'config'), YAML.stringify({
        contexts: [{ name: argoHost, server: argoHost, user: argoHost }],
        'current-context': argoHost,
        servers: [{ 'grpc-web-root-path': '', server: argoHost }],
        users: [{ 'auth-token': argoToken, name: argoHost }],
      }), { mode: 0o600 });
    }
    const cosignPubPath = path.join(dir, 'cosign.pub');
    fs.writeFileSync(cosignPubPath, keys.trusted.publicPem);
    fs.writeFileSync(path.join(dir, 'cosign-untrusted.pub'), keys.untrusted.publicPem);
    const endpoints: SandboxEndpoints = {
      kubernetes: kube.url, ecr: ecr.url, layers: `${ecr.url}/layers`, prometheus: real?.url ?? promServer.url, fakePrometheus: promServer.url, github: github.url, services: services.url, oci: oci.url,
      ...(mgmt ? { kubernetesMgmt: mgmt.url } : {}), ...(argoServer ? { argocd: argoServer.url } : {}),
    };
    // The repository's config reads the Applications where they live: the API server, else the management cluster.
    const argoConfig = argoServer ? { server: argoServer.url } : separate ? { kubeContext: 'sandbox-mgmt' } : {};
    const repoScenario = { ...scenario, config: { ...scenario.config, argocd: { ...argoConfig, ...((scenario.config as { argocd?: object }).argocd ?? {}) } } };
    const repo = await createRepo(dir, repoScenario, { ecr: ecr.url, oci: oci.url, registryType: scenario.registry.type, prometheus: endpoints.prometheus, github: github.url, kubeconfig: kubeconfigPath, context: 'sandbox', owner: 'acme', repo: 'gitops' }, keys.trusted.publicPem, (s, t) => registry.find(s, { imageTag: t })?.digest, sigstore.trustedRoot());
    // Protection goes on once the seed is pushed: from now on main moves only by a pull request's merge.
    installBranchProtection(repo.originDir, scenario.github);
    const w = new World(scenario, registry, repo.originDir, log);
    await w.init(repo.head);
    world = w;
    kubeApi = new KubeApi({ world: w, faults: faults.kubernetes, auth: kubeAuth, log, serverUrl: () => kube.url, switches, denied, serves: separate ? 'workloads' : 'all' });
    // The same store and controllers behind the management cluster's API server and Argo CD's.
    if (mgmt) mgmtApi = new KubeApi({ world: w, faults: faults.kubernetes, auth: kubeAuth, log, serverUrl: () => mgmt.url, switches, denied, serves: 'applications' });
    if (argoServer) argoApi = new ArgoCdApiServer({ store: w.store, token: argoToken, user: 'sandbox-user', namespaces: ['argocd'], denied, log });
    prom = new FakePrometheus(w, faults.prometheus);
    for (const ev of ['run-updated', 'deployment-created', 'deployment-status']) gh.events.on(ev, (...a: unknown[]) => w.events.emit(ev, ...a));
    gh.pulls.events.on('pull-request', (e: unknown) => w.events.emit('pull-request', e));
    const pushImage = (service: string, tag: string, spec: ImageSpec = {}): { digest: string; pushedAt: string } => {
      if (!/^[a-z][a-z0-9-]*$/.test(service)) throw new Error(`bad service name "${service}"`);
      if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) throw new Error(`bad tag "${tag}": a Docker tag is [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
      const { service: _s, tag: _t, afterSeconds: _a, ...image } = spec as PushSpec;
      const pushedAt = image.pushedAt ? new Date(image.pushedAt) : new Date(Math.floor(Date.now() / 1000) * 1000);
      if (Number.isNaN(pushedAt.getTime())) throw new Error(`bad pushedAt "${image.pushedAt}": an ISO time`);
      const stored = registry.push(service, tag, image, pushedAt);
      // The world reads what a tag does from the scenario; setScenario's reload keeps the push time.
      scenario.services[service] ??= { images: {} };
      scenario.services[service].images[tag] = { ...image, pushedAt: pushedAt.toISOString() };
      log(`registry: pushed ${service}:${tag} (${stored.digest})`);
      const out = { digest: stored.digest, pushedAt: pushedAt.toISOString() };
      w.events.emit('image-pushed', { service, tag, ...out });
      return out;
    };
    control.pushNow = (p) => pushImage(p.service, p.tag, p);
    // One armed switch at a time; any new call (e.g. a test's clean-up) disarms the pending one.
    let armed: (() => void) | undefined;
    control.fault = (name, on, afterPush) => {
      if (armed) w.events.off('origin-moved', armed);
      armed = undefined;
      if (!afterPush) return sandbox.faultSwitch(name, on);
      const fire = (): void => {
        armed = undefined;
        sandbox.faultSwitch(name, on);
      };
      armed = fire;
      w.events.once('origin-moved', fire);
    };
    const pushTimers = scenario.pushes.map((p) => setTimeout(() => {
      try {
        pushImage(p.service, p.tag, p);
      } catch (e) {
        log(`registry: scheduled push of ${p.service}:${p.tag} failed: ${(e as Error).message}`);
      }
    }, (p.afterSeconds ?? 0) * 1000));

    const env: Record<string, string> = {
      KUBECONFIG: kubeconfigPath, AWS_ACCESS_KEY_ID: 'AKIASANDBOXEXAMPLE', AWS_SECRET_ACCESS_KEY: 'sandbox/secret/EXAMPLEKEY', AWS_REGION: REGION, AWS_ENDPOINT_URL_ECR: ecr.url,
      GITHUB_TOKEN: githubToken, GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/gitops', PROMETHEUS_URL: endpoints.prometheus, GITOPS_SANDBOX_DIR: dir,
      // The OCI stand-in (read when the config says registry.type: oci): named from the user's side, so trusted with the credentials.
      GITOPS_DEPLOY_REGISTRY_URL: oci.url, GITOPS_DEPLOY_REGISTRY_USERNAME: 'sandbox', GITOPS_DEPLOY_REGISTRY_PASSWORD: registryPassword,
      // The Argo CD API server as the argocd CLI is pointed at it: named from the user's side (so trusted),
      // its token, the login file, and the sandbox's CA for Node's TLS.
      ...(argoHost ? { ARGOCD_SERVER: argoHost, ARGOCD_AUTH_TOKEN: argoToken, ARGOCD_CONFIG_DIR: argocdConfigDir, NODE_EXTRA_CA_CERTS: pki.caFile } : {}),
    };
    fs.writeFileSync(path.join(dir, 'sandbox.env'), Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
    const pids: Record<string, number> = { sandbox: process.pid, ...(real ? { prometheus: real.pid } : {}) };
    let stopped = false;
    const sandbox: Sandbox = {
      dir, repoDir: repo.repoDir, originDir: repo.originDir, kubeconfigPath, cosignPubPath,
      untrustedPublicKeyPem: keys.untrusted.publicPem, trustedPublicKeyPem: keys.trusted.publicPem,
      kubeContext: 'sandbox', kubeTokenContext: 'sandbox-token', kubeToken, kubeCaPem: pki.caPem,
      ...(mgmt ? { kubeMgmtContext: 'sandbox-mgmt' } : {}),
      ...(argoServer && argoApi ? { argocdApi: { url: argoServer.url, token: argoToken, configDir: argocdConfigDir, server: argoApi } } : {}),
      kubeTokensSeen: () => [...kubeAuth.seen.values()],
      expireKubeTokens: () => kubeAuth.expireIssuedTokens(),
      githubToken, github: { owner: 'acme', repo: 'gitops', api: gh }, endpoints, env,
      events: w.events, world: w, registry, scenario, pids,
      setScenario(s: Scenario) {
        const next = normalizeScenario({ ...s, environments: { ...scenario.environments, ...(s.environments ?? {}) } }, {});
        scenario.services = next.services;
        scenario.signature = next.signature;
        scenario.registry = { ...next.registry, type: scenario.registry.type };
        scenario.timing = { ...next.timing, ...(s.timing ?? {}) };
        scenario.trafficRps = next.trafficRps;
        if (s.github !== undefined) {
          scenario.github = next.github;
          installBranchProtection(repo.originDir, scenario.github);
        }
        registry.load(scenario);
        for (const api of Object.keys(faults) as FaultApi[]) {
          faults[api].clear();
          for (const [k, v] of Object.entries(next.faults[api] ?? {})) faults[api].set(k, v);
        }
      },
      setFault: (api, key, spec) => faults[api].set(key, spec),
      pushImage,
      denyPermission(rule, on = true) {
        if (on) denied.add(rule.trim());
        else denied.delete(rule.trim());
      },
      faultSwitch(name, on) {
        if (name === 'argocd-watch-fails') faults.kubernetes.set('WATCH /apis/argoproj.io/*', on ? { code: 500, message: 'sandbox: the Argo CD watch fails (fault switch argocd-watch-fails)' } : null);
        else if (name === 'prometheus-503') faults.prometheus.set('* /api/v1/*', on ? { code: 503, message: 'sandbox: Prometheus unavailable (fault switch prometheus-503)' } : null);
        else if (name === 'kube-token-expired') switches.kubeTokenExpired = on;
        else if (name === 'argocd-stream-breaks') {
          if (!argoApi) throw new Error('argocd-stream-breaks needs the Argo CD API server (scenario argocd: { api: true })');
          argoApi.setBreaking(on);
        } else if (name === 'kube-exec-plugin-fails') kubeAuth.setPluginFailure(on ? 'An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired' : undefined);
        else switches.healthRouteMissing = on;
      },
      waitFor<X>(event: string, pred: (x: X) => boolean = () => true, timeoutMs = 10000): Promise<X> {
        return new Promise<X>((resolve, reject) => {
          const t = setTimeout(() => {
            w.events.off(event, on);
            reject(new Error(`sandbox: no '${event}' event within ${timeoutMs} ms`));
          }, timeoutMs);
          const on = (x: X): void => {
            let ok = false;
            try {
              ok = pred(x);
            } catch {
              ok = false;
            }
            if (!ok) return;
            clearTimeout(t);
            w.events.off(event, on);
            resolve(x);
          };
          w.events.on(event, on);
        });
      },
      app: (service, e) => w.store.get(T.applications, 'argocd', `${service}-${e}`),
      headSha: () => w.headSha,
      async stop() {
        if (stopped) return;
        stopped = true;
        for (const t of pushTimers) clearTimeout(t);
        w.stop();
        gh.stop();
        kubeApi?.closeWatches();
        mgmtApi?.closeWatches();
        argoApi?.closeStreams();
        await Promise.all(servers.map((s) => s.close()));
        await real?.stop();
        log('sandbox stopped');
      },
    };
    return sandbox;
  } catch (e) {
    world?.stop();
    await Promise.all(servers.map((s) => s.close()));
    await real?.stop();
    throw e;
  }
}

export type { KeyPair, KObj };

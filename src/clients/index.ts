// Builds the pipeline's ports from the resolved configuration. Nothing here loads an SDK: each
// adapter imports its SDK on its first call.
import type { GitOpsConfig } from '../pipeline/config/types';
import type { Clock, Ports } from '../pipeline/ports';
import { EcrRegistry } from './ecr';
import { OciRegistry, REGISTRY_PASSWORD_VAR, REGISTRY_USERNAME_VAR } from './oci';
import { GitCli } from './git';
import { ArgoCdApplications, KubeConnection, KubernetesCluster, type KubeHints } from './kubernetes';
import { ArgoCdApi } from './argocdApi';
import { argoCdMode } from '../pipeline/config/load';
import type { ArgoCdPort } from '../pipeline/ports';
import { PrometheusMetrics, UnconfiguredMetrics } from './prometheus';
import type { FetchLike } from './util';
import { WebhookNotifier } from './webhook';
import { GitHubPulls, UnconfiguredPulls } from './pulls';
import type { PullRequestPort } from '../pipeline/github/pulls';

export { createGitHubClient } from './github';
export { EcrRegistry } from './ecr';
export { OciRegistry } from './oci';
export { GitCli } from './git';
export { ArgoCdApplications, KubeConnection, KubernetesCluster } from './kubernetes';
export { ArgoCdApi } from './argocdApi';
export { PrometheusMetrics } from './prometheus';
export { WebhookNotifier } from './webhook';

export interface CreatePortsOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  clock?: Clock;
  /** fetch used for Prometheus, the webhook, signature blobs, direct health URLs and the Argo CD API server (default: global fetch). */
  fetch?: FetchLike;
  /** Kubernetes context (e.g. the gitopsDeploy.kubeContext setting); default: the environment's kubeContext, then config.kubernetes.context, then the kubeconfig's current context. */
  kubeContext?: string;
  /** The environment the ports are for: its kubeContext applies. */
  environment?: string;
  /** AWS profile (gitopsDeploy.awsProfile); default AWS_PROFILE, then the default credential chain. */
  awsProfile?: string;
  /** GitHub token for pull-request mode (the editor's sign-in); default GITHUB_TOKEN, then GH_TOKEN. */
  githubToken?: string;
}

/**
 * The pull requests of pull-request mode: GitHub's REST API at github.apiUrl with GITHUB_TOKEN (or
 * GH_TOKEN), or a port that refuses saying what is missing. The token never goes to an untrusted host.
 */
export function pullRequestPort(config: Pick<GitOpsConfig, 'github'>, env: NodeJS.ProcessEnv, githubToken?: string): PullRequestPort {
  const gh = config.github;
  const token = githubToken || env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!gh.owner || !gh.repo) return new UnconfiguredPulls('pull-request mode needs github.owner and github.repo in .gitops-deploy.yaml and a GitHub token (GITHUB_TOKEN)');
  if (gh.untrustedHost) return new UnconfiguredPulls(`pull-request mode: github.apiUrl names ${gh.untrustedHost}, a host you have not trusted, so no token is sent there; trust it (--trust-host ${gh.untrustedHost}, GITOPS_DEPLOY_TRUSTED_HOSTS or trustedHosts in your user config)`);
  if (!token) return new UnconfiguredPulls('pull-request mode needs github.owner/repo and a GitHub token (GITHUB_TOKEN): set GITHUB_TOKEN (or GH_TOKEN) to a token that may open and merge pull requests');
  return new GitHubPulls({ apiUrl: gh.apiUrl, owner: gh.owner, repo: gh.repo, token });
}

export const systemClock: Clock = { now: () => new Date() };

/** Config hints for error messages: which config key names a missing object. */
export function kubeHints(config: GitOpsConfig): KubeHints {
  const services = Object.values(config.services);
  return {
    deployment: (name) => {
      const s = services.filter((x) => x.deployment === name).map((x) => `services.${x.name}.deployment`);
      return s.length ? s.join(' / ') : undefined;
    },
    service: (name) => {
      const s = services.filter((x) => x.k8sService === name).map((x) => `services.${x.name}.k8sService and .port`);
      return s.length ? s.join(' / ') : undefined;
    },
    application: (namespace, app) => {
      for (const env of config.environments) {
        for (const svc of services) {
          const name = env.argocd.application.replace(/\{service\}/g, svc.name).replace(/\{env\}/g, env.name);
          if (name === app) return `environments.${env.name}.argocd (application "${env.argocd.application}", namespace "${env.argocd.namespace}")`;
        }
      }
      return `argocd.application / argocd.namespace (looked for "${app}" in namespace "${namespace}")`;
    },
  };
}

/**
 * The environment's Argo CD, where it lives: its API server (argocd.server), the Application resources
 * in another kube context (argocd.kubeContext: a second connection, same kubeconfig), or the workloads' context.
 * Without an environment (the editor's shared ports) each call goes to the mode of the environment whose
 * application it names.
 */
function argoCdPort(config: GitOpsConfig, envConfig: GitOpsConfig['environments'][number] | undefined, kube: KubeConnection, opts: CreatePortsOptions, env: NodeJS.ProcessEnv): ArgoCdPort {
  const hints = kubeHints(config);
  const forEnv = (e: GitOpsConfig['environments'][number]): ArgoCdPort => {
    const a = e.argocd;
    switch (argoCdMode(a)) {
      case 'api-server':
        return new ArgoCdApi({ server: a.server!, untrustedHost: a.untrustedHost, env, fetch: opts.fetch, log: opts.log, hint: (ns, app) => hints.application?.(ns, app) });
      case 'other-context':
        return new ArgoCdApplications(new KubeConnection({ kubeconfig: config.kubernetes.kubeconfig, context: a.kubeContext, contextKey: `environments.${e.name}.argocd.kubeContext`, system: 'argocd', env, hints, log: opts.log }));
      default:
        return new ArgoCdApplications(kube);
    }
  };
  if (envConfig) return forEnv(envConfig);
  const byEnv = new Map<string, ArgoCdPort>();
  const same = new ArgoCdApplications(kube);
  const route = (namespace: string, app: string): ArgoCdPort => {
    const e = config.environments.find((x) => x.argocd.namespace === namespace && applicationPattern(x.argocd.application, x.name).test(app));
    if (!e || argoCdMode(e.argocd) === 'same-context') return same;
    let p = byEnv.get(e.name);
    if (!p) byEnv.set(e.name, (p = forEnv(e)));
    return p;
  };
  return {
    get: (ns, app, signal) => route(ns, app).get(ns, app, signal),
    refresh: (ns, app, mode, signal) => route(ns, app).refresh(ns, app, mode, signal),
    sync: (ns, app, rev, actor, reason, signal) => route(ns, app).sync(ns, app, rev, actor, reason, signal),
    waitFor: (ns, app, done, timeoutMs, signal, onUpdate) => route(ns, app).waitFor(ns, app, done, timeoutMs, signal, onUpdate),
    canI: (attrs, signal) => {
      const p = route(attrs.namespace ?? '', attrs.name ?? '');
      return p.canI ? p.canI(attrs, signal) : same.canI(attrs, signal);
    },
  };
}

/** An application name pattern ({service}, {env}) as a RegExp matching the names it makes. */
function applicationPattern(pattern: string, envName: string): RegExp {
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp('^' + pattern.split('{service}').map((part) => esc(part.replace(/\{env\}/g, envName))).join('[A-Za-z0-9][A-Za-z0-9._-]*') + '$');
}

function awsCredentials(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  // Only when an injected env differs from the process's: the SDK's default chain reads process.env itself.
  if (env === process.env || !env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

export function createPorts(config: GitOpsConfig, opts: CreatePortsOptions = {}): Ports {
  const env = opts.env ?? process.env;
  const envConfig = opts.environment === undefined ? undefined : config.environments.find((e) => e.name === opts.environment);
  if (opts.environment !== undefined && !envConfig) throw new Error(`unknown environment "${opts.environment}" (environments: ${config.environments.map((e) => e.name).join(', ')})`);
  const servicesByRepository: Record<string, string[]> = {};
  for (const svc of Object.values(config.services)) (servicesByRepository[svc.ecrRepository] ??= []).push(svc.name);

  const kube = new KubeConnection({
    kubeconfig: config.kubernetes.kubeconfig,
    context: opts.kubeContext || envConfig?.kubeContext || config.kubernetes.context || undefined,
    env,
    hints: kubeHints(config),
    log: opts.log,
  });

  return {
    registry: config.registry.type === 'oci' && config.registry.url ? new OciRegistry({
      url: config.registry.url,
      untrustedHost: config.registry.untrustedHost,
      // Credentials only from the environment; withheld by the adapter from an untrusted host.
      credentials: env[REGISTRY_USERNAME_VAR] && env[REGISTRY_PASSWORD_VAR] ? { username: env[REGISTRY_USERNAME_VAR], password: env[REGISTRY_PASSWORD_VAR] } : undefined,
      servicesByRepository,
      fetch: opts.fetch,
    }) : new EcrRegistry({
      region: config.registry.region,
      endpoint: config.registry.endpoint,
      registryId: config.registry.registryId,
      profile: opts.awsProfile || (env !== process.env ? env.AWS_PROFILE : undefined) || undefined,
      credentials: awsCredentials(env),
      servicesByRepository,
      fetch: opts.fetch,
    }),
    git: new GitCli({ root: config.root, remote: config.git.remote, branch: config.git.branch, signCommits: config.git.signCommits, log: opts.log }),
    argocd: argoCdPort(config, envConfig, kube, opts, env),
    cluster: new KubernetesCluster(kube, { fetch: opts.fetch }),
    metrics: config.verification.prometheusUrl ? new PrometheusMetrics({ url: config.verification.prometheusUrl, fetch: opts.fetch }) : new UnconfiguredMetrics(),
    notifier: new WebhookNotifier({ url: config.notify.webhookUrl, fetch: opts.fetch, log: opts.log }),
    pulls: pullRequestPort(config, env, opts.githubToken),
    clock: opts.clock ?? systemClock,
  };
}

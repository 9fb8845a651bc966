// Builds the pipeline's ports from the resolved configuration. Nothing here loads an SDK: each
// adapter imports its SDK on its first call.
import type { GitOpsConfig } from '../pipeline/config/types';
import type { Clock, Ports } from '../pipeline/ports';
import { EcrRegistry } from './ecr';
import { OciRegistry, REGISTRY_PASSWORD_VAR, REGISTRY_USERNAME_VAR } from './oci';
import { GitCli } from './git';
import { ArgoCdApplications, KubeConnection, KubernetesCluster, type KubeHints } from './kubernetes';
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
export { PrometheusMetrics } from './prometheus';
export { WebhookNotifier } from './webhook';

export interface CreatePortsOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  clock?: Clock;
  /** fetch used for Prometheus, the webhook, signature blobs and direct health URLs (default: global fetch). */
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
    argocd: new ArgoCdApplications(kube),
    cluster: new KubernetesCluster(kube, { fetch: opts.fetch }),
    metrics: config.verification.prometheusUrl ? new PrometheusMetrics({ url: config.verification.prometheusUrl, fetch: opts.fetch }) : new UnconfiguredMetrics(),
    notifier: new WebhookNotifier({ url: config.notify.webhookUrl, fetch: opts.fetch, log: opts.log }),
    pulls: pullRequestPort(config, env, opts.githubToken),
    clock: opts.clock ?? systemClock,
  };
}

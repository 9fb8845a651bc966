// The resolved configuration of one GitOps repository (.gitops-deploy.yaml + defaults).
// Every path here is absolute once loaded; the file itself holds paths relative to the repo root.

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A weekly blocked range: on each listed day, [from, to) local time in the policy's zone. */
export interface BlockedRange {
  days: Weekday[];
  from: string; // "HH:MM"
  to: string; // "HH:MM", may be "24:00"
}

/** A one-off freeze: [from, to] inclusive calendar dates (YYYY-MM-DD) or ISO date-times, in the policy's zone. */
export interface Freeze {
  name: string;
  from: string;
  to: string;
}

export interface WindowPolicy {
  timeZone: string; // IANA
  blocked: BlockedRange[];
  freezes: Freeze[];
}

export interface ArgoCdSettings {
  /** Namespace holding the Application resources. */
  namespace: string;
  /** Application name pattern; {service} and {env} are replaced. */
  application: string;
  /** Optional URL of the Argo CD UI, for links. */
  url?: string;
}

export interface EnvironmentConfig {
  name: string;
  /** Absolute path of this environment's values file. */
  valuesFile: string;
  /** Absolute path of this environment's records folder. */
  recordsDir: string;
  namespace: string;
  kubeContext?: string;
  argocd: ArgoCdSettings;
  requireReason: boolean;
  /** Require a `succeeded` record of the tag in the upstream environment. */
  requireUpstreamRecord: boolean;
  /** Deployment window; undefined means no restriction. */
  window?: WindowPolicy;
  /** window.finishBy: refuse a run likely to end after the window closes (default on for prod). */
  finishBy?: { marginMinutes: number };
  /** Keyless identities for this environment (replaces signing.identities when set). */
  identities?: { issuer: string; subjectRegExp: string }[];
  /** Write the verified digest next to the tag (`digest:` beside `tag:`) in the values file. */
  pinDigest: boolean;
  /** How a change reaches origin's branch in this environment (git.mode / git.merge, per environment or the top-level default). */
  git: EnvironmentGit;
}

/**
 * `push` (default): the pipeline pushes its commit to the deploy branch. `pull-request`: it pushes
 * to `gitops-deploy/{env}/{service}/{tag}`, opens a pull request and waits for it to be merged.
 */
export type GitMode = 'push' | 'pull-request';

export interface EnvironmentGit {
  mode: GitMode;
  /** pull-request mode: `manual` (default) waits for a reviewer to merge; `auto` merges itself, or enables auto-merge, when the branch rules allow. */
  merge: 'manual' | 'auto';
  /** Labels put on the pull requests (default ["gitops-deploy", "env:{env}"]). */
  labels: string[];
  /** pull-request mode: how long a run waits for its pull request to be merged (default 60). */
  mergeTimeoutMinutes: number;
}

export interface ServiceConfig {
  name: string;
  ecrRepository: string;
  port: number;
  healthPath: string;
  /** Kubernetes Deployment name; pattern {service} replaced. */
  deployment: string;
  /** Kubernetes Service name. */
  k8sService: string;
  /** Optional explicit health URL template ({service}, {env}, {namespace}, {port}); otherwise the service proxy. */
  healthUrl?: string;
}

export type SigningMode = 'verify' | 'exists' | 'off';

export type RegistryType = 'ecr' | 'oci';

export interface RegistryConfig {
  /** ecr (default): the ECR API; oci: the OCI distribution API at `url`. */
  type: RegistryType;
  /** oci: base URL of the registry (GITOPS_DEPLOY_REGISTRY_URL wins over the repository's registry.url). */
  url?: string;
  /**
   * Set when `url` came from the repository and its host is not trusted: no credentials are sent
   * there (trust it with --trust-host, GITOPS_DEPLOY_TRUSTED_HOSTS or trustedHosts in the user config).
   */
  untrustedHost?: string;
  region: string;
  /** Optional endpoint override (a stand-in or a VPC endpoint). */
  endpoint?: string;
  /** Optional registry id (AWS account). */
  registryId?: string;
}

export interface SigningConfig {
  mode: SigningMode;
  /** Absolute paths of PEM public keys. */
  publicKeys: string[];
  /** Keyless signers allowed (issuer exact, subject RegExp). */
  identities: { issuer: string; subjectRegExp: string }[];
  /** Absolute path of a Sigstore trusted_root.json; undefined: the public-good root shipped with the library. */
  trustedRoot?: string;
}

export interface VerificationConfig {
  prometheusUrl?: string;
  /** PromQL with $ns and $svc placeholders; result is a ratio in [0, 1]. */
  errorRateQuery: string;
  errorRateThreshold: number;
  restartQuery?: string;
  /** Pod restarts tolerated during verification. */
  restartThreshold: number;
  /** Resource usage above this fraction of the limit is reported. */
  resourceWarnFraction: number;
  /** Resource usage over the threshold fails verification instead of warning. */
  resourceFailOnExceed: boolean;
  syncTimeoutSeconds: number;
  rolloutTimeoutSeconds: number;
  /**
   * When a verification check could not observe (Prometheus down, the API refusing the token…):
   * `hold` (default) stops for a human without a blind rollback; `rollback` rolls back as for a failure.
   */
  onInconclusive: 'hold' | 'rollback';
}

export interface GitConfig {
  remote: string;
  branch: string;
  /**
   * The pipeline's commits are signed with the user's git signing config (`user.signingkey`,
   * `gpg.format` openpgp | ssh | x509: `git commit -S`), and `records verify` checks the signatures
   * of the deploy and record commits (with `gpg.ssh.allowedSignersFile` or the GPG keyring). Default false.
   */
  signCommits: boolean;
}

export interface GitHubConfig {
  apiUrl: string;
  /**
   * Set when apiUrl came from the repository and its host is not trusted: no token is sent there
   * (trust it with --trust-host, GITOPS_DEPLOY_TRUSTED_HOSTS or trustedHosts in the user config).
   */
  untrustedHost?: string;
  owner?: string;
  repo?: string;
}

export interface KubernetesConfig {
  /** Absolute path of a kubeconfig file, from the user's side only (never the repository); default: KUBECONFIG, ~/.kube/config. */
  kubeconfig?: string;
  context?: string;
}

export interface NotifyConfig {
  webhookUrl?: string;
}

/**
 * How to find a service's tag in a values file. `auto` recognises
 * `svc: "tag"`, `svc: {image: {tag}}` and `svc: {tag}`; a path like `{service}.image.tag` is explicit.
 */
export type TagPath = 'auto' | string;

export interface GitOpsConfig {
  /** Absolute path of the repository root. */
  root: string;
  /** Absolute path of the config file, when there is one. */
  file?: string;
  environments: EnvironmentConfig[];
  /** Services declared in the config; services found in values files are added with defaults. */
  services: Record<string, ServiceConfig>;
  tagPath: TagPath;
  registry: RegistryConfig;
  signing: SigningConfig;
  verification: VerificationConfig;
  /** Keys of the repository's file that were ignored because they are user settings (with why). */
  ignored?: { key: string; why: string }[];
  git: GitConfig;
  github: GitHubConfig;
  kubernetes: KubernetesConfig;
  notify: NotifyConfig;
  /** Subscriptions of `gitops-deploy follow` (dev follows main); [] when none. */
  follow: import('../model/subscriptions').FollowSubscription[];
}

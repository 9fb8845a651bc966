// The pipeline talks to the world only through these ports. Adapters live in src/clients/
// (over @aws-sdk/client-ecr, @kubernetes/client-node, @octokit/rest, git, Prometheus); unit
// tests use fakes. Every method takes an AbortSignal where it may wait.

/** An image in the registry. */
export interface ImageInfo {
  repository: string;
  tag: string;
  digest: string; // sha256:<hex>
  pushedAt?: Date;
  tags: string[];
}

/** A Sigstore bundle attached to an image as an OCI referrer. */
export interface BundleArtifact {
  /** The bundle's JSON bytes as downloaded. */
  json: Buffer;
  /** The referrer manifest's digest (where it was found). */
  manifestDigest: string;
  artifactType: string;
  /** How it was found: the registry's referrers API, or the fallback `sha256-<hex>` tag index. */
  via: 'referrers-api' | 'referrers-tag';
}

/** One cosign signature layer as stored in the registry (classic `sha256-<hex>.sig` layout). */
export interface SignatureLayer {
  /** The layer digest declared in the manifest (sha256:<hex>). */
  layerDigest: string;
  mediaType: string;
  /** The payload blob's bytes, as downloaded. */
  payload: Buffer;
  /** Base64 signature from the `dev.cosignproject.cosign/signature` annotation. */
  signature: string;
  annotations: Record<string, string>;
}

export interface RegistryPort {
  /** The image, or undefined when the tag does not exist (ImageNotFoundException). Throws for other errors (RepositoryNotFound, auth, network) with a clear message. */
  describeImage(repository: string, tag: string, signal?: AbortSignal): Promise<ImageInfo | undefined>;
  /** Tags newest first (for pickers). */
  listTags(repository: string, limit: number, signal?: AbortSignal): Promise<{ tag: string; pushedAt?: Date; digest: string }[]>;
  /** Signature layers of the digest's `sha256-<hex>.sig` manifest; [] when there is none. */
  signatures(repository: string, digest: string, signal?: AbortSignal): Promise<SignatureLayer[]>;
  /**
   * Sigstore bundles attached to the digest as OCI 1.1 referrers (ECR ListImageReferrers), or
   * through the fallback `sha256-<hex>` tag index when the registry has no referrers API; [] when none.
   */
  bundles(repository: string, digest: string, signal?: AbortSignal): Promise<BundleArtifact[]>;
}

export interface GitCommit {
  sha: string;
  subject: string;
  author: string;
  date: string; // ISO
}

/** `protected`: origin's branch protection refused a direct push (GitHub's GH006 / GH013). */
export type PushResult = { ok: true } | { ok: false; rejected: 'non-fast-forward' | 'protected' | 'other'; message: string };

/** What became of the user's checkout after a run pushed a commit built elsewhere. */
export type CheckoutSync =
  | { kind: 'fast-forwarded' | 'up-to-date' | 'branch-updated' }
  /** Left alone: on another branch whose deploy branch diverged, local commits ahead, or local edits in the way. */
  | { kind: 'ahead' | 'diverged' | 'dirty'; detail: string };

/** A commit with its whole message (for trailers). */
export interface GitMessage {
  sha: string;
  /** Committer date, ISO. */
  date: string;
  message: string;
}

/** A lease ref on origin (`refs/gitops-deploy/locks/…`): the commit it points at and that commit's message. */
export interface RemoteLease {
  sha: string;
  message: string;
}

export type LeaseWrite = { ok: true; sha?: string } | { ok: false; message: string };

export interface GitPort {
  /** The repository root (working tree). */
  readonly root: string;
  headSha(signal?: AbortSignal): Promise<string>;
  /** Paths (relative) with uncommitted changes. */
  dirtyFiles(signal?: AbortSignal): Promise<string[]>;
  /** Commit exactly these paths (relative to root) with the message; returns the new sha. */
  commit(paths: string[], message: string, signal?: AbortSignal): Promise<string>;
  push(signal?: AbortSignal): Promise<PushResult>;
  fetch(signal?: AbortSignal): Promise<void>;
  /** Rebase the local branch onto the fetched remote branch; false (and aborted, tree restored) on conflict. */
  rebaseOntoRemote(signal?: AbortSignal): Promise<boolean>;
  /** Reset the branch and working tree to a sha (used to undo an unpushed commit). */
  resetHard(sha: string, signal?: AbortSignal): Promise<void>;
  /** Restore a path in the working tree from HEAD. */
  restore(paths: string[], signal?: AbortSignal): Promise<void>;
  /** Text of a path at a revision (e.g. `origin/main`), undefined if it does not exist there. */
  show(rev: string, path: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Commits touching a path, newest first. */
  log(path: string, limit: number, signal?: AbortSignal): Promise<GitCommit[]>;
  /** Name of the local user (git config user.name), for the actor. */
  userName(signal?: AbortSignal): Promise<string | undefined>;
  /** The remote's sha of the branch after a fetch (`origin/main`). */
  remoteSha(signal?: AbortSignal): Promise<string>;

  // ---- isolated changes: built on origin's commit, never in the user's working tree or index
  /** A new commit on `base` whose tree is base's with these files (repo-relative path → text); nothing else is touched. */
  commitOnto(base: string, files: Record<string, string>, message: string, signal?: AbortSignal): Promise<string>;
  /** Push that commit id to the deploy branch on origin (fast-forward only). */
  pushCommit(sha: string, signal?: AbortSignal): Promise<PushResult>;
  /** Create or move `branch` on origin to `sha` (a branch of the run's own: forced). */
  pushBranch(sha: string, branch: string, signal?: AbortSignal): Promise<PushResult>;
  /** The commit on `rev`'s first-parent line that brought `sha` in (the merge of its pull request), or `sha` itself when it is on that line. */
  landedAs(sha: string, rev: string, signal?: AbortSignal): Promise<string>;
  /** Fetch origin's branches under `prefix` (pruned) and list them with their heads. */
  fetchBranches(prefix: string, signal?: AbortSignal): Promise<{ branch: string; sha: string }[]>;
  /** Move the user's deploy branch (and checkout, when on it) to `sha` if that is a safe fast-forward. */
  syncCheckout(sha: string, signal?: AbortSignal): Promise<CheckoutSync>;
  /** How many commits the local deploy branch has that origin's has not (after a fetch). */
  localAhead(signal?: AbortSignal): Promise<number>;
  /** Paths (repo-relative) of the files under `dir` at `rev`. */
  listFiles(rev: string, dir: string, signal?: AbortSignal): Promise<string[]>;
  /** Commits reachable from `rev` touching `path`, newest first, with their whole messages. */
  history(rev: string, path: string, limit: number, signal?: AbortSignal): Promise<GitMessage[]>;

  // ---- leases on origin (compare-and-swap pushes of a ref)
  readLease(ref: string, signal?: AbortSignal): Promise<RemoteLease | undefined>;
  /** Point `ref` on origin at a new commit carrying `message` if it is still at `expect` (undefined: absent); message undefined deletes it. */
  writeLease(ref: string, expect: string | undefined, message: string | undefined, signal?: AbortSignal): Promise<LeaseWrite>;
}

/** The subset of an Argo CD Application's status the pipeline reads. */
export interface AppStatus {
  name: string;
  syncStatus?: string; // Synced | OutOfSync | Unknown
  syncRevision?: string;
  healthStatus?: string; // Healthy | Progressing | Degraded | ...
  healthMessage?: string;
  operationPhase?: string; // Running | Succeeded | Failed | Error | Terminating
  operationMessage?: string;
  operationRevision?: string;
  operationFinishedAt?: string;
  reconciledAt?: string;
  conditions: { type: string; message: string }[];
  /** Resources of the last sync that failed (operationState.syncResult.resources[] not Synced). */
  failedResources?: { kind: string; name: string; status: string; message?: string }[];
  hasOperation: boolean;
  refreshAnnotation?: string;
  resourceVersion?: string;
}

/** `ArgoCdPort.waitFor` ran out of time (the last status it saw, if any, travels with it). */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(
    message: string,
    /** The Application's last status seen before the timeout. */
    readonly last?: AppStatus,
    /** How long the wait lasted, in ms. */
    readonly waitedMs?: number,
  ) {
    super(message);
  }
}

export interface ArgoCdPort {
  get(namespace: string, app: string, signal?: AbortSignal): Promise<AppStatus>;
  /** Set `argocd.argoproj.io/refresh`. */
  refresh(namespace: string, app: string, mode: 'normal' | 'hard', signal?: AbortSignal): Promise<void>;
  /** Merge-patch the top-level `.operation` to sync `revision` (and null status.operationState). */
  sync(namespace: string, app: string, revision: string, actor: string, reason: string, signal?: AbortSignal): Promise<void>;
  /**
   * Resolve with the first status for which `done` returns true, observed through a Kubernetes
   * watch; when the watch fails the object is re-read (polled with backoff) and the watch
   * re-established. Rejects with a WaitTimeoutError after `timeoutMs`, or on abort.
   */
  waitFor(namespace: string, app: string, done: (s: AppStatus) => boolean, timeoutMs: number, signal?: AbortSignal, onUpdate?: (s: AppStatus) => void): Promise<AppStatus>;
}

export interface DeploymentStatus {
  name: string;
  generation: number;
  observedGeneration?: number;
  replicas: number; // spec.replicas
  statusReplicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
  /** Images of the pod template's containers. */
  images: string[];
  selector: Record<string, string>;
}

export interface PodStatus {
  name: string;
  phase: string;
  ready: boolean;
  images: string[];
  /** containerStatuses[]: the image each container runs and the digest the node pulled (imageID). */
  containers?: { name: string; image: string; imageID: string }[];
  restarts: number;
  /** e.g. CrashLoopBackOff, from containerStatuses[].state.waiting.reason */
  waitingReason?: string;
  waitingMessage?: string;
  ownerReplicaSet?: string;
  podTemplateHash?: string;
  labels: Record<string, string>;
}

export interface PodUsage {
  pod: string;
  cpuMillicores: number;
  memoryBytes: number;
  cpuLimitMillicores?: number;
  memoryLimitBytes?: number;
}

export interface HealthResponse {
  httpStatus: number;
  body: string;
  /** Parsed `status` (UP, DOWN, …) when the body is actuator JSON. */
  status?: string;
  /** Components not UP, named. */
  downComponents: string[];
}

/** A SelfSubjectAccessReview's resource attributes. */
export interface AccessAttributes {
  verb: string;
  /** '' for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface ClusterPort {
  /** SelfSubjectAccessReview: may the current credentials do this? */
  canI(attrs: AccessAttributes, signal?: AbortSignal): Promise<{ allowed: boolean; reason?: string }>;
  /** Where the credentials come from, for messages ("kubeconfig ~/.kube/config, context prod, user alice (token)"); never a secret. */
  credentialSource?(): Promise<string>;
  getDeployment(namespace: string, name: string, signal?: AbortSignal): Promise<DeploymentStatus>;
  /** Pods matching the label selector. */
  listPods(namespace: string, selector: Record<string, string>, signal?: AbortSignal): Promise<PodStatus[]>;
  /** The pod-template-hash of the Deployment's newest ReplicaSet (for "pods of the new RS"). */
  newReplicaSetHash(namespace: string, deployment: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Resource usage (metrics.k8s.io) with the limits from the pod specs; [] when metrics are not available. */
  podUsage(namespace: string, selector: Record<string, string>, signal?: AbortSignal): Promise<PodUsage[]>;
  /** GET the service's health path through the API server's service proxy (or a direct URL). */
  health(namespace: string, service: string, port: number, path: string, directUrl: string | undefined, signal?: AbortSignal): Promise<HealthResponse>;
  /** Last lines of a pod's log (previous container for a crash loop). */
  podLog(namespace: string, pod: string, opts: { previous?: boolean; tailLines?: number }, signal?: AbortSignal): Promise<string>;
  /** Recent events for an object (kind/name), newest last. */
  events(namespace: string, kind: string, name: string, signal?: AbortSignal): Promise<{ type: string; reason: string; message: string; time?: string; count?: number }[]>;
}

export interface MetricsPort {
  /** Where the queries go and with which credentials, for messages; never a secret. */
  credentialSource?(): string;
  /** Instant query; the first sample's value, undefined for an empty vector. Throws with the query in the message on errors. */
  query(promql: string, signal?: AbortSignal): Promise<number | undefined>;
}

export interface NotifyEvent {
  /** action-required: the run waits for a person (e.g. to merge its rollback pull request). */
  kind: 'rolled-back' | 'rollback-failed' | 'failed' | 'succeeded' | 'inconclusive' | 'action-required';
  service: string;
  environment: string;
  tag: string;
  previousTag?: string;
  message: string;
  recordPath?: string;
  /** The run deployed into a closed window as an emergency. */
  windowOverride?: { reason: string; by: string };
}

export interface NotifierPort {
  notify(event: NotifyEvent, signal?: AbortSignal): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** Every adapter the pipeline may use; a step asks the registry only for those it needs. */
export interface Ports {
  registry: RegistryPort;
  git: GitPort;
  argocd: ArgoCdPort;
  cluster: ClusterPort;
  metrics: MetricsPort;
  notifier: NotifierPort;
  /** GitHub pull requests (pull-request mode); refuses clearly when GitHub is not configured. */
  pulls: import('./github/pulls').PullRequestPort;
  clock: Clock;
}

// What GitOps Deploy needs from GitHub (REST): workflow dispatch and runs, environment reviews,
// and Deployments. The adapter over @octokit/rest is src/clients/githubActions.ts; tests use
// fakes or the sandbox's GitHub stand-in. Nothing here imports vscode or an SDK.

export type RunStatus = 'queued' | 'waiting' | 'pending' | 'requested' | 'in_progress' | 'completed';

export interface WorkflowRunInfo {
  id: number;
  runNumber?: number;
  attempt?: number;
  name?: string;
  /** Workflow file path (`.github/workflows/deploy-service.yml`). */
  path?: string;
  event: string;
  branch?: string;
  headSha?: string;
  status: RunStatus | string;
  conclusion?: string | null;
  createdAt: string;
  updatedAt?: string;
  htmlUrl: string;
  actor?: string;
}

export interface JobStepInfo {
  number: number;
  name: string;
  status: string;
  conclusion?: string | null;
}

export interface JobInfo {
  id: number;
  name: string;
  status: string;
  conclusion?: string | null;
  htmlUrl?: string;
  steps: JobStepInfo[];
}

export interface PendingDeploymentInfo {
  environment: string;
  environmentId: number;
  currentUserCanApprove: boolean;
  /** Logins or team slugs that may review. */
  reviewers: string[];
  waitTimer?: number;
}

export type DeploymentState = 'queued' | 'pending' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface CreateDeploymentInput {
  ref: string;
  environment: string;
  description?: string;
  task?: string;
  payload?: Record<string, unknown>;
  productionEnvironment?: boolean;
}

export interface DeploymentInfo {
  id: number;
  sha?: string;
  ref?: string;
  environment: string;
  description?: string | null;
  createdAt: string;
  payload?: unknown;
}

export interface DeploymentStatusInfo {
  id: number;
  state: DeploymentState | string;
  description?: string;
  logUrl?: string;
  createdAt: string;
}

export interface CreateStatusInput {
  state: DeploymentState;
  description?: string;
  logUrl?: string;
  environmentUrl?: string;
  /** Let GitHub mark earlier successful deployments of the environment inactive (default true for success). */
  autoInactive?: boolean;
}

/**
 * A review of a run's protected-environment deployment (required reviewers): who, their verdict and
 * comment. GitHub's review history (GET …/actions/runs/{id}/approvals) gives no time; `at` comes
 * from the deployment GitHub Actions made for the run's job (src/pipeline/github/reviewTimes.ts).
 */
export interface RunApproval {
  state: 'approved' | 'rejected' | string;
  user: string;
  comment?: string;
  environments: string[];
  /** When the review took effect (ISO time): the run's deployment to that environment left `waiting`. */
  at?: string;
}

export interface GitHubPort {
  /** The signed-in user's login. */
  currentUser(signal?: AbortSignal): Promise<string>;
  dispatchWorkflow(workflowFile: string, ref: string, inputs: Record<string, string>, signal?: AbortSignal): Promise<void>;
  /** Runs of one workflow file, newest first. */
  listWorkflowRuns(workflowFile: string, filter: { event?: string; branch?: string; status?: string; perPage?: number }, signal?: AbortSignal): Promise<WorkflowRunInfo[]>;
  getRun(runId: number, signal?: AbortSignal): Promise<WorkflowRunInfo>;
  listJobs(runId: number, signal?: AbortSignal): Promise<JobInfo[]>;
  /** The job's log text, or undefined when GitHub has none (yet). */
  jobLog(jobId: number, signal?: AbortSignal): Promise<string | undefined>;
  pendingDeployments(runId: number, signal?: AbortSignal): Promise<PendingDeploymentInfo[]>;
  reviewPendingDeployments(runId: number, environmentIds: number[], state: 'approved' | 'rejected', comment: string, signal?: AbortSignal): Promise<void>;
  /** The run's environment reviews (approvals and rejections), oldest first. */
  runApprovals?(runId: number, signal?: AbortSignal): Promise<RunApproval[]>;
  cancelRun(runId: number, signal?: AbortSignal): Promise<void>;
  createDeployment(input: CreateDeploymentInput, signal?: AbortSignal): Promise<DeploymentInfo>;
  createDeploymentStatus(deploymentId: number, input: CreateStatusInput, signal?: AbortSignal): Promise<DeploymentStatusInfo>;
  listDeployments(filter: { environment?: string; sha?: string; perPage?: number }, signal?: AbortSignal): Promise<DeploymentInfo[]>;
  /** Newest first. */
  listDeploymentStatuses(deploymentId: number, signal?: AbortSignal): Promise<DeploymentStatusInfo[]>;
}

/** Where the repository lives on GitHub, for links. */
export interface GitHubRepoRef {
  owner: string;
  repo: string;
  /** Web server, e.g. https://github.com or https://ghe.example.com. */
  serverUrl: string;
}

/** The web server URL for an API URL: api.github.com → github.com, GHE `/api/v3` → its host. */
export function serverUrlFromApi(apiUrl: string): string {
  const u = apiUrl.replace(/\/+$/, '');
  if (/^https:\/\/api\.github\.com$/i.test(u)) return 'https://github.com';
  return u.replace(/\/api\/v3$/i, '');
}

export function recordBlobUrl(ref: GitHubRepoRef, branch: string, recordPath: string): string {
  const p = recordPath.split(/[\\/]/).map(encodeURIComponent).join('/');
  return `${ref.serverUrl}/${ref.owner}/${ref.repo}/blob/${encodeURIComponent(branch)}/${p}`;
}

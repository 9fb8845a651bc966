// GitHubPort over @octokit/rest (loaded with import() on the first call). baseUrl is
// config.github.apiUrl: https://api.github.com, a GitHub Enterprise `https://HOST/api/v3`, or the
// sandbox. The token is handed to Octokit only; error messages are masked before they leave.
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };
import { maskSecrets } from '../pipeline/mask';
import { createOctokit, type OctokitOptions, type RateLimitEvent } from './octokit';
import type {
  CreateDeploymentInput,
  CreateStatusInput,
  DeploymentInfo,
  DeploymentStatusInfo,
  GitHubPort,
  JobInfo,
  PendingDeploymentInfo,
  RunApproval,
  WorkflowRunInfo,
} from '../pipeline/github/port';
import { withReviewTimes, type RunDeployment } from '../pipeline/github/reviewTimes';

export interface GitHubActionsOptions {
  apiUrl: string;
  owner: string;
  repo: string;
  token: string;
  /** Requests retry on 5xx by default; tests pass 0. */
  retries?: number;
  /** Rate limits: how long to wait them out, the unit of Retry-After (tests: 0 ms), who hears of them. */
  rateLimit?: Pick<OctokitOptions, 'maxRateLimitWaitS' | 'maxRateLimitRetries' | 'retryAfterUnitMs' | 'onRateLimit'>;
}

type AnyRecord = Record<string, any>;

function runInfo(r: AnyRecord): WorkflowRunInfo {
  return {
    id: r.id,
    runNumber: r.run_number,
    attempt: r.run_attempt,
    name: r.name ?? undefined,
    path: r.path,
    event: r.event,
    branch: r.head_branch ?? undefined,
    headSha: r.head_sha,
    status: r.status ?? 'queued',
    conclusion: r.conclusion ?? null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    htmlUrl: r.html_url,
    actor: r.actor?.login ?? r.triggering_actor?.login,
  };
}

export class GitHubActionsClient implements GitHubPort {
  private client: Promise<Octokit> | undefined;
  private readonly base: { owner: string; repo: string };

  constructor(private readonly o: GitHubActionsOptions) {
    this.base = { owner: o.owner, repo: o.repo };
  }

  private octokit(): Promise<Octokit> {
    this.client ??= createOctokit({ baseUrl: this.o.apiUrl, token: this.o.token, retries: this.o.retries, ...this.o.rateLimit });
    return this.client;
  }

  /** Runs a call; errors carry the HTTP status and GitHub's message, masked. */
  private async call<T>(what: string, fn: (o: Octokit) => Promise<T>): Promise<T> {
    const o = await this.octokit();
    try {
      return await fn(o);
    } catch (err) {
      const e = err as { status?: number; message?: string };
      const msg = `GitHub ${what}: ${e.status ? `HTTP ${e.status} ` : ''}${e.message ?? String(err)}`;
      const out = new Error(maskSecrets(msg, { GITHUB_TOKEN: this.o.token })) as Error & { status?: number };
      out.status = e.status;
      throw out;
    }
  }

  currentUser(signal?: AbortSignal): Promise<string> {
    return this.call('user', async (o) => (await o.rest.users.getAuthenticated({ request: { signal } })).data.login);
  }

  dispatchWorkflow(workflowFile: string, ref: string, inputs: Record<string, string>, signal?: AbortSignal): Promise<void> {
    return this.call(`dispatch ${workflowFile}`, async (o) => {
      await o.rest.actions.createWorkflowDispatch({ ...this.base, workflow_id: workflowFile, ref, inputs, request: { signal } });
    });
  }

  listWorkflowRuns(workflowFile: string, f: { event?: string; branch?: string; status?: string; perPage?: number }, signal?: AbortSignal): Promise<WorkflowRunInfo[]> {
    return this.call(`runs of ${workflowFile}`, async (o) => {
      const { data } = await o.rest.actions.listWorkflowRuns({ ...this.base, workflow_id: workflowFile, event: f.event, branch: f.branch, status: f.status as never, per_page: f.perPage ?? 20, request: { signal } });
      return data.workflow_runs.map((r) => runInfo(r as AnyRecord));
    });
  }

  getRun(runId: number, signal?: AbortSignal): Promise<WorkflowRunInfo> {
    return this.call(`run ${runId}`, async (o) => runInfo((await o.rest.actions.getWorkflowRun({ ...this.base, run_id: runId, request: { signal } })).data as AnyRecord));
  }

  listJobs(runId: number, signal?: AbortSignal): Promise<JobInfo[]> {
    return this.call(`jobs of run ${runId}`, async (o) => {
      const { data } = await o.rest.actions.listJobsForWorkflowRun({ ...this.base, run_id: runId, per_page: 100, request: { signal } });
      return data.jobs.map((j) => ({
        id: j.id,
        name: j.name,
        status: j.status,
        conclusion: j.conclusion,
        htmlUrl: j.html_url ?? undefined,
        steps: (j.steps ?? []).map((s) => ({ number: s.number, name: s.name, status: s.status, conclusion: s.conclusion })),
      }));
    });
  }

  async jobLog(jobId: number, signal?: AbortSignal): Promise<string | undefined> {
    try {
      return await this.call(`log of job ${jobId}`, async (o) => {
        const { data } = await o.rest.actions.downloadJobLogsForWorkflowRun({ ...this.base, job_id: jobId, request: { signal } });
        return maskSecrets(typeof data === 'string' ? data : String(data), { GITHUB_TOKEN: this.o.token });
      });
    } catch (err) {
      if ((err as { status?: number }).status === 404 || (err as { status?: number }).status === 410) return undefined;
      throw err;
    }
  }

  pendingDeployments(runId: number, signal?: AbortSignal): Promise<PendingDeploymentInfo[]> {
    return this.call(`pending deployments of run ${runId}`, async (o) => {
      const { data } = await o.rest.actions.getPendingDeploymentsForRun({ ...this.base, run_id: runId, request: { signal } });
      return data.map((p) => ({
        environment: p.environment.name ?? String(p.environment.id),
        environmentId: p.environment.id ?? 0,
        currentUserCanApprove: p.current_user_can_approve,
        waitTimer: p.wait_timer,
        reviewers: (p.reviewers ?? []).map((r) => {
          const who = r.reviewer as AnyRecord | undefined;
          return String(who?.login ?? who?.slug ?? who?.name ?? r.type ?? 'unknown');
        }),
      }));
    });
  }

  /** The run's environment reviews, each with `at` when the run's deployment shows when it took effect. */
  async runApprovals(runId: number, signal?: AbortSignal): Promise<RunApproval[]> {
    const approvals = await this.call(`approvals of run ${runId}`, async (o) => {
      const { data } = await o.rest.actions.getReviewsForRun({ ...this.base, run_id: runId, request: { signal } });
      return data.map((a) => ({
        state: a.state,
        user: String((a.user as AnyRecord | undefined)?.login ?? 'unknown'),
        ...(a.comment ? { comment: a.comment } : {}),
        environments: (a.environments ?? []).map((e) => e.name ?? String(e.id)),
      }));
    });
    if (!approvals.some((a) => a.state === 'approved' || a.state === 'rejected')) return approvals;
    // The review history has no time: read it from the deployments Actions made for the run's jobs
    // (same commit, same environment), whose statuses link to the run.
    const run = await this.getRun(runId, signal);
    const deployments: RunDeployment[] = [];
    for (const environment of new Set(approvals.flatMap((a) => a.environments))) {
      const list = await this.listDeployments({ environment, sha: run.headSha, perPage: 100 }, signal);
      for (const d of list.filter((x) => Date.parse(x.createdAt) >= Date.parse(run.createdAt) - 1000)) {
        const statuses = await this.call(`statuses of deployment ${d.id}`, async (o) => {
          const { data } = await o.rest.repos.listDeploymentStatuses({ ...this.base, deployment_id: d.id, per_page: 100, request: { signal } });
          return data.map((s) => ({ id: s.id, state: s.state, logUrl: s.log_url || s.target_url || undefined, createdAt: s.created_at }));
        });
        deployments.push({ environment: d.environment, statuses });
      }
    }
    return withReviewTimes(approvals, runId, deployments);
  }

  reviewPendingDeployments(runId: number, environmentIds: number[], state: 'approved' | 'rejected', comment: string, signal?: AbortSignal): Promise<void> {
    return this.call(`review of run ${runId}`, async (o) => {
      await o.rest.actions.reviewPendingDeploymentsForRun({ ...this.base, run_id: runId, environment_ids: environmentIds, state, comment, request: { signal } });
    });
  }

  cancelRun(runId: number, signal?: AbortSignal): Promise<void> {
    return this.call(`cancel run ${runId}`, async (o) => {
      await o.rest.actions.cancelWorkflowRun({ ...this.base, run_id: runId, request: { signal } });
    });
  }

  createDeployment(i: CreateDeploymentInput, signal?: AbortSignal): Promise<DeploymentInfo> {
    return this.call(`create deployment (${i.environment})`, async (o) => {
      const { data, status } = await o.rest.repos.createDeployment({
        ...this.base,
        ref: i.ref,
        environment: i.environment,
        description: i.description,
        task: i.task ?? 'deploy',
        payload: (i.payload ?? {}) as Record<string, never>,
        auto_merge: false,
        required_contexts: [],
        production_environment: i.productionEnvironment,
        request: { signal },
      });
      if (status !== 201 || !('id' in data)) throw new Error(`no deployment created: ${(data as AnyRecord).message ?? status}`);
      return { id: data.id, sha: data.sha, ref: data.ref, environment: data.environment, description: data.description, createdAt: data.created_at, payload: data.payload };
    });
  }

  createDeploymentStatus(deploymentId: number, i: CreateStatusInput, signal?: AbortSignal): Promise<DeploymentStatusInfo> {
    return this.call(`deployment ${deploymentId} status ${i.state}`, async (o) => {
      const { data } = await o.rest.repos.createDeploymentStatus({
        ...this.base,
        deployment_id: deploymentId,
        state: i.state,
        description: i.description,
        log_url: i.logUrl,
        environment_url: i.environmentUrl,
        auto_inactive: i.autoInactive,
        request: { signal },
      });
      return { id: data.id, state: data.state, description: data.description ?? undefined, logUrl: data.log_url ?? undefined, createdAt: data.created_at };
    });
  }

  listDeployments(f: { environment?: string; sha?: string; perPage?: number }, signal?: AbortSignal): Promise<DeploymentInfo[]> {
    return this.call('deployments', async (o) => {
      const { data } = await o.rest.repos.listDeployments({ ...this.base, environment: f.environment, sha: f.sha, per_page: f.perPage ?? 30, request: { signal } });
      return data.map((d) => ({ id: d.id, sha: d.sha, ref: d.ref, environment: d.environment, description: d.description, createdAt: d.created_at, payload: d.payload }));
    });
  }

  listDeploymentStatuses(deploymentId: number, signal?: AbortSignal): Promise<DeploymentStatusInfo[]> {
    return this.call(`statuses of deployment ${deploymentId}`, async (o) => {
      const { data } = await o.rest.repos.listDeploymentStatuses({ ...this.base, deployment_id: deploymentId, per_page: 30, request: { signal } });
      return data.map((s) => ({ id: s.id, state: s.state, description: s.description ?? undefined, logUrl: s.log_url ?? undefined, createdAt: s.created_at }));
    });
  }
}

/** The port when config.github names a repository and a token is available; undefined otherwise. */
export function gitHubPortFor(github: { apiUrl: string; owner?: string; repo?: string; untrustedHost?: string }, token: string | undefined, retries?: number, rateLimit?: GitHubActionsOptions['rateLimit']): GitHubActionsClient | undefined {
  // A token never goes to a host the repository named unless the user trusted it.
  if (!github.owner || !github.repo || !token || github.untrustedHost) return undefined;
  return new GitHubActionsClient({ apiUrl: github.apiUrl, owner: github.owner, repo: github.repo, token, retries, rateLimit });
}

/** One line for a rate-limit response, for a log or the output channel. */
export function describeRateLimit(e: RateLimitEvent): string {
  const what = e.kind === 'primary' ? 'rate limit reached' : 'secondary rate limit';
  return `GitHub ${what} on ${e.method} ${e.url}: ${e.willRetry ? `waiting ${e.retryAfterS} s, then retrying` : `GitHub asks for ${e.retryAfterS} s; not waiting that long (the request fails)`}`;
}

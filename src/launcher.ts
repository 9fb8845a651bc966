// What both entries wire the same way around a pipeline run — the CLI (src/cli.ts) and the editor
// (src/providers/pipelineHost.ts) — where the core's flows meet the adapters. It sits above
// src/pipeline and src/clients (it imports both) and below the entries.
import { describeRateLimit, gitHubPortFor } from './clients/githubActions';
import { runDeployment, runResume, runRollback } from './pipeline/deploy';
import type { ResumeAction } from './pipeline/steps/resume';
import { createDeploymentReporter, runUrlFromEnv, type DeploymentReporter } from './pipeline/github/deployments';
import type { DeployRequest, EventSink, PipelineDeps, PipelineOutcome, RollbackRequest } from './pipeline/outcome';
import { serverUrlFromApi } from './pipeline/github/port';

/**
 * The GitHub Deployments reporter for a pipeline run, when config.github names a repository and
 * GITHUB_TOKEN (or GH_TOKEN) is set; undefined otherwise. For the CLI and the editor's run path:
 * pass `reporter.onEvent` into the pipeline's events and `await reporter.flush()` at the end.
 */
export function deploymentReporterFor(
  config: { github: { apiUrl: string; owner?: string; repo?: string; untrustedHost?: string }; git: { branch: string }; environments: { name: string }[] },
  request: { service: string; environment: string; mode: 'deploy' | 'rollback' },
  o: { env: Record<string, string | undefined>; warn: (m: string) => void; headSha?: () => Promise<string>; token?: string; retries?: number },
): DeploymentReporter | undefined {
  const token = o.token ?? o.env.GITHUB_TOKEN ?? o.env.GH_TOKEN;
  if (token && config.github.owner && config.github.repo && config.github.untrustedHost) {
    o.warn(`not sending the GitHub token to ${config.github.untrustedHost}: .gitops-deploy.yaml names that host (github.apiUrl) and you have not trusted it — no GitHub deployment is reported. Trust it with --trust-host ${config.github.untrustedHost} (or GITOPS_DEPLOY_TRUSTED_HOSTS, or trustedHosts in ~/.config/gitops-deploy/config.yaml), or set GITHUB_API_URL`);
    return undefined;
  }
  const port = gitHubPortFor(config.github, token, o.retries, { onRateLimit: (e) => o.warn(describeRateLimit(e)) });
  if (!port) return undefined;
  const last = config.environments[config.environments.length - 1]?.name;
  return createDeploymentReporter({
    port,
    repo: { owner: config.github.owner!, repo: config.github.repo!, serverUrl: o.env.GITHUB_SERVER_URL ?? serverUrlFromApi(config.github.apiUrl) },
    branch: config.git.branch,
    headSha: o.headSha,
    runUrl: runUrlFromEnv(o.env),
    productionEnvironments: last ? [last] : [],
    warn: o.warn,
    env: { ...o.env, GITHUB_TOKEN: token },
    request,
  });
}

export interface Launch {
  /** Who asked, in what repository, with what ports (and, for tests, a clock and a sleep). */
  deps: PipelineDeps;
  /** Environment variables: GITHUB_* for the reporter and the record, token values to mask. */
  env: Record<string, string | undefined>;
  /** A GitHub token from elsewhere (the editor's sign-in); default GITHUB_TOKEN / GH_TOKEN from env. */
  token?: string;
  /** Report the run as a GitHub deployment (default true; a dry run never does). */
  report?: boolean;
  /** A warning for people (the reporter's failures never fail the run). */
  warn: (m: string) => void;
  onEvent?: EventSink;
  signal?: AbortSignal;
}

/**
 * Runs a deployment or a rollback the way both entries do: the pipeline's events go to the GitHub
 * Deployments reporter (when configured) and to `onEvent`; the reporter is flushed before returning.
 * The CLI and the editor each only render the events and the outcome.
 */
export async function launchRun(mode: 'deploy' | 'rollback', request: DeployRequest & RollbackRequest & { resume?: ResumeAction }, l: Launch): Promise<PipelineOutcome> {
  const { deps } = l;
  const reporter = l.report === false || request.dryRun ? undefined : deploymentReporterFor(deps.config, { service: request.service, environment: request.environment, mode }, { env: l.env, token: l.token, warn: l.warn, headSha: () => deps.ports.git.headSha() });
  const control = {
    signal: l.signal,
    onEvent: (e: Parameters<EventSink>[0]) => {
      reporter?.onEvent(e);
      l.onEvent?.(e);
    },
  };
  try {
    if (request.resume) return await runResume({ service: request.service, environment: request.environment, action: request.resume, reason: request.reason, dryRun: request.dryRun }, deps, control);
    return mode === 'rollback' ? await runRollback({ ...request, to: request.to ?? request.tag }, deps, control) : await runDeployment(request, deps, control);
  } finally {
    await reporter?.flush().catch((err: unknown) => l.warn(`GitHub: ${err instanceof Error ? err.message : String(err)}`));
  }
}

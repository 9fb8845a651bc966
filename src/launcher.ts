// What both entries wire the same way around a pipeline run — the CLI (src/cli.ts) and the editor
// (src/providers/pipelineHost.ts) — where the core's flows meet the adapters. It sits above
// src/pipeline and src/clients (it imports both) and below the entries.
import { describeRateLimit, gitHubPortFor } from './clients/githubActions';
import { createDeploymentReporter, runUrlFromEnv, type DeploymentReporter } from './pipeline/github/deployments';
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

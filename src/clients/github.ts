// GitHub REST client factory (@octokit/rest, loaded on first use).
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };
import type { GitOpsConfig } from '../pipeline/config/types';

export async function createGitHubClient(config: Pick<GitOpsConfig, 'github'>, token: string | undefined): Promise<Octokit> {
  const { Octokit: OctokitClass } = await import('@octokit/rest');
  return new OctokitClass({
    ...(token ? { auth: token } : {}),
    baseUrl: config.github.apiUrl.replace(/\/+$/, ''),
    userAgent: 'gitops-deploy',
  });
}

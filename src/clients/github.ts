// GitHub REST client factory (@octokit/rest with the retry and throttling plugins, loaded on first use).
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };
import type { GitOpsConfig } from '../pipeline/config/types';
import { createOctokit } from './octokit';

export async function createGitHubClient(config: Pick<GitOpsConfig, 'github'>, token: string | undefined): Promise<Octokit> {
  // A token never goes to a host the repository named unless the user trusted it.
  return createOctokit({ baseUrl: config.github.apiUrl, token: config.github.untrustedHost ? undefined : token });
}

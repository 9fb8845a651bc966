// The editor's way to the repository's pull requests: the GitHub token as a run gets it
// (GITHUB_TOKEN, the signed-in GitHub account, GH_TOKEN) and never sent to a host the repository
// names unless you trusted it (the answer a run's trust question left, or your own settings).
import * as vscode from 'vscode';
import type { GitOpsConfig } from '../pipeline/config/types';
import type { PullRequestPort } from '../pipeline/github/pulls';
import { GitHubPulls } from '../clients/pulls';
import { HOST_TRUST_KEY, readAnswers } from './hostTrust';
import type { PullRequestAccess, PullRequestAccessor } from './pullRequests';

/** Makes the port over the repository's GitHub (src/clients/pulls.ts). */
export type PullRequestPortFactory = (github: GitOpsConfig['github'] & { owner: string; repo: string }, token: string) => Promise<PullRequestPort>;

/** GITHUB_TOKEN, else your GitHub sign-in (silently), else GH_TOKEN; only then, when asked to, the sign-in prompt. */
async function editorToken(interactive: boolean): Promise<string | undefined> {
  if (process.env.GITHUB_TOKEN) return process.env.GITHUB_TOKEN;
  const session = (createIfNone: boolean) =>
    Promise.resolve(vscode.authentication.getSession('github', ['repo', 'workflow'], createIfNone ? { createIfNone: true } : { silent: true })).then(
      (s) => s?.accessToken,
      () => undefined,
    );
  return (await session(false)) ?? process.env.GH_TOKEN ?? (interactive ? await session(true) : undefined);
}

export function pullRequestAccessor(make: PullRequestPortFactory, memory?: vscode.Memento, token: (interactive: boolean) => Promise<string | undefined> = editorToken): PullRequestAccessor {
  return async (config, opts): Promise<PullRequestAccess> => {
    const { owner, repo } = config.github;
    if (!owner || !repo) return { problem: 'no-repository' };
    const t = await token(opts.interactive);
    if (!t) return { problem: 'no-token' };
    let github = config.github;
    if (github.untrustedHost) {
      if (readAnswers(memory?.get(HOST_TRUST_KEY))[github.untrustedHost] !== 'trust') return { problem: 'untrusted-host', detail: github.untrustedHost };
      const { untrustedHost: _trusted, ...rest } = github;
      github = rest;
    }
    return { port: await make({ ...github, owner, repo }, t) };
  };
}

/** The adapter over @octokit/rest (src/clients/pulls.ts); the SDK loads on its first request. */
export const pullRequestPortFactory: PullRequestPortFactory = async (github, token) => {
  return new GitHubPulls({ apiUrl: github.apiUrl, owner: github.owner, repo: github.repo, token });
};

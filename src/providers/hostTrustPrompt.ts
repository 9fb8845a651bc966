// Before a run: the question whether a repository-named host may receive your token (modal; Trust,
// Don't trust, Cancel), remembered per host on this machine. The decision itself is pure (hostTrust.ts).
import type * as vscode from 'vscode';
import type { GitOpsConfig } from '../pipeline/config/types';
import { githubTrustStep, HOST_TRUST_KEY, readAnswers, rememberAnswer, trustGitHubHost, trustQuestion } from './hostTrust';
import type { Prompter } from './prompter';
import type { TranscriptChannel } from './transcriptChannel';

export class HostTrustPrompt {
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly prompter: () => Prompter,
    private readonly transcript: TranscriptChannel,
    /** Where answers are kept (the extension's globalState: this machine, not the workspace). */
    private readonly memory?: vscode.Memento,
  ) {}

  /**
   * Before a run: when the repository names the GitHub API host that would receive your token and
   * you have not answered for that host, ask (modal) — Trust sends it, Don't trust runs without it,
   * Cancel stops. The answer is remembered per host. Returns the configuration to run with, or
   * undefined when cancelled.
   */
  async ask(config: GitOpsConfig, hasToken: boolean): Promise<GitOpsConfig | undefined> {
    const remembered = readAnswers(this.memory?.get(HOST_TRUST_KEY));
    const step = githubTrustStep(config.github, hasToken, remembered);
    if (step.kind === 'none') return config;
    if (step.kind === 'send') return trustGitHubHost(config);
    if (step.kind === 'withhold') {
      this.log.warn(`not sending the GitHub token to ${step.host}: you chose not to trust that host (named by .gitops-deploy.yaml github.apiUrl); no GitHub deployment is reported`);
      return config;
    }
    const q = trustQuestion(step.request);
    const choice = await this.prompter().choose('warning', q.message, q.detail, q.buttons, { focused: q.focused, dismiss: q.dismiss });
    if (!choice || choice === 'cancel') {
      this.transcript.append(['', `cancelled: the repository asked to send your ${step.request.credential} to ${step.request.host}; nothing was changed`]);
      return undefined;
    }
    await this.memory?.update(HOST_TRUST_KEY, rememberAnswer(remembered, step.request.host, choice));
    this.log.info(`${choice === 'trust' ? 'trusted' : 'did not trust'} ${step.request.host} with the ${step.request.credential}`);
    return choice === 'trust' ? trustGitHubHost(config) : config;
  }

  /** Forgets every remembered answer about repository-named hosts. */
  async forget(): Promise<string[]> {
    const hosts = Object.keys(readAnswers(this.memory?.get(HOST_TRUST_KEY)));
    await this.memory?.update(HOST_TRUST_KEY, undefined);
    return hosts;
  }
}

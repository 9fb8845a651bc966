import * as vscode from 'vscode';
import { GitCli } from '../clients/git';
import { resolveActor } from '../pipeline/deploy';
import { errorMessage } from '../pipeline/errors';
import { setPaused } from '../pipeline/follow/pause';
import type { FollowNodeData } from '../providers/followScheduleTree';
import type { PipelineHost } from '../providers/pipelineHost';

/** Pause / Resume following (a follow node): a marker file in the repository, committed and pushed, so CI honours it. */
export function registerPauseFollowing(host: PipelineHost, after: () => Promise<void>): vscode.Disposable[] {
  const run = (paused: boolean) => async (arg?: unknown) => {
    const data = (arg as { data?: FollowNodeData } | undefined)?.data;
    if (data?.kind !== 'follow') return undefined;
    const title = paused ? 'Pause following' : 'Resume following';
    if (!host.trusted(title)) return undefined;
    const state = await host.state();
    if (!state) return undefined;
    let reason: string | undefined;
    if (paused) {
      reason = await host.prompter.input({ title: `Pause following of ${data.service} in ${data.environment}`, prompt: 'Why (recorded in the marker file and the commit)?', placeholder: 'INC-123 investigating the last build' });
      if (reason === undefined) return undefined;
    }
    const config = state.config;
    const git = new GitCli({ root: config.root, remote: config.git.remote, branch: config.git.branch, signCommits: config.git.signCommits });
    try {
      const actor = await resolveActor(host.deps(config).actor, process.env, git);
      const r = await setPaused(config, git, { environment: data.environment, service: data.service, paused, actor, reason: reason?.trim() || undefined, now: new Date() });
      void host.prompter.notify('info', `GitOps Deploy: ${paused ? 'paused' : 'resumed'} following of ${data.service} in ${data.environment}${r.commit ? ` (commit ${r.commit.slice(0, 7)})` : ''}.`, []);
      return r;
    } catch (err) {
      void host.prompter.notify('error', `GitOps Deploy: ${title.toLowerCase()} failed: ${errorMessage(err)}`, []);
      return undefined;
    } finally {
      await after();
    }
  };
  return [vscode.commands.registerCommand('gitopsDeploy.pauseFollowing', run(true)), vscode.commands.registerCommand('gitopsDeploy.resumeFollowing', run(false))];
}

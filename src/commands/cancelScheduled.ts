import * as vscode from 'vscode';
import { GitCli } from '../clients/git';
import { resolveActor } from '../pipeline/deploy';
import { errorMessage } from '../pipeline/errors';
import { cancelSchedule } from '../pipeline/schedule/schedule';
import type { ScheduleNodeData } from '../providers/followScheduleTree';
import type { PipelineHost } from '../providers/pipelineHost';

export const CANCEL_BUTTON = 'Cancel promotion';

/** Cancel a scheduled promotion (its tree node): asks, then deletes its file, commits and pushes. */
export function registerCancelScheduled(host: PipelineHost, after: () => Promise<void>): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.cancelScheduled', async (arg?: unknown) => {
    const data = (arg as { data?: ScheduleNodeData } | undefined)?.data;
    if (data?.kind !== 'schedule') return undefined;
    if (!host.trusted('Cancel scheduled promotion')) return undefined;
    const state = await host.state();
    if (!state) return undefined;
    const answer = await host.prompter.confirm('warning', `Cancel the scheduled promotion of ${data.service} ${data.previousTag} → ${data.tag} in ${data.environment}?`, `It would run at ${data.notBefore}. ${data.file} is deleted, committed and pushed.`, [CANCEL_BUTTON]);
    if (answer !== CANCEL_BUTTON) return undefined;
    const config = state.config;
    const git = new GitCli({ root: config.root, remote: config.git.remote, branch: config.git.branch, signCommits: config.git.signCommits });
    try {
      const actor = await resolveActor(host.deps(config).actor, process.env, git);
      const r = await cancelSchedule(config, git, data.environment, data.id, actor, undefined);
      void host.prompter.notify('info', `GitOps Deploy: cancelled the scheduled promotion of ${data.service} ${data.tag} in ${data.environment} (commit ${r.commit.slice(0, 7)}).`, []);
      return r;
    } catch (err) {
      void host.prompter.notify('error', `GitOps Deploy: could not cancel: ${errorMessage(err)}`, []);
      return undefined;
    } finally {
      await after();
    }
  });
}

// gitopsDeploy.approveRun / gitopsDeploy.rejectRun: review a GitHub Actions run that waits on a
// protected environment, from the tree's "Waiting for approval" node (inline) or with a run id.
// A second argument `{ comment }` skips the comment prompt (tests, other extensions).
import * as vscode from 'vscode';
import type { RunNodeData } from '../providers/githubRuns';
import type { CommandContext } from './context';
import { gitHubOf, reviewRun } from './githubRun';

function runIdOf(arg: unknown): number | undefined {
  if (typeof arg === 'number') return arg;
  if (typeof arg === 'string' && /^\d+$/.test(arg)) return Number(arg);
  const a = arg as { data?: RunNodeData; runId?: number } | undefined;
  return a?.data?.runId ?? a?.runId;
}

export function registerApproveRun(ctx: CommandContext): vscode.Disposable[] {
  const review = (state: 'approved' | 'rejected') => async (arg?: unknown, opts?: { comment?: string }): Promise<boolean> => {
    const { prompter, runs } = gitHubOf(ctx);
    let runId = runIdOf(arg);
    if (runId === undefined) {
      const id = await prompter().input({ title: `${state === 'approved' ? 'Approve' : 'Reject'} a GitHub Actions run`, prompt: 'Run id' });
      runId = id && /^\d+$/.test(id.trim()) ? Number(id.trim()) : undefined;
      if (runId === undefined) return false;
    }
    const comment = opts?.comment ?? (await prompter().input({ title: `${state === 'approved' ? 'Approve' : 'Reject'} run ${runId}`, prompt: 'Comment (recorded with the review on GitHub)' }));
    if (comment === undefined) return false;
    try {
      const done = await reviewRun(ctx, runId, state, comment);
      return !!done?.length;
    } catch (err) {
      void prompter().notify('error', runs.mask(`Could not ${state === 'approved' ? 'approve' : 'reject'} run ${runId}: ${err instanceof Error ? err.message : String(err)}`), []);
      return false;
    }
  };
  return [vscode.commands.registerCommand('gitopsDeploy.approveRun', review('approved')), vscode.commands.registerCommand('gitopsDeploy.rejectRun', review('rejected'))];
}

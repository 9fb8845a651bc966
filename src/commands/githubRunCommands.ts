// Registers the GitHub pieces of the editor: the runs service (tree contributions, status bar,
// output channel), Create Deployment Workflow, Approve/Reject, Cancel run, Open run.
import * as vscode from 'vscode';
import { GitHubRuns, type RunNodeData } from '../providers/githubRuns';
import { registerApproveRun } from './approveRun';
import type { CommandContext } from './context';
import { registerCreateWorkflow } from './createWorkflow';
import { bindGitHub, windowGitHubPrompter, type GitHubPrompter } from './githubRun';

export interface GitHubApi {
  runs: GitHubRuns;
  /** Replace the prompts (tests); disposing restores the editor's. */
  setPrompter(p: GitHubPrompter): vscode.Disposable;
}

export function registerGitHub(ctx: CommandContext, o: { pollMs?: number } = {}): { disposables: vscode.Disposable[]; api: GitHubApi } {
  const runs = new GitHubRuns(ctx.model, ctx.log);
  let override: GitHubPrompter | undefined;
  bindGitHub(ctx, runs, () => override ?? windowGitHubPrompter, o.pollMs);
  const nodeRun = (arg: unknown) => (arg as { data?: RunNodeData } | undefined)?.data;
  const disposables: vscode.Disposable[] = [
    runs,
    ctx.tree.contribute(runs),
    ...registerCreateWorkflow(ctx),
    ...registerApproveRun(ctx),
    vscode.commands.registerCommand('gitopsDeploy.cancelRun', async (arg?: unknown) => {
      const run = nodeRun(arg);
      const p = run && (await runs.port(true));
      if (!p || !run) return;
      await p.port.cancelRun(run.runId);
      runs.append(`cancelled run ${run.runId}`);
      await runs.refresh();
    }),
    vscode.commands.registerCommand('gitopsDeploy.openRun', async (arg?: unknown) => {
      const run = nodeRun(arg);
      if (run) await vscode.env.openExternal(vscode.Uri.parse(run.url));
    }),
  ];
  return {
    disposables,
    api: {
      runs,
      setPrompter: (p) => {
        override = p;
        return { dispose: () => { if (override === p) override = undefined; } };
      },
    },
  };
}

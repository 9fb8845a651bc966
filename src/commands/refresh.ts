import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { explainNoRepo, windowNotify } from '../providers/noRepo';
import { RELOAD_PULL_REQUESTS } from './pullRequests';

export function registerRefresh(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.refresh', async () => {
    if (!(await ctx.model.refresh())) void explainNoRepo(windowNotify);
    else await vscode.commands.executeCommand(RELOAD_PULL_REQUESTS).then(undefined, () => undefined);
  });
}

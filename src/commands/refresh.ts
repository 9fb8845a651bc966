import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { explainNoRepo, windowNotify } from '../providers/noRepo';

export function registerRefresh(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.refresh', async () => {
    if (!(await ctx.model.refresh())) void explainNoRepo(windowNotify);
  });
}

import * as vscode from 'vscode';
import type { CommandContext } from './context';

export function registerRefresh(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.refresh', async () => {
    await ctx.model.refresh();
  });
}

import * as vscode from 'vscode';
import type { CommandContext } from './context';

export function registerShowLog(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.showLog', () => ctx.log.show(true));
}

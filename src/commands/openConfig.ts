import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE } from '../pipeline/config/load';
import type { CommandContext } from './context';

export function registerOpenConfig(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.openConfig', async () => {
    const state = await ctx.model.get();
    if (!state) {
      await vscode.commands.executeCommand('gitopsDeploy.createConfig');
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(state.root, CONFIG_FILE)));
  });
}

import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE } from '../pipeline/config/load';
import { STARTER_CONFIG } from '../pipeline/config/starter';
import type { CommandContext } from './context';

/** Write a starter .gitops-deploy.yaml into a workspace folder (never overwriting one). */
export function registerCreateConfig(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.createConfig', async () => {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (folders.length === 0) {
      void vscode.window.showErrorMessage('GitOps Deploy: open the folder of your GitOps repository first (File → Open Folder…).');
      return;
    }
    const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder is the GitOps repository?' });
    if (!folder) return;
    const target = vscode.Uri.file(path.join(folder.uri.fsPath, CONFIG_FILE));
    try {
      await vscode.workspace.fs.stat(target);
      void vscode.window.showInformationMessage(`${CONFIG_FILE} already exists in ${folder.name}; opening it.`);
    } catch {
      await vscode.workspace.fs.writeFile(target, Buffer.from(STARTER_CONFIG, 'utf8'));
      ctx.log.info(`created ${target.fsPath}`);
    }
    await vscode.window.showTextDocument(target);
    await ctx.model.refresh();
  });
}

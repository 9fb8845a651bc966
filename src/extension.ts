// Composition root: create the shared objects, register every command and view synchronously,
// then load the repository in the background. No SDK is imported here (they load per step).
import * as vscode from 'vscode';
import { registerCreateConfig } from './commands/createConfig';
import type { CommandContext } from './commands/context';
import { registerGitHub, type GitHubApi } from './commands/githubRunCommands';
import { registerOpenConfig } from './commands/openConfig';
import { registerPending } from './commands/pending';
import { registerRefresh } from './commands/refresh';
import { registerShowLog } from './commands/showLog';
import { registerShowRecords } from './commands/showRecords';
import { EnvironmentsTree, type TreeNode } from './providers/environmentsTree';
import { WorkspaceModel } from './providers/workspaceModel';

/** What activate() returns: used by the e2e tests and by other extensions. */
export interface GitOpsDeployApi {
  tree: { getChildren(element?: TreeNode): Promise<TreeNode[]>; getTreeItem(node: TreeNode): vscode.TreeItem };
  onDidRefresh: vscode.Event<void>;
  refresh(): Promise<void>;
  /** GitHub runs and prompts (tests). */
  github: GitHubApi;
}

export function activate(context: vscode.ExtensionContext): GitOpsDeployApi {
  const log = vscode.window.createOutputChannel('GitOps Deploy (log)', { log: true });
  const model = new WorkspaceModel(log);
  const tree = new EnvironmentsTree(model);
  context.subscriptions.push(log, model, tree);

  const view = vscode.window.createTreeView('gitopsDeploy.environments', { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(view);

  const ctx: CommandContext = { extension: context, model, tree, log };
  const github = registerGitHub(ctx);
  context.subscriptions.push(
    registerRefresh(ctx),
    registerShowLog(ctx),
    registerCreateConfig(ctx),
    registerOpenConfig(ctx),
    ...github.disposables,
    registerShowRecords(ctx),
    ...registerPending(),
  );

  // Load after registration; the tree asks for it too, whichever comes first shares the load.
  void model.refresh();

  return {
    tree,
    onDidRefresh: tree.onDidRefresh,
    github: github.api,
    refresh: async () => {
      await model.refresh();
    },
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}

import type * as vscode from 'vscode';
import type { EnvironmentsTree } from '../providers/environmentsTree';
import type { WorkspaceModel } from '../providers/workspaceModel';

/** What every command receives from the composition root. */
export interface CommandContext {
  extension: vscode.ExtensionContext;
  model: WorkspaceModel;
  tree: EnvironmentsTree;
  log: vscode.LogOutputChannel;
}

import * as vscode from 'vscode';
import { codeLensSpecs } from './codeLensLines';
import { Disposable } from './lifecycle';
import type { WorkspaceModel } from './workspaceModel';

/** "Promote to <next env>" and "Rollback" above each service of a configured values file. */
export class ValuesCodeLens extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly model: WorkspaceModel) {
    super();
    this.register(model.onDidChange(() => this.changed.fire()));
    this.register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('gitopsDeploy.codeLens') && this.changed.fire()));
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.getConfiguration('gitopsDeploy').get<boolean>('codeLens', true)) return [];
    return codeLensSpecs(this.model.current, document.uri.fsPath, document.getText()).map(
      (s) => new vscode.CodeLens(new vscode.Range(s.line, 0, s.line, 0), { title: s.title, command: s.command, arguments: [s.target], tooltip: `${s.title.replace(/^\$\([^)]*\) /, '')}: ${s.target.service} from ${s.target.environment}` }),
    );
  }

  static register(model: WorkspaceModel): vscode.Disposable[] {
    const provider = new ValuesCodeLens(model);
    return [provider, vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.{yaml,yml}' }, provider)];
  }
}

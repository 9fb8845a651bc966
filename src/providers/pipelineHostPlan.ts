import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

export const PLAN_SCHEME = 'gitops-deploy-plan';

/**
 * Read-only plan documents (`gitops-deploy-plan:/accounts → prod.md`): the plan stays readable next to
 * the approval dialog and after it, and closing it never asks to save.
 */
export class PlanDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '';
  }

  /** Shows the plan beside the current editor without taking the focus. */
  async show(name: string, text: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: PLAN_SCHEME, path: `/${name.replace(/[\\/]/g, '-')}.md` });
    this.texts.set(uri.path, text);
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true, viewColumn: vscode.ViewColumn.Active });
  }
}

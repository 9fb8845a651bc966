import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

export const PLAN_SCHEME = 'gitops-deploy-plan';
export const REPORT_SCHEME = 'gitops-deploy-report';

export interface ShowOptions {
  /** Set the document's language (e.g. "log"); default: from the extension. */
  language?: string;
  /** Keep the focus where it is and open as a preview (a plan beside the approval dialog). */
  beside?: boolean;
}

/**
 * Read-only documents on one URI scheme, named by the caller: plans (`gitops-deploy-plan:/….md`,
 * readable next to the approval dialog and after it) and troubleshooting reports
 * (`gitops-deploy-report:/Logs of accounts in stag.log`). Showing a name again replaces its text;
 * closing one never asks to save.
 */
export class ReadOnlyDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly scheme: string,
    private readonly extension: string,
  ) {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(scheme, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '';
  }

  private uriOf(name: string): vscode.Uri {
    return vscode.Uri.from({ scheme: this.scheme, path: `/${name.replace(/[\\/]/g, '-')}${this.extension}` });
  }

  /** Replaces the text of a document without showing it (an open one reloads); resolves once it has. */
  async update(name: string, text: string): Promise<void> {
    const uri = this.uriOf(name);
    this.texts.set(uri.path, text);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const reloaded = open && open.getText() !== text ? this.reloadOf(uri) : undefined;
    this.changed.fire(uri);
    await reloaded;
  }

  /** Opens (or refreshes) the document; resolves once it shows the new text. */
  async show(name: string, text: string, o: ShowOptions = {}): Promise<vscode.TextDocument> {
    const uri = this.uriOf(name);
    this.texts.set(uri.path, text);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    // An open document reloads its text asynchronously: wait for it, so the caller sees the new text.
    const reloaded = open && open.getText() !== text ? this.reloadOf(uri) : undefined;
    this.changed.fire(uri);
    await reloaded;
    let doc = await vscode.workspace.openTextDocument(uri);
    if (o.language && doc.languageId !== o.language) doc = await vscode.languages.setTextDocumentLanguage(doc, o.language);
    await vscode.window.showTextDocument(doc, o.beside ? { preview: true, preserveFocus: true, viewColumn: vscode.ViewColumn.Active } : { preview: false });
    return doc;
  }

  private reloadOf(uri: vscode.Uri): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      };
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === uri.toString()) done();
      });
      const timer = setTimeout(done, 2000);
    });
  }
}

import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

export const REPORT_SCHEME = 'gitops-deploy-report';

/**
 * Read-only troubleshooting reports (`gitops-deploy-report:/Logs of accounts in stag.log`): the logs
 * and events of a service, as `gitops-deploy logs|events` prints them, in the "log" language. Showing
 * a report again replaces its text; closing it never asks to save.
 */
export class ReportDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '';
  }

  /** Opens (or refreshes) the report in the active editor group and focuses it. */
  async show(name: string, text: string): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${name.replace(/[\\/]/g, '-')}.log` });
    this.texts.set(uri.path, text);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    // An open report reloads its text asynchronously: wait for it, so the caller sees the new text.
    const reloaded = open && open.getText() !== text ? this.reloadOf(uri) : undefined;
    this.changed.fire(uri);
    await reloaded;
    let doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'log') doc = await vscode.languages.setTextDocumentLanguage(doc, 'log');
    await vscode.window.showTextDocument(doc, { preview: false });
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

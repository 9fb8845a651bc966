import * as vscode from 'vscode';

/** Commands whose pipeline lands in a later release: they say so instead of failing silently. */
const PENDING: Record<string, string> = {
};

export function registerPending(): vscode.Disposable[] {
  return Object.entries(PENDING).map(([id, title]) =>
    vscode.commands.registerCommand(id, () => {
      void vscode.window.showInformationMessage(`GitOps Deploy: "${title}" is not available in this version yet. Use the CLI (gitops-deploy) or edit the values file and commit.`);
    }),
  );
}

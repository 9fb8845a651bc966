// "Export Evidence Pack": an environment, a period and a new or empty folder; then evidence.json
// and a self-contained evidence.html for a change-management review (src/pipeline/evidencePack.ts).
import * as vscode from 'vscode';
import { UserError } from '../pipeline/errors';
import { parsePeriod } from '../pipeline/model/dora';
import type { CommandContext } from './context';
import { exportEvidencePack } from './exportEvidenceCore';

export function registerExportEvidence(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.exportEvidencePack', async () => {
    const state = await ctx.model.get();
    if (!state?.config) {
      void vscode.window.showErrorMessage(state?.configProblem ? `Invalid .gitops-deploy.yaml: ${state.configProblem}` : 'No GitOps repository in this workspace.');
      return;
    }
    const config = state.config;
    const names = config.environments.map((e) => e.name);
    const environment = await vscode.window.showQuickPick(names.slice().reverse(), { title: 'Export Evidence Pack: environment' });
    if (!environment) return;
    const since = await vscode.window.showInputBox({
      title: 'Export Evidence Pack: from',
      prompt: 'A date (2026-10-01) or a span back from now (90d, 12w, 6m)',
      value: '90d',
      validateInput: (v) => {
        try {
          parsePeriod(v, undefined, new Date());
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    });
    if (since === undefined) return;
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Export here (new or empty folder)' });
    if (!folder?.[0]) return;
    const now = new Date();
    try {
      const p = parsePeriod(since, undefined, now);
      // The approvals of the changes' GitHub runs need the user's GitHub token: GITHUB_TOKEN, else
      // the GitHub sign-in if there is one (never prompts; without it the pack says nothing of approvals).
      const githubToken = process.env.GITHUB_TOKEN ?? (await Promise.resolve(vscode.authentication.getSession('github', ['repo', 'workflow'], { silent: true })).then((s) => s?.accessToken, () => undefined));
      const pack = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting the evidence pack of ${environment}…`, cancellable: true }, (_p, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return exportEvidencePack(config, { environment, since: p.since, until: p.until, out: folder[0].fsPath, now, githubToken, signal: controller.signal });
      });
      const open = await vscode.window.showInformationMessage(`Evidence pack: ${pack.summary.changes} change(s) in ${environment}; trail ${pack.trail.intact ? 'intact' : 'BROKEN'}.`, 'Open Report');
      if (open) await vscode.env.openExternal(vscode.Uri.joinPath(folder[0], 'evidence.html'));
    } catch (err) {
      void vscode.window.showErrorMessage(err instanceof UserError || err instanceof RangeError ? err.message : `Export failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

// "Export Evidence Pack": an environment, a period and a new or empty folder; then evidence.json
// and a self-contained evidence.html for a change-management review (src/pipeline/evidencePack.ts).
import * as vscode from 'vscode';
import { recordsGit } from '../clients/recordsGit';
import { UserError } from '../pipeline/errors';
import { writeEvidencePack } from '../pipeline/evidencePack';
import { parsePeriod } from '../pipeline/model/dora';
import type { CommandContext } from './context';

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
      const pack = await writeEvidencePack(config, recordsGit(state.root), { environment, since: p.since, until: p.until, out: folder[0].fsPath, now });
      const open = await vscode.window.showInformationMessage(`Evidence pack: ${pack.summary.changes} change(s) in ${environment}; trail ${pack.trail.intact ? 'intact' : 'BROKEN'}.`, 'Open Report');
      if (open) await vscode.env.openExternal(vscode.Uri.joinPath(folder[0], 'evidence.html'));
    } catch (err) {
      void vscode.window.showErrorMessage(err instanceof UserError || err instanceof RangeError ? err.message : `Export failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

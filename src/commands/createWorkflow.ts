// gitopsDeploy.createWorkflow: write .github/workflows/deploy-service.yml, the local action and
// the CLI (this extension's dist/cli.js, dist/cli-main.js and dist/sdk/) into the GitOps repository. Shows each file
// first (a diff against the existing one), writes on confirmation, and never overwrites a
// different existing file without asking. `{ yes: true, overwrite?: boolean }` answers for tests.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { workflowFiles, workflowOptionsFromState, WORKFLOW_PATH, type CliFile, type GeneratedFile } from '../pipeline/github/workflow';
import type { CommandContext } from './context';
import { explainNoRepo, windowNotify } from '../providers/noRepo';

const SCHEME = 'gitops-deploy-preview';

/** The built CLI: dist/cli.js, the core it loads (cli-main.js) and the SDKs (sdk/*.js). */
async function cliFiles(dist: string): Promise<CliFile[]> {
  const sdk = (await fs.readdir(path.join(dist, 'sdk'))).filter((f) => f.endsWith('.js')).sort().map((f) => `sdk/${f}`);
  return Promise.all(['cli.js', 'cli-main.js', ...sdk].map(async (name) => ({ name, content: await fs.readFile(path.join(dist, name), 'utf8') })));
}

export function registerCreateWorkflow(ctx: CommandContext): vscode.Disposable[] {
  const previews = new Map<string, string>();
  const provider = vscode.workspace.registerTextDocumentContentProvider(SCHEME, { provideTextDocumentContent: (uri) => previews.get(uri.path) ?? '' });
  const command = vscode.commands.registerCommand('gitopsDeploy.createWorkflow', async (opts?: { yes?: boolean; overwrite?: boolean }): Promise<string[]> => {
    const state = await ctx.model.refresh();
    if (!state) {
      void explainNoRepo(windowNotify);
      return [];
    }
    if (state.configProblem) {
      void vscode.window.showErrorMessage(`GitOps Deploy: ${state.configProblem}`);
      return [];
    }
    let files: GeneratedFile[];
    try {
      files = workflowFiles(workflowOptionsFromState(state), await cliFiles(path.join(ctx.extension.extensionPath, 'dist')));
    } catch (err) {
      void vscode.window.showErrorMessage(`GitOps Deploy: cannot generate the workflow: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
    const existing = await Promise.all(files.map((f) => fs.readFile(path.join(state.root, f.path), 'utf8').catch(() => undefined)));
    const changed = files.filter((f, i) => existing[i] !== f.content);
    if (!changed.length) {
      void vscode.window.showInformationMessage(`GitOps Deploy: ${WORKFLOW_PATH} is up to date.`);
      return [];
    }
    const conflicts = changed.filter((f) => existing[files.indexOf(f)] !== undefined);
    if (!opts?.yes) {
      // Preview the workflow (a diff when it exists); the bundle is too large to be worth showing.
      for (const f of changed.filter((x) => !x.path.endsWith('.js'))) {
        previews.set(`/${f.path}`, f.content);
        const right = vscode.Uri.from({ scheme: SCHEME, path: `/${f.path}` });
        const target = vscode.Uri.file(path.join(state.root, f.path));
        if (existing[files.indexOf(f)] !== undefined) await vscode.commands.executeCommand('vscode.diff', target, right, `${f.path} (current ↔ generated)`, { preview: false });
        else await vscode.window.showTextDocument(right, { preview: false });
      }
    }
    const list = changed.map((f) => `${f.path}${existing[files.indexOf(f)] !== undefined ? ' (replaces the existing file)' : ''}`).join('\n');
    const write = conflicts.length ? 'Overwrite and write' : 'Write';
    const answer = opts?.yes ? (conflicts.length && !opts.overwrite ? undefined : write) : await vscode.window.showWarningMessage(`Write the deployment workflow into ${path.basename(state.root)}?`, { modal: true, detail: `${list}\n\nCommit and push them to use the workflow.` }, write);
    if (answer !== write) return [];
    for (const f of changed) {
      const abs = path.join(state.root, f.path);
      await fs.mkdir(path.dirname(abs), { recursive: true });
      await fs.writeFile(abs, f.content, f.path.endsWith('/dist/cli.js') ? { mode: 0o755 } : {});
    }
    ctx.log.info(`wrote ${changed.map((f) => f.path).join(', ')}`);
    void vscode.window.showInformationMessage(`GitOps Deploy: wrote ${changed.length} file${changed.length === 1 ? '' : 's'}. Commit and push them, then set "gitopsDeploy.executor" to github-actions.`);
    return changed.map((f) => f.path);
  });
  return [provider, command];
}

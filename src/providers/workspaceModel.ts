import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE, findRepoRoot } from '../pipeline/config/load';
import { loadRepoState, type RepoState } from '../pipeline/model/repoState';
import { Disposable } from './lifecycle';

/** Context keys read by `when` clauses and viewsWelcome. */
export const CTX_HAS_REPO = 'gitopsDeploy.hasRepo';
export const CTX_LOADED = 'gitopsDeploy.loaded';

/**
 * The GitOps repository of this workspace, its state, and its refreshes: when a values file, a
 * record or the config changes on disk, when a deployment window opens or closes, and on demand.
 */
export class WorkspaceModel extends Disposable {
  private readonly changed = this.register(new vscode.EventEmitter<RepoState | undefined>());
  readonly onDidChange = this.changed.event;
  private state: RepoState | undefined;
  private loading: Promise<RepoState | undefined> | undefined;
  private pending = false;
  private debounce: NodeJS.Timeout | undefined;
  private windowTimer: NodeJS.Timeout | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private watchedRoot: string | undefined;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()));
    this.register({ dispose: () => { clearTimeout(this.debounce); clearTimeout(this.windowTimer); this.watcher?.dispose(); } });
  }

  get current(): RepoState | undefined {
    return this.state;
  }

  /** The state, loading it on first use. */
  async get(): Promise<RepoState | undefined> {
    if (this.state) return this.state;
    return this.loading ?? this.refresh();
  }

  /** Reload everything; concurrent calls coalesce into one reload after the running one. */
  refresh(): Promise<RepoState | undefined> {
    if (this.loading) {
      this.pending = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = undefined;
      if (this.pending) {
        this.pending = false;
        void this.refresh();
      }
    });
    return this.loading;
  }

  private async load(): Promise<RepoState | undefined> {
    const started = performance.now();
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const root = await findRepoRoot(folders);
    await vscode.commands.executeCommand('setContext', CTX_HAS_REPO, root !== undefined);
    if (!root) {
      this.state = undefined;
      this.watch(undefined);
      this.log.info(`no GitOps repository among ${folders.length} workspace folder(s)`);
    } else {
      this.state = await loadRepoState(root, this.now());
      this.watch(root);
      this.scheduleWindowRefresh(this.state);
      const n = this.state.environments.reduce((a, e) => a + e.services.length, 0);
      this.log.info(`loaded ${root}: ${this.state.environments.length} environments, ${n} service entries, ${this.state.records.length} records in ${Math.round(performance.now() - started)} ms`);
      if (this.state.configProblem) this.log.warn(this.state.configProblem);
      for (const p of this.state.recordProblems) this.log.warn(`record skipped: ${p.file}: ${p.message}`);
    }
    await vscode.commands.executeCommand('setContext', CTX_LOADED, true);
    this.changed.fire(this.state);
    return this.state;
  }

  private watch(root: string | undefined): void {
    if (root === this.watchedRoot) return;
    this.watcher?.dispose();
    this.watcher = undefined;
    this.watchedRoot = root;
    if (!root) return;
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '**/*.{yaml,yml,md}'));
    const onFile = (uri: vscode.Uri) => {
      if (this.isRelevant(uri.fsPath)) this.scheduleRefresh();
    };
    w.onDidChange(onFile);
    w.onDidCreate(onFile);
    w.onDidDelete(onFile);
    this.watcher = w;
  }

  private isRelevant(file: string): boolean {
    const state = this.state;
    if (!state || path.basename(file) === CONFIG_FILE) return true;
    if (!state.config) return file.endsWith('image-tags.yaml');
    return state.config.environments.some((e) => e.valuesFile === file || file.startsWith(e.recordsDir + path.sep));
  }

  private scheduleRefresh(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.refresh(), 75);
  }

  /** Refresh when the next deployment window opens or closes, so the tree never shows a stale state. */
  private scheduleWindowRefresh(state: RepoState): void {
    clearTimeout(this.windowTimer);
    const next = state.environments.map((e) => e.window.changesAt?.getTime()).filter((t): t is number => t !== undefined).sort((a, b) => a - b)[0];
    if (next === undefined) return;
    const delay = Math.min(Math.max(next - this.now().getTime() + 500, 1000), 2 ** 31 - 1);
    this.windowTimer = setTimeout(() => void this.refresh(), delay);
  }
}

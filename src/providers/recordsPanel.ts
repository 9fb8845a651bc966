// The deployment-records panel: one webview panel (view type gitopsDeploy.records), revived after
// a reload by a serializer. The extension host keeps the records index and answers the webview's
// queries with one page of row tuples (src/pipeline/model/recordsQuery.ts); the webview renders
// (src/webview/records.ts). Messages are typed (recordsProtocol.ts) and validated on arrival.
import * as vscode from 'vscode';
import { NO_REPO_MESSAGE } from './noRepo';
import { RecordsIndex, type RecordsFilters, type RecordsQuery } from '../pipeline/model/recordsQuery';
import type { RepoState } from '../pipeline/model/repoState';
import { Disposable } from './lifecycle';
import { makeNonce, recordDetail, recordsShell } from './recordsHtml';
import { insightsFor, trailFor } from './recordsInsights';
import { VIEW_TYPE, parseWebviewMessage, type ExtensionToWebview, type ProbeAction, type RenderedSnapshot, type WebviewToExtension } from './recordsProtocol';
import type { WorkspaceModel } from './workspaceModel';

const PROBE_TIMEOUT_MS = 5000;

/** Owns the (single) records panel: opens, reveals and revives it. */
export class RecordsPanels extends Disposable {
  private session: RecordsSession | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly model: WorkspaceModel,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register({ dispose: () => this.session?.dispose() });
  }

  /** The serializer that revives the panel after a window reload (its state lives in the webview). */
  serializer(): vscode.WebviewPanelSerializer {
    return {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        this.attach(panel, undefined);
      },
    };
  }

  /** Open the panel, or reveal it; `preset` filters it (from a tree node). */
  show(preset?: RecordsFilters): void {
    if (this.session) {
      this.session.panel.reveal(undefined, false);
      if (preset) this.session.setFilters(preset);
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Deployment Records', vscode.ViewColumn.Active, {
      enableScripts: true,
      enableFindWidget: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')],
    });
    this.attach(panel, preset);
  }

  /** Test hook: what the webview shows, after an optional UI action. */
  probe(action?: ProbeAction): Promise<RenderedSnapshot | undefined> {
    return this.session ? this.session.probe(action) : Promise.resolve(undefined);
  }

  private attach(panel: vscode.WebviewPanel, preset: RecordsFilters | undefined): void {
    this.session?.dispose();
    const session = new RecordsSession(panel, this.extensionUri, this.model, this.log, preset);
    this.session = session;
    session.onDidDispose(() => {
      if (this.session === session) this.session = undefined;
    });
  }
}

class RecordsSession extends Disposable {
  private readonly disposeEmitter = this.register(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.disposeEmitter.event;
  private ready = false;
  private index: RecordsIndex | undefined;
  private last: { requestId: number; query: RecordsQuery } | undefined;
  private lastInsights: { requestId: number; days: number; environment?: string } | undefined;
  private probeId = 0;
  private readonly probes = new Map<number, (s: RenderedSnapshot | undefined) => void>();

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly model: WorkspaceModel,
    private readonly log: vscode.LogOutputChannel,
    private preset: RecordsFilters | undefined,
  ) {
    super();
    const webview = panel.webview;
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    webview.options = { enableScripts: true, localResourceRoots: [media] };
    panel.iconPath = vscode.Uri.joinPath(media, 'gitops.svg');
    webview.html = recordsShell({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'records.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'records.css')).toString(),
    });
    this.register(webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)));
    this.register(model.onDidChange(() => this.onModelChange()));
    this.register(
      panel.onDidChangeViewState((e) => {
        // Hidden webviews are torn down (retainContextWhenHidden is off); the reload says ready again.
        if (!e.webviewPanel.visible) this.ready = false;
      }),
    );
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register({
      dispose: () => {
        for (const resolve of this.probes.values()) resolve(undefined);
        this.probes.clear();
        this.disposeEmitter.fire();
      },
    });
  }

  override dispose(): void {
    super.dispose();
    this.panel.dispose();
  }

  setFilters(filters: RecordsFilters): void {
    if (this.ready) this.post({ type: 'setFilters', filters });
    else this.preset = filters;
  }

  probe(action?: ProbeAction): Promise<RenderedSnapshot | undefined> {
    if (!this.ready) return Promise.resolve(undefined);
    const requestId = ++this.probeId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.probes.delete(requestId);
        resolve(undefined);
      }, PROBE_TIMEOUT_MS);
      this.probes.set(requestId, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.post({ type: 'probe', requestId, action });
    });
  }

  private post(msg: ExtensionToWebview): void {
    void this.panel.webview.postMessage(msg);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      this.log.warn(`records panel: ignored a malformed message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    try {
      await this.handle(msg);
    } catch (err) {
      this.log.error(`records panel: ${msg.type}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async handle(msg: WebviewToExtension): Promise<void> {
    switch (msg.type) {
      case 'ready': {
        this.ready = true;
        const preset = this.preset;
        this.preset = undefined;
        this.post({ type: 'init', preset });
        return;
      }
      case 'query': {
        this.last = { requestId: msg.requestId, query: msg.query };
        await this.answer();
        return;
      }
      case 'detail': {
        const { index, state } = await this.current();
        const record = index.get(msg.id);
        this.post({ type: 'detail', id: msg.id, record: record && state ? recordDetail(state.root, record) : undefined });
        return;
      }
      case 'openFile': {
        const { index } = await this.current();
        const record = index.get(msg.id);
        if (!record) return;
        await vscode.window.showTextDocument(vscode.Uri.file(record.file), { preview: true, viewColumn: vscode.ViewColumn.Beside });
        return;
      }
      case 'openExternal':
        // parseWebviewMessage accepted only an absolute http(s) URL.
        await vscode.env.openExternal(vscode.Uri.parse(msg.url, true));
        return;
      case 'insights':
        this.lastInsights = { requestId: msg.requestId, days: msg.days, environment: msg.environment };
        await this.answerInsights();
        return;
      case 'verifyTrail':
        this.post({ type: 'trail', ...(await trailFor(await this.model.get())) });
        return;
      case 'probeResult':
        this.probes.get(msg.requestId)?.(msg.snapshot);
        this.probes.delete(msg.requestId);
        return;
    }
  }

  private async current(): Promise<{ index: RecordsIndex; state: RepoState | undefined }> {
    const state = await this.model.get();
    const records = state?.records ?? [];
    if (!this.index || this.index.records !== records) {
      const started = performance.now();
      this.index = new RecordsIndex(records, state?.root ?? '', state?.config?.environments.map((e) => e.name) ?? []);
      this.log.debug(`records panel: indexed ${records.length} records in ${Math.round(performance.now() - started)} ms`);
    }
    return { index: this.index, state };
  }

  private async answer(): Promise<void> {
    const last = this.last;
    if (!last) return;
    const { index, state } = await this.current();
    const page = index.query(last.query);
    let notice: string | undefined;
    if (!state) notice = NO_REPO_MESSAGE;
    else if (state.configProblem) notice = `Invalid .gitops-deploy.yaml: ${state.configProblem}`;
    else if (state.recordProblems.length) notice = `${state.recordProblems.length} malformed record file(s) skipped; see GitOps Deploy: Show Log.`;
    // A page answers the latest query only; a later one has replaced `last` meanwhile otherwise.
    if (this.last === last) this.post({ type: 'page', requestId: last.requestId, page, notice: page.total === 0 || state?.recordProblems.length ? notice : undefined });
  }

  private async answerInsights(): Promise<void> {
    const last = this.lastInsights;
    if (!last) return;
    const state = await this.model.get();
    const started = performance.now();
    const insights = insightsFor(state, last.days, last.environment, new Date());
    this.log.debug(`records panel: insights of ${state?.records.length ?? 0} records in ${Math.round(performance.now() - started)} ms`);
    if (this.lastInsights === last) this.post({ type: 'insights', requestId: last.requestId, insights });
  }

  private onModelChange(): void {
    // Records changed on disk (or the repository did): send the same query's new page.
    if (this.ready && this.panel.visible) {
      void this.answer();
      void this.answerInsights();
    }
  }
}

// Helpers for e2e tests (they run inside the VS Code extension host).
import * as vscode from 'vscode';

export const EXTENSION_ID = 'gitops-deploy.gitops-deploy';

/** What the extension's activate() returns (see src/extension.ts). */
export interface TestApi {
  tree: {
    getChildren(element?: unknown): Promise<unknown[]>;
    getTreeItem(node: unknown): vscode.TreeItem;
  };
  onDidRefresh: vscode.Event<void>;
  refresh?(): Promise<void>;
  /** The deployment commands' seams (src/extension.ts). */
  flows?: {
    setPrompter(p: unknown): vscode.Disposable;
    transcript(): string;
    onDidAppendTranscript: vscode.Event<string[]>;
    logFile?(): vscode.Uri;
  };
}

export async function activateExtension(): Promise<TestApi> {
  const ext = vscode.extensions.getExtension<TestApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded in this window`);
  const api = await ext.activate();
  if (!api?.tree) throw new Error(`${EXTENSION_ID} activate() did not return the test API`);
  return api;
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the e2e tests need a workspace folder (the fixture GitOps repository)');
  return folder.uri.fsPath;
}

export function labelOf(item: vscode.TreeItem): string {
  const l = item.label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

export function descriptionOf(item: vscode.TreeItem): string {
  return typeof item.description === 'string' ? item.description : '';
}

export interface Row {
  node: unknown;
  item: vscode.TreeItem;
  label: string;
  description: string;
}

export async function children(api: TestApi, parent?: Row): Promise<Row[]> {
  const nodes = await api.tree.getChildren(parent?.node);
  return nodes.map((node) => {
    const item = api.tree.getTreeItem(node);
    return { node, item, label: labelOf(item), description: descriptionOf(item) };
  });
}

/** Follows labels from the root: childAt(api, 'stag', 'accounts'). */
export async function rowAt(api: TestApi, ...labels: string[]): Promise<Row> {
  let row: Row | undefined;
  for (const label of labels) {
    const rows = await children(api, row);
    row = rows.find((r) => r.label === label);
    if (!row) throw new Error(`no tree item "${label}" under ${labels.slice(0, labels.indexOf(label)).join(' / ') || 'the root'} (has: ${rows.map((r) => r.label).join(', ')})`);
  }
  if (!row) throw new Error('rowAt needs at least one label');
  return row;
}

/**
 * Waits until `check` returns a truthy value, re-checking after every onDidRefresh and every
 * `pollMs` (in case the refresh fired before we listened). Throws with the last result on timeout.
 */
export async function waitFor<T>(api: TestApi, what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000, pollMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`);
    await new Promise<void>((resolve) => {
      const sub = api.onDidRefresh(() => done());
      const timer = setTimeout(done, Math.min(pollMs, left));
      function done() {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  }
}

// ---- the runner's UI driver (scripts/e2e.mjs; absent under @vscode/test-electron) ----

const DRIVER = process.env.GITOPS_E2E_DRIVER_URL;

/** True when the tests run in the browser harness, which can look at and drive the UI. */
export const hasUiDriver = Boolean(DRIVER);

async function driver<T>(route: string, body: unknown): Promise<T | undefined> {
  if (!DRIVER) return undefined;
  const res = await fetch(`${DRIVER}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`UI driver ${route}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as T) : undefined;
}

/**
 * Saves a screenshot of the whole workbench as test-results/screenshots/{name}.png, or as
 * docs/images/{name}.png with `{ docs: true }` when the runner has --update-docs-images (else
 * test-results/screenshots/docs/{name}.png); `sidebarWidth` first drags the side bar to that width. Returns the file's path (undefined without a driver).
 */
export async function screenshot(name: string, opts: { docs?: boolean; sidebarWidth?: number } = {}): Promise<string | undefined> {
  const r = await driver<{ file: string }>('/screenshot', { name, docs: Boolean(opts.docs), sidebarWidth: opts.sidebarWidth });
  return r?.file;
}

export interface UiTreeRow {
  label: string;
  description: string;
  ariaLabel: string;
  level: number;
  expanded: boolean | undefined;
  /** The row's label + description do not fit: the workbench cut them with an ellipsis. */
  truncated: boolean;
}

/** The GitOps Deploy view container (its DOM id in the workbench). */
export const CONTAINER = 'workbench.view.extension.gitopsDeploy';

/** The tree rows the workbench shows in a view container (rendered rows only). */
export async function uiTreeRows(container = CONTAINER): Promise<UiTreeRow[] | undefined> {
  return driver<UiTreeRow[]>('/tree/rows', { container });
}

/** Expands the rows along a label path in the workbench, e.g. ['stag', 'accounts']; returns the rows. */
export async function uiExpand(labels: string[], container = CONTAINER): Promise<UiTreeRow[] | undefined> {
  return driver<UiTreeRow[]>('/tree/expand', { container, labels });
}

/** Hovers the row at a label path and clicks its inline action with that title (e.g. "Cancel Scheduled Promotion"). */
export async function uiTreeAction(labels: string[], action: string, container = CONTAINER): Promise<void> {
  await driver('/tree/action', { container, labels, action });
}

/** The row at a label path (['stag', 'accounts']) among rows as returned by uiTreeRows. */
export function findUiRow(rows: readonly UiTreeRow[], labels: readonly string[]): UiTreeRow | undefined {
  let from = 0;
  let found: UiTreeRow | undefined;
  for (const [depth, label] of labels.entries()) {
    found = undefined;
    for (let i = from; i < rows.length; i++) {
      if (rows[i].level < depth + 1) break; // left the parent's subtree
      if (rows[i].level === depth + 1 && rows[i].label === label) {
        found = rows[i];
        from = i + 1;
        break;
      }
    }
    if (!found) return undefined;
  }
  return found;
}

export type WebviewAction =
  | { click: { role: string; name: string } }
  | { focus: { role: string; name: string } }
  | { press: string }
  | { select: { name: string; value: string } };

/** Keyboard and mouse in the active webview panel (the runner drives chromium). */
export async function uiWebview(actions: WebviewAction[]): Promise<boolean> {
  if (!DRIVER) return false;
  await driver('/webview', { actions });
  return true;
}

/** The workbench's modal dialog: waits for it, returns its text, and clicks `click` when given. */
export async function uiDialog(click?: string, timeoutMs = 10_000): Promise<string | undefined> {
  const r = await driver<{ text: string }>('/dialog', { click, timeoutMs });
  return r?.text;
}

/** F1, type `text`, and read the palette's rows (aria-labels); with `enter`, run the first and return the quick input's title. */
export async function uiPalette(text: string, opts: { enter?: boolean } = {}): Promise<{ rows: string[]; title?: string } | undefined> {
  return driver<{ rows: string[]; title?: string }>('/palette', { text, enter: Boolean(opts.enter) });
}

export interface UiViewTitle {
  text: string;
  truncated: boolean | undefined;
  scrollWidth?: number;
  clientWidth?: number;
  sidebarWidth?: number;
  /** Whether the GitOps Deploy view container has been rendered (opened) in this window. */
  viewOpen: boolean;
}

/** The side bar's title and whether it is cut. */
export async function uiViewTitle(container = CONTAINER): Promise<UiViewTitle | undefined> {
  return driver<UiViewTitle>('/view/title', { container });
}

/** Focuses `selector` in the active webview and presses `keys` (Playwright names: "Shift+ArrowLeft"). */
export async function uiWebviewPress(selector: string, keys: string[]): Promise<boolean> {
  return Boolean(await driver<{ pressed: number }>('/webview/press', { selector, keys }));
}

/** Drags `selector` in the active webview by `dx` px with the mouse. */
export async function uiWebviewDrag(selector: string, dx: number): Promise<boolean> {
  return Boolean(await driver<{ from: number; to: number }>('/webview/drag', { selector, dx }));
}

export interface UiDialogState {
  message: string;
  detail: string;
  /** Left to right as shown; `focused`: the one Enter presses. */
  buttons: { label: string; focused: boolean }[];
}

/** The modal dialog as shown: message, detail, buttons and which has the focus (waits for it). */
export async function uiDialogState(timeoutMs = 20_000): Promise<UiDialogState | undefined> {
  return driver<UiDialogState>('/dialog/state', { timeoutMs });
}

/** Waits until no modal dialog is shown. */
export async function uiDialogHidden(timeoutMs = 10_000): Promise<void> {
  await driver('/dialog/hidden', { timeoutMs });
}

/** Presses keys in the workbench as a person would (Playwright key names). */
export async function uiKeys(...keys: string[]): Promise<void> {
  await driver('/keys', { keys });
}

/** Types text into whatever has the keyboard focus. */
export async function uiType(text: string): Promise<void> {
  await driver('/type', { text });
}

/** Clicks the first element matching `selector` (containing `text`) with the mouse. */
export async function uiClick(selector: string, text?: string): Promise<void> {
  await driver('/click', { selector, text });
}

/** Runs a command from the palette as a person does: F1, its title, Enter (the quick input it opens stays). */
export async function uiRunCommand(command: string): Promise<void> {
  await driver('/palette/run', { command });
}

export interface UiQuickInput {
  visible: boolean;
  title: string;
  /** The validation message (or the prompt when there is none). */
  message: string;
  value: string;
  placeholder: string;
  rows: string[];
}

/**
 * The quick input (picker or input box) as shown; waits until it is visible with a title that
 * includes `title` (and a message that includes `message`), or hidden with `{ hidden: true }`.
 */
export async function uiQuickInput(o: { title?: string; message?: string; hidden?: boolean; timeoutMs?: number } = {}): Promise<UiQuickInput | undefined> {
  return driver<UiQuickInput>('/quickinput', { hidden: !!o.hidden, titleIncludes: o.title, messageIncludes: o.message, timeoutMs: o.timeoutMs ?? 20_000 });
}

/**
 * Opens a second window on the same workspace with the extension but without the test payload,
 * as a person meets the workbench (extension tests may not show modal dialogs); until
 * uiCloseWindow, every ui* helper and screenshot drives that window. Waits for the GitOps Deploy view.
 */
export async function uiOpenWindow(): Promise<void> {
  await driver('/window/open', {});
}

export async function uiCloseWindow(): Promise<void> {
  await driver('/window/close', {});
}

/** The rendered text of the visible editors, once one of them includes `includes`. */
export async function uiEditorTexts(includes?: string, timeoutMs = 20_000): Promise<string[] | undefined> {
  return driver<string[]>('/editor/text', { includes, timeoutMs });
}

export interface UiStatusItem {
  id: string;
  /** Its text as shown (icons are not text). */
  text: string;
  ariaLabel: string;
}

/** The status bar's items as shown, once one's text includes `includes` (waits for it). */
export async function uiStatusBar(includes: string, timeoutMs = 20_000): Promise<UiStatusItem[] | undefined> {
  return driver<UiStatusItem[]>('/statusbar', { includes, timeoutMs });
}

export interface UiToast {
  message: string;
  /** Its buttons' labels, left to right. */
  buttons: string[];
}

/** The notification toasts as shown, once one's message includes `includes` (waits for it). */
export async function uiNotifications(includes: string, timeoutMs = 20_000): Promise<UiToast[] | undefined> {
  return driver<UiToast[]>('/notifications', { includes, timeoutMs });
}

/**
 * Change `.gitops-deploy.yaml` as a team does — committed and pushed to origin (a deployment reads
 * its policy from origin's head, never from the working tree). Returns how to put it back (pushed too).
 */
export async function pushPolicy(edit: (text: string) => string, message: string): Promise<() => Promise<void>> {
  const { execFile } = await import('node:child_process');
  const fsp = await import('node:fs/promises');
  const pathMod = await import('node:path');
  const git = (args: string[]) => new Promise<string>((resolve, reject) => execFile('git', ['-c', 'user.name=Teammate', '-c', 'user.email=teammate@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: workspaceRoot() }, (err, out, errOut) => (err ? reject(new Error(`git ${args.join(' ')}: ${errOut}`)) : resolve(out))));
  const file = pathMod.join(workspaceRoot(), '.gitops-deploy.yaml');
  // Not `git pull`: it rebases onto FETCH_HEAD, which the extension's own fetches (of several refs) rewrite meanwhile.
  const update = async () => {
    await git(['fetch', '--quiet', 'origin', 'main']);
    await git(['rebase', '--quiet', '--autostash', 'origin/main']);
  };
  const commit = async (text: string, msg: string) => {
    await update();
    await fsp.writeFile(file, text);
    await git(['commit', '--quiet', '-m', msg, '--', '.gitops-deploy.yaml']);
    await git(['push', '--quiet', 'origin', 'HEAD:main']);
  };
  await update();
  const before = await fsp.readFile(file, 'utf8');
  await commit(edit(before), message);
  return () => commit(before, `Revert: ${message}`);
}

/**
 * Closes prod's window whatever the hour: a freeze named `name` from yesterday to `days` days ahead,
 * declared as a team would (committed and pushed by pushPolicy); returns the restore.
 */
export async function pushProdFreeze(name: string, days: number): Promise<() => Promise<void>> {
  const { parseDocument } = await import('yaml');
  return pushPolicy((text) => {
    const doc = parseDocument(text);
    const prod = (doc.get('environments') as { items: { get(k: string): unknown; setIn(p: unknown[], v: unknown): void }[] }).items.find((e) => e.get('name') === 'prod');
    if (!prod) throw new Error('no prod in .gitops-deploy.yaml');
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    prod.setIn(['window', 'freezes'], doc.createNode([{ name, from: day(-1), to: day(days) }]));
    return doc.toString();
  }, `Freeze prod (${name})`);
}

// A minimal stand-in for the `vscode` module, for unit tests of pure provider logic and for the
// benchmark's activation timing outside an editor. The e2e suite uses the real VS Code.
import Module from 'node:module';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  event = (l: Listener<T>) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: unknown;
  iconPath?: unknown;
  command?: unknown;
  contextValue?: string;
  constructor(
    public label: string,
    public collapsibleState = 0,
  ) {}
}

export class ThemeIcon {
  constructor(
    public id: string,
    public color?: unknown,
  ) {}
}
export class ThemeColor {
  constructor(public id: string) {}
}
export class MarkdownString {
  value = '';
  constructor(value = '', public supportThemeIcons = false) {
    this.value = value;
  }
  appendMarkdown(s: string) {
    this.value += s;
    return this;
  }
  appendText(s: string) {
    this.value += s.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
}
export class Range {
  constructor(public startLine: number, public startCharacter: number, public endLine: number, public endCharacter: number) {}
}
export class RelativePattern {
  constructor(public base: unknown, public pattern: string) {}
}
export const Uri = {
  file: (fsPath: string) => ({ scheme: 'file', fsPath, path: fsPath, toString: () => `file://${fsPath}` }),
};

export interface FakeState {
  commands: Map<string, (...args: unknown[]) => unknown>;
  context: Map<string, unknown>;
  messages: string[];
  workspaceFolders: { uri: ReturnType<typeof Uri.file>; name: string; index: number }[];
}

export function createFakeVscode(folders: string[] = []) {
  const state: FakeState = {
    commands: new Map(),
    context: new Map(),
    messages: [],
    workspaceFolders: folders.map((f, index) => ({ uri: Uri.file(f), name: f.split('/').pop() ?? f, index })),
  };
  const disposable = { dispose() {} };
  const channel = () => ({ appendLine() {}, append() {}, show() {}, dispose() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {}, clear() {} });
  const api = {
    EventEmitter,
    TreeItem,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    ThemeIcon,
    ThemeColor,
    MarkdownString,
    Range,
    RelativePattern,
    Uri,
    window: {
      createOutputChannel: channel,
      createTreeView: () => ({ dispose() {}, onDidChangeVisibility: () => disposable }),
      showInformationMessage: async (m: string) => void state.messages.push(m),
      showErrorMessage: async (m: string) => void state.messages.push(m),
      showWarningMessage: async (m: string) => void state.messages.push(m),
      createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {} }),
      registerWebviewPanelSerializer: () => disposable,
      registerTreeDataProvider: () => disposable,
      onDidChangeActiveTextEditor: () => disposable,
    },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        state.commands.set(id, fn);
        return { dispose: () => state.commands.delete(id) };
      },
      executeCommand: async (id: string, ...args: unknown[]) => {
        if (id === 'setContext') {
          state.context.set(args[0] as string, args[1]);
          return;
        }
        return state.commands.get(id)?.(...args);
      },
    },
    workspace: {
      get workspaceFolders() {
        return state.workspaceFolders;
      },
      isTrusted: true,
      onDidChangeWorkspaceFolders: () => disposable,
      onDidGrantWorkspaceTrust: () => disposable,
      onDidChangeConfiguration: () => disposable,
      getConfiguration: () => ({ get: (_k: string, d?: unknown) => d, inspect: () => undefined }),
      createFileSystemWatcher: () => ({ onDidChange: () => disposable, onDidCreate: () => disposable, onDidDelete: () => disposable, dispose() {} }),
    },
    languages: { registerCodeLensProvider: () => disposable },
    extensions: { getExtension: () => undefined },
  };
  // Anything not modelled above: register*/on* members return a disposable, the rest undefined.
  const lenient = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, key, recv) {
        if (key in t) return Reflect.get(t, key, recv);
        if (typeof key === 'string' && /^(register|on|create)/.test(key)) return () => disposable;
        return undefined;
      },
    });
  const anyApi = api as Record<string, any>;
  for (const ns of ['window', 'workspace', 'languages', 'commands', 'extensions']) anyApi[ns] = lenient(anyApi[ns]);
  anyApi.authentication = lenient({ getSession: async () => undefined });
  anyApi.env = lenient({ openExternal: async () => true, clipboard: { writeText: async () => undefined }, uiKind: 1 });
  anyApi.ExtensionMode = { Production: 1, Development: 2, Test: 3 };
  anyApi.ConfigurationTarget = { Global: 1, Workspace: 2, WorkspaceFolder: 3 };
  anyApi.CodeLens = class { constructor(public range: unknown, public command?: unknown) {} };
  anyApi.Position = class { constructor(public line: number, public character: number) {} };
  anyApi.Disposable = class { constructor(private fn: () => void) {} dispose() { this.fn(); } static from() { return disposable; } };
  anyApi.CancellationTokenSource = class { token = { isCancellationRequested: false, onCancellationRequested: () => disposable }; cancel() {} dispose() {} };
  return { api: anyApi as typeof api, state };
}

/** Make `require('vscode')` return this fake for the rest of the process. */
export function installFakeVscode(api: unknown): void {
  const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const original = M._load;
  M._load = function (request: string, parent: unknown, isMain: boolean) {
    if (request === 'vscode') return api;
    return original.call(this, request, parent, isMain);
  };
}

export function fakeExtensionContext() {
  return { subscriptions: [] as { dispose(): void }[], extensionPath: process.cwd(), globalState: new Map(), workspaceState: new Map() };
}

// Every question the deployment commands ask goes through a Prompter. The default one is the
// editor's UI (quick picks, input boxes, modal and plain notifications); the e2e tests swap in a
// scripted one through the extension's API, so the real commands run end to end.
import * as vscode from 'vscode';
import type { PickItem, TagItem } from '../commands/pickItems';
import type { Severity } from './transcript';

export interface PickOptions {
  title: string;
  placeholder?: string;
  step?: number;
  totalSteps?: number;
}

export interface PickOrTypeOptions<T extends TagItem> extends PickOptions {
  /** Shown at once (the default item first). */
  initial: T[];
  /** Loads the full list (shown busy meanwhile); must not reject: a failure is an item. */
  load?: () => Promise<T[]>;
  /** The item for a typed value (undefined for empty); an item with `problem` cannot be accepted. */
  typed: (value: string) => T | undefined;
}

export interface InputOptions {
  title: string;
  prompt: string;
  value?: string;
  placeholder?: string;
  step?: number;
  totalSteps?: number;
  /** The problem with the value, or undefined when it is acceptable (checked as you type). */
  validate?: (value: string) => string | undefined;
}

export interface Prompter {
  pick<T extends PickItem>(items: readonly T[], options: PickOptions): Promise<T | undefined>;
  pickOrType<T extends TagItem>(options: PickOrTypeOptions<T>): Promise<T | undefined>;
  input(options: InputOptions): Promise<string | undefined>;
  /** A modal question; resolves with the chosen button, undefined for Cancel. */
  confirm(severity: Severity, message: string, detail: string, buttons: readonly string[]): Promise<string | undefined>;
  /** A plain notification; resolves when an action is chosen or it is dismissed. */
  notify(severity: Severity, message: string, actions: readonly string[]): Promise<string | undefined>;
}

function show(severity: Severity, message: string, options: vscode.MessageOptions, items: string[]): Thenable<string | undefined> {
  if (severity === 'error') return vscode.window.showErrorMessage(message, options, ...items);
  if (severity === 'warning') return vscode.window.showWarningMessage(message, options, ...items);
  return vscode.window.showInformationMessage(message, options, ...items);
}

/** The editor's own UI. */
export class WindowPrompter implements Prompter {
  async pick<T extends PickItem>(items: readonly T[], o: PickOptions): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve) => {
      const qp = vscode.window.createQuickPick<T & vscode.QuickPickItem>();
      qp.title = o.title;
      qp.placeholder = o.placeholder;
      qp.step = o.step;
      qp.totalSteps = o.totalSteps;
      qp.matchOnDescription = true;
      qp.items = items as (T & vscode.QuickPickItem)[];
      const preselected = items.find((i) => i.picked);
      if (preselected) qp.activeItems = [preselected as T & vscode.QuickPickItem];
      let done = false;
      qp.onDidAccept(() => {
        done = true;
        resolve(qp.selectedItems[0] ?? qp.activeItems[0]);
        qp.hide();
      });
      qp.onDidHide(() => {
        if (!done) resolve(undefined);
        qp.dispose();
      });
      qp.show();
    });
  }

  async pickOrType<T extends TagItem>(o: PickOrTypeOptions<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve) => {
      const qp = vscode.window.createQuickPick<T & vscode.QuickPickItem>();
      qp.title = o.title;
      qp.placeholder = o.placeholder;
      qp.step = o.step;
      qp.totalSteps = o.totalSteps;
      qp.matchOnDescription = true;
      let base = o.initial;
      let done = false;
      const render = () => {
        const typed = o.typed(qp.value);
        const list = typed && !base.some((i) => i.tag === typed.tag) ? [typed, ...base] : base;
        qp.items = list as (T & vscode.QuickPickItem)[];
        qp.title = typed?.problem ? `${o.title} — ${typed.problem}` : o.title;
        const def = !qp.value && base.find((i) => i.picked);
        if (def) qp.activeItems = [def as T & vscode.QuickPickItem];
      };
      render();
      if (o.load) {
        qp.busy = true;
        void o.load().then(
          (items) => {
            if (done) return;
            base = items;
            qp.busy = false;
            render();
          },
          () => {
            qp.busy = false;
          },
        );
      }
      qp.onDidChangeValue(render);
      qp.onDidAccept(() => {
        const chosen = qp.selectedItems[0] ?? qp.activeItems[0] ?? o.typed(qp.value);
        if (!chosen || !chosen.tag) return; // a section row ("loading…", an error) is not a tag
        if (chosen.problem) {
          qp.title = `${o.title} — ${chosen.problem}`;
          return;
        }
        done = true;
        resolve(chosen);
        qp.hide();
      });
      qp.onDidHide(() => {
        if (!done) resolve(undefined);
        done = true;
        qp.dispose();
      });
      qp.show();
    });
  }

  async input(o: InputOptions): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: o.title,
      prompt: o.prompt,
      value: o.value,
      placeHolder: o.placeholder,
      ignoreFocusOut: true,
      validateInput: o.validate ? (v) => o.validate!(v) : undefined,
    });
  }

  async confirm(severity: Severity, message: string, detail: string, buttons: readonly string[]): Promise<string | undefined> {
    return show(severity, message, { modal: true, detail }, [...buttons]);
  }

  async notify(severity: Severity, message: string, actions: readonly string[]): Promise<string | undefined> {
    return show(severity, message, {}, [...actions]);
  }
}

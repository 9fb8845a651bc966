// Every question the deployment commands ask goes through a Prompter. The default one is the
// editor's UI (quick picks, input boxes, modal and plain notifications); the e2e tests swap in a
// scripted one through the extension's API, so the real commands run end to end.
import * as vscode from 'vscode';
import { escapeControl } from '../pipeline/terminal';
import type { PickItem, TagItem } from './pickItems';

export type Severity = 'info' | 'warning' | 'error';

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

/** A button of a modal question, chosen by its id (labels are for people and may change). */
export interface Choice<Id extends string = string> {
  id: Id;
  label: string;
}

export interface ChooseOptions<Id extends string> {
  /** The button Enter presses (focused when the dialog opens): the safe one for a risky question. */
  focused: Id;
  /** The button Escape and the dialog's ✕ choose; must differ from `focused` (the editor always shows one). */
  dismiss: Id;
}

export interface Prompter {
  pick<T extends PickItem>(items: readonly T[], options: PickOptions): Promise<T | undefined>;
  pickOrType<T extends TagItem>(options: PickOrTypeOptions<T>): Promise<T | undefined>;
  input(options: InputOptions): Promise<string | undefined>;
  /** A modal question; resolves with the chosen button, undefined for Cancel. */
  confirm(severity: Severity, message: string, detail: string, buttons: readonly string[]): Promise<string | undefined>;
  /**
   * A modal question whose buttons are chosen by id: `focused` first (what Enter presses), the
   * others in order, `dismiss` as the close affordance. Resolves with the id (undefined: dismissed).
   */
  choose<Id extends string>(severity: Severity, message: string, detail: string, buttons: readonly Choice<Id>[], options: ChooseOptions<Id>): Promise<Id | undefined>;
  /** A plain notification; resolves when an action is chosen or it is dismissed. */
  notify(severity: Severity, message: string, actions: readonly string[]): Promise<string | undefined>;
}

/**
 * A notification whose actions are chosen by id. The editor's API hands back the button's label;
 * this is the one place that maps it to the action it stands for.
 */
export async function notifyChoice<Id extends string>(prompter: Prompter, severity: Severity, message: string, actions: readonly Choice<Id>[]): Promise<Id | undefined> {
  const label = await prompter.notify(severity, message, actions.map((a) => a.label));
  return actions.find((a) => a.label === label)?.id;
}

function show(severity: Severity, text: string, o: vscode.MessageOptions, items: string[]): Thenable<string | undefined> {
  // Messages and details carry repository text (reasons, record fields): control characters escaped.
  const message = escapeControl(text);
  const options = o.detail === undefined ? o : { ...o, detail: escapeControl(o.detail) };
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

  async choose<Id extends string>(severity: Severity, message: string, detail: string, buttons: readonly Choice<Id>[], o: ChooseOptions<Id>): Promise<Id | undefined> {
    if (o.focused === o.dismiss) throw new Error('choose: the focused button and the dismiss button must differ');
    // VS Code focuses the first button that is not the close affordance, and puts the close affordance last.
    const byId = (id: Id) => buttons.find((b) => b.id === id) ?? { id, label: id };
    const items: (vscode.MessageItem & { id: Id })[] = [
      { title: byId(o.focused).label, id: o.focused },
      ...buttons.filter((b) => b.id !== o.focused && b.id !== o.dismiss).map((b) => ({ title: b.label, id: b.id })),
      { title: byId(o.dismiss).label, id: o.dismiss, isCloseAffordance: true },
    ];
    const options: vscode.MessageOptions = { modal: true, detail: escapeControl(detail) };
    const text = escapeControl(message);
    const picked = await (severity === 'error' ? vscode.window.showErrorMessage(text, options, ...items) : severity === 'warning' ? vscode.window.showWarningMessage(text, options, ...items) : vscode.window.showInformationMessage(text, options, ...items));
    return picked?.id;
  }

  async notify(severity: Severity, message: string, actions: readonly string[]): Promise<string | undefined> {
    return show(severity, message, {}, [...actions]);
  }
}

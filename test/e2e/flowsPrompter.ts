// A scripted Prompter for the e2e tests: the real commands run, and every question they ask is
// answered from a script (in order), recorded, and checked. Notifications are recorded too.
import type { PickItem, TagItem } from '../../src/providers/pickItems';
import type { Choice, ChooseOptions, InputOptions, PickOptions, PickOrTypeOptions, Prompter } from '../../src/providers/prompter';
import type { Severity } from '../../src/providers/prompter';
import { activateExtension, waitFor, type TestApi } from './helpers';

export type Asked =
  | { kind: 'pick'; title: string; items: PickItem[] }
  | { kind: 'pickOrType'; title: string; items: TagItem[]; loaded?: TagItem[] }
  | { kind: 'input'; title: string; prompt: string; value?: string; validate?: (v: string) => string | undefined }
  | { kind: 'confirm'; severity: Severity; message: string; detail: string; buttons: readonly string[] }
  | { kind: 'choose'; severity: Severity; message: string; detail: string; buttons: readonly Choice[]; options: ChooseOptions<string> };

type Answer<K extends Asked['kind']> = (asked: Extract<Asked, { kind: K }>) => unknown;
type Step = { [K in Asked['kind']]: { kind: K; answer: Answer<K> } }[Asked['kind']];

export interface Notified {
  severity: Severity;
  message: string;
  actions: readonly string[];
}

export class ScriptedPrompter implements Prompter {
  private steps: Step[] = [];
  readonly asked: Asked[] = [];
  readonly notified: Notified[] = [];

  /** The answers for the next prompts, in order. */
  script(...steps: Step[]): void {
    this.steps.push(...steps);
  }

  get pending(): number {
    return this.steps.length;
  }

  private next<K extends Asked['kind']>(asked: Extract<Asked, { kind: K }>): unknown {
    this.asked.push(asked);
    const step = this.steps.shift();
    const what = 'title' in asked ? asked.title : asked.message;
    if (!step) throw new Error(`unexpected ${asked.kind} prompt: ${what}`);
    if (step.kind !== asked.kind) throw new Error(`expected a ${step.kind} prompt, got ${asked.kind}: ${what}`);
    return (step.answer as unknown as Answer<K>)(asked);
  }

  async pick<T extends PickItem>(items: readonly T[], o: PickOptions): Promise<T | undefined> {
    return (await this.next({ kind: 'pick', title: o.title, items: [...items] })) as T | undefined;
  }

  async pickOrType<T extends TagItem>(o: PickOrTypeOptions<T>): Promise<T | undefined> {
    const loaded = o.load ? await o.load() : undefined;
    return (await this.next({ kind: 'pickOrType', title: o.title, items: [...o.initial], loaded })) as T | undefined;
  }

  async input(o: InputOptions): Promise<string | undefined> {
    return (await this.next({ kind: 'input', title: o.title, prompt: o.prompt, value: o.value, validate: o.validate })) as string | undefined;
  }

  async confirm(severity: Severity, message: string, detail: string, buttons: readonly string[]): Promise<string | undefined> {
    return (await this.next({ kind: 'confirm', severity, message, detail, buttons })) as string | undefined;
  }

  async choose<Id extends string>(severity: Severity, message: string, detail: string, buttons: readonly Choice<Id>[], options: ChooseOptions<Id>): Promise<Id | undefined> {
    return (await this.next({ kind: 'choose', severity, message, detail, buttons, options })) as Id | undefined;
  }

  async notify(severity: Severity, message: string, actions: readonly string[]): Promise<string | undefined> {
    this.notified.push({ severity, message, actions });
    return undefined;
  }
}

export const pick = (answer: Answer<'pick'>): Step => ({ kind: 'pick', answer });
export const pickOrType = (answer: Answer<'pickOrType'>): Step => ({ kind: 'pickOrType', answer });
export const input = (answer: Answer<'input'>): Step => ({ kind: 'input', answer });
export const confirm = (answer: Answer<'confirm'>): Step => ({ kind: 'confirm', answer });
export const choose = (answer: Answer<'choose'>): Step => ({ kind: 'choose', answer });

export type Flows = NonNullable<TestApi['flows']>;

export interface ScriptedFlows {
  api: TestApi;
  flows: Flows;
  prompter: ScriptedPrompter;
}

/**
 * A suite's hooks for the sandbox flows: activate the extension, answer its prompts from a script,
 * wait until `ready`, and print the transcript, the prompts and the notifications of a failed test.
 * The returned object is filled in by the time the suite's own `before` hooks run.
 */
export function useScriptedFlows(what: string, ready: (api: TestApi) => Promise<boolean>): ScriptedFlows {
  const ctx = {} as ScriptedFlows;
  let restore: { dispose(): void } | undefined;
  before(async () => {
    ctx.api = await activateExtension();
    if (!ctx.api.flows) throw new Error('activate() returns the flows test API');
    ctx.flows = ctx.api.flows;
    ctx.prompter = new ScriptedPrompter();
    restore = ctx.flows.setPrompter(ctx.prompter);
    await waitFor(ctx.api, what, () => ready(ctx.api));
  });
  after(() => restore?.dispose());
  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      console.log(`      transcript:\n${ctx.flows.transcript().split('\n').slice(-60).join('\n')}`);
      console.log(`      prompts: ${JSON.stringify(ctx.prompter.asked.map((a) => ('title' in a ? a.title : a.message)))}`);
      console.log(`      notifications: ${JSON.stringify(ctx.prompter.notified)}`);
    }
  });
  return ctx;
}

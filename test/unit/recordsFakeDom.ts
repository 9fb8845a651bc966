// A tiny DOM for rendering the records webview in plain mocha: only what src/webview/records.ts uses.
// innerHTML/outerHTML/insertAdjacentHTML throw, so a test fails if rendering ever parses markup.

type Listener = (e: FakeEvent) => void;

export interface FakeEvent {
  type: string;
  key?: string;
  target: FakeElement;
  defaultPrevented: boolean;
  preventDefault(): void;
}

export class FakeText {
  parentNode: FakeElement | null = null;
  constructor(public data: string) {}
  get textContent(): string {
    return this.data;
  }
}

type Child = FakeElement | FakeText;

export class FakeElement {
  parentNode: FakeElement | null = null;
  childNodes: Child[] = [];
  readonly attributes = new Map<string, string>();
  private readonly listeners = new Map<string, Listener[]>();
  value = '';
  disabled = false;
  hidden = false;

  constructor(
    readonly tagName: string,
    readonly ownerDocument: FakeDocument,
  ) {}

  get children(): FakeElement[] {
    return this.childNodes.filter((c): c is FakeElement => c instanceof FakeElement);
  }
  get nextElementSibling(): FakeElement | null {
    const sibs = this.parentNode?.children ?? [];
    return sibs[sibs.indexOf(this) + 1] ?? null;
  }
  get textContent(): string {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  set textContent(v: string) {
    this.replaceChildren(...(v ? [v] : []));
  }
  get innerHTML(): string {
    throw new Error('innerHTML read');
  }
  set innerHTML(_v: string) {
    throw new Error('innerHTML written: rendering must build nodes');
  }
  set outerHTML(_v: string) {
    throw new Error('outerHTML written');
  }
  insertAdjacentHTML(): void {
    throw new Error('insertAdjacentHTML used');
  }

  setAttribute(k: string, v: string): void {
    this.attributes.set(k.toLowerCase(), String(v));
  }
  getAttribute(k: string): string | null {
    return this.attributes.get(k.toLowerCase()) ?? null;
  }
  removeAttribute(k: string): void {
    this.attributes.delete(k.toLowerCase());
  }
  hasAttribute(k: string): boolean {
    return this.attributes.has(k.toLowerCase());
  }
  get classList() {
    const get = () => new Set((this.getAttribute('class') ?? '').split(/\s+/).filter(Boolean));
    const put = (s: Set<string>) => this.setAttribute('class', [...s].join(' '));
    return {
      contains: (c: string) => get().has(c),
      add: (...cs: string[]) => put(new Set([...get(), ...cs])),
      remove: (...cs: string[]) => {
        const s = get();
        cs.forEach((c) => s.delete(c));
        put(s);
      },
      toggle: (c: string, force?: boolean) => {
        const s = get();
        const on = force ?? !s.has(c);
        if (on) s.add(c);
        else s.delete(c);
        put(s);
        return on;
      },
    };
  }

  append(...nodes: (Child | string)[]): void {
    for (const n of nodes) this.appendChild(typeof n === 'string' ? new FakeText(n) : n);
  }
  appendChild<T extends Child>(n: T): T {
    if (n.parentNode) n.parentNode.childNodes = n.parentNode.childNodes.filter((c) => c !== n);
    n.parentNode = this;
    this.childNodes.push(n);
    return n;
  }
  replaceChildren(...nodes: (Child | string)[]): void {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    this.append(...nodes);
  }

  addEventListener(type: string, fn: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  /** Dispatches an event that bubbles to the ancestors. */
  dispatch(type: string, init: { key?: string } = {}): FakeEvent {
    const e: FakeEvent = { type, key: init.key, target: this, defaultPrevented: false, preventDefault: () => void (e.defaultPrevented = true) };
    const path: FakeElement[] = [];
    for (let n: FakeElement | null = this.parentNode; n; n = n.parentNode) path.push(n);
    for (const n of [this as FakeElement, ...path]) for (const l of n.listeners.get(type) ?? []) l(e);
    return e;
  }
  click(): void {
    this.dispatch('click');
  }
  focus(): void {
    this.ownerDocument.activeElement = this;
  }

  getElementsByTagName(tag: string): FakeElement[] {
    return this.all().filter((e) => e.tagName === tag.toUpperCase());
  }

  /** Every descendant element (depth first). */
  all(): FakeElement[] {
    return this.children.flatMap((c) => [c, ...c.all()]);
  }
  find(pred: (e: FakeElement) => boolean): FakeElement | undefined {
    return this.all().find(pred);
  }
  byClass(cls: string): FakeElement[] {
    return this.all().filter((e) => e.classList.contains(cls));
  }
}

export class FakeDocument {
  activeElement: FakeElement | null = null;
  readonly body = new FakeElement('BODY', this);
  readonly created: FakeElement[] = [];
  createElement(tag: string): FakeElement {
    const e = new FakeElement(tag.toUpperCase(), this);
    this.created.push(e);
    return e;
  }
  createElementNS(_ns: string, tag: string): FakeElement {
    return this.createElement(tag);
  }
  createTextNode(s: string): FakeText {
    return new FakeText(s);
  }
  getElementById(id: string): FakeElement | null {
    return this.body.find((e) => e.getAttribute('id') === id) ?? null;
  }
}

/** The fake as the DOM types the webview code expects. */
export function fakeDocument(): { doc: Document; fake: FakeDocument } {
  const fake = new FakeDocument();
  return { doc: fake as unknown as Document, fake };
}

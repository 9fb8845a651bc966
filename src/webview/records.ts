/**
 * The deployment-records webview (bundled by scripts/build.mjs into media/dist/records.js, the only form the .vsix ships).
 *
 * Everything is built with createElement/textContent through an injected `document`, so unit
 * tests render it with a small fake DOM, and record content (untrusted repository input) can
 * never become markup. The extension host owns the data: the webview sends a query (filters,
 * sort, page) and renders the page of row tuples it gets back. Filters, sort, page and the open
 * record are kept with setState, so hiding the panel or reloading the window restores them.
 */
import type {
  ExtensionToWebview,
  ProbeAction,
  RecordDetail,
  RecordsFilters,
  RecordsPage,
  RenderedSnapshot,
  RowTuple,
  SortDir,
  SortKey,
  WebviewToExtension,
} from '../providers/recordsProtocol';
import { withInsights } from './insightsHook';

export const PAGE_SIZE = 100;
const TEXT_DEBOUNCE_MS = 150;
const STATUSES = ['succeeded', 'rolled-back', 'failed', 'rollback'] as const;

export interface Column {
  key: SortKey;
  label: string;
}

export const COLUMNS: readonly Column[] = [
  { key: 'time', label: 'Time' },
  { key: 'environment', label: 'Environment' },
  { key: 'service', label: 'Service' },
  { key: 'tag', label: 'Tag' },
  { key: 'status', label: 'Status' },
  { key: 'actor', label: 'Actor' },
  { key: 'reason', label: 'Reason' },
  { key: 'commit', label: 'Commit' },
];

export interface SavedState {
  filters: RecordsFilters;
  sort: { key: SortKey; dir: SortDir };
  offset: number;
  /** The row with the keyboard focus / selection. */
  selectedId?: string;
  /** The record whose detail is open. */
  detailId?: string;
  /** The detail view's width in px, once the person has moved the splitter (else the stylesheet's default). */
  detailWidth?: number;
}

/** The detail view is never narrower than this beside the table (below it, it takes the full width). */
export const DETAIL_MIN_WIDTH = 320;
/** The table keeps at least this much beside the detail view. */
const LIST_MIN_WIDTH = 360;
const SPLITTER_STEP = 16;

/** The part of the VS Code webview API the app uses (acquireVsCodeApi()). */
export interface Host {
  postMessage(message: WebviewToExtension): void;
  getState(): unknown;
  setState(state: SavedState): void;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const DEFAULT_STATE: SavedState = { filters: {}, sort: { key: 'time', dir: 'desc' }, offset: 0 };

/** The saved state if it has the expected shape, else the defaults (state is ours, but be tolerant). */
export function restoreState(raw: unknown): SavedState {
  if (!raw || typeof raw !== 'object') return { ...DEFAULT_STATE, filters: {} };
  const s = raw as Partial<SavedState>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const f = (s.filters && typeof s.filters === 'object' ? s.filters : {}) as RecordsFilters;
  const filters: RecordsFilters = {};
  if (str(f.environment)) filters.environment = f.environment;
  if (str(f.service)) filters.service = f.service;
  if (str(f.text)) filters.text = f.text;
  if (STATUSES.includes(f.status as (typeof STATUSES)[number])) filters.status = f.status;
  const key = COLUMNS.some((c) => c.key === s.sort?.key) ? s.sort!.key : 'time';
  const dir: SortDir = s.sort?.dir === 'asc' ? 'asc' : 'desc';
  const offset = typeof s.offset === 'number' && Number.isSafeInteger(s.offset) && s.offset >= 0 ? s.offset : 0;
  const detailWidth = typeof s.detailWidth === 'number' && Number.isFinite(s.detailWidth) && s.detailWidth >= DETAIL_MIN_WIDTH && s.detailWidth <= 4000 ? Math.round(s.detailWidth) : undefined;
  return { filters, sort: { key, dir }, offset, selectedId: str(s.selectedId), detailId: str(s.detailId), detailWidth };
}

// ---- formatting ----

const localFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
const localFormatLong = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });

/** The time in the user's zone, e.g. "Nov 20, 2026, 04:12 AM" (long: with seconds and the zone). */
export function formatLocal(iso: string, long = false): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : (long ? localFormatLong : localFormat).format(d);
}

/** The time in UTC, e.g. "2026-11-20 03:12:04 UTC" (the hover title of time cells). */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '')} UTC`;
}

export function tagText(previous: string, tag: string): string {
  return previous ? `${previous} → ${tag}` : tag;
}

const STATUS_LABEL: Record<string, string> = { succeeded: 'succeeded', 'rolled-back': 'rolled back', failed: 'failed', rollback: 'rollback' };

// ---- rendering (pure: document in, nodes out) ----

type Attrs = Record<string, string | undefined>;

/** createElement with a class, attributes and text: the only way this file makes elements. */
export function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls?: string, text?: string, attrs?: Attrs): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (cls) e.setAttribute('class', cls);
  if (text !== undefined) e.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  return e;
}

export function statusBadge(doc: Document, status: string): HTMLElement {
  const known = status in STATUS_LABEL || ['passed', 'warning', 'skipped'].includes(status);
  return el(doc, 'span', `badge status-${known ? status : 'unknown'}`, STATUS_LABEL[status] ?? status);
}

/** One table row for a record. Every value goes in as text. */
export function renderRow(doc: Document, row: RowTuple): HTMLTableRowElement {
  const [id, startedAt, environment, service, previousTag, tag, status, actor, reason, commit] = row;
  const tr = el(doc, 'tr', 'record', undefined, {
    tabindex: '-1',
    'data-id': id,
    'aria-label': `${STATUS_LABEL[status] ?? status}: ${service} ${tagText(previousTag, tag)} in ${environment}, ${formatLocal(startedAt)}${actor ? `, by ${actor}` : ''}${reason ? `, ${reason}` : ''}`,
  });
  tr.append(
    el(doc, 'td', 'c-time', formatLocal(startedAt), { title: formatUtc(startedAt) }),
    el(doc, 'td', 'c-environment', environment),
    el(doc, 'td', 'c-service', service),
    tagCell(doc, previousTag, tag),
  );
  const st = el(doc, 'td', 'c-status');
  st.append(statusBadge(doc, status));
  tr.append(st, el(doc, 'td', 'c-actor', actor, { title: actor || undefined }), el(doc, 'td', 'c-reason', reason, { title: reason || undefined }), el(doc, 'td', 'c-commit mono', commit));
  return tr;
}

function tagCell(doc: Document, previousTag: string, tag: string): HTMLTableCellElement {
  const td = el(doc, 'td', 'c-tag mono', undefined, { title: tagText(previousTag, tag) });
  if (previousTag) td.append(el(doc, 'span', 'prev', previousTag), el(doc, 'span', 'arrow', ' → '));
  td.append(el(doc, 'span', 'new', tag));
  return td;
}

export interface DetailHandlers {
  openFile(id: string): void;
  openExternal(url: string): void;
  close(): void;
}

/** The detail view of one record: every field, its checks, its links. */
export function renderDetail(doc: Document, d: RecordDetail, on: DetailHandlers): HTMLElement {
  const root = el(doc, 'section', 'detail-body', undefined, { 'aria-label': `Record ${d.file}` });
  const head = el(doc, 'header', 'detail-head');
  const title = el(doc, 'h2', undefined, `${d.service} ${tagText(d.previousTag ?? '', d.tag)} in ${d.environment}`);
  head.append(title, statusBadge(doc, d.status));
  const close = el(doc, 'button', 'icon-button close', '×', { type: 'button', 'aria-label': 'Close record details', title: 'Close (Escape)' });
  close.addEventListener('click', () => on.close());
  head.append(close);
  root.append(head);

  const actions = el(doc, 'div', 'detail-actions');
  const open = el(doc, 'button', 'button', 'Open file', { type: 'button', title: d.file });
  open.addEventListener('click', () => on.openFile(d.id));
  actions.append(open);
  if (d.workflowRun?.url) actions.append(linkButton(doc, 'Workflow run', d.workflowRun.url, on));
  if (d.commitUrl) actions.append(linkButton(doc, 'Commit', d.commitUrl, on));
  root.append(actions);

  const dl = el(doc, 'dl', 'fields');
  const field = (label: string, value: string | undefined, opts: { mono?: boolean; title?: string; node?: HTMLElement } = {}) => {
    if (value === undefined || value === '') return;
    dl.append(el(doc, 'dt', undefined, label));
    const dd = el(doc, 'dd', opts.mono ? 'mono' : undefined, opts.node ? undefined : value, { title: opts.title });
    if (opts.node) dd.append(opts.node);
    dl.append(dd);
  };
  field('Status', STATUS_LABEL[d.status] ?? d.status);
  field('Environment', d.environment);
  field('Service', d.service);
  field('Tag', d.tag, { mono: true });
  field('Previous tag', d.previousTag, { mono: true });
  field('Digest', d.digest, { mono: true });
  field('Started', formatLocal(d.startedAt, true), { title: formatUtc(d.startedAt) });
  if (d.finishedAt) field('Finished', formatLocal(d.finishedAt, true), { title: formatUtc(d.finishedAt) });
  const secs = d.finishedAt ? (Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 1000 : NaN;
  if (Number.isFinite(secs) && secs >= 0) field('Duration', secs < 120 ? `${Math.round(secs)} s` : `${Math.round(secs / 60)} min`);
  field('Actor', d.actor);
  field('Reason', d.reason);
  field('Commit', d.commit, { mono: true });
  field('Rollback commit', d.rollbackCommit, { mono: true });
  field('Window override', d.windowOverrideReason);
  if (d.workflowRun) {
    const r = d.workflowRun;
    const text = [r.workflow, r.id ? `#${r.id}` : '', r.attempt ? `attempt ${r.attempt}` : '', r.actor ? `by ${r.actor}` : ''].filter(Boolean).join(' ');
    field('Workflow run', text);
  }
  field('File', d.file, { mono: true });
  root.append(dl);

  const checksHead = el(doc, 'h3', undefined, `Checks (${d.checks.length})`);
  root.append(checksHead);
  if (d.checks.length === 0) root.append(el(doc, 'p', 'muted', 'No checks recorded.'));
  else {
    const ul = el(doc, 'ul', 'checks', undefined, { 'aria-label': 'Checks' });
    for (const c of d.checks) {
      const li = el(doc, 'li', 'check');
      li.append(statusBadge(doc, c.status), el(doc, 'span', 'check-name', c.name));
      if (c.detail) li.append(el(doc, 'span', 'check-detail', c.detail));
      ul.append(li);
    }
    root.append(ul);
  }
  return root;
}

function linkButton(doc: Document, label: string, url: string, on: DetailHandlers): HTMLElement {
  const b = el(doc, 'button', 'button secondary', label, { type: 'button', title: url, role: 'link' });
  b.addEventListener('click', () => on.openExternal(url));
  return b;
}

// ---- the app ----

type FilterName = 'environment' | 'service' | 'status';

export class RecordsApp {
  private state: SavedState;
  private page: RecordsPage | undefined;
  private requestId = 0;
  private answered = 0;
  private textTimer: unknown;
  private detail: RecordDetail | undefined;
  /** The id the extension last answered a detail request for (record undefined: it is gone). */
  private detailAnswered: string | undefined;
  private focusDetailSoon = false;
  private notice = '';

  private readonly selects: Record<FilterName, HTMLSelectElement>;
  private readonly search: HTMLInputElement;
  private readonly clear: HTMLButtonElement;
  private readonly headerButtons = new Map<SortKey, { th: HTMLTableCellElement; button: HTMLButtonElement }>();
  private readonly tbody: HTMLTableSectionElement;
  private rowEls: HTMLTableRowElement[] = [];
  private readonly summary: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly prev: HTMLButtonElement;
  private readonly next: HTMLButtonElement;
  private readonly layout: HTMLElement;
  private readonly detailPane: HTMLElement;
  private readonly splitter: HTMLElement;

  constructor(
    private readonly doc: Document,
    private readonly root: HTMLElement,
    private readonly host: Host,
    private readonly timers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
  ) {
    this.state = restoreState(host.getState());

    const toolbar = el(doc, 'div', 'toolbar', undefined, { role: 'search', 'aria-label': 'Filter deployment records' });
    const select = (name: FilterName, label: string) => {
      const wrap = el(doc, 'label', 'filter');
      wrap.append(el(doc, 'span', 'filter-label', label));
      const s = el(doc, 'select', undefined, undefined, { 'aria-label': `Filter by ${label.toLowerCase()}`, name });
      s.addEventListener('change', () => this.onFilterChange(name));
      wrap.append(s);
      toolbar.append(wrap);
      return s;
    };
    this.selects = { environment: select('environment', 'Environment'), service: select('service', 'Service'), status: select('status', 'Status') };
    const searchWrap = el(doc, 'label', 'filter grow');
    searchWrap.append(el(doc, 'span', 'filter-label', 'Search'));
    this.search = el(doc, 'input', 'search', undefined, { type: 'search', placeholder: 'Reason, actor, tag, commit…', 'aria-label': 'Search records', spellcheck: 'false' });
    this.search.addEventListener('input', () => this.onTextInput());
    this.search.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter') this.flushText();
    });
    searchWrap.append(this.search);
    toolbar.append(searchWrap);
    this.clear = el(doc, 'button', 'button secondary', 'Clear filters', { type: 'button' });
    this.clear.addEventListener('click', () => this.clearFilters());
    toolbar.append(this.clear);

    const table = el(doc, 'table', 'records', undefined, { 'aria-label': 'Deployment records' });
    const colgroup = el(doc, 'colgroup');
    for (const c of COLUMNS) colgroup.append(el(doc, 'col', `col-${c.key}`));
    const thead = el(doc, 'thead');
    const hr = el(doc, 'tr');
    for (const c of COLUMNS) {
      const th = el(doc, 'th', `c-${c.key}`, undefined, { scope: 'col' });
      const button = el(doc, 'button', 'sort', c.label, { type: 'button', title: `Sort by ${c.label.toLowerCase()}` });
      button.addEventListener('click', () => this.onSort(c.key));
      th.append(button);
      hr.append(th);
      this.headerButtons.set(c.key, { th, button });
    }
    thead.append(hr);
    this.tbody = el(doc, 'tbody');
    this.tbody.addEventListener('keydown', (e: KeyboardEvent) => this.onRowKey(e));
    this.tbody.addEventListener('click', (e: MouseEvent) => this.onRowClick(e));
    table.append(colgroup, thead, this.tbody);

    this.empty = el(doc, 'p', 'empty muted', '', { role: 'status' });
    this.empty.hidden = true;
    const footer = el(doc, 'div', 'footer');
    this.summary = el(doc, 'span', 'summary', 'Loading…', { role: 'status', 'aria-live': 'polite' });
    this.prev = el(doc, 'button', 'button secondary', '‹ Previous', { type: 'button', 'aria-label': 'Previous page' });
    this.next = el(doc, 'button', 'button secondary', 'Next ›', { type: 'button', 'aria-label': 'Next page' });
    this.prev.addEventListener('click', () => this.goPage(-1));
    this.next.addEventListener('click', () => this.goPage(1));
    const pager = el(doc, 'span', 'pager');
    pager.append(this.prev, this.next);
    footer.append(this.summary, pager);

    const list = el(doc, 'div', 'list');
    const scroller = el(doc, 'div', 'table-scroll');
    scroller.append(table, this.empty);
    list.append(toolbar, scroller, footer);
    this.detailPane = el(doc, 'aside', 'detail', undefined, { 'aria-label': 'Record details' });
    this.detailPane.hidden = true;
    this.detailPane.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Escape') this.closeDetail();
    });
    // Between the table and the detail view: drag it, or focus it and use ←/→ (Shift: bigger steps), Home/End.
    this.splitter = el(doc, 'div', 'splitter', undefined, { role: 'separator', 'aria-orientation': 'vertical', 'aria-label': 'Resize record details', 'aria-valuemin': String(DETAIL_MIN_WIDTH), tabindex: '0', title: 'Drag, or ←/→, to resize the details' });
    this.splitter.hidden = true;
    this.splitter.addEventListener('keydown', (e: KeyboardEvent) => this.onSplitterKey(e));
    this.splitter.addEventListener('pointerdown', (e: PointerEvent) => this.onSplitterDrag(e));
    this.layout = el(doc, 'div', 'layout');
    this.layout.append(list, this.splitter, this.detailPane);
    this.applyDetailWidth();
    root.replaceChildren(this.layout);
    this.renderControls();
  }

  /** A message from the extension (window 'message' event data). */
  receive(msg: ExtensionToWebview): void {
    if (!msg || typeof msg !== 'object') return;
    switch (msg.type) {
      case 'init':
        if (msg.preset) this.state = { ...this.state, filters: { ...msg.preset }, offset: 0, detailId: undefined, selectedId: undefined };
        this.renderControls();
        this.query();
        if (this.state.detailId) this.openDetail(this.state.detailId, false);
        return;
      case 'setFilters':
        this.state = { ...this.state, filters: { ...msg.filters }, offset: 0 };
        this.renderControls();
        this.query();
        return;
      case 'page':
        if (msg.requestId < this.requestId) return; // a newer query is on its way
        this.answered = msg.requestId;
        this.page = msg.page;
        this.notice = msg.notice ?? '';
        this.state.offset = msg.page.offset;
        this.save();
        this.renderControls();
        this.renderPage();
        if (this.state.detailId) this.host.postMessage({ type: 'detail', id: this.state.detailId }); // live update of the open record
        return;
      case 'detail':
        if (msg.id !== this.state.detailId) return;
        this.detail = msg.record;
        this.detailAnswered = msg.id;
        this.renderDetailPane();
        return;
      case 'probe':
        if (msg.action) this.probe(msg.action);
        this.host.postMessage({ type: 'probeResult', requestId: msg.requestId, snapshot: this.snapshot() });
        return;
    }
  }

  private save(): void {
    this.host.setState(this.state);
  }

  private query(): void {
    this.requestId++;
    this.root.setAttribute('aria-busy', 'true');
    this.save();
    this.host.postMessage({ type: 'query', requestId: this.requestId, query: { filters: this.state.filters, sort: this.state.sort, offset: this.state.offset, limit: PAGE_SIZE } });
  }

  private onFilterChange(name: FilterName): void {
    const value = this.selects[name].value;
    const filters: RecordsFilters = { ...this.state.filters };
    if (value) (filters as Record<string, string>)[name] = value;
    else delete filters[name];
    if (name === 'environment' && filters.service && this.page && !this.page.facets.services.includes(filters.service)) delete filters.service;
    this.state = { ...this.state, filters, offset: 0 };
    this.query();
  }

  private onTextInput(): void {
    this.timers.clear(this.textTimer);
    this.textTimer = this.timers.set(() => this.flushText(), TEXT_DEBOUNCE_MS);
  }

  private flushText(): void {
    this.timers.clear(this.textTimer);
    const text = this.search.value;
    if ((this.state.filters.text ?? '') === text) return;
    const filters = { ...this.state.filters };
    if (text) filters.text = text;
    else delete filters.text;
    this.state = { ...this.state, filters, offset: 0 };
    this.query();
  }

  private clearFilters(): void {
    this.state = { ...this.state, filters: {}, offset: 0 };
    this.search.value = '';
    this.renderControls();
    this.query();
  }

  private onSort(key: SortKey): void {
    const cur = this.state.sort;
    // First click: newest / Z-A for time, A-Z otherwise; next click flips.
    const dir: SortDir = cur.key === key ? (cur.dir === 'asc' ? 'desc' : 'asc') : key === 'time' ? 'desc' : 'asc';
    this.state = { ...this.state, sort: { key, dir }, offset: 0 };
    this.renderControls();
    this.query();
  }

  private goPage(delta: number): void {
    if (!this.page) return;
    const offset = this.page.offset + delta * PAGE_SIZE;
    if (offset < 0 || offset >= this.page.total) return;
    this.state = { ...this.state, offset };
    this.query();
  }

  private rowIndexOf(target: EventTarget | null): number {
    for (let n = target as Node | null; n && n !== this.tbody; n = n.parentNode) {
      const i = this.rowEls.indexOf(n as HTMLTableRowElement);
      if (i >= 0) return i;
    }
    return -1;
  }

  private onRowClick(e: MouseEvent): void {
    const i = this.rowIndexOf(e.target);
    if (i < 0) return;
    this.select(i, true);
    this.openDetail(this.page!.rows[i][0], true);
  }

  private onRowKey(e: KeyboardEvent): void {
    const i = this.rowIndexOf(e.target);
    if (i < 0) return;
    const last = this.rowEls.length - 1;
    const move: Record<string, number> = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: last, PageDown: i + 10, PageUp: i - 10 };
    if (e.key in move) {
      e.preventDefault();
      this.select(Math.max(0, Math.min(last, move[e.key])), true);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.openDetail(this.page!.rows[i][0], true);
    } else if (e.key === 'Escape' && this.state.detailId) {
      this.closeDetail();
    }
  }

  /** Roving tabindex: the selected row is the one Tab reaches. */
  private select(i: number, focus: boolean): void {
    const id = this.page?.rows[i]?.[0];
    if (id === undefined) return;
    this.state.selectedId = id;
    this.save();
    this.rowEls.forEach((tr, j) => {
      tr.setAttribute('tabindex', j === i ? '0' : '-1');
      tr.setAttribute('aria-selected', j === i ? 'true' : 'false');
    });
    if (focus) this.rowEls[i].focus();
  }

  private openDetail(id: string, focus: boolean): void {
    this.state.detailId = id;
    this.save();
    if (this.detail?.id !== id) {
      this.detail = undefined;
      this.detailAnswered = undefined;
    }
    this.renderDetailPane();
    this.host.postMessage({ type: 'detail', id });
    if (focus) this.focusDetailSoon = true;
  }

  private closeDetail(): void {
    this.state.detailId = undefined;
    this.detail = undefined;
    this.save();
    this.renderDetailPane();
    const i = this.rowEls.findIndex((tr) => tr.getAttribute('data-id') === this.state.selectedId);
    if (i >= 0) this.rowEls[i].focus();
  }

  // ---- rendering ----

  private renderControls(): void {
    const f = this.state.filters;
    const facets = this.page?.facets;
    const fill = (name: FilterName, all: string, values: readonly string[], labels?: Record<string, string>) => {
      const s = this.selects[name];
      const current = f[name] ?? '';
      const opts = [...values];
      if (current && !opts.includes(current)) opts.push(current); // keep a preset that has no records yet
      const options = [el(this.doc, 'option', undefined, all, { value: '' }), ...opts.map((v) => el(this.doc, 'option', undefined, labels?.[v] ?? v, { value: v }))];
      s.replaceChildren(...options);
      s.value = current;
    };
    fill('environment', 'All environments', facets?.environments ?? []);
    fill('service', 'All services', facets?.services ?? []);
    fill('status', 'All statuses', STATUSES, STATUS_LABEL);
    if (this.search.value !== (f.text ?? '') && this.doc.activeElement !== this.search) this.search.value = f.text ?? '';
    this.clear.disabled = !f.environment && !f.service && !f.status && !f.text;
    for (const [key, { th, button }] of this.headerButtons) {
      const active = this.state.sort.key === key;
      th.setAttribute('aria-sort', active ? (this.state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      button.setAttribute('class', active ? `sort active ${this.state.sort.dir}` : 'sort');
    }
  }

  private renderPage(): void {
    const page = this.page!;
    const hadFocus = this.rowEls.some((tr) => tr === this.doc.activeElement);
    this.rowEls = page.rows.map((r) => renderRow(this.doc, r));
    this.tbody.replaceChildren(...this.rowEls);
    this.root.setAttribute('aria-busy', this.answered < this.requestId ? 'true' : 'false');
    const from = page.total ? page.offset + 1 : 0;
    const to = page.offset + page.rows.length;
    const n = (x: number) => x.toLocaleString('en-US');
    this.summary.textContent = page.total === page.all ? `${n(from)}–${n(to)} of ${n(page.total)} records` : `${n(from)}–${n(to)} of ${n(page.total)} matching (${n(page.all)} records)`;
    if (page.total === 0) this.summary.textContent = page.all ? `No matching records (${n(page.all)} records)` : 'No records';
    this.empty.hidden = page.total !== 0 && !this.notice;
    this.empty.textContent = this.notice || (page.all ? 'No record matches these filters.' : 'No deployment records yet.');
    this.prev.disabled = page.offset === 0;
    this.next.disabled = page.offset + PAGE_SIZE >= page.total;
    let sel = page.rows.findIndex((r) => r[0] === this.state.selectedId);
    if (sel < 0 && page.rows.length) sel = 0;
    if (sel >= 0) {
      this.rowEls[sel].setAttribute('tabindex', '0');
      this.rowEls[sel].setAttribute('aria-selected', String(page.rows[sel][0] === this.state.selectedId));
      if (hadFocus) this.rowEls[sel].focus();
    }
    for (const tr of this.rowEls) tr.classList.toggle('open', tr.getAttribute('data-id') === this.state.detailId);
  }

  /** The widest the detail view may be now (the table keeps LIST_MIN_WIDTH). */
  private maxDetailWidth(): number {
    const w = this.layout.clientWidth;
    return w > 0 ? Math.max(DETAIL_MIN_WIDTH, w - LIST_MIN_WIDTH) : 4000;
  }

  /** The detail view's current width: the one the person chose, else what the stylesheet gave it. */
  private currentDetailWidth(): number {
    return this.state.detailWidth ?? Math.round(this.detailPane.getBoundingClientRect?.().width || DETAIL_MIN_WIDTH);
  }

  private setDetailWidth(px: number): void {
    this.state.detailWidth = Math.round(Math.min(Math.max(px, DETAIL_MIN_WIDTH), this.maxDetailWidth()));
    this.applyDetailWidth();
    this.host.setState(this.state);
  }

  private applyDetailWidth(): void {
    const w = this.state.detailWidth;
    // CSSOM, not a style attribute: the webview's CSP allows no inline styles.
    if (w !== undefined) this.layout.style?.setProperty('--detail-width', `${w}px`);
    this.splitter.setAttribute('aria-valuenow', String(w ?? this.currentDetailWidth()));
    this.splitter.setAttribute('aria-valuemax', String(this.maxDetailWidth()));
  }

  private onSplitterKey(e: KeyboardEvent): void {
    const step = e.shiftKey ? SPLITTER_STEP * 4 : SPLITTER_STEP;
    const now = this.currentDetailWidth();
    // The detail view is on the right: moving the splitter left widens it.
    const next = e.key === 'ArrowLeft' ? now + step : e.key === 'ArrowRight' ? now - step : e.key === 'Home' ? DETAIL_MIN_WIDTH : e.key === 'End' ? this.maxDetailWidth() : undefined;
    if (next === undefined) return;
    e.preventDefault();
    this.setDetailWidth(next);
  }

  private onSplitterDrag(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    const right = this.layout.getBoundingClientRect().right;
    this.splitter.setPointerCapture?.(e.pointerId);
    this.splitter.classList.add('dragging');
    const move = (m: PointerEvent) => this.setDetailWidth(right - m.clientX);
    const up = () => {
      this.splitter.classList.remove('dragging');
      this.splitter.removeEventListener('pointermove', move);
      this.splitter.removeEventListener('pointerup', up);
      this.splitter.removeEventListener('pointercancel', up);
    };
    this.splitter.addEventListener('pointermove', move);
    this.splitter.addEventListener('pointerup', up);
    this.splitter.addEventListener('pointercancel', up);
  }

  private renderDetailPane(): void {
    const id = this.state.detailId;
    this.detailPane.hidden = !id;
    this.splitter.hidden = !id;
    if (id) this.applyDetailWidth();
    this.layout.classList.toggle('with-detail', Boolean(id));
    for (const tr of this.rowEls) tr.classList.toggle('open', tr.getAttribute('data-id') === id);
    if (!id) {
      this.detailPane.replaceChildren();
      return;
    }
    const on: DetailHandlers = {
      openFile: (rid) => this.host.postMessage({ type: 'openFile', id: rid }),
      openExternal: (url) => this.host.postMessage({ type: 'openExternal', url }),
      close: () => this.closeDetail(),
    };
    if (this.detail && this.detail.id === id) {
      this.detailPane.replaceChildren(renderDetail(this.doc, this.detail, on));
    } else {
      const close = el(this.doc, 'button', 'icon-button close', '×', { type: 'button', 'aria-label': 'Close record details' });
      close.addEventListener('click', () => this.closeDetail());
      this.detailPane.replaceChildren(close, el(this.doc, 'p', 'muted', this.detailAnswered === id ? 'This record no longer exists.' : 'Loading…'));
    }
    if (this.focusDetailSoon && this.detail) {
      this.focusDetailSoon = false;
      this.detailPane.setAttribute('tabindex', '-1');
      this.detailPane.focus();
    }
  }

  // ---- test probe (the e2e tests read the DOM through the extension) ----

  private probe(action: ProbeAction): void {
    switch (action.kind) {
      case 'setText':
        this.search.value = action.value;
        this.flushText();
        return;
      case 'setFilter':
        this.selects[action.name].value = action.value;
        this.onFilterChange(action.name);
        return;
      case 'sort':
        this.headerButtons.get(action.key)?.button.click();
        return;
      case 'openRow': {
        const tr = this.rowEls[action.index];
        if (!tr) return;
        tr.focus();
        const KE = this.doc.defaultView?.KeyboardEvent;
        if (KE) tr.dispatchEvent(new KE('keydown', { key: 'Enter', bubbles: true }));
        return;
      }
      case 'closeDetail':
        this.closeDetail();
        return;
      case 'clickDetailButton': {
        const buttons = Array.from(this.detailPane.getElementsByTagName('button'));
        buttons.find((b) => b.textContent === action.label)?.click();
        return;
      }
    }
  }

  /** The detail view's measured place and width, and how many lines its longest digest takes. */
  private measure(): RenderedSnapshot['layout'] {
    const rect = (e: Element) => e.getBoundingClientRect?.();
    const panel = rect(this.layout);
    const pane = rect(this.detailPane);
    if (!panel || !pane || panel.width === 0) return undefined;
    let digestLines: number | undefined;
    const range = this.doc.createRange?.();
    if (range) {
      for (const e of Array.from(this.detailPane.getElementsByTagName('*'))) {
        if (e.children.length || !/sha256:[0-9a-f]/.test(e.textContent ?? '')) continue;
        range.selectNodeContents(e);
        const tops = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        digestLines = Math.max(digestLines ?? 0, tops.size);
      }
    }
    const value = Number(this.splitter.getAttribute('aria-valuenow'));
    return { panelWidth: Math.round(panel.width), detailWidth: Math.round(pane.width), detailBelow: pane.top >= rect(this.layout.firstElementChild!)!.bottom - 1, splitterValue: Number.isFinite(value) ? value : undefined, digestLines };
  }

  /** What is on screen, as text. */
  snapshot(): RenderedSnapshot {
    const detailLines: string[] = [];
    if (!this.detailPane.hidden) {
      const walk = (n: Element) => {
        const tag = n.tagName.toLowerCase();
        if (tag === 'dt' || tag === 'h2' || tag === 'h3' || tag === 'li' || tag === 'button' || tag === 'p') {
          detailLines.push(tag === 'dt' ? `${n.textContent}: ${n.nextElementSibling?.textContent ?? ''}` : (n.textContent ?? ''));
          return;
        }
        for (const c of Array.from(n.children)) walk(c);
      };
      walk(this.detailPane);
    }
    return {
      headers: COLUMNS.map((c) => this.headerButtons.get(c.key)!.button.textContent ?? ''),
      rows: this.rowEls.map((tr) => Array.from(tr.children).map((td) => td.textContent ?? '')),
      timeTitles: this.rowEls.map((tr) => tr.children[0]?.getAttribute('title') ?? ''),
      summary: this.summary.textContent ?? '',
      filters: { ...this.state.filters },
      sort: { ...this.state.sort },
      detail: this.detailPane.hidden ? undefined : detailLines,
      busy: this.answered < this.requestId,
      layout: this.detailPane.hidden ? undefined : this.measure(),
    };
  }
}

// ---- boot (in the webview only) ----

declare const acquireVsCodeApi: undefined | (() => Host);

export function boot(doc: Document, host: Host): RecordsApp {
  const root = doc.getElementById('app');
  if (!root) throw new Error('no #app element');
  const { app, insights } = withInsights(doc, root, host, (h, r) => new RecordsApp(doc, r, h));
  doc.defaultView?.addEventListener('message', (e: MessageEvent) => {
    app.receive(e.data as ExtensionToWebview);
    insights.receive(e.data as ExtensionToWebview);
  });
  host.postMessage({ type: 'ready' });
  return app;
}

if (typeof acquireVsCodeApi === 'function' && typeof document !== 'undefined') boot(document, acquireVsCodeApi());

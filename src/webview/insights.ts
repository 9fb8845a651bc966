/**
 * The records panel's Insights tab (bundled with src/webview/records.ts): the DORA measures the
 * extension computes (src/pipeline/model/dora.ts) for a period, three charts, each with a table
 * alternative, and the trail verification.
 *
 * Charts are hand-drawn SVG: a few dozen rects, circles and lines built with createElementNS.
 * No charting library: the ones on the registry draw on a canvas (colours must be resolved
 * values, not the theme's CSS variables, and a canvas has no DOM for screen readers) or pull in
 * far more than three small charts need. SVG elements take their colours from CSS classes bound
 * to --vscode-* variables, so light, dark and high-contrast themes follow without code, and the
 * strict CSP (no inline script or style) holds. Repository text is only ever set with textContent.
 */
import type { DoraBand, DoraMeasures, Insights } from '../pipeline/model/dora';
import { formatSpan } from '../pipeline/model/format';
import type { TrailVerification } from '../pipeline/recordsVerify';
import type { ExtensionToWebview, InsightsSnapshot, WebviewToExtension } from '../providers/recordsProtocol';

const PERIODS = [7, 30, 90, 365] as const;
const DEFAULT_DAYS = 90;
const SVG = 'http://www.w3.org/2000/svg';
const STATUS_ORDER = ['succeeded', 'rolled-back', 'failed', 'rollback'] as const;
const STATUS_LABEL: Record<string, string> = { succeeded: 'succeeded', 'rolled-back': 'rolled back', failed: 'failed', rollback: 'manual rollback' };
const LEAD_BUCKETS = ['< 1 hour', '1 hour – 1 day', '1 day – 1 week', '1 week – 1 month', '≥ 1 month'];

export interface InsightsState {
  tab: 'records' | 'insights';
  days: number;
  environment?: string;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls?: string, text?: string, attrs?: Record<string, string>): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (cls) e.setAttribute('class', cls);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs ?? {})) e.setAttribute(k, v);
  return e;
}

function svg(doc: Document, tag: string, attrs: Record<string, string | number>, cls?: string): SVGElement {
  const e = doc.createElementNS(SVG, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (cls) e.setAttribute('class', cls);
  return e;
}

const bandText = (b: DoraBand | undefined) => b ?? 'no data';

/** The four measures of a row as text cells. */
export function measureCells(m: DoraMeasures): { text: string; band?: DoraBand }[] {
  const f = m.deploymentFrequency;
  const lt = m.leadTime;
  const cfr = m.changeFailureRate;
  const ttr = m.timeToRestore;
  return [
    { text: `${f.perWeek >= 1 ? f.perWeek.toFixed(1) : f.perWeek.toFixed(2)}/week (${f.deployments})`, band: f.band },
    { text: lt.medianMs === undefined ? '—' : `${formatSpan(lt.medianMs)} median (${lt.count})`, band: lt.band },
    { text: cfr.rate === undefined ? '—' : `${Math.round(cfr.rate * 100)}% (${cfr.failures}/${cfr.changes})`, band: cfr.band },
    { text: ttr.medianMs === undefined ? (ttr.open ? `${ttr.open} not restored` : '—') : `${formatSpan(ttr.medianMs)} median (${ttr.count}${ttr.open ? `, ${ttr.open} open` : ''})`, band: ttr.band },
  ];
}

const MEASURES = ['Deployment frequency', 'Lead time for changes', 'Change failure rate', 'Time to restore'];

/** The Insights tab. `post` sends to the extension; `save` persists the tab's state. */
export class InsightsView {
  readonly element: HTMLElement;
  state: InsightsState;
  private requestId = 0;
  private insights: Insights | undefined;
  private trail: TrailVerification | undefined;
  private trailProblem: string | undefined;
  private requested = false;
  private readonly period: HTMLSelectElement;
  private readonly envSelect: HTMLSelectElement;
  private readonly trailLine: HTMLElement;
  private readonly body: HTMLElement;
  /** Which text alternatives are open (by chart title). */
  private readonly openTables = new Set<string>();
  /** Time of the last redraw (ms), for the bench. */
  lastRenderMs = 0;

  constructor(
    private readonly doc: Document,
    private readonly post: (m: WebviewToExtension) => void,
    private readonly save: () => void,
    saved: Partial<InsightsState> | undefined,
    private readonly now: () => number = () => (typeof performance !== 'undefined' ? performance.now() : Date.now()),
  ) {
    this.state = { tab: saved?.tab === 'insights' ? 'insights' : 'records', days: PERIODS.includes(saved?.days as 7) ? (saved!.days as number) : DEFAULT_DAYS, environment: typeof saved?.environment === 'string' ? saved.environment : undefined };
    this.element = el(doc, 'div', 'insights');
    const toolbar = el(doc, 'div', 'toolbar');
    const periodWrap = el(doc, 'label', 'filter');
    periodWrap.append(el(doc, 'span', 'filter-label', 'Period'));
    this.period = el(doc, 'select', undefined, undefined, { 'aria-label': 'Period', name: 'period' });
    for (const d of PERIODS) this.period.append(el(doc, 'option', undefined, d === 365 ? 'Last 12 months' : `Last ${d} days`, { value: String(d) }));
    this.period.value = String(this.state.days);
    this.period.addEventListener('change', () => this.setPeriod(Number(this.period.value)));
    periodWrap.append(this.period);
    const envWrap = el(doc, 'label', 'filter');
    envWrap.append(el(doc, 'span', 'filter-label', 'Environment'));
    this.envSelect = el(doc, 'select', undefined, undefined, { 'aria-label': 'Insights environment', name: 'insights-environment' });
    this.envSelect.addEventListener('change', () => {
      this.state.environment = this.envSelect.value || undefined;
      this.save();
      this.request();
    });
    envWrap.append(this.envSelect);
    const verify = el(doc, 'button', 'button secondary', 'Verify trail', { type: 'button' });
    verify.addEventListener('click', () => this.verify());
    toolbar.append(periodWrap, envWrap, verify);
    this.trailLine = el(doc, 'div', 'trail muted', 'Trail: not verified yet', { role: 'status', 'aria-live': 'polite' });
    this.body = el(doc, 'div', 'insights-body');
    const scroller = el(doc, 'div', 'insights-scroll');
    scroller.append(this.trailLine, this.body);
    this.element.append(toolbar, scroller);
  }

  /** The tab became visible: ask for data the first time. */
  shown(): void {
    if (!this.requested) {
      this.requested = true;
      this.request();
      this.verify();
    }
  }

  setPeriod(days: number): void {
    if (!PERIODS.includes(days as 7)) return;
    this.state.days = days;
    this.period.value = String(days);
    this.save();
    this.request();
  }

  private request(): void {
    this.requestId++;
    this.element.setAttribute('aria-busy', 'true');
    this.post({ type: 'insights', requestId: this.requestId, days: this.state.days, ...(this.state.environment ? { environment: this.state.environment } : {}) });
  }

  private verify(): void {
    this.trailLine.textContent = 'Trail: verifying…';
    this.post({ type: 'verifyTrail' });
  }

  receive(msg: ExtensionToWebview): void {
    if (msg.type === 'insights') {
      if (msg.requestId < this.requestId) return;
      this.insights = msg.insights;
      this.element.removeAttribute('aria-busy');
      this.render();
    } else if (msg.type === 'trail') {
      this.trail = msg.trail;
      this.trailProblem = msg.problem;
      this.renderTrail();
    }
  }

  busy(): boolean {
    return this.element.hasAttribute('aria-busy');
  }

  // ---- rendering ----

  private renderTrail(): void {
    const line = this.trailLine;
    line.replaceChildren();
    line.setAttribute('class', 'trail');
    if (this.trailProblem || !this.trail) {
      line.classList.add('muted');
      line.textContent = `Trail: ${this.trailProblem ?? 'not verified'}`;
      return;
    }
    const t = this.trail;
    const errors = t.environments.flatMap((e) => e.problems.filter((p) => p.error));
    const records = t.environments.reduce((n, e) => n + e.records, 0);
    const chained = t.environments.reduce((n, e) => n + e.chained, 0);
    // git.signCommits: how many deploy and record commits carry a verified signature
    const signed = t.environments.filter((e) => e.signatures);
    const sig = signed.length ? `; signatures verified on ${signed.reduce((n, e) => n + e.signatures!.verified, 0)} of ${signed.reduce((n, e) => n + e.signatures!.checked, 0)} commits` : '';
    const unverifiable = t.environments.flatMap((e) => e.problems.filter((p) => p.kind === 'unverifiable-signature'));
    if (!errors.length) {
      line.classList.add('ok');
      line.textContent = `✓ Trail intact: ${records} records, ${chained} chained${sig} (${t.environments.map((e) => e.environment).join(', ')})`;
      for (const p of unverifiable) line.append(el(this.doc, 'div', 'muted', `! ${p.environment}: ${p.message}`));
      return;
    }
    line.classList.add('broken');
    line.append(el(this.doc, 'span', undefined, `✗ Trail broken: ${errors.length} problem(s)${sig}. `));
    const list = el(this.doc, 'ul', 'trail-problems');
    const SHOWN = 3;
    for (const p of errors.slice(0, SHOWN)) {
      const li = el(this.doc, 'li', undefined, `${p.kind}: ${p.message} `);
      if (p.file && p.kind !== 'record-deleted') {
        const open = el(this.doc, 'button', 'link', 'Open record', { type: 'button', 'aria-label': `Open ${p.file}` });
        const file = p.file;
        open.addEventListener('click', () => this.post({ type: 'openFile', id: file }));
        li.append(open);
      }
      list.append(li);
    }
    if (errors.length > SHOWN) list.append(el(this.doc, 'li', 'muted', `… and ${errors.length - SHOWN} more: run gitops-deploy records verify for the full list`));
    line.append(list);
  }

  render(): void {
    const t0 = this.now();
    const r = this.insights;
    if (!r) return;
    // environments for the select: keep the current choice even if it has no record in the period
    const envs = r.environments.slice();
    if (this.state.environment && !envs.includes(this.state.environment)) envs.push(this.state.environment);
    const opts = [el(this.doc, 'option', undefined, 'All environments', { value: '' }), ...envs.map((e) => el(this.doc, 'option', undefined, e, { value: e }))];
    this.envSelect.replaceChildren(...opts);
    this.envSelect.value = this.state.environment ?? '';

    const parts: HTMLElement[] = [];
    parts.push(el(this.doc, 'p', 'muted period', `${r.period.since.slice(0, 10)} → ${r.period.until.slice(0, 10)} (UTC). Bands: DORA 2023 performance clusters.`));
    parts.push(this.measuresTable(r));
    parts.push(this.weeksChart(r), this.leadTimeChart(r), this.timelineChart(r));
    this.body.replaceChildren(...parts);
    this.lastRenderMs = this.now() - t0;
  }

  private measuresTable(r: Insights): HTMLElement {
    const rows = r.measures.filter((m) => (this.state.environment ? true : m.service === undefined));
    const section = el(this.doc, 'section', 'measures', undefined, { 'aria-label': 'DORA measures' });
    if (!rows.length) {
      section.append(el(this.doc, 'p', 'empty muted', 'No records in this period.'));
      return section;
    }
    const table = el(this.doc, 'table', 'measures-table', undefined, { 'aria-label': 'DORA measures' });
    const head = el(this.doc, 'tr');
    head.append(el(this.doc, 'th', undefined, 'Environment · service', { scope: 'col' }), ...MEASURES.map((m) => el(this.doc, 'th', undefined, m, { scope: 'col' })));
    const thead = el(this.doc, 'thead');
    thead.append(head);
    const tbody = el(this.doc, 'tbody');
    for (const m of rows) {
      const tr = el(this.doc, 'tr', m.service === undefined ? 'env-row' : undefined);
      tr.append(el(this.doc, 'th', undefined, `${m.environment} · ${m.service ?? 'all services'}`, { scope: 'row' }));
      for (const c of measureCells(m)) {
        const td = el(this.doc, 'td');
        td.append(el(this.doc, 'span', `band band-${c.band ?? 'none'}`, bandText(c.band)), el(this.doc, 'span', 'value', ` ${c.text}`));
        tr.append(td);
      }
      tbody.append(tr);
    }
    table.append(thead, tbody);
    section.append(table);
    return section;
  }

  /** A figure: title, the SVG, and a <details> with the table alternative (native keyboard support). */
  private figure(title: string, chart: SVGElement, marks: number, header: string[], rows: string[][], legend?: { label: string; cls: string }[]): HTMLElement {
    const fig = el(this.doc, 'figure', 'chart');
    fig.setAttribute('data-marks', String(marks));
    const cap = el(this.doc, 'figcaption', undefined, title);
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', `${title}: chart; the table below has the same figures`);
    fig.append(cap);
    if (legend) {
      const lg = el(this.doc, 'div', 'legend', undefined, { 'aria-hidden': 'true' });
      for (const l of legend) {
        const item = el(this.doc, 'span', 'legend-item');
        item.append(el(this.doc, 'span', `swatch ${l.cls}`), el(this.doc, 'span', undefined, l.label));
        lg.append(item);
      }
      fig.append(lg);
    }
    fig.append(rows.length ? chart : el(this.doc, 'p', 'empty muted', 'Nothing in this period.'));
    // The table alternative behind a disclosure button (keyboard: Tab to it, Enter or Space).
    const id = `alt-${title.replace(/[^A-Za-z]+/g, '-').toLowerCase()}`;
    const open = this.openTables.has(title);
    const toggle = el(this.doc, 'button', 'link alt-toggle', `Table: ${title}`, { type: 'button', 'aria-expanded': String(open), 'aria-controls': id });
    const arrow = el(this.doc, 'span', 'arrow', open ? '▾ ' : '▸ ', { 'aria-hidden': 'true' });
    const label = toggle.textContent ?? '';
    toggle.replaceChildren(arrow, label);
    const details = el(this.doc, 'div', 'alt', undefined, { id });
    details.hidden = !open;
    const table = el(this.doc, 'table', 'alt-table', undefined, { 'aria-label': title });
    const thead = el(this.doc, 'thead');
    const hr = el(this.doc, 'tr');
    for (const h of header) hr.append(el(this.doc, 'th', undefined, h, { scope: 'col' }));
    thead.append(hr);
    const tbody = el(this.doc, 'tbody');
    for (const row of rows) {
      const tr = el(this.doc, 'tr');
      row.forEach((c, i) => tr.append(el(this.doc, i === 0 ? 'th' : 'td', undefined, c, i === 0 ? { scope: 'row' } : undefined)));
      tbody.append(tr);
    }
    table.append(thead, tbody);
    details.append(rows.length ? table : el(this.doc, 'p', 'muted', 'No rows.'));
    toggle.addEventListener('click', () => {
      const nowOpen = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(nowOpen));
      arrow.textContent = nowOpen ? '▾ ' : '▸ ';
      details.hidden = !nowOpen;
      if (nowOpen) this.openTables.add(title);
      else this.openTables.delete(title);
    });
    fig.append(toggle);
    fig.append(details);
    return fig;
  }

  private weeksChart(r: Insights): HTMLElement {
    const weeks = [...new Set(r.weeks.map((w) => w.week))].sort();
    const totals = weeks.map((week) => {
      const counts: Record<string, number> = { succeeded: 0, 'rolled-back': 0, failed: 0, rollback: 0 };
      for (const b of r.weeks) if (b.week === week) for (const s of STATUS_ORDER) counts[s] += b.counts[s];
      return { week, counts };
    });
    const max = Math.max(1, ...totals.map((t) => STATUS_ORDER.reduce((n, s) => n + t.counts[s], 0)));
    const W = 640;
    const H = 180;
    const left = 28;
    const bottom = 20;
    const chart = svg(this.doc, 'svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', height: H, preserveAspectRatio: 'xMinYMin meet' }, 'svg-chart');
    chart.append(svg(this.doc, 'line', { x1: left, y1: H - bottom, x2: W, y2: H - bottom }, 'axis'));
    const maxLabel = svg(this.doc, 'text', { x: left - 4, y: 12, 'text-anchor': 'end' }, 'tick');
    maxLabel.textContent = String(max);
    chart.append(maxLabel);
    const slot = (W - left) / Math.max(weeks.length, 1);
    const bw = Math.max(2, Math.min(36, slot * 0.7));
    let marks = 0;
    totals.forEach((t, i) => {
      let y = H - bottom;
      const x = left + i * slot + (slot - bw) / 2;
      for (const s of STATUS_ORDER) {
        const n = t.counts[s];
        if (!n) continue;
        const h = (n / max) * (H - bottom - 16);
        y -= h;
        const rect = svg(this.doc, 'rect', { x, y, width: bw, height: Math.max(1, h) }, `bar s-${s}`);
        const tip = svg(this.doc, 'title', {});
        tip.textContent = `week of ${t.week.slice(0, 10)}: ${n} ${STATUS_LABEL[s]}`;
        rect.append(tip);
        chart.append(rect);
        marks++;
      }
      if (weeks.length <= 16 || i % Math.ceil(weeks.length / 12) === 0) {
        const label = svg(this.doc, 'text', { x: x + bw / 2, y: H - 6, 'text-anchor': 'middle' }, 'tick');
        label.textContent = t.week.slice(5, 10);
        chart.append(label);
      }
    });
    const rows = totals.map((t) => [t.week.slice(0, 10), ...STATUS_ORDER.map((s) => String(t.counts[s]))]);
    return this.figure('Deployments per week by status', chart, marks, ['Week of', ...STATUS_ORDER.map((s) => STATUS_LABEL[s])], rows, STATUS_ORDER.map((s) => ({ label: STATUS_LABEL[s], cls: `s-${s}` })));
  }

  private leadTimeChart(r: Insights): HTMLElement {
    const counts = LEAD_BUCKETS.map((_, i) => r.leadTimeHistogram.reduce((n, h) => n + h.counts[i], 0));
    const total = counts.reduce((a, b) => a + b, 0);
    const max = Math.max(1, ...counts);
    const W = 640;
    const rowH = 24;
    const labelW = 130;
    const H = rowH * LEAD_BUCKETS.length + 4;
    const chart = svg(this.doc, 'svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', height: H, preserveAspectRatio: 'xMinYMin meet' }, 'svg-chart');
    let marks = 0;
    LEAD_BUCKETS.forEach((label, i) => {
      const y = i * rowH + 2;
      const t = svg(this.doc, 'text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end' }, 'tick');
      t.textContent = label;
      chart.append(t);
      if (counts[i]) {
        const w = (counts[i] / max) * (W - labelW - 40);
        const rect = svg(this.doc, 'rect', { x: labelW, y: y + 3, width: Math.max(1, w), height: rowH - 8 }, 'bar lead');
        const tip = svg(this.doc, 'title', {});
        tip.textContent = `${counts[i]} deployment(s) with a lead time ${label}`;
        rect.append(tip);
        chart.append(rect);
        const n = svg(this.doc, 'text', { x: labelW + w + 6, y: y + rowH / 2 + 4 }, 'tick');
        n.textContent = String(counts[i]);
        chart.append(n);
        marks++;
      }
    });
    const rows = total ? LEAD_BUCKETS.map((label, i) => [label, String(counts[i])]) : [];
    return this.figure('Lead time for changes (image push → deployed)', chart, marks, ['Lead time', 'Deployments'], rows);
  }

  private timelineChart(r: Insights): HTMLElement {
    const envs = r.environments;
    const since = Date.parse(r.period.since);
    const until = Date.parse(r.period.until);
    const services = r.timeline;
    const W = 640;
    const rowH = 28;
    const labelW = 110;
    const H = Math.max(1, services.length) * rowH + 24;
    const chart = svg(this.doc, 'svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', height: H, preserveAspectRatio: 'xMinYMin meet' }, 'svg-chart');
    const x = (t: number) => labelW + ((Math.min(Math.max(t, since), until) - since) / (until - since)) * (W - labelW - 10);
    chart.append(svg(this.doc, 'line', { x1: labelW, y1: H - 20, x2: W - 10, y2: H - 20 }, 'axis'));
    for (const [t, anchor] of [[since, 'start'], [until, 'end']] as const) {
      const label = svg(this.doc, 'text', { x: x(t), y: H - 6, 'text-anchor': anchor }, 'tick');
      label.textContent = new Date(t).toISOString().slice(0, 10);
      chart.append(label);
    }
    let marks = 0;
    const rows: string[][] = [];
    services.forEach((s, i) => {
      const y = i * rowH + rowH / 2 + 2;
      const name = svg(this.doc, 'text', { x: labelW - 8, y: y + 4, 'text-anchor': 'end' }, 'tick');
      name.textContent = s.service;
      chart.append(name, svg(this.doc, 'line', { x1: labelW, y1: y, x2: W - 10, y2: y }, 'grid'));
      for (const tag of s.tags) {
        const points = envs.filter((e) => tag.reached[e]).map((e) => ({ e, t: Date.parse(tag.reached[e]) }));
        if (points.length > 1) chart.append(svg(this.doc, 'line', { x1: x(points[0].t), y1: y, x2: x(points[points.length - 1].t), y2: y }, 'promotion'));
        for (const p of points) {
          const dot = svg(this.doc, 'circle', { cx: x(p.t), cy: y, r: 5 }, `dot env-${envs.indexOf(p.e) % 4}`);
          const tip = svg(this.doc, 'title', {});
          tip.textContent = `${s.service} ${tag.tag} reached ${p.e} on ${tag.reached[p.e]}`;
          dot.append(tip);
          chart.append(dot);
          marks++;
        }
        rows.push([`${s.service} ${tag.tag}`, ...envs.map((e) => (tag.reached[e] ? tag.reached[e].replace('T', ' ').replace(/:\d\dZ$/, 'Z') : '—'))]);
      }
    });
    return this.figure('When each tag reached each environment', chart, marks, ['Service and tag', ...envs], rows, envs.map((e, i) => ({ label: e, cls: `env-${i % 4}` })));
  }

  /** What the tab shows, as text (for the e2e probe). */
  snapshot(): InsightsSnapshot {
    const figures = Array.from(this.body.getElementsByTagName('figure'));
    const bodyRows = (root: Element | undefined) => (root ? Array.from(root.getElementsByTagName('tbody')[0]?.children ?? []) : []);
    const measures = Array.from(this.body.getElementsByTagName('table')).find((t) => t.getAttribute('class') === 'measures-table');
    const cards = bodyRows(measures).map((tr) => Array.from(tr.children).map((c) => c.textContent ?? '').join(' | '));
    return {
      tab: this.state.tab === 'insights' ? 'Insights' : 'Records',
      days: this.state.days,
      cards,
      charts: figures.map((f) => ({ title: f.getElementsByTagName('figcaption')[0]?.textContent ?? '', marks: Number(f.getAttribute('data-marks') ?? 0) })),
      tables: figures
        .map((f) => Array.from(f.getElementsByTagName('button')).find((b) => b.getAttribute('aria-expanded') === 'true'))
        .filter((b): b is HTMLButtonElement => !!b)
        .map((b) => {
          const alt = Array.from(b.parentNode?.children ?? []).find((c) => c.getAttribute('id') === b.getAttribute('aria-controls'));
          return { title: (b.textContent ?? '').replace(/^[▸▾] /, ''), rows: bodyRows(alt).map((tr) => Array.from(tr.children).map((c) => c.textContent ?? '')) };
        }),
      trail: this.trailLine.textContent ?? '',
    };
  }
}

/**
 * The tab bar (Records | Insights) above the records app: WAI-ARIA tabs, arrow keys move between
 * them, Home/End too. Returns the element the records app renders into.
 */
export function mountTabs(doc: Document, root: HTMLElement, view: InsightsView, onSwitch: () => void): HTMLElement {
  const bar = el(doc, 'div', 'tabs', undefined, { role: 'tablist', 'aria-label': 'Deployment records views' });
  const recordsPanel = el(doc, 'div', 'tab-panel', undefined, { role: 'tabpanel', id: 'panel-records', 'aria-labelledby': 'tab-records' });
  const insightsPanel = el(doc, 'div', 'tab-panel', undefined, { role: 'tabpanel', id: 'panel-insights', 'aria-labelledby': 'tab-insights' });
  insightsPanel.append(view.element);
  const tabs = (['records', 'insights'] as const).map((name) => {
    const b = el(doc, 'button', 'tab', name === 'records' ? 'Records' : 'Insights', { role: 'tab', id: `tab-${name}`, 'aria-controls': `panel-${name}`, type: 'button' });
    b.addEventListener('click', () => select(name, true));
    b.addEventListener('keydown', (e: KeyboardEvent) => {
      const next = e.key === 'ArrowRight' || e.key === 'ArrowLeft' ? (name === 'records' ? 'insights' : 'records') : e.key === 'Home' ? 'records' : e.key === 'End' ? 'insights' : undefined;
      if (next) {
        e.preventDefault();
        select(next, true);
      }
    });
    bar.append(b);
    return { name, b };
  });
  const select = (name: 'records' | 'insights', focus: boolean) => {
    view.state.tab = name;
    for (const t of tabs) {
      const on = t.name === name;
      t.b.setAttribute('aria-selected', String(on));
      t.b.tabIndex = on ? 0 : -1;
      if (on && focus) t.b.focus();
    }
    recordsPanel.hidden = name !== 'records';
    insightsPanel.hidden = name !== 'insights';
    if (name === 'insights') view.shown();
    onSwitch();
  };
  root.replaceChildren(bar, recordsPanel, insightsPanel);
  root.classList.add('with-tabs');
  select(view.state.tab, false);
  return recordsPanel;
}

// The records webview's rendering and behaviour, with a fake DOM (no browser, no editor).
import { strict as assert } from 'node:assert';
import { DETAIL_MIN_WIDTH, RecordsApp, boot, formatUtc, renderDetail, renderRow, restoreState, type Host, type SavedState } from '../../src/webview/records';
import type { RecordsPage, RowTuple } from '../../src/pipeline/model/recordsQuery';
import type { RecordDetail, WebviewToExtension } from '../../src/providers/recordsProtocol';
import { fakeDocument, type FakeElement } from './recordsFakeDom';

const XSS = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert("x")</script>';

const ROWS: RowTuple[] = [
  ['docs/deployments/prod/20261122T030000Z-gateway.md', '2026-11-22T03:00:00Z', 'prod', 'gateway', '0.9.7', '0.9.8', 'failed', SCRIPT, XSS, '1a2b3c4d'],
  ['docs/deployments/stag/20261121T030000Z-cards.md', '2026-11-21T03:00:00Z', 'stag', 'cards', '2.1.0', '2.2.0', 'rolled-back', 'bob', 'new limits', ''],
  ['docs/deployments/stag/20261120T031204Z-accounts.md', '2026-11-20T03:12:04Z', 'stag', 'accounts', '', '1.5.0', 'succeeded', 'alice', 'CHG-1234', '9f1e2d3c'],
];

function page(rows = ROWS, p: Partial<RecordsPage> = {}): RecordsPage {
  return { total: rows.length, all: rows.length, offset: 0, rows, facets: { environments: ['dev', 'stag', 'prod'], services: ['accounts', 'cards', 'gateway'], statuses: ['succeeded', 'rolled-back', 'failed', 'rollback'] }, ...p };
}

class FakeHost implements Host {
  sent: WebviewToExtension[] = [];
  state: unknown;
  constructor(initial?: unknown) {
    this.state = initial;
  }
  postMessage(m: WebviewToExtension) {
    this.sent.push(m);
  }
  getState() {
    return this.state;
  }
  setState(s: SavedState) {
    this.state = JSON.parse(JSON.stringify(s));
  }
  last<T extends WebviewToExtension['type']>(type: T): Extract<WebviewToExtension, { type: T }> {
    const m = [...this.sent].reverse().find((x) => x.type === type);
    assert.ok(m, `a ${type} message was sent (sent: ${this.sent.map((x) => x.type).join(', ')})`);
    return m as Extract<WebviewToExtension, { type: T }>;
  }
}

/** Timers the test fires by hand. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let id = 0;
  return {
    set: (fn: () => void) => (pending.set(++id, fn), id),
    clear: (h: unknown) => void pending.delete(h as number),
    flush: () => {
      for (const [k, fn] of [...pending]) {
        pending.delete(k);
        fn();
      }
    },
  };
}

function setup(initial?: unknown) {
  const { doc, fake } = fakeDocument();
  const root = fake.createElement('main');
  fake.body.append(root);
  const host = new FakeHost(initial);
  const timers = manualTimers();
  const app = new RecordsApp(doc, root as unknown as HTMLElement, host, timers);
  const answer = (p: RecordsPage = page()) => app.receive({ type: 'page', requestId: host.last('query').requestId, page: p });
  const tbody = root.find((e) => e.tagName === 'TBODY')!;
  const rows = () => tbody.children;
  return { doc, fake, root, host, app, timers, answer, tbody, rows };
}

const hasTag = (el: FakeElement, tag: string) => el.all().some((e) => e.tagName === tag.toUpperCase());

describe('records webview: rendering untrusted record content', () => {
  it('renders a row with every value as text; markup in a record stays literal', () => {
    const { doc, fake } = fakeDocument();
    const tr = renderRow(doc, ROWS[0]) as unknown as FakeElement;
    const cells = tr.children.map((td) => td.textContent);
    assert.equal(cells[6], XSS);
    assert.equal(cells[5], SCRIPT);
    assert.equal(cells[3], '0.9.7 → 0.9.8');
    assert.equal(cells[4], 'failed');
    assert.equal(cells[7], '1a2b3c4d');
    assert.ok(!hasTag(tr, 'img') && !hasTag(tr, 'script'), 'no element was made from record content');
    assert.ok(fake.created.every((e) => ['TR', 'TD', 'SPAN'].includes(e.tagName)));
    assert.equal(tr.children[6].getAttribute('title'), XSS, 'the hover title is an attribute value, not markup');
    assert.match(tr.getAttribute('aria-label')!, /^failed: gateway 0\.9\.7 → 0\.9\.8 in prod, .*, by <script>alert\("x"\)<\/script>, <img src=x onerror=alert\(1\)>$/);
  });

  it('shows local time with the UTC time as the title', () => {
    const { doc } = fakeDocument();
    const td = (renderRow(doc, ROWS[2]) as unknown as FakeElement).children[0];
    assert.equal(td.getAttribute('title'), '2026-11-20 03:12:04 UTC');
    assert.match(td.textContent, /2026/);
    assert.equal(formatUtc('2026-11-20T04:12:04+01:00'), '2026-11-20 03:12:04 UTC');
    assert.equal(formatUtc('garbage'), 'garbage');
  });

  it('gives each status its badge class', () => {
    const { doc } = fakeDocument();
    const badge = (i: number) => (renderRow(doc, ROWS[i]) as unknown as FakeElement).byClass('badge')[0].getAttribute('class');
    assert.equal(badge(0), 'badge status-failed');
    assert.equal(badge(1), 'badge status-rolled-back');
    assert.equal(badge(2), 'badge status-succeeded');
  });

  it('renders the detail view as text, with checks and link buttons that message the extension', () => {
    const { doc } = fakeDocument();
    const d: RecordDetail = {
      id: ROWS[0][0], file: ROWS[0][0], service: 'gateway', environment: 'prod', tag: '0.9.8', previousTag: '0.9.7', status: 'failed',
      startedAt: '2026-11-22T03:00:00Z', finishedAt: '2026-11-22T03:01:30Z', actor: SCRIPT, reason: XSS, commit: '1a2b3c4d5e6f',
      workflowRun: { id: '77', url: 'https://github.com/acme/gitops/actions/runs/77' }, commitUrl: 'https://github.com/acme/gitops/commit/1a2b3c4d5e6f',
      checks: [{ name: 'signature', status: 'failed', detail: '<b>no signature</b>' }, { name: 'health', status: 'skipped' }],
    };
    const calls: string[] = [];
    const el = renderDetail(doc, d, { openFile: (id) => calls.push(`file ${id}`), openExternal: (u) => calls.push(`url ${u}`), close: () => calls.push('close') }) as unknown as FakeElement;
    const text = el.textContent;
    for (const s of [XSS, SCRIPT, '<b>no signature</b>', 'Duration', '90 s', 'Checks (2)', '0.9.7 → 0.9.8']) assert.ok(text.includes(s), s);
    assert.ok(!hasTag(el, 'img') && !hasTag(el, 'script') && !hasTag(el, 'b') && !hasTag(el, 'a'));
    for (const b of el.all().filter((e) => e.tagName === 'BUTTON')) b.click();
    assert.deepEqual(calls, ['close', `file ${d.id}`, 'url https://github.com/acme/gitops/actions/runs/77', 'url https://github.com/acme/gitops/commit/1a2b3c4d5e6f']);
  });
});

describe('records webview: the app', () => {
  it('asks for the first page once the extension answers ready, and renders it', () => {
    const { host, app, answer, rows, root } = setup();
    assert.deepEqual(host.sent, []);
    app.receive({ type: 'init' });
    const q = host.last('query');
    assert.deepEqual(q.query, { filters: {}, sort: { key: 'time', dir: 'desc' }, offset: 0, limit: 100 });
    answer();
    assert.equal(rows().length, 3);
    assert.equal(rows()[0].children[6].textContent, XSS);
    assert.equal(root.getAttribute('aria-busy'), 'false');
    assert.equal(rows()[0].getAttribute('tabindex'), '0', 'the first row is reachable with Tab');
    assert.equal(rows()[1].getAttribute('tabindex'), '-1');
    const snap = app.snapshot();
    assert.equal(snap.summary, '1–3 of 3 records');
    assert.deepEqual(snap.headers, ['Time', 'Environment', 'Service', 'Tag', 'Status', 'Actor', 'Reason', 'Commit']);
    assert.equal(snap.rows[0][6], XSS);
  });

  it('boots in a page: sends ready and listens for messages', () => {
    const { doc, fake } = fakeDocument();
    const app = fake.createElement('main');
    app.setAttribute('id', 'app');
    fake.body.append(app);
    let listener: ((e: { data: unknown }) => void) | undefined;
    (fake as unknown as { defaultView: unknown }).defaultView = { addEventListener: (_t: string, l: typeof listener) => (listener = l) };
    const host = new FakeHost();
    boot(doc, host);
    assert.deepEqual(host.sent, [{ type: 'ready' }]);
    listener!({ data: { type: 'init' } });
    assert.equal(host.sent[1].type, 'query');
  });

  it('applies a preset from a tree node, replacing saved filters', () => {
    const { host, app } = setup({ filters: { text: 'old', status: 'failed' }, sort: { key: 'tag', dir: 'asc' }, offset: 200 });
    app.receive({ type: 'init', preset: { environment: 'stag', service: 'accounts' } });
    assert.deepEqual(host.last('query').query, { filters: { environment: 'stag', service: 'accounts' }, sort: { key: 'tag', dir: 'asc' }, offset: 0, limit: 100 });
  });

  it('restores filters, sort, page and the open record from the saved state', () => {
    const saved = { filters: { environment: 'prod', text: 'x' }, sort: { key: 'service', dir: 'asc' }, offset: 100, detailId: ROWS[1][0], selectedId: ROWS[1][0] };
    const { host, app } = setup(saved);
    app.receive({ type: 'init' });
    assert.deepEqual(host.last('query').query, { filters: { environment: 'prod', text: 'x' }, sort: { key: 'service', dir: 'asc' }, offset: 100, limit: 100 });
    assert.deepEqual(host.last('detail'), { type: 'detail', id: ROWS[1][0] });
    assert.deepEqual(restoreState({ filters: { status: 'nope', environment: 3 }, sort: { key: 'x', dir: 'y' }, offset: -1 }), { filters: {}, sort: { key: 'time', dir: 'desc' }, offset: 0, selectedId: undefined, detailId: undefined, detailWidth: undefined });
    assert.deepEqual(restoreState(undefined).sort, { key: 'time', dir: 'desc' });
  });

  it('filters with the selects and the debounced search box, and saves the state', () => {
    const { host, app, answer, root, timers } = setup();
    app.receive({ type: 'init' });
    answer();
    const selects = root.all().filter((e) => e.tagName === 'SELECT');
    assert.deepEqual(selects.map((s) => s.getAttribute('name')), ['environment', 'service', 'status']);
    assert.deepEqual(selects[0].children.map((o) => o.textContent), ['All environments', 'dev', 'stag', 'prod']);
    selects[0].value = 'stag';
    selects[0].dispatch('change');
    assert.deepEqual(host.last('query').query.filters, { environment: 'stag' });
    const search = root.find((e) => e.tagName === 'INPUT')!;
    search.value = 'CHG';
    search.dispatch('input');
    const before = host.sent.length;
    search.value = 'CHG-12';
    search.dispatch('input');
    assert.equal(host.sent.length, before, 'debounced');
    timers.flush();
    assert.deepEqual(host.last('query').query.filters, { environment: 'stag', text: 'CHG-12' });
    assert.deepEqual((host.state as SavedState).filters, { environment: 'stag', text: 'CHG-12' });
    const clear = root.all().find((e) => e.tagName === 'BUTTON' && e.textContent === 'Clear filters')!;
    clear.click();
    assert.deepEqual(host.last('query').query.filters, {});
  });

  it('sorts by clicking a column header, flipping on the second click, with aria-sort', () => {
    const { host, app, answer, root } = setup();
    app.receive({ type: 'init' });
    answer();
    const header = (label: string) => root.all().find((e) => e.tagName === 'BUTTON' && e.textContent === label)!;
    header('Service').click();
    assert.deepEqual(host.last('query').query.sort, { key: 'service', dir: 'asc' });
    assert.equal(header('Service').parentNode!.getAttribute('aria-sort'), 'ascending');
    assert.equal(header('Time').parentNode!.getAttribute('aria-sort'), 'none');
    header('Service').click();
    assert.deepEqual(host.last('query').query.sort, { key: 'service', dir: 'desc' });
    header('Time').click();
    assert.deepEqual(host.last('query').query.sort, { key: 'time', dir: 'desc' });
  });

  it('ignores a stale page when a newer query is on its way', () => {
    const { host, app, rows, root } = setup();
    app.receive({ type: 'init' });
    const first = host.last('query').requestId;
    root.all().find((e) => e.tagName === 'BUTTON' && e.textContent === 'Tag')!.click();
    app.receive({ type: 'page', requestId: first, page: page() });
    assert.equal(rows().length, 0);
    app.receive({ type: 'page', requestId: host.last('query').requestId, page: page(ROWS.slice(0, 1)) });
    assert.equal(rows().length, 1);
  });

  it('pages with Previous / Next', () => {
    const { host, app, answer, root } = setup();
    app.receive({ type: 'init' });
    answer(page(ROWS, { total: 250, all: 250 }));
    const btn = (l: string) => root.all().find((e) => e.tagName === 'BUTTON' && e.getAttribute('aria-label') === l)!;
    assert.equal(btn('Previous page').disabled, true);
    assert.equal(btn('Next page').disabled, false);
    btn('Next page').click();
    assert.equal(host.last('query').query.offset, 100);
    answer(page(ROWS, { total: 250, all: 250, offset: 200 }));
    assert.equal(btn('Next page').disabled, true);
    assert.match(app.snapshot().summary, /^201–203 of 250 records$/);
  });

  it('the splitter resizes the detail view from the keyboard, never below 320 px, and the width is kept', () => {
    const { host, app, answer, rows, root } = setup();
    app.receive({ type: 'init' });
    answer();
    const splitter = root.find((e) => e.getAttribute('role') === 'separator')!;
    assert.ok(splitter.hidden, 'no splitter without a detail view');
    rows()[0].focus();
    rows()[0].dispatch('keydown', { key: 'Enter' });
    assert.equal(splitter.hidden, false);
    assert.equal(splitter.getAttribute('aria-orientation'), 'vertical');
    assert.equal(splitter.getAttribute('tabindex'), '0');
    assert.ok(splitter.dispatch('keydown', { key: 'ArrowLeft' }).defaultPrevented);
    assert.equal((host.state as SavedState).detailWidth, DETAIL_MIN_WIDTH + 16);
    assert.equal(splitter.getAttribute('aria-valuenow'), String(DETAIL_MIN_WIDTH + 16));
    splitter.dispatch('keydown', { key: 'ArrowRight' });
    splitter.dispatch('keydown', { key: 'ArrowRight' });
    assert.equal((host.state as SavedState).detailWidth, DETAIL_MIN_WIDTH, 'clamped at the minimum');
    assert.equal(splitter.dispatch('keydown', { key: 'a' }).defaultPrevented, false);
    assert.equal(restoreState({ ...(host.state as SavedState), detailWidth: 500 }).detailWidth, 500);
    assert.equal(restoreState({ ...(host.state as SavedState), detailWidth: 100 }).detailWidth, undefined);
  });

  it('is keyboard driven: arrows move the focus, Enter opens the detail, Escape closes it', () => {
    const { host, app, answer, rows, fake } = setup();
    app.receive({ type: 'init' });
    answer();
    rows()[0].focus();
    rows()[0].dispatch('keydown', { key: 'ArrowDown' });
    assert.equal(fake.activeElement, rows()[1]);
    assert.equal(rows()[1].getAttribute('tabindex'), '0');
    assert.equal(rows()[0].getAttribute('tabindex'), '-1');
    rows()[1].dispatch('keydown', { key: 'End' });
    assert.equal(fake.activeElement, rows()[2]);
    const e = rows()[2].dispatch('keydown', { key: 'Enter' });
    assert.ok(e.defaultPrevented);
    assert.deepEqual(host.last('detail'), { type: 'detail', id: ROWS[2][0] });
    assert.deepEqual(app.snapshot().detail, ['×', 'Loading…']);
    app.receive({ type: 'detail', id: ROWS[2][0], record: { id: ROWS[2][0], file: ROWS[2][0], service: 'accounts', environment: 'stag', tag: '1.5.0', status: 'succeeded', startedAt: ROWS[2][1], checks: [] } });
    const detail = app.snapshot().detail!;
    assert.ok(detail.includes('accounts 1.5.0 in stag'), detail.join(' | '));
    assert.ok(detail.includes('Service: accounts'));
    assert.ok(rows()[2].classList.contains('open'));
    rows()[2].dispatch('keydown', { key: 'Escape' });
    assert.equal(app.snapshot().detail, undefined);
    assert.equal(fake.activeElement, rows()[2]);
  });

  it('says when an open record is gone, and re-asks for it when records change', () => {
    const { host, app, answer, rows } = setup();
    app.receive({ type: 'init' });
    answer();
    rows()[1].click();
    const asked = host.sent.filter((m) => m.type === 'detail').length;
    answer(); // a live update: same request id, new page
    assert.equal(host.sent.filter((m) => m.type === 'detail').length, asked + 1);
    app.receive({ type: 'detail', id: ROWS[1][0] });
    assert.deepEqual(app.snapshot().detail, ['×', 'This record no longer exists.']);
  });

  it('shows why the list is empty', () => {
    const { app, host } = setup();
    app.receive({ type: 'init' });
    app.receive({ type: 'page', requestId: host.last('query').requestId, page: page([], { all: 0 }), notice: 'No GitOps repository in this workspace.' });
    assert.equal(app.snapshot().summary, 'No records');
  });
});

// The Insights tab rendered with the fake DOM: tabs by keyboard, the request it sends, charts with
// a mark per bar/dot, the text alternatives, markup from records kept literal, the trail states.
import { strict as assert } from 'node:assert';
import { InsightsView, mountTabs } from '../../src/webview/insights';
import { computeInsights } from '../../src/pipeline/model/dora';
import type { DeploymentRecord } from '../../src/pipeline/model/records';
import type { WebviewToExtension } from '../../src/providers/recordsProtocol';
import { fakeDocument, type FakeElement } from './recordsFakeDom';

const XSS = '<img src=x onerror=alert(1)>';
const T0 = Date.parse('2026-11-02T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const H = 3_600_000;

function records(): DeploymentRecord[] {
  const r = (p: Partial<DeploymentRecord> & { startedAt: string }): DeploymentRecord => ({ service: 'accounts', environment: 'stag', tag: '1.0.0', status: 'succeeded', commit: 'c', checks: [], ...p });
  return [
    r({ environment: 'dev', tag: '1.5.0', startedAt: iso(T0), finishedAt: iso(T0 + 60_000), imagePushedAt: iso(T0 - H / 2) }),
    r({ tag: '1.5.0', startedAt: iso(T0 + 24 * H), finishedAt: iso(T0 + 24 * H + 60_000), imagePushedAt: iso(T0 - H / 2) }),
    r({ tag: '1.6.0', status: 'rolled-back', startedAt: iso(T0 + 30 * H), finishedAt: iso(T0 + 30 * H + 600_000), checks: [{ name: 'rollback', status: 'passed' }] }),
    r({ service: XSS, tag: '2.0.0', startedAt: iso(T0 + 9 * 24 * H), finishedAt: iso(T0 + 9 * 24 * H + 60_000) }),
  ];
}

function setup(saved?: object) {
  const { doc, fake } = fakeDocument();
  const root = fake.createElement('main');
  fake.body.append(root);
  const sent: WebviewToExtension[] = [];
  let saves = 0;
  const view = new InsightsView(doc, (m) => sent.push(m), () => saves++, saved);
  let switched = 0;
  mountTabs(doc, root as unknown as HTMLElement, view, () => switched++);
  const tab = (name: string) => root.find((e) => e.getAttribute('role') === 'tab' && e.textContent === name)!;
  return { view, sent, root, tab, saves: () => saves, switched: () => switched };
}

const insights = (days = 30) => computeInsights(records(), { since: new Date(T0 - 1000), until: new Date(T0 - 1000 + days * 24 * H), environmentOrder: ['dev', 'stag', 'prod'] });

describe('Insights tab (webview)', () => {
  it('starts on Records; arrow keys move to Insights, which asks for its data and the trail', () => {
    const { view, sent, tab, root } = setup();
    assert.equal(tab('Records').getAttribute('aria-selected'), 'true');
    assert.equal(sent.length, 0, 'nothing is computed until the tab is shown');
    const insightsPanel = root.find((e) => e.getAttribute('id') === 'panel-insights')!;
    assert.equal(insightsPanel.hidden, true);
    const e = tab('Records').dispatch('keydown', { key: 'ArrowRight' });
    assert.equal(e.defaultPrevented, true);
    assert.equal(tab('Insights').getAttribute('aria-selected'), 'true');
    assert.equal(insightsPanel.hidden, false);
    assert.deepEqual(sent, [{ type: 'insights', requestId: 1, days: 90 }, { type: 'verifyTrail' }]);
    assert.equal(view.snapshot().tab, 'Insights');
  });

  it('draws three charts with a mark per bar and dot, and their tables on demand; markup stays text', () => {
    const { view, sent, tab, root } = setup({ tab: 'insights', days: 30 });
    assert.deepEqual(sent[0], { type: 'insights', requestId: 1, days: 30 });
    view.receive({ type: 'insights', requestId: 1, insights: insights() });
    const s = view.snapshot();
    assert.deepEqual(s.charts, [
      { title: 'Deployments per week by status', marks: 3 }, // week 1: succeeded (2) and rolled back (1) stacked; week 2: succeeded
      { title: 'Lead time for changes (image push → deployed)', marks: 2 }, // 31 minutes; 1 day 31 minutes
      { title: 'When each tag reached each environment', marks: 3 },
    ]);
    assert.deepEqual(s.cards.map((c) => c.split(' | ')[0]), ['dev · all services', 'stag · all services']);
    assert.match(s.cards[1], /33% \(1\/3\)/);
    assert.deepEqual(s.tables, []);
    const toggles = root.all().filter((x: FakeElement) => x.tagName === 'BUTTON' && x.hasAttribute('aria-expanded'));
    assert.deepEqual(toggles.map((b) => b.getAttribute('aria-expanded')), ['false', 'false', 'false']);
    toggles[2].click();
    assert.equal(toggles[2].getAttribute('aria-expanded'), 'true');
    const t = view.snapshot().tables;
    assert.equal(t[0].title, 'Table: When each tag reached each environment');
    assert.deepEqual(t[0].rows.map((r) => r[0]), [`${XSS} 2.0.0`, 'accounts 1.5.0']); // services in alphabetical order
    assert.ok(root.all().some((x) => x.textContent === XSS || x.textContent === `${XSS} 2.0.0`), 'the service name is a text node');
    assert.equal(tab('Insights').getAttribute('aria-selected'), 'true');
  });

  it('a period change asks again and ignores an older answer', () => {
    const { view, sent } = setup({ tab: 'insights', days: 90 });
    view.setPeriod(7);
    assert.deepEqual(sent[sent.length - 1], { type: 'insights', requestId: 2, days: 7 });
    view.receive({ type: 'insights', requestId: 1, insights: insights(90) });
    assert.deepEqual(view.snapshot().charts, []);
    view.receive({ type: 'insights', requestId: 2, insights: insights(7) });
    assert.equal(view.snapshot().days, 7);
    assert.equal(view.snapshot().charts.length, 3);
  });

  it('shows the trail: intact, or broken with a button that opens the record', () => {
    const { view, sent, root } = setup({ tab: 'insights' });
    view.receive({ type: 'trail', trail: { ok: true, skipped: [], environments: [{ environment: 'stag', records: 3, chained: 2, problems: [] }] } });
    assert.equal(view.snapshot().trail, '✓ Trail intact: 3 records, 2 chained (stag)');
    view.receive({ type: 'trail', trail: { ok: false, skipped: [], environments: [{ environment: 'stag', records: 3, chained: 2, problems: [{ kind: 'broken-link', environment: 'stag', file: 'docs/deployments/stag/b.md', error: true, message: 'b: its previous record is not in stag' }] }] } });
    assert.match(view.snapshot().trail, /^✗ Trail broken: 1 problem\(s\)\. broken-link: b: its previous record is not in stag/);
    root.find((e) => e.textContent === 'Open record')!.click();
    assert.deepEqual(sent[sent.length - 1], { type: 'openFile', id: 'docs/deployments/stag/b.md' });
  });

  it('with signed commits: how many signatures verified, an unsigned commit as a problem, a warning when none can be checked', () => {
    const { view, sent, root } = setup({ tab: 'insights' });
    view.receive({ type: 'trail', trail: { ok: true, skipped: [], environments: [{ environment: 'stag', records: 3, chained: 2, signatures: { checked: 5, verified: 5 }, problems: [] }] } });
    assert.equal(view.snapshot().trail, '✓ Trail intact: 3 records, 2 chained; signatures verified on 5 of 5 commits (stag)');
    const unsigned = { kind: 'unsigned-commit' as const, environment: 'stag', file: 'docs/deployments/stag/c.md', commit: 'a'.repeat(40), error: true, signature: { status: 'N' as const }, message: 'deploy commit aaaaaaaaaaaa (docs/deployments/stag/c.md) is not signed' };
    view.receive({ type: 'trail', trail: { ok: false, skipped: [], environments: [{ environment: 'stag', records: 3, chained: 2, signatures: { checked: 5, verified: 4 }, problems: [unsigned] }] } });
    assert.match(view.snapshot().trail, /^✗ Trail broken: 1 problem\(s\); signatures verified on 4 of 5 commits\. unsigned-commit: deploy commit aaaaaaaaaaaa \(docs\/deployments\/stag\/c\.md\) is not signed/);
    root.find((e) => e.textContent === 'Open record')!.click();
    assert.deepEqual(sent[sent.length - 1], { type: 'openFile', id: 'docs/deployments/stag/c.md' });
    const warning = { kind: 'unverifiable-signature' as const, environment: 'stag', commit: 'b'.repeat(40), error: false, message: '5 signed commit(s) cannot be checked here' };
    view.receive({ type: 'trail', trail: { ok: true, skipped: [], environments: [{ environment: 'stag', records: 3, chained: 2, signatures: { checked: 5, verified: 0 }, problems: [warning] }] } });
    assert.equal(view.snapshot().trail, '✓ Trail intact: 3 records, 2 chained; signatures verified on 0 of 5 commits (stag)! stag: 5 signed commit(s) cannot be checked here');
  });
});

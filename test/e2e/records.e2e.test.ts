// The deployment-records panel in a real VS Code: opened by its command and from tree nodes,
// filtered, sorted, with the detail view, live updates, and state kept across hide/show. The
// webview's DOM is read through a test-only command that asks the webview for its rendered text
// (registered only when the extension runs in test mode).
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProbeAction, RenderedSnapshot } from '../../src/providers/recordsProtocol';
import { activateExtension, hasUiDriver, rowAt, screenshot, uiWebviewDrag, uiWebviewPress, waitFor, workspaceRoot, type TestApi } from './helpers';

const XSS = '<img src=x onerror=alert(1)>';
const COL = { time: 0, environment: 1, service: 2, tag: 3, status: 4, actor: 5, reason: 6, commit: 7 };

function probe(action?: ProbeAction): Thenable<RenderedSnapshot | undefined> {
  return vscode.commands.executeCommand<RenderedSnapshot | undefined>('gitopsDeploy.records.testProbe', action);
}

describe('Deployment records panel', () => {
  let api: TestApi;
  let extraRecord: string;

  /** Waits until the webview shows something `check` accepts (and no query is in flight). */
  function shows(what: string, check: (s: RenderedSnapshot) => boolean, timeoutMs = 20_000): Promise<RenderedSnapshot> {
    let last: RenderedSnapshot | undefined;
    return waitFor(
      api,
      `${what} (last: ${last ? JSON.stringify({ summary: last.summary, filters: last.filters, rows: last.rows.length }) : 'none'})`,
      async () => {
        last = await probe();
        return last && !last.busy && check(last) ? last : undefined;
      },
      timeoutMs,
      150,
    );
  }

  before(async () => {
    api = await activateExtension();
    extraRecord = path.join(workspaceRoot(), 'docs', 'deployments', 'stag', '20261123T120000Z-loans.md');
    await waitFor(api, 'the repository to load', async () => (await api.tree.getChildren()).length > 0);
  });

  after(async () => {
    await fs.rm(extraRecord, { force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.view.extension.gitopsDeploy');
  });

  it('opens with every record, newest first, in typed columns', async () => {
    await vscode.commands.executeCommand('gitopsDeploy.showRecords');
    const s = await shows('5 records', (x) => x.rows.length === 5);
    assert.deepEqual(s.headers, ['Time', 'Environment', 'Service', 'Tag', 'Status', 'Actor', 'Reason', 'Commit']);
    assert.deepEqual(s.rows.map((r) => `${r[COL.environment]}/${r[COL.service]}`), ['prod/gateway', 'stag/cards', 'stag/accounts', 'dev/accounts', 'stag/loans']);
    assert.equal(s.summary, '1–5 of 5 records');
    const accounts = s.rows[2];
    assert.equal(accounts[COL.tag], '1.4.0 → 1.5.0');
    assert.equal(accounts[COL.status], 'succeeded');
    assert.equal(accounts[COL.actor], 'alice');
    assert.equal(accounts[COL.commit], '9f1e2d3c');
    assert.equal(s.timeTitles[2], '2026-11-20 03:12:04 UTC');
    assert.deepEqual(s.rows.map((r) => r[COL.status]), ['failed', 'rolled back', 'succeeded', 'succeeded', 'rollback']);
  });

  it('shows markup from a record as literal text', async () => {
    const s = await shows('the gateway row', (x) => x.rows.length > 0);
    assert.equal(s.rows[0][COL.reason], XSS);
  });

  it('filters by environment, by text, and sorts by a column header', async () => {
    let s = await probe({ kind: 'setFilter', name: 'environment', value: 'stag' });
    s = await shows('only stag', (x) => x.filters.environment === 'stag' && x.rows.length === 3);
    assert.ok(s.rows.every((r) => r[COL.environment] === 'stag'));
    assert.equal(s.summary, '1–3 of 3 matching (5 records)');
    await probe({ kind: 'setText', value: 'chg-1301' });
    s = await shows('the cards record', (x) => x.rows.length === 1);
    assert.equal(s.rows[0][COL.service], 'cards');
    await probe({ kind: 'setText', value: '' });
    await probe({ kind: 'sort', key: 'service' });
    s = await shows('stag sorted by service', (x) => x.sort.key === 'service' && x.rows.length === 3);
    assert.deepEqual(s.rows.map((r) => r[COL.service]), ['accounts', 'cards', 'loans']);
    await probe({ kind: 'sort', key: 'service' });
    s = await shows('stag sorted by service, descending', (x) => x.sort.dir === 'desc' && x.rows.length === 3);
    assert.deepEqual(s.rows.map((r) => r[COL.service]), ['loans', 'cards', 'accounts']);
  });

  it('opens a record with Enter: all fields, checks, and its file', async () => {
    await probe({ kind: 'setFilter', name: 'environment', value: '' });
    await probe({ kind: 'sort', key: 'time' });
    await shows('all records by time', (x) => x.rows.length === 5 && x.sort.key === 'time');
    await probe({ kind: 'openRow', index: 1 });
    const s = await shows('the cards detail', (x) => Boolean(x.detail?.some((l) => l.startsWith('Checks'))));
    const d = s.detail!;
    for (const line of ['cards 2.1.0 → 2.2.0 in stag', 'Status: rolled back', 'Actor: carol', 'Reason: CHG-1301 new card limits', 'Rollback commit: 0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3', 'Checks (3)', 'Open file']) {
      assert.ok(d.includes(line), `"${line}" in ${JSON.stringify(d)}`);
    }
    assert.ok(d.some((l) => l.includes('health') && l.includes('5xx rate 7.2 %')), JSON.stringify(d));
    await probe({ kind: 'clickDetailButton', label: 'Open file' });
    await waitFor(api, 'the record file in an editor', async () => vscode.window.activeTextEditor?.document.fileName.endsWith('20261121T140000Z-cards.md'));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('looks right in the workbench (screenshot)', async function () {
    if (!hasUiDriver) this.skip();
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('gitopsDeploy.showRecords');
    await shows('the panel after showing again', (x) => x.rows.length === 5);
    // Newest first (a click on Time toggles the direction; the earlier tests left it sorted by time).
    for (let i = 0; i < 3 && !((await probe())?.sort.key === 'time' && (await probe())?.sort.dir === 'desc'); i++) await probe({ kind: 'sort', key: 'time' });
    await shows('all records, newest first', (x) => x.rows.length === 5 && x.sort.key === 'time' && x.sort.dir === 'desc');
    // stag/accounts carries a full image digest (sha256: and 64 hex digits).
    await probe({ kind: 'openRow', index: 2 });
    let s = await shows('the accounts detail, laid out', (x) => Boolean(x.detail?.includes('Checks (3)') && x.layout?.digestLines));
    const usable = (l: NonNullable<typeof s.layout>) => (l.detailBelow ? l.detailWidth >= 0.9 * l.panelWidth : l.detailWidth >= 320);
    assert.ok(usable(s.layout!), `detail view: ${JSON.stringify(s.layout)}`);
    assert.ok(s.layout!.digestLines! <= 2, `the digest takes ${s.layout!.digestLines} lines: ${JSON.stringify(s.layout)}`);
    // The splitter, from the keyboard in the real webview: Shift+← twice widens the detail view by 128 px.
    const SPLITTER = '[role="separator"][aria-label="Resize record details"]';
    const before = s.layout!.detailWidth;
    assert.ok(await uiWebviewPress(SPLITTER, ['Shift+ArrowLeft', 'Shift+ArrowLeft']));
    s = await shows('a wider detail view', (x) => (x.layout?.detailWidth ?? 0) >= before + 120);
    assert.ok(s.layout!.digestLines! <= 2, `the digest at ${s.layout!.detailWidth} px: ${JSON.stringify(s.layout)}`);
    await uiWebviewPress(SPLITTER, ['Home']);
    s = await shows('the narrowest detail view', (x) => x.layout?.splitterValue === 320);
    assert.ok(Math.abs(s.layout!.detailWidth - 320) <= 2, JSON.stringify(s.layout));
    assert.ok(s.layout!.digestLines! <= 3, `the digest at the minimum width: ${JSON.stringify(s.layout)}`);
    // And with the mouse: drag the splitter 200 px to the left.
    assert.ok(await uiWebviewDrag(SPLITTER, -200));
    s = await shows('the detail view dragged wider', (x) => (x.layout?.detailWidth ?? 0) >= 500);
    assert.ok(Math.abs(s.layout!.detailWidth - 520) <= 12, `dragged 200 px from 320: ${JSON.stringify(s.layout)}`);
    await screenshot('records', { docs: true });
  });

  it('beside a default-width side bar, the detail view keeps a usable width', async function () {
    if (!hasUiDriver) this.skip();
    await vscode.commands.executeCommand('workbench.view.explorer');
    await vscode.commands.executeCommand('gitopsDeploy.showRecords');
    const s = await shows('the detail beside the explorer', (x) => Boolean(x.layout?.digestLines));
    const l = s.layout!;
    assert.ok(l.detailBelow ? l.detailWidth >= 0.9 * l.panelWidth : l.detailWidth >= 320, JSON.stringify(l));
    assert.ok(l.digestLines! <= 2, JSON.stringify(l));
    await probe({ kind: 'closeDetail' });
  });

  it('follows the tree: an environment node and a service node filter the panel', async () => {
    await vscode.commands.executeCommand('gitopsDeploy.showRecords', (await rowAt(api, 'stag')).node);
    let s = await shows('stag only', (x) => x.filters.environment === 'stag' && !x.filters.service && x.rows.length === 3);
    await vscode.commands.executeCommand('gitopsDeploy.showRecords', (await rowAt(api, 'stag', 'accounts')).node);
    s = await shows('stag accounts only', (x) => x.filters.service === 'accounts' && x.rows.length === 1);
    assert.equal(s.rows[0][COL.tag], '1.4.0 → 1.5.0');
  });

  it('updates live when a record is added on disk', async () => {
    await vscode.commands.executeCommand('gitopsDeploy.showRecords', (await rowAt(api, 'stag')).node);
    await shows('stag', (x) => x.rows.length === 3);
    await fs.writeFile(extraRecord, '---\nservice: loans\nenvironment: stag\ntag: "3.2.1"\npreviousTag: "3.1.0"\nstatus: succeeded\nstartedAt: 2026-11-23T12:00:00Z\nactor: erin\nreason: "<script>alert(2)</script>"\n---\n# loans\n');
    const s = await shows('the new record on top', (x) => x.rows.length === 4);
    assert.deepEqual(s.rows[0].slice(COL.service, COL.reason + 1), ['loans', '3.1.0 → 3.2.1', 'succeeded', 'erin', '<script>alert(2)</script>']);
  });

  it('keeps filters and sort when hidden and shown again', async () => {
    await probe({ kind: 'sort', key: 'actor' });
    await shows('sorted by actor', (x) => x.sort.key === 'actor' && x.rows.length === 4);
    // Another editor in the same group hides the webview (its context is not retained).
    const doc = await vscode.workspace.openTextDocument({ content: 'hide the records panel', language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Active, preview: false });
    await vscode.commands.executeCommand('gitopsDeploy.showRecords');
    const s = await shows('the restored panel', (x) => x.rows.length === 4);
    assert.deepEqual(s.filters, { environment: 'stag' });
    assert.deepEqual(s.sort, { key: 'actor', dir: 'asc' });
    assert.deepEqual(s.rows.map((r) => r[COL.actor]), ['alice', 'alice', 'carol', 'erin']);
  });
});

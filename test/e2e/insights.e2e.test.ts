// The records panel's Insights tab in a real VS Code, driven with the mouse and the keyboard
// (the runner's chromium, through the webview's frames): switch tabs, change the period, open a
// chart's table. What the tab shows is read through the test-only probe command.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { InsightsSnapshot, RenderedSnapshot } from '../../src/providers/recordsProtocol';
import { activateExtension, hasUiDriver, screenshot, uiWebview, waitFor, type TestApi } from './helpers';

function probe(): Thenable<RenderedSnapshot | undefined> {
  return vscode.commands.executeCommand<RenderedSnapshot | undefined>('gitopsDeploy.records.testProbe');
}

describe('Records panel: Insights tab', () => {
  let api: TestApi;

  function insightsShows(what: string, check: (s: InsightsSnapshot) => boolean): Promise<InsightsSnapshot> {
    let last: InsightsSnapshot | undefined;
    return waitFor(api, `${what} (last: ${JSON.stringify(last)})`, async () => {
      last = (await probe())?.insights;
      return last && check(last) ? last : undefined;
    }, 20_000, 150);
  }

  before(async function () {
    if (!hasUiDriver) this.skip();
    api = await activateExtension();
    await waitFor(api, 'the repository to load', async () => (await api.tree.getChildren()).length > 0);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('gitopsDeploy.showRecords');
    await waitFor(api, 'the records tab', async () => ((await probe())?.rows.length ?? 0) > 0, 20_000, 150);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.view.extension.gitopsDeploy');
  });

  it('a click on the Insights tab shows the measures, three charts and the trail state', async () => {
    await uiWebview([{ click: { role: 'tab', name: 'Insights' } }]);
    const s = await insightsShows('the Insights tab with charts', (x) => x.tab === 'Insights' && x.charts.length === 3 && x.trail.startsWith('✗'));
    assert.equal(s.days, 90);
    assert.deepEqual(s.charts.map((c) => c.title), ['Deployments per week by status', 'Lead time for changes (image push → deployed)', 'When each tag reached each environment']);
    // The fixture's records name commits the fixture repository does not have: the trail says so.
    assert.match(s.trail, /^✗ Trail broken: \d+ problem\(s\)\. commit-missing: /);
  });

  it('changing the period re-draws: nothing in the last 7 days, everything in the last 12 months', async () => {
    await uiWebview([{ select: { name: 'Period', value: '7' } }]);
    let s = await insightsShows('7 days', (x) => x.days === 7 && x.charts.length === 3 && x.charts.every((c) => c.marks === 0));
    assert.deepEqual(s.cards.map((c) => c.split(' | ').slice(0, 2)), [
      ['dev · all services', 'low 0.00/week (0)'],
      ['stag · all services', 'low 0.00/week (0)'],
      ['prod · all services', 'low 0.00/week (0)'],
    ]);
    await uiWebview([{ select: { name: 'Period', value: '365' } }]);
    s = await insightsShows('12 months', (x) => x.days === 365 && x.charts.length === 3 && x.charts[0].marks > 0);
    // Week of 2026-11-16: 2 succeeded, 1 rolled back, 1 manual rollback (3 stacked marks); lead
    // times 18 minutes (dev) and 5 hours (stag); accounts 1.6.0 reached dev, 1.5.0 stag.
    assert.deepEqual(s.charts.map((c) => c.marks), [3, 2, 2]);
    assert.deepEqual(s.cards.map((c) => c.split(' | ')[0]), ['dev · all services', 'stag · all services', 'prod · all services']);
    assert.match(s.cards[1], /\| low 50% \(1\/2\) \|/);
    await screenshot('insights', { docs: true });
  });

  it('a chart\'s table alternative opens with the keyboard', async () => {
    await uiWebview([{ focus: { role: 'button', name: 'Table: Deployments per week by status' } }, { press: 'Enter' }]);
    const s = await insightsShows('the open table', (x) => x.tables.length === 1);
    assert.deepEqual(s.tables[0], { title: 'Table: Deployments per week by status', rows: [['2026-11-16', '2', '1', '0', '1']] });
  });

  it('arrow keys move between the tabs', async () => {
    await uiWebview([{ focus: { role: 'tab', name: 'Insights' } }, { press: 'ArrowLeft' }]);
    await insightsShows('the Records tab', (x) => x.tab === 'Records');
    const s = await probe();
    assert.ok((s?.rows.length ?? 0) > 0);
  });
});

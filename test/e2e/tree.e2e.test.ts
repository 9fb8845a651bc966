// The Environments tree in a real VS Code: read from the fixture GitOps repository, updated when
// a values file changes on disk, and shown in the workbench.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, children, findUiRow, hasUiDriver, rowAt, screenshot, uiExpand, uiTreeRows, uiViewTitle, waitFor, workspaceRoot, type TestApi } from './helpers';

describe('Environments tree', () => {
  let api: TestApi;
  let stagValues: string;
  let original: string;

  before(async () => {
    api = await activateExtension();
    stagValues = path.join(workspaceRoot(), 'helm', 'environments', 'stag-env', 'image-tags.yaml');
    original = await fs.readFile(stagValues, 'utf8');
  });

  after(async () => {
    if (original !== undefined) await fs.writeFile(stagValues, original);
  });

  it('lists the environments in promotion order', async () => {
    const labels = await waitFor(api, 'the environments', async () => {
      const rows = await children(api);
      return rows.length ? rows.map((r) => r.label) : undefined;
    });
    assert.deepEqual(labels, ['dev', 'stag', 'prod']);
  });

  it('shows each service of an environment with its tag', async () => {
    const services = await children(api, await rowAt(api, 'stag'));
    assert.deepEqual(services.map((s) => s.label).sort(), ['accounts', 'cards', 'gateway', 'loans']);
    const accounts = services.find((s) => s.label === 'accounts')!;
    assert.match(accounts.description, /\b1\.5\.0\b/);
    const details = await children(api, accounts);
    assert.ok(details.some((d) => d.label.includes('1.5.0')), `details: ${details.map((d) => d.label).join(' | ')}`);
  });

  it('shows the tree in the workbench', async function () {
    if (!hasUiDriver) this.skip();
    await vscode.commands.executeCommand('workbench.view.extension.gitopsDeploy');
    const rows = await waitFor(api, 'the tree rows in the workbench', async () => {
      const r = await uiExpand(['stag', 'accounts']);
      return r && findUiRow(r, ['stag', 'accounts', 'tag 1.5.0']) ? r : undefined;
    });
    assert.deepEqual(rows.filter((r) => r.level === 1).map((r) => r.label), ['dev', 'stag', 'prod']);
  });

  it('fits a default-width side bar: the title and every environment and service row are whole', async function () {
    if (!hasUiDriver) this.skip();
    await vscode.commands.executeCommand('workbench.view.extension.gitopsDeploy');
    const title = await uiViewTitle();
    assert.ok(title, 'the UI driver answered');
    assert.equal(title.text.toUpperCase(), 'GITOPS DEPLOY: ENVIRONMENTS');
    // The workbench's default side bar (nothing in the fixture suite resizes it) is 300 px wide.
    assert.ok(title.sidebarWidth !== undefined && title.sidebarWidth <= 305, `side bar ${title.sidebarWidth} px`);
    assert.equal(title.truncated, false, `the view title is cut at a ${title.sidebarWidth} px side bar (${title.scrollWidth} > ${title.clientWidth} px)`);
    const rows = await waitFor(api, 'prod and its services in the workbench', async () => {
      const r = await uiExpand(['prod']);
      return r && findUiRow(r, ['prod', 'gateway']) ? r : undefined;
    });
    const prod = findUiRow(rows, ['prod'])!;
    // The fixture's prod window is Mon–Fri 09:00–17:00 America/New_York: whatever the clock, the row says the next change.
    assert.match(prod.description, /^(open · closes|closed · opens) ((Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?\d\d:\d\d ET/);
    // Environment and service rows must be whole; the rows under a service (a path, a change reason)
    // and a GitHub run's row (its reviewers) carry free text and end in an ellipsis, the full text in
    // their tooltip.
    const services = new Set<string>();
    for (const env of await children(api)) for (const c of await children(api, env)) if ((c.node as { kind?: string }).kind === 'service') services.add(c.label);
    const cut = rows.filter((r) => (r.level === 1 || (r.level === 2 && services.has(r.label))) && r.truncated).map((r) => `${r.label} ${r.description}`);
    assert.ok(rows.filter((r) => r.level === 2 && services.has(r.label)).length >= 4, 'the service rows were measured');
    assert.deepEqual(cut, [], `rows cut at a ${title.sidebarWidth} px side bar`);
    // For the picture: no GitHub run left over from the approval tests, and the focus out of the
    // tree (a focused row shows its inline actions over its description).
    await (api as { github?: { runs: { refresh(): Promise<void> } } }).github?.runs.refresh();
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    await screenshot('tree', { docs: true });
  });

  it('follows an edit of image-tags.yaml on disk', async () => {
    await fs.writeFile(stagValues, original.replace(/(accounts:\n\s+image:\n(?:\s+.*\n)*?\s+tag: )"1\.5\.0"/, '$1"1.6.0"'));
    assert.match(await fs.readFile(stagValues, 'utf8'), /tag: "1\.6\.0"/);
    const accounts = await waitFor(api, 'accounts in stag to show 1.6.0', async () => {
      const row = await rowAt(api, 'stag', 'accounts');
      return row.description.includes('1.6.0') && !row.description.includes('1.5.0') ? row : undefined;
    });
    const details = await children(api, accounts);
    assert.ok(details.some((d) => d.label === 'tag 1.6.0'), `details: ${details.map((d) => d.label).join(' | ')}`);
    if (hasUiDriver) {
      await waitFor(api, 'the workbench to show 1.6.0', async () => {
        const rows = await uiTreeRows();
        const row = rows && findUiRow(rows, ['stag', 'accounts']);
        return row && row.description.includes('1.6.0') && !row.description.includes('1.5.0');
      });
    }
  });
});

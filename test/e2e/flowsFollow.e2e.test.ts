// Following in the tree, in the real VS Code against the sandbox: a build of main pushed to the
// registry (the sandbox's push endpoint, as a release workflow's push reaches a registry) shows on
// its service's "follows builds" node under dev as the newest candidate, with why it is or is not
// deployed — as the node's data (the verdict) and its description.
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import type { FollowNodeData } from '../../src/providers/followScheduleTree';
import { activateExtension, findUiRow, hasUiDriver, rowAt, uiExpand, waitFor, workspaceRoot, type Row, type TestApi } from './helpers';

const WHAT = 'tags ^main-[0-9a-f]{7,40}$';
const LABEL = 'cards follows builds';

async function push(body: Record<string, unknown>): Promise<void> {
  const config = parse(await fs.readFile(path.join(workspaceRoot(), '.gitops-deploy.yaml'), 'utf8'));
  const res = await fetch(`${config.registry.endpoint}/sandbox/push`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.text());
}

const verdictOf = (row: Row) => ((row.node as { data?: FollowNodeData }).data)?.verdict;

describe('Following in the tree: the newest candidate and why', function () {
  this.timeout(120_000);
  let api: TestApi;

  before(async () => {
    api = await activateExtension();
  });

  it('an unsigned build of main is named and held as unsigned; a signed one pushed after it deploys on the next pass', async () => {
    const unsigned = `main-${'c'.repeat(7)}`;
    await push({ service: 'cards', tag: unsigned, signed: false });
    await api.refresh!();
    const held = await waitFor(api, 'the cards node to name the unsigned build', async () => {
      const row = await rowAt(api, 'dev', LABEL);
      const v = verdictOf(row);
      return v?.state === 'held' && v.newest.tag === unsigned ? row : undefined;
    }, 60_000);
    const v = verdictOf(held)!;
    assert.ok(v.state === 'held' && v.reason === 'unsigned' && v.instead === undefined, JSON.stringify(v));
    assert.equal(held.description, `${WHAT} · newest ${unsigned}: unsigned`);
    assert.match(String(held.item.tooltip), new RegExp(`Newest candidate: ${unsigned} \\(sha256:[0-9a-f]{64}, pushed `));

    const signed = `main-${'d'.repeat(7)}`;
    await push({ service: 'cards', tag: signed, commit: 'd'.repeat(40) });
    await api.refresh!();
    const next = await waitFor(api, 'the cards node to name the signed build', async () => {
      const row = await rowAt(api, 'dev', LABEL);
      const w = verdictOf(row);
      return w?.state === 'next' && w.newest.tag === signed ? row : undefined;
    }, 60_000);
    assert.equal(next.description, `${WHAT} · newest ${signed}: deploys on the next pass`);
    if (hasUiDriver) {
      await vscode.commands.executeCommand('workbench.view.extension.gitopsDeploy');
      const rows = await waitFor(api, 'the row in the workbench', async () => {
        const r = await uiExpand(['dev']);
        const row = r && findUiRow(r, ['dev', LABEL]);
        return row && row.description.endsWith('deploys on the next pass') ? row : undefined;
      });
      assert.equal(rows.description, next.description);
    }
  });
});

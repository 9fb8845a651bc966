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
import { execFile } from 'node:child_process';
import { activateExtension, findUiRow, hasUiDriver, rowAt, uiCloseWindow, uiExpand, uiKeys, uiOpenWindow, uiQuickInput, uiTreeAction, uiType, waitFor, workspaceRoot, type Row, type TestApi } from './helpers';

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

  it('Pause Following by mouse on the node: the reason typed, the marker committed and pushed (CI honours it), the node paused; Resume Following removes it', async function () {
    if (!hasUiDriver) this.skip(); // needs the browser harness (scripts/e2e.mjs) to click and type
    const marker = 'docs/deployments/follow/dev/cards.yaml';
    const git = (args: string[]) => new Promise<string>((resolve, reject) => execFile('git', args, { cwd: workspaceRoot() }, (err, out, errOut) => (err ? reject(new Error(`git ${args.join(' ')}: ${errOut}`)) : resolve(out))));
    const onOrigin = async () => {
      await git(['fetch', '--quiet', 'origin']);
      return git(['show', `origin/main:${marker}`]).catch(() => undefined);
    };
    assert.equal(await onOrigin(), undefined, 'cards follows to begin with');
    const reason = 'INC-77 investigating the last build';
    await uiOpenWindow();
    try {
      await uiExpand(['dev']);
      await uiTreeAction(['dev', LABEL], 'Pause Following');
      await uiQuickInput({ title: 'Pause following of cards in dev' });
      await uiType(reason);
      await uiKeys('Enter');
      const pushed = await waitFor(api, 'the pause marker on origin', onOrigin, 60_000);
      const m = parse(pushed!);
      assert.equal(m.paused, true);
      assert.equal(m.service, 'cards');
      assert.equal(m.environment, 'dev');
      assert.equal(m.reason, reason);
      assert.match(await git(['log', '-1', '--format=%s', 'origin/main', '--', marker]), /^Pause following of cards in dev/);
      await api.refresh!();
      const paused = await waitFor(api, 'the node to say paused', async () => {
        const row = await rowAt(api, 'dev', LABEL);
        // The node is drawn once the marker is read and again when the registry's verdict is in: wait for both.
        return (row.node as { data?: FollowNodeData }).data?.paused && verdictOf(row) !== undefined ? row : undefined;
      }, 60_000);
      assert.equal(verdictOf(paused)?.state, 'paused');

      await uiTreeAction(['dev', LABEL], 'Resume Following');
      await waitFor(api, 'the marker gone from origin', async () => ((await onOrigin()) === undefined ? true : undefined), 60_000);
      await api.refresh!();
      await waitFor(api, 'the node to follow again', async () => ((await rowAt(api, 'dev', LABEL)).node as { data?: FollowNodeData }).data?.paused === false || undefined, 60_000);
    } finally {
      await uiCloseWindow();
    }
  });
});


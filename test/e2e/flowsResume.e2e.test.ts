// An interrupted deployment in the real VS Code against the sandbox, as a person meets it: a CLI
// deployment of ledger 1.1.0 to dev (the same pipeline a CI job runs) is killed with SIGKILL in its
// Argo CD wait — pushed, no record. The tree shows "Interrupted: ledger 1.0.0 → 1.1.0" under dev; the
// mouse presses its inline Resume action and the modal's Resume button; the run finishes with a
// record on origin (read with git) that says interrupted: true and carries the killed run's id.
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseRecord } from '../../src/pipeline/model/records';
import { activateExtension, EXTENSION_ID, hasUiDriver, rowAt, screenshot, uiClick, uiCloseWindow, uiDialogState, uiExpand, uiOpenWindow, uiTreeAction, waitFor, workspaceRoot, type TestApi } from './helpers';

const LABEL = 'Interrupted: ledger 1.0.0 → 1.1.0';

function git(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd: workspaceRoot() }, (err, out, errOut) => (err ? reject(new Error(`git ${args.join(' ')}: ${errOut}`)) : resolve(out))));
}

/** The built CLI, killed with SIGKILL when its transcript prints `killAt`; resolves with what it printed. */
function killedCli(args: string[], killAt: RegExp): Promise<string> {
  const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
  const child = spawn(process.execPath, [cli, ...args, '--repo', workspaceRoot()], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, cwd: workspaceRoot() });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b;
    if (out.split('\n').some((l) => killAt.test(l)) && child.exitCode === null) child.kill('SIGKILL');
  });
  child.stderr.on('data', (b: Buffer) => (out += b));
  // A CLI that never reaches the line fails the test with what it printed (not a silent timeout).
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(guard);
    resolve(`${out}\n[exit ${code ?? signal}]`);
  }));
}

describe('An interrupted deployment in the tree, resumed by mouse', function () {
  this.timeout(240_000);
  let api: TestApi;

  before(async function () {
    if (!hasUiDriver) this.skip(); // needs the browser harness (scripts/e2e.mjs) for the modal dialog
    api = await activateExtension();
  });

  after(async () => {
    if (hasUiDriver) await uiCloseWindow();
  });

  it('the killed run shows under dev with what is known; Resume finishes it and writes its record (interrupted: true, the same run id)', async () => {
    const out = await killedCli(['deploy', 'ledger', '--env', 'dev', '--tag', '1.1.0', '--reason', 'CHG-77 ledger totals'], /^▸ Wait for Argo CD$/);
    const runId = /\(run (\d{8}T\d{6}Z-[a-z]{6})\)/.exec(out)?.[1];
    assert.ok(runId && /\[exit SIGKILL\]$/.test(out), out);
    assert.equal((await git(['log', '-1', '--format=%s', 'origin/main'])).trim(), 'Deploy ledger to dev: 1.0.0 → 1.1.0');

    await api.refresh!();
    const row = await waitFor(api, 'the interrupted node under dev', async () => (await rowAt(api, 'dev').then(() => rowAt(api, 'dev', LABEL)).catch(() => undefined)), 60_000);
    const data = (row.node as { data?: { runId: string; phase: string } }).data!;
    assert.equal(data.runId, runId);
    assert.equal(data.phase, 'pushed');
    assert.match(row.description, /^pushed, no record · by /);
    assert.equal((await rowAt(api, 'dev', 'ledger')).description.includes('⚠ interrupted'), true);

    await uiOpenWindow();
    await uiExpand(['dev']);
    await screenshot('interrupted', { docs: true, sidebarWidth: 420 });
    await uiTreeAction(['dev', LABEL], 'Resume Interrupted Deployment');
    const dialog = (await uiDialogState(60_000))!;
    assert.ok(dialog, 'the confirmation dialog is shown');
    assert.equal(dialog.message, 'Resume the interrupted deployment of ledger 1.0.0 → 1.1.0 in dev?');
    assert.deepEqual(dialog.buttons.filter((b) => b.focused).map((b) => b.label), ['Resume']);
    await uiClick('.monaco-dialog-box .dialog-buttons .monaco-button', 'Resume');

    // origin: the record of the killed run, written once, saying it was interrupted (the run is in
    // the window the person uses, with its own extension host: it is observed from outside, with git)
    const record = await waitFor(api, 'the record on origin', async () => {
      await git(['fetch', '--quiet', 'origin']);
      const files = (await git(['ls-tree', '--name-only', 'origin/main', 'docs/deployments/dev/'])).split('\n').filter((f) => f.endsWith(`-ledger-${runId!.slice(-6)}.md`));
      return files.length === 1 ? parseRecord(await git(['show', `origin/main:${files[0]}`]), files[0]) : undefined;
    }, 120_000);
    assert.equal(record.runId, runId);
    assert.equal(record.interrupted, true);
    assert.equal(record.status, 'succeeded');
    assert.equal(record.tag, '1.1.0');
    assert.equal(record.reason, 'CHG-77 ledger totals');
    await api.refresh!();
    await waitFor(api, 'the interrupted node gone', async () => !(await rowAt(api, 'dev', LABEL).then(() => true, () => false)), 60_000);
  });
});

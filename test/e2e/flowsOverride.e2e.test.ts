// A production window override driven as a person drives it, in the real VS Code against the
// sandbox: F1, the command's title, the service, the reason, then the real modal refusal dialog —
// Cancel is the focused button, Enter three times deploys nothing — then the mouse on "Override
// deployment window…", an empty emergency box that refuses the change reason again, the re-checked
// plan saying WINDOW OVERRIDE, and the environment's name typed to confirm. No scripted prompter:
// every answer goes through the workbench's own dialog and input boxes, in a second window opened
// without the test payload (a test window may not show modal dialogs); scripts/e2e.mjs drives it.
// What happened is read from outside: the values file, origin, the record, the rendered editors.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { activateExtension, hasUiDriver, rowAt, screenshot, uiClick, uiCloseWindow, uiDialogHidden, uiDialogState, uiEditorTexts, uiKeys, uiOpenWindow, uiRunCommand, uiQuickInput, uiType, waitFor, workspaceRoot, pushProdFreeze, type TestApi } from './helpers';

function git(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd: workspaceRoot() }, (err, out, errOut) => (err ? reject(new Error(`git ${args.join(' ')}: ${errOut}`)) : resolve(out))));
}

async function prodTag(): Promise<string | undefined> {
  const text = await fs.readFile(path.join(workspaceRoot(), 'helm', 'environments', 'prod-env', 'image-tags.yaml'), 'utf8');
  return /^accounts:\n(?:\s+.*\n)*?\s+tag: "([^"]+)"/m.exec(text)?.[1];
}

const originHead = async () => (await git(['ls-remote', 'origin', 'refs/heads/main'])).split(/\s/)[0];
const prodRecords = async () => (await fs.readdir(path.join(workspaceRoot(), 'docs', 'deployments', 'prod'))).sort();

const REASON = 'CHG-3001 statement totals';
const EMERGENCY = 'SEV1 INC-3001: statement totals wrong for every customer';

describe('Window override in the real VS Code, by keyboard and mouse', function () {
  this.timeout(240_000);
  let api: TestApi;
  let restorePolicy: (() => Promise<void>) | undefined;

  before(async function () {
    if (!hasUiDriver) this.skip(); // needs the browser harness (scripts/e2e.mjs) to press keys
    api = await activateExtension();
    await waitFor(api, 'accounts in prod at 1.4.0', async () => (await rowAt(api, 'prod', 'accounts')).description.startsWith('1.4.0'));
    // Close prod's window whatever the hour: an incident freeze, as a team would declare one.
    restorePolicy = await pushProdFreeze('incident freeze', 6);
    await waitFor(api, 'prod blocked by the freeze in the tree', async () => /closed|freeze|blocked/i.test((await rowAt(api, 'prod')).description + String((await rowAt(api, 'prod')).item.tooltip ?? '')));
    await uiOpenWindow();
  });

  after(async () => {
    if (hasUiDriver) await uiCloseWindow();
    await restorePolicy?.();
  });

  /** F1 → Promote to Production → accounts → the reason; resolves when the refusal dialog shows. */
  async function promoteAccounts() {
    await uiRunCommand('GitOps Deploy: Promote to Production');
    await uiQuickInput({ title: 'Promote to prod: which service?' });
    await uiType('accounts');
    await uiKeys('Enter');
    const reason = await uiQuickInput({ title: 'Promote accounts 1.5.0 from stag to prod: reason' });
    assert.equal(reason?.value, '');
    await uiType(REASON);
    await uiKeys('Enter');
    return (await uiDialogState(60_000))!;
  }

  it('the refusal dialog focuses Cancel, says the window once in the editor\'s words, and Enter three times deploys nothing', async () => {
    const head = await originHead();
    const records = await prodRecords();
    const dialog = await promoteAccounts();
    await screenshot('override', { docs: true });
    assert.equal(dialog.message, 'Deploy accounts to prod: 1.4.0 → 1.5.0 is refused');
    // Scheduling for when the window opens is offered too (flowsSchedule.e2e.test.ts presses it).
    assert.deepEqual(dialog.buttons.map((b) => b.label.replace(/^Schedule for .+$/, 'Schedule for …')).sort(), ['Cancel', 'Override deployment window…', 'Schedule for …', 'Show plan']);
    assert.deepEqual(dialog.buttons.filter((b) => b.focused).map((b) => b.label), ['Cancel'], `the focused button: ${JSON.stringify(dialog.buttons)}`);
    const sentence = /prod deployments are blocked now \(freeze "incident freeze"\)[^\n]*/.exec(dialog.detail)?.[0];
    assert.ok(sentence, dialog.detail);
    assert.equal(dialog.detail.split(sentence).length - 1, 1, `the window sentence once:\n${dialog.detail}`);
    assert.match(dialog.detail, /Fix: Deploy when the window opens .*Only for an emergency: "Override deployment window…" below/);
    assert.doesNotMatch(dialog.detail, /--override-window|--reason|gitops-deploy /);

    await uiKeys('Enter', 'Enter', 'Enter');
    await uiDialogHidden();
    await uiQuickInput({ hidden: true });
    assert.equal(await prodTag(), '1.4.0');
    assert.equal(await originHead(), head, 'origin unchanged');
    assert.deepEqual(await prodRecords(), records, 'no record');
    assert.equal(await git(['status', '--porcelain', '--', 'helm', 'docs']), '', 'the checkout is clean');
  });

  it('Override…: an empty emergency box that refuses the change reason, the plan says WINDOW OVERRIDE, typing prod deploys; record, commit and plan document say it', async () => {
    const head = await originHead();
    await promoteAccounts();
    await uiClick('.monaco-dialog-box .dialog-buttons .monaco-button', 'Override deployment window…');
    await uiDialogHidden();

    const box = (await uiQuickInput({ title: "Emergency override of prod's deployment window" }))!;
    assert.equal(box.value, '', 'the emergency box starts empty');
    assert.match(box.placeholder, /SEV1 INC-123/);
    await screenshot('override-emergency-box');
    await uiType(REASON);
    const same = (await uiQuickInput({ title: 'Emergency override', message: 'This is the change reason again' }))!;
    assert.match(same.message, /^This is the change reason again\. Say why it cannot wait for the window/);
    await uiKeys('Enter'); // refused: the box stays
    assert.equal((await uiQuickInput({ title: 'Emergency override' }))?.value, REASON);
    await uiKeys('Control+A', 'Backspace');
    await uiType(EMERGENCY);
    await uiKeys('Enter');

    // Checked again with the override; the approval is the environment's name, typed.
    const confirm = (await uiQuickInput({ title: 'WINDOW OVERRIDE: Deploy accounts to prod: 1.4.0 → 1.5.0?', timeoutMs: 60_000 }))!;
    assert.equal(confirm.value, '');
    assert.match(confirm.message, /Type prod to deploy into a blocked window/);
    // The plan beside, as rendered in its editor.
    const plan = (await uiEditorTexts('# WINDOW OVERRIDE: Deploy accounts to prod'))!.find((t) => t.includes('# WINDOW OVERRIDE'))!;
    assert.match(plan, /^# WINDOW OVERRIDE: Deploy accounts to prod: 1\.4\.0 → 1\.5\.0\?\n\n> \*\*⚠ WINDOW OVERRIDE — prod's deployment window is closed/);
    assert.ok(plan.includes(`> Emergency: ${EMERGENCY} (by E2E Deployer)`), plan);
    await screenshot('override-plan', { sidebarWidth: 360 });
    const recordsBefore = await prodRecords();
    await uiType('pro');
    await uiKeys('Enter'); // not the name: nothing happens
    // The validation message follows the typing asynchronously: wait for it, then read it.
    assert.match((await uiQuickInput({ title: 'WINDOW OVERRIDE', message: 'to confirm the override' }))!.message, /Type prod to confirm the override/);
    assert.equal(await originHead(), head);
    await uiType('d');
    await uiKeys('Enter');

    await waitFor(api, 'the record of the override deployment', async () => (await prodRecords()).length > recordsBefore.length && (await git(['status', '--porcelain', '--', 'docs'])) === '', 180_000);
    assert.equal(await prodTag(), '1.5.0');
    const body = await git(['log', '-n', '1', '--format=%B', '--grep', '^Deploy accounts to prod', 'origin/main']);
    assert.equal(body.split('\n')[2], `WINDOW OVERRIDE (emergency, by E2E Deployer): ${EMERGENCY}`);
    assert.ok(body.includes(`\nWindow-Override: ${EMERGENCY}\nWindow-Override-By: E2E Deployer\n`), body);
    const recordFile = (await prodRecords()).find((f) => !recordsBefore.includes(f))!;
    const front = parse(/^---\n([\s\S]*?)\n---\n/.exec(await fs.readFile(path.join(workspaceRoot(), 'docs', 'deployments', 'prod', recordFile), 'utf8'))![1]);
    assert.deepEqual(front.windowOverride, { reason: EMERGENCY, by: 'E2E Deployer' });
    assert.equal(front.reason, REASON);
    assert.equal(front.status, 'succeeded');
    // The plan document is no longer a question once the run has ended.
    await uiEditorTexts('# ✓ Deployed accounts to prod: 1.4.0 → 1.5.0 (verified) — WINDOW OVERRIDE', 60_000);
    await screenshot('override-done');
  });
});

// "Schedule for <when the window opens>" in the real VS Code against the sandbox, as a person does
// it: F1 → Promote to Production → accounts → the reason; the modal refusal dialog (prod is closed by
// a freeze) has Cancel focused and offers the schedule; the mouse presses it. The schedule is a file
// committed and pushed to origin (read from outside with git), prod is untouched, and the tree shows
// the scheduled promotion under prod with its countdown and who scheduled it.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse, parseDocument } from 'yaml';
import { activateExtension, findUiRow, hasUiDriver, rowAt, screenshot, uiClick, uiCloseWindow, uiDialogHidden, uiDialogState, uiExpand, uiKeys, uiOpenWindow, uiQuickInput, uiRunCommand, uiType, waitFor, workspaceRoot, pushProdFreeze, type TestApi } from './helpers';

function git(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', ['-c', 'user.name=Teammate', '-c', 'user.email=teammate@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: workspaceRoot() }, (err, out, errOut) => (err ? reject(new Error(`git ${args.join(' ')}: ${errOut}`)) : resolve(out))));
}

const PROD_VALUES = path.join('helm', 'environments', 'prod-env', 'image-tags.yaml');
const REASON = 'CHG-4100 ledger fix after hours';
const LABEL = 'Scheduled: accounts 1.4.0 → 1.5.0';

async function prodTag(): Promise<string | undefined> {
  const text = await fs.readFile(path.join(workspaceRoot(), PROD_VALUES), 'utf8');
  return /^accounts:\n(?:\s+.*\n)*?\s+tag: "([^"]+)"/m.exec(text)?.[1];
}

/** Schedules of prod on origin/main (after a fetch). */
async function schedulesOnOrigin(): Promise<string[]> {
  await git(['fetch', '--quiet', 'origin']);
  return (await git(['ls-tree', '--name-only', 'origin/main', 'docs/deployments/scheduled/prod/'])).split('\n').filter(Boolean);
}

describe('Schedule a promotion from the refusal dialog in the real VS Code, by mouse', function () {
  this.timeout(240_000);
  let api: TestApi;
  let restorePolicy: (() => Promise<void>) | undefined;
  let created: string[] = [];

  before(async function () {
    if (!hasUiDriver) this.skip(); // needs the browser harness (scripts/e2e.mjs) to press keys
    api = await activateExtension();
    // accounts 1.5.0 runs in stag; prod must run 1.4.0 for a promotion (an earlier test may have moved it).
    if ((await prodTag()) !== '1.4.0') {
      const file = path.join(workspaceRoot(), PROD_VALUES);
      const doc = parseDocument(await fs.readFile(file, 'utf8'));
      const at = doc.hasIn(['accounts', 'image', 'tag']) ? ['accounts', 'image', 'tag'] : ['accounts', 'tag'];
      const node = doc.createNode('1.4.0') as any;
      node.type = 'QUOTE_DOUBLE';
      doc.setIn(at, node);
      await fs.writeFile(file, doc.toString());
      await git(['commit', '--quiet', '-m', 'Set accounts back to 1.4.0 in prod', '--', PROD_VALUES]);
      await git(['push', '--quiet', 'origin', 'HEAD:main']);
    }
    await waitFor(api, 'accounts in prod at 1.4.0', async () => (await rowAt(api, 'prod', 'accounts')).description.startsWith('1.4.0'), 60_000);
    // Close prod's window whatever the hour: a freeze, as a team would declare one.
    restorePolicy = await pushProdFreeze('quarter close', 3);
    await waitFor(api, 'prod blocked by the freeze in the tree', async () => /closed|freeze|blocked/i.test((await rowAt(api, 'prod')).description + String((await rowAt(api, 'prod')).item.tooltip ?? '')));
    created = await schedulesOnOrigin();
    await uiOpenWindow();
  });

  after(async () => {
    if (hasUiDriver) await uiCloseWindow();
    await restorePolicy?.();
    // Cancel what this test scheduled, as anyone may: delete the file on origin.
    const mine = (await schedulesOnOrigin().catch(() => [] as string[])).filter((f) => !created.includes(f));
    if (mine.length) {
      await git(['pull', '--quiet', '--rebase', 'origin', 'main']).catch(() => undefined);
      await git(['rm', '--quiet', ...mine]);
      await git(['commit', '--quiet', '-m', 'Cancel the e2e test\'s scheduled promotion', '--', ...mine]);
      await git(['push', '--quiet', 'origin', 'HEAD:main']);
    }
  });

  it('Cancel is focused, "Schedule for …" is offered; clicking it pushes the schedule and the tree shows it under prod', async () => {
    const head = (await git(['ls-remote', 'origin', 'refs/heads/main'])).split(/\s/)[0];
    await uiRunCommand('GitOps Deploy: Promote to Production');
    await uiQuickInput({ title: 'Promote to prod: which service?' });
    await uiType('accounts');
    await uiKeys('Enter');
    await uiQuickInput({ title: 'Promote accounts 1.5.0 from stag to prod: reason' });
    await uiType(REASON);
    await uiKeys('Enter');
    const dialog = (await uiDialogState(60_000))!;
    assert.equal(dialog.message, 'Deploy accounts to prod: 1.4.0 → 1.5.0 is refused');
    const schedule = dialog.buttons.find((b) => b.label.startsWith('Schedule for '));
    assert.ok(schedule, `a Schedule button: ${JSON.stringify(dialog.buttons)}`);
    assert.match(schedule.label, /^Schedule for (\w{3} )?(\w{3} \d{1,2} )?\d{2}:\d{2} ET$/);
    assert.deepEqual(dialog.buttons.filter((b) => b.focused).map((b) => b.label), ['Cancel'], 'Cancel stays the default');
    await screenshot('schedule-dialog');

    await uiClick('.monaco-dialog-box .dialog-buttons .monaco-button', schedule.label);
    await uiDialogHidden();

    // On origin: one new schedule file with the plan's facts; prod untouched.
    const file = await waitFor(api, 'the schedule pushed to origin', async () => (await schedulesOnOrigin()).find((f) => !created.includes(f)), 60_000);
    const s = parse(await git(['show', `origin/main:${file}`]));
    assert.deepEqual({ service: s.service, environment: s.environment, tag: s.tag, previousTag: s.previousTag, reason: s.reason, actor: s.actor }, { service: 'accounts', environment: 'prod', tag: '1.5.0', previousTag: '1.4.0', reason: REASON, actor: 'E2E Deployer' });
    assert.ok(Date.parse(s.notBefore) > Date.now() + 2 * 86_400_000, `not before the freeze ends: ${s.notBefore}`);
    assert.match(s.planHash, /^sha256:[0-9a-f]{64}$/);
    const subject = (await git(['log', '-1', '--format=%s', 'origin/main', '--', file])).trim();
    assert.equal(subject, `Schedule accounts 1.4.0 → 1.5.0 in prod at ${s.notBefore}`);
    assert.equal(await prodTag(), '1.4.0');
    assert.notEqual((await git(['ls-remote', 'origin', 'refs/heads/main'])).split(/\s/)[0], head);
    assert.deepEqual((await git(['diff', '--name-only', head, 'origin/main'])).trim().split('\n'), [file], 'only the schedule changed on origin');

    // In the tree the person sees: under prod, with the countdown and who scheduled it.
    const rows = await waitFor(api, 'the scheduled promotion under prod in the workbench', async () => {
      const r = await uiExpand(['prod']);
      return r && findUiRow(r, ['prod', LABEL]) ? r : undefined;
    }, 60_000);
    assert.match(findUiRow(rows, ['prod', LABEL])!.description, /^in \d+ d( \d+ h)? · by E2E Deployer$/);
    await screenshot('schedule-tree', { sidebarWidth: 560 });
  });
});

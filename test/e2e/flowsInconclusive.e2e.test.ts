// An inconclusive run in the real VS Code against the sandbox: treasury 4.1.0 is deployed to stag from
// the editor while Prometheus answers 503 once the change is on origin (the sandbox's fault switch,
// armed through its control endpoint so the pre-flight sees Prometheus healthy). The run holds for a
// human: the record on origin says inconclusive, origin keeps 4.1.0 (nothing rolled back), and the
// end-of-run notification offers the decision's buttons — Re-check and Roll back to 4.0.0. With
// Prometheus back, "Re-check" is pressed with the mouse on the real notification: the verification
// runs again and passes, changing nothing on origin.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import type { PipelineOutcome } from '../../src/pipeline/outcome';
import type { Severity } from '../../src/providers/prompter';
import { confirm, input, pickOrType, ScriptedPrompter, type Flows } from './flowsPrompter';
import { activateExtension, hasUiDriver, rowAt, screenshot, uiClick, uiNotifications, waitFor, workspaceRoot, type TestApi } from './helpers';

function git(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd: workspaceRoot() }, (err, out, errOut) => (err ? reject(new Error(`git ${args.join(' ')}: ${errOut}`)) : resolve(out))));
}

/** A file as origin has it (fetched first). */
async function onOrigin(file: string): Promise<string> {
  await git(['fetch', '--quiet', 'origin']);
  return git(['show', `origin/main:${file}`]);
}

const originHead = async () => (await git(['ls-remote', 'origin', 'refs/heads/main'])).split(/\s/)[0];

/** The sandbox's fault switch (its control endpoint beside /sandbox/push). */
async function fault(on: boolean, afterPush = false): Promise<void> {
  const config = parse(await fs.readFile(path.join(workspaceRoot(), '.gitops-deploy.yaml'), 'utf8'));
  const res = await fetch(`${config.registry.endpoint}/sandbox/fault`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'prometheus-503', on, afterPush }) });
  assert.equal(res.status, 200, await res.text());
}

/** Prompts scripted; notifications shown for real (so a person — the mouse — can press their buttons) and recorded. */
class RealNotifications extends ScriptedPrompter {
  override async notify(severity: Severity, message: string, actions: readonly string[]): Promise<string | undefined> {
    this.notified.push({ severity, message, actions });
    const show = severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return show(message, ...actions);
  }
}

describe('An inconclusive run in the editor: held, recorded, and decided from the notification', function () {
  this.timeout(300_000);
  let api: TestApi;
  let flows: Flows;
  const prompter = new RealNotifications();
  let restore: vscode.Disposable | undefined;

  before(async () => {
    api = await activateExtension();
    flows = api.flows!;
    restore = flows.setPrompter(prompter);
    await waitFor(api, 'treasury in stag at 4.0.0', async () => (await rowAt(api, 'stag', 'treasury')).description.startsWith('4.0.0'), 60_000);
  });

  after(async () => {
    restore?.dispose();
    await fault(false).catch(() => undefined);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      console.log(`      transcript:\n${flows.transcript().split('\n').slice(-60).join('\n')}`);
      console.log(`      notifications: ${JSON.stringify(prompter.notified)}`);
    }
  });

  it('Prometheus 503 after the push: status inconclusive on origin, 4.1.0 kept, Re-check / Roll back offered; Re-check by mouse passes once Prometheus answers', async () => {
    await fault(true, true);
    prompter.script(
      pickOrType((q) => {
        assert.equal(q.title, 'Deploy treasury to stag (now 4.0.0): which tag?');
        const def = q.items.find((i) => i.picked)!;
        assert.equal(def.tag, '4.1.0');
        return def;
      }),
      input(() => 'CHG-4101 treasury rounding'),
      confirm(() => 'Deploy'),
    );
    const outcome = await vscode.commands.executeCommand<PipelineOutcome | undefined>('gitopsDeploy.deploy', { service: 'treasury', environment: 'stag' });
    assert.equal(prompter.pending, 0, 'every prompt was asked');
    assert.ok(outcome, 'the command returns the outcome');
    assert.equal(outcome.kind, 'inconclusive', outcome.message);
    assert.equal(outcome.exitCode, 4);
    assert.equal(outcome.rollbackCommit, undefined, 'nothing rolled back');
    assert.deepEqual(outcome.decision?.unobserved, ['error-rate']);
    assert.deepEqual(outcome.decision?.recheck, { command: 'verify', service: 'treasury', environment: 'stag' });
    assert.equal(outcome.decision?.rollback?.to, '4.0.0');

    // Origin, read with git: the record says inconclusive, the values file keeps the new tag, no rollback commit.
    const record = parse(/^---\n([\s\S]*?)\n---\n/.exec(await onOrigin(outcome.record!.path))![1]);
    assert.equal(record.status, 'inconclusive');
    assert.equal(record.tag, '4.1.0');
    assert.equal(record.checks.find((c: { name: string }) => c.name === 'error-rate')?.status, 'inconclusive');
    const values = parse(await onOrigin('helm/environments/stag-env/image-tags.yaml'));
    assert.equal(values.treasury.image.tag, '4.1.0', 'origin keeps the new tag');
    const subjects = (await git(['log', '-n', '3', '--format=%s', 'origin/main'])).trim().split('\n');
    assert.deepEqual(subjects.slice(0, 2), ['Record treasury 4.1.0 in stag: inconclusive', 'Deploy treasury to stag: 4.0.0 → 4.1.0']);

    // The notification: the decision's buttons, by what the outcome holds.
    const n = prompter.notified.at(-1)!;
    assert.equal(n.severity, 'warning');
    assert.match(n.message, /^treasury 4\.1\.0 in stag: verification inconclusive, nothing rolled back — could not observe error-rate/);
    assert.deepEqual(n.actions, ['Re-check', 'Roll back to 4.0.0', 'More…']);
    if (!hasUiDriver) return; // the mouse needs the browser harness (scripts/e2e.mjs)
    const toasts = (await uiNotifications('verification inconclusive'))!;
    const toast = toasts.find((t) => t.message.includes('treasury 4.1.0 in stag: verification inconclusive'))!;
    assert.deepEqual(toast.buttons, ['Re-check', 'Roll back to 4.0.0', 'More…']);
    await screenshot('inconclusive-notification');

    // Prometheus answers again; the person presses Re-check.
    await fault(false);
    const head = await originHead();
    const shown = prompter.notified.length;
    await uiClick('.notifications-toasts .notification-toast .monaco-button', 'Re-check');
    await waitFor(api, 'the re-check to end', async () => flows.transcript().includes('RE-CHECK PASSED: treasury 4.1.0 in stag') || /RE-CHECK (FAILED|INCONCLUSIVE): treasury/.test(flows.transcript()), 180_000);
    assert.match(flows.transcript(), /━━━ Re-check treasury in stag ━━━/);
    assert.ok(flows.transcript().includes('✓ RE-CHECK PASSED: treasury 4.1.0 in stag'), flows.transcript().split('\n').slice(-20).join('\n'));
    await waitFor(api, 'the re-check notification', async () => prompter.notified.length > shown);
    assert.deepEqual(prompter.notified.at(-1), { severity: 'info', message: 'Re-check of treasury 4.1.0 in stag: every check passed.', actions: ['Show output'] });
    assert.equal(await originHead(), head, 'the re-check changes nothing on origin');
  });
});

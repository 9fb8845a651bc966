// Scheduled promotions in a real VS Code: a schedule pushed by a teammate (a file in the GitOps
// repository) shows under its environment with a countdown; Cancel (the row's inline action, clicked
// in the workbench; the confirmation is answered by a scripted prompter, as modal dialogs are
// refused in VS Code's extension-test mode) deletes it on origin; the node goes away.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ScriptedPrompter } from './flowsPrompter';
import { activateExtension, children, findUiRow, hasUiDriver, rowAt, screenshot, uiExpand, uiTreeAction, waitFor, workspaceRoot, type TestApi } from './helpers';

const LABEL = 'Scheduled: accounts 1.4.0 → 1.5.0';

describe('Scheduled promotions in the tree', () => {
  let api: TestApi;
  let root: string;
  let origin: string;
  let file: string;
  const git = (args: string[], cwd = root) => execFileSync('git', ['-c', 'user.name=Mei', '-c', 'user.email=mei@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  before(async () => {
    api = await activateExtension();
    root = workspaceRoot();
    // A bare origin, as every GitOps repository has one: the schedule is shared through it.
    origin = await fs.mkdtemp(path.join(os.tmpdir(), 'gitops-e2e-origin-'));
    git(['init', '-q', '--bare', '-b', 'main', origin], origin);
    git(['remote', 'add', 'origin', origin]);
    git(['push', '-q', '-u', 'origin', 'main']);
    // A teammate scheduled accounts 1.4.0 → 1.5.0 for two hours from now, and pushed it.
    const notBefore = new Date(Date.now() + 2 * 3_600_000 + 30_000).toISOString();
    file = path.join(root, 'docs/deployments/scheduled/prod/20261118T150000Z-accounts.yaml');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, [
      '# Scheduled promotion (written by gitops-deploy deploy --at window-opens)',
      'id: 20261118T150000Z-accounts', 'service: accounts', 'environment: prod', 'tag: "1.5.0"', 'previousTag: "1.4.0"',
      'reason: CHG-42 ship the ledger fix', 'actor: mei', `planHash: sha256:${'a'.repeat(64)}`, `notBefore: ${notBefore}`, `createdAt: ${new Date().toISOString()}`, '',
    ].join('\n'));
    git(['add', '-A']);
    git(['commit', '-q', '-m', 'Schedule accounts 1.4.0 → 1.5.0 in prod']);
    git(['push', '-q', 'origin', 'main']);
  });

  after(async () => {
    await fs.rm(file, { force: true });
    try {
      git(['remote', 'remove', 'origin']);
    } catch {
      // already gone
    }
    await fs.rm(origin, { recursive: true, force: true });
  });

  it('shows the scheduled promotion under prod with a countdown and who scheduled it', async () => {
    const node = await waitFor(api, 'the scheduled promotion under prod', async () => (await children(api, await rowAt(api, 'prod'))).find((r) => r.label === LABEL));
    assert.match(node.description, /^in 2 h 0[01] min · by mei$/);
    assert.match(String(node.item.tooltip), /Reason: CHG-42 ship the ledger fix/);
    assert.match(node.item.contextValue ?? '', /\bscheduledPromotion\b/);
  });

  it('is in the workbench, and Cancel (inline action + confirmation) deletes it on origin', async function () {
    if (!hasUiDriver) this.skip();
    await vscode.commands.executeCommand('workbench.view.extension.gitopsDeploy');
    const rows = await waitFor(api, 'the schedule row in the workbench', async () => {
      const r = await uiExpand(['prod']);
      return r && findUiRow(r, ['prod', LABEL]) ? r : undefined;
    });
    assert.match(findUiRow(rows, ['prod', LABEL])!.description, /^in 2 h 0[01] min · by mei$/);
    await screenshot('scheduled', { docs: true, sidebarWidth: 560 });
    const prompter = new ScriptedPrompter();
    const restore = api.flows!.setPrompter(prompter);
    try {
      prompter.script({ kind: 'confirm', answer: (a) => a.buttons.find((b) => b === 'Cancel promotion') });
      await uiTreeAction(['prod', LABEL], 'Cancel Scheduled Promotion');
      const done = await waitFor(api, 'the cancellation to be reported', async () => prompter.notified.find((n) => /cancelled the scheduled promotion/.test(n.message)));
      assert.equal(done.severity, 'info');
    } finally {
      restore.dispose();
    }
    const asked = prompter.asked[0];
    assert.equal(asked.kind, 'confirm');
    assert.equal(asked.kind === 'confirm' && asked.message, 'Cancel the scheduled promotion of accounts 1.4.0 → 1.5.0 in prod?');
    await waitFor(api, 'the schedule to be gone from the tree', async () => !(await children(api, await rowAt(api, 'prod'))).some((r) => r.label === LABEL) || undefined);
    await assert.rejects(fs.access(file));
    assert.throws(() => git(['cat-file', '-e', 'main:docs/deployments/scheduled/prod/20261118T150000Z-accounts.yaml'], origin));
    assert.match(git(['log', '-1', '--format=%s', 'main'], origin), /^Cancel scheduled promotion of accounts 1\.5\.0 in prod/);
  });
});

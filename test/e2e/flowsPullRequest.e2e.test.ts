// A production promotion by pull request in the real VS Code against the sandbox, as a person meets
// it: prod is put in pull-request mode (a policy change pushed to origin, as a team does) and
// origin's main is protected (GitHub's GH006 refusal of a direct push, the sandbox's pre-receive
// hook). "Promote to Production" is run with the keyboard (service, reason, the plan's Deploy); the
// run opens a pull request and waits: its node shows under prod in the tree (read from the DOM of
// the tree rows) and the status bar says what it waits for. The reviewer approves and merges it
// through the sandbox GitHub's control endpoints (what a person does on github.com); the run goes
// on and finishes: origin's main has the merge commit and the run's record says succeeded (read
// with git from outside the window that ran it).
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parse, parseDocument } from 'yaml';
import { parseRecord } from '../../src/pipeline/model/records';
import { activateExtension, EXTENSION_ID, findUiRow, hasUiDriver, pushPolicy, screenshot, uiClick, uiCloseWindow, uiDialogHidden, uiDialogState, uiExpand, uiKeys, uiNotifications, uiOpenWindow, uiQuickInput, uiRunCommand, uiStatusBar, uiTreeAction, uiTreeRows, uiType, waitFor, workspaceRoot, type TestApi } from './helpers';

const SERVICE = 'savings';
const FROM = '6.0.0';
const TO = '6.1.0';
const BRANCH = `gitops-deploy/prod/${SERVICE}/${TO}`;
const REASON = 'CHG-6100 savings interest by pull request';

function git(args: string[], cwd = workspaceRoot()): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd }, (err, out, errOut) => (err ? reject(new Error(`git ${args.join(' ')}: ${errOut}`)) : resolve(out))));
}

/** The built CLI (what a CI job or a colleague runs); resolves with what it printed and its exit. */
function runCli(args: string[]): Promise<string> {
  const cliPath = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
  const child = spawn(process.execPath, [cliPath, ...args, '--repo', workspaceRoot()], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, cwd: workspaceRoot() });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b));
  child.stderr.on('data', (b: Buffer) => (out += b));
  const guard = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(guard);
    resolve(`${out}\n[exit ${code ?? signal}]`);
  }));
}

interface SandboxPull {
  number: number;
  state: string;
  merged: boolean;
  head: { ref: string; sha: string };
  html_url: string;
  merge_commit_sha: string | null;
}

describe('A production promotion by pull request: the pull request in the tree, merged by a reviewer (editor)', function () {
  this.timeout(420_000);
  let api: TestApi;
  let github: string;
  let restorePolicy: (() => Promise<void>) | undefined;

  /** The sandbox GitHub's control endpoints (a person acting on github.com). */
  async function control<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${github}/sandbox/github${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /sandbox/github${route}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
  const pullOf = async () => (await control<SandboxPull[]>('GET', '/pulls')).find((p) => p.head.ref === BRANCH);

  before(async function () {
    if (!hasUiDriver) this.skip(); // needs the browser harness (scripts/e2e.mjs): a person's window and the tree's DOM
    api = await activateExtension();
    const config = parse(await fs.readFile(path.join(workspaceRoot(), '.gitops-deploy.yaml'), 'utf8')) as { github: { apiUrl: string } };
    github = config.github.apiUrl.replace(/\/+$/, '');
    // prod promotes by pull request (merged by a reviewer), as a team decides it: committed and pushed.
    restorePolicy = await pushPolicy((text) => {
      const doc = parseDocument(text);
      const envs = doc.get('environments') as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] };
      const prod = envs.items.find((e) => e.get('name') === 'prod');
      assert.ok(prod, 'prod in .gitops-deploy.yaml');
      prod.set('git', doc.createNode({ mode: 'pull-request', merge: 'manual' }));
      return doc.toString();
    }, 'prod: promotions by pull request');
    // Then main is protected on "GitHub": a direct push is refused with GH006, a pull request needs an
    // approving review, and the repository allows auto-merge.
    await control('POST', '/settings', { protectedBranch: true, requiredReviews: 1, autoMerge: true });
  });

  after(async () => {
    if (!hasUiDriver) return;
    await uiCloseWindow();
    if (github) await control('POST', '/settings', {}).catch(() => undefined);
    await restorePolicy?.();
    await api?.refresh?.();
  });

  it('Promote to Production opens a pull request; it shows under prod with the run waiting; merged by the reviewer, the run finishes with its record', async () => {
    await uiOpenWindow();
    await uiRunCommand('GitOps Deploy: Promote to Production');
    await uiQuickInput({ title: 'Promote to prod: which service?' });
    await uiType(SERVICE);
    await uiKeys('Enter');
    await uiQuickInput({ title: `Promote ${SERVICE} ${TO} from stag to prod: reason` });
    await uiType(REASON);
    await uiKeys('Enter');
    const plan = (await uiDialogState(90_000))!;
    assert.ok(plan.message.includes(SERVICE) && plan.message.includes(TO), plan.message);
    assert.ok(`${plan.message}\n${plan.detail}`.toLowerCase().includes('pull request'), `the plan says the change goes by pull request:\n${plan.message}\n${plan.detail}`);
    assert.equal(plan.buttons.filter((b) => b.focused).length, 1);
    await uiKeys('Enter');
    await uiDialogHidden();

    // The pull request on "GitHub", opened by the run.
    const opened = await waitFor(api, `the pull request of ${BRANCH}`, async () => pullOf(), 120_000);
    assert.equal(opened.state, 'open');
    const label = `#${opened.number} ${SERVICE} ${TO} → prod`;

    // The tree (the DOM of the person's window): the pull request under prod, the run waiting for it.
    const row = await waitFor(api, `the row "${label}" under prod`, async () => {
      const rows = (await uiExpand(['prod']))!;
      const r = findUiRow(rows, ['prod', label]);
      return r && r.description.includes('the run waits') ? r : undefined;
    }, 60_000);
    assert.ok(row.description.includes('waiting for review'), `the branch rules want a review: ${row.description}`);
    assert.ok(row.level === 2, `a child of prod: ${JSON.stringify(row)}`);
    const prodRow = findUiRow((await uiTreeRows())!, ['prod'])!;
    assert.ok(prodRow.description.includes('pull-request mode'), prodRow.description);
    // The status bar says what the run waits for.
    const status = (await uiStatusBar(`${SERVICE} → prod: waiting for PR #${opened.number}`, 30_000))!;
    assert.ok(status.some((s) => s.text.startsWith(`${SERVICE} → prod: waiting for PR #${opened.number}`)), JSON.stringify(status));
    // For the picture: dev and stag folded, prod with its pull request in view.
    // (A first picture as found; taking it also moves the mouse off the side bar's title, whose hover would take the clicks.)
    await screenshot('pull-request-waiting');
    for (const env of ['dev', 'stag']) await uiClick('[id="workbench.view.extension.gitopsDeploy"] .monaco-list-row[role="treeitem"][aria-level="1"]', env);
    await waitFor(api, 'dev and stag folded', async () => (await uiTreeRows())!.filter((r) => r.level === 1 && r.expanded === false).length === 2, 10_000);
    // The pull request's row selected: its inline actions (Open Pull Request, Merge Pull Request) show.
    await uiClick('[id="workbench.view.extension.gitopsDeploy"] .monaco-list-row[role="treeitem"][aria-level="2"]', label);
    await screenshot('pull-request', { docs: true, sidebarWidth: 420 });
    assert.equal((await git(['ls-remote', 'origin', `refs/heads/${BRANCH}`])).split(/\s/)[0], opened.head.sha, 'the branch on origin is the pull request head');

    // The reviewer approves and merges it on GitHub.
    await control('POST', `/pulls/${opened.number}/approve`, { user: 'reviewer' });
    const merged = await control<{ sha: string; merged: boolean }>('POST', `/pulls/${opened.number}/merge`, { user: 'reviewer', sha: opened.head.sha });
    assert.equal(merged.merged, true);

    // The run goes on (sync wait, verification); main refuses its record too, so the record goes by its
    // own pull request with auto-merge on, which the reviewer approves.
    const recordPull = await waitFor(api, 'the record pull request', async () => (await control<SandboxPull[]>('GET', '/pulls')).find((p) => p.state === 'open' && p.head.ref.startsWith(`gitops-deploy/records/prod/${SERVICE}/`)), 240_000);
    await control('POST', `/pulls/${recordPull.number}/approve`, { user: 'reviewer' });
    // The record, read from origin with git.
    const record = await waitFor(api, 'the record of the promotion on origin', async () => {
      await git(['fetch', '--quiet', 'origin']);
      const files = (await git(['ls-tree', '--name-only', 'origin/main', 'docs/deployments/prod/'])).split('\n').filter((f) => f.endsWith(`-${SERVICE}.md`) || f.includes(`-${SERVICE}-`));
      for (const f of files) {
        const text = await git(['show', `origin/main:${f}`]);
        const r = parseRecord(text, f);
        if (r.tag === TO) return Object.assign(r, { text });
      }
      return undefined;
    }, 240_000);
    assert.equal(record.status, 'succeeded', record.text);
    assert.equal(record.previousTag, FROM);
    assert.equal(record.reason, REASON);
    assert.equal(record.pullRequest?.number, opened.number, record.text);
    assert.equal(record.pullRequest?.merged, true);
    assert.equal(record.pullRequest?.mergeCommit, merged.sha, 'the record names the merge commit Argo CD synced');
    assert.equal(record.pullRequest?.mergedBy, 'reviewer');
    const merges = (await git(['log', '--merges', '--format=%H %P%n%s', 'origin/main'])).split('\n');
    assert.ok(merges.some((l) => l.startsWith(merged.sha)), `origin/main holds the merge commit ${merged.sha}:\n${merges.slice(0, 6).join('\n')}`);
    assert.ok(merges.includes(`Merge pull request #${opened.number} from acme/${BRANCH}`), merges.slice(0, 6).join('\n'));
    assert.equal(parse(await git(['show', 'origin/main:helm/environments/prod-env/image-tags.yaml']))[SERVICE].image.tag, TO);

    // The run ends in the editor as any deployment does: its notification; the status bar no longer waits.
    await uiNotifications(`Deployed ${SERVICE} ${TO} to prod (${FROM} → ${TO}) and verified.`, 60_000);
    const after = (await uiStatusBar(''))!;
    assert.ok(!after.some((i) => i.text.includes('waiting for PR')), JSON.stringify(after.map((i) => i.text)));
    // The node is gone once the run ends (the pull request is merged).
    await waitFor(api, 'the pull request row gone', async () => !findUiRow((await uiTreeRows())!, ['prod', label]), 60_000);
  });
  it('a pull request opened elsewhere (a CLI rollback waiting for its merge) is merged from the tree: Merge asks, merges at the head shown, and that run finishes', async () => {
    // No review needed now: the tree's Merge merges at once.
    await control('POST', '/settings', { protectedBranch: true, requiredReviews: 0, autoMerge: true });
    const back = 'CHG-6101 savings back to 6.0.0';
    const cli = runCli(['rollback', SERVICE, '--env', 'prod', '--to', FROM, '--reason', back]);
    const opened = await waitFor(api, 'the rollback pull request', async () => (await control<SandboxPull[]>('GET', '/pulls')).find((p) => p.state === 'open' && p.head.ref.startsWith(`gitops-deploy/prod/${SERVICE}/`)), 120_000);
    const label = opened.head.ref === `gitops-deploy/prod/${SERVICE}/${FROM}` ? `#${opened.number} ${SERVICE} ${FROM} → prod` : `#${opened.number} rollback of ${SERVICE} in prod`;

    // The person refreshes the view: the pull request shows under prod (no run of this window waits for it).
    await uiRunCommand('GitOps Deploy: Refresh');
    const row = await waitFor(api, `the row "${label}" under prod`, async () => findUiRow((await uiExpand(['prod']))!, ['prod', label]), 60_000);
    assert.ok(!row.description.includes('the run waits'), row.description);
    await uiTreeAction(['prod', label], 'Merge Pull Request');
    const dialog = (await uiDialogState(30_000))!;
    assert.equal(dialog.message, `Merge pull request #${opened.number}: ${label.replace(/^#\d+ /, '')}?`);
    assert.ok(dialog.detail.includes(`${opened.head.ref} at ${opened.head.sha.slice(0, 7)} is merged into main`), dialog.detail);
    await uiClick('.monaco-dialog-box .dialog-buttons .monaco-button', 'Merge');
    await uiDialogHidden();
    await waitFor(api, `pull request #${opened.number} merged by the tree's Merge`, async () => (await control<SandboxPull[]>('GET', '/pulls')).find((p) => p.number === opened.number)?.merged, 30_000).catch(async (err: Error) => {
      const toasts = await uiNotifications('', 1_000).catch(() => []);
      await screenshot('pull-request-merge-failed');
      throw new Error(`${err.message}; notifications: ${JSON.stringify(toasts)}`);
    });

    const out = await cli;
    assert.match(out, /\[exit 0\]$/, out);
    const pull = (await control<SandboxPull[]>('GET', '/pulls')).find((p) => p.number === opened.number)!;
    assert.equal(pull.merged, true, 'merged on GitHub by the tree\'s Merge');
    await git(['fetch', '--quiet', 'origin']);
    assert.equal(parse(await git(['show', 'origin/main:helm/environments/prod-env/image-tags.yaml']))[SERVICE].image.tag, FROM);
    const merges = (await git(['log', '--merges', '--format=%s', 'origin/main'])).split('\n');
    assert.ok(merges.includes(`Merge pull request #${opened.number} from acme/${opened.head.ref}`), merges.slice(0, 6).join('\n'));
    await waitFor(api, 'the row gone', async () => {
      await uiRunCommand('GitOps Deploy: Refresh');
      return !findUiRow((await uiTreeRows())!, ['prod', label]);
    }, 60_000, 3_000);
  });
});

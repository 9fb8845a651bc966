// Troubleshooting a failed deployment in a real VS Code against the sandbox (issue #7): deploy a tag
// whose pods crash-loop, answered through the scripted prompter like flows.e2e.test.ts; it is rolled
// back; the tree node says why and offers the troubleshooting commands; Show Logs from the node (as
// its context menu runs it) opens the crash log captured at the failure and the live pods' logs.
// Then Show Events, Retry Sync, and the fix of a failed automatic rollback.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import type { PipelineOutcome } from '../../src/pipeline/outcome';
import type { RetrySyncResult } from '../../src/pipeline/troubleshoot';
import { confirm, input, pickOrType, ScriptedPrompter, useScriptedFlows, type Flows } from './flowsPrompter';
import { EXTENSION_ID, hasUiDriver, rowAt, screenshot, uiExpand, waitFor, workspaceRoot, type Row, type TestApi } from './helpers';

/** The regexes of the tree context menu's `viewItem =~ /…/` for a command. */
function menuRegexes(command: string): RegExp[] {
  const menus = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus['view/item/context'] as { command: string; when: string }[];
  const entries = menus.filter((m) => m.command === command);
  assert.ok(entries.length, `${command} is in the tree's context menu`);
  return entries.map((e) => new RegExp(/viewItem =~ \/(.*)\/$/.exec(e.when)![1]));
}

/** A MarkdownString's text as shown (appendText escapes Markdown characters and keeps spaces as &nbsp;). */
function tooltipText(row: Row): string {
  const t = row.item.tooltip;
  return (typeof t === 'string' ? t : (t?.value ?? '')).replace(/\\(.)/g, '$1').replace(/&nbsp;/g, ' ');
}

async function frontMatter(file: string): Promise<Record<string, any>> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(await fs.readFile(file, 'utf8'));
  assert.ok(m, `${file} has front matter`);
  return parse(m[1]);
}

/** The sandbox cluster's pods of a service that are Ready now (read from the API the kubeconfig names, not through the extension). */
async function readyPods(namespace: string, service: string): Promise<string[]> {
  // The kubeconfig is the user's (the sandbox's KUBECONFIG), never named by the repository.
  // HTTPS with the sandbox's own CA; the second user's static token (the first runs the exec plugin).
  const kube = parse(await fs.readFile(process.env.KUBECONFIG!, 'utf8'));
  const server: string = kube.clusters[0].cluster.server;
  const ca = Buffer.from(kube.clusters[0].cluster['certificate-authority-data'], 'base64').toString('utf8');
  const token: string = kube.users.find((u: { user: { token?: string } }) => u.user.token).user.token;
  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.get(`${server.replace(/\/$/, '')}/api/v1/namespaces/${namespace}/pods`, { ca, headers: { authorization: `Bearer ${token}` } }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      r.on('error', reject);
    });
    req.on('error', reject);
  });
  assert.equal(res.status, 200, `list pods: ${res.status}`);
  const list = JSON.parse(res.body) as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
  return list.items.filter((p) => p.metadata.name.startsWith(`${service}-`) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.metadata.name);
}

describe('Troubleshooting a failed deployment in the editor', function () {
  this.timeout(240_000);
  const ctx = useScriptedFlows('loans in stag in the tree', async (a) => (await rowAt(a, 'stag', 'loans')).description.startsWith('3.0.0'));
  let api: TestApi;
  let flows: Flows;
  let prompter: ScriptedPrompter;
  before(() => ({ api, flows, prompter } = ctx));

  /** Deploy here (the tree node's command) of dev's tag of loans to stag, approved. */
  async function deployLoans(reason: string): Promise<PipelineOutcome> {
    const row = await rowAt(api, 'stag', 'loans');
    prompter.script(
      pickOrType((q) => {
        const def = q.items.find((i) => i.picked)!;
        assert.equal(def.tag, '3.1.0');
        return def;
      }),
      input(() => reason),
      confirm((q) => {
        assert.equal(q.message, 'Deploy loans to stag: 3.0.0 → 3.1.0?');
        return 'Deploy';
      }),
    );
    const outcome = await vscode.commands.executeCommand<PipelineOutcome | undefined>('gitopsDeploy.deploy', row.node);
    assert.equal(prompter.pending, 0, 'every prompt was asked');
    assert.ok(outcome, 'the command returns the outcome');
    return outcome;
  }

  it('Show Logs on a rolled-back service (its context menu): the crash log captured at the failure, then the live pods', async () => {
    const outcome = await deployLoans('try the new loan schedule');
    assert.equal(outcome.kind, 'rolled-back', outcome.message);
    const failed = outcome.checks.find((c) => c.status === 'failed' && c.name !== 'rollback');
    assert.ok(failed, JSON.stringify(outcome.checks));
    assert.match(failed.detail ?? '', /CrashLoopBackOff|crash/i);
    assert.match(flows.transcript(), /Evidence: .*log of loans-deployment-[\w-]+ \(previous\): ".*Application run failed"/, 'the transcript keeps the evidence summaries');
    // The full evidence is in the "GitOps Deploy (log)" channel.
    const logFile = flows.logFile!().fsPath;
    const evidence = await waitFor(api, 'the evidence in the log channel', async () => {
      const log = await fs.readFile(logFile, 'utf8').catch(() => '');
      const at = log.lastIndexOf('] evidence of loans in stag:');
      return at >= 0 && /Application run failed/.test(log.slice(at)) ? log.slice(at) : undefined;
    });
    assert.match(evidence, new RegExp(`\\n── ${failed.name}: Log of loans-deployment-[\\w-]+ \\(previous container\\)\\n(?: {3}.*\\n)*? {3}.*ERROR .*: Application run failed\\n`));
    assert.match(evidence, new RegExp(`\\n── ${failed.name}: Argo CD application loans-stag \\(https://argocd\\.example\\.test/applications/argocd/loans-stag\\)\\n {3}Sync: `));
    assert.match(evidence, /\n {3}Warning +BackOff +Pod\/loans-deployment-/);
    const n = prompter.notified.at(-1)!;
    assert.equal(n.severity, 'warning');
    assert.match(n.message, /^loans 3\.1\.0 failed in stag and was rolled back automatically to 3\.0\.0\. Cause: /);
    assert.doesNotMatch(n.message, /Evidence:/);
    assert.deepEqual(n.actions, ['Show logs', 'Show events', 'Open in Argo CD', 'More…']);

    // The tree node: marked until the next successful deployment, the cause in its tooltip, the menu.
    const row = await waitFor(api, 'loans in stag marked rolled back', async () => {
      const r = await rowAt(api, 'stag', 'loans');
      return r.description === '3.0.0 · ↩ rolled back' ? r : undefined;
    });
    const contextValue = String(row.item.contextValue);
    for (const cmd of ['gitopsDeploy.showLogs', 'gitopsDeploy.showEvents', 'gitopsDeploy.openInArgoCd', 'gitopsDeploy.retrySync']) {
      assert.ok(menuRegexes(cmd).every((re) => re.test(contextValue)), `${cmd}'s menu entry matches "${contextValue}"`);
    }
    assert.ok(!menuRegexes('gitopsDeploy.fixFailedRollback').some((re) => re.test(contextValue)), 'no fix: the rollback worked');
    const tip = tooltipText(row);
    const cause = `${failed.name}: ${(failed.detail ?? '').replace(/\. Evidence: .*$/, '')}`;
    assert.ok(tip.includes(`Cause: ${cause}`), `the tooltip names the cause "${cause}":\n${tip}`);
    assert.match(tip, /3\.1\.0 failed and was rolled back/);
    assert.match(tip, /by E2E Deployer/);
    assert.match(tip, /Right-click for logs, events, Argo CD, retry sync/);

    // Show Logs with the node as its argument, as the context menu runs it.
    const doc = await vscode.commands.executeCommand<vscode.TextDocument | undefined>('gitopsDeploy.showLogs', row.node);
    assert.ok(doc, 'the command returns the document');
    assert.equal(doc.uri.scheme, 'gitops-deploy-report');
    assert.equal(doc.languageId, 'log');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), doc.uri.toString(), 'the logs are in the active editor');
    const text = doc.getText();
    assert.match(text, /^Logs of loans in stag \(namespace stag\)\n/);
    const captured = /── Log of (loans-deployment-[\w-]+) \(previous container\) — captured when 3\.1\.0 failed \([\w-]+, [^)]+\)\n([\s\S]*?)\n\n(?=── )/.exec(text);
    assert.ok(captured, `the captured crash log comes first:\n${text.slice(0, 3000)}`);
    assert.ok(text.indexOf(captured[0]) < text.indexOf('— live'), 'captured before live');
    assert.match(captured[2], /Application run failed/);
    const live = await readyPods('stag', 'loans');
    assert.ok(live.length > 0, 'loans has ready pods in stag');
    for (const pod of live) assert.match(text, new RegExp(`── Log of ${pod} — live \\(Running, ready, 0 restarts, \\S*loans:3\\.0\\.0\\)`));
    assert.doesNotMatch(text.slice(text.indexOf('— live')), /Application run failed/, 'the live pods (3.0.0) are fine');

    if (hasUiDriver) {
      await vscode.commands.executeCommand('workbench.action.closePanel');
      await vscode.commands.executeCommand('workbench.view.extension.gitopsDeploy');
      await waitFor(api, 'the stag services in the workbench', async () => (await uiExpand(['stag']))?.some((r) => r.label === 'loans' && r.description.includes('rolled back')));
      await vscode.window.showTextDocument(doc, { preview: false });
      await vscode.commands.executeCommand('editor.action.toggleWordWrap'); // this editor only: the long log lines readable
      await screenshot('troubleshoot', { docs: true, sidebarWidth: 400 });
    }
  });

  it('Show Events: the conditions and events captured at the failure (BackOff), then live', async () => {
    const row = await rowAt(api, 'stag', 'loans');
    const doc = await vscode.commands.executeCommand<vscode.TextDocument | undefined>('gitopsDeploy.showEvents', row.node);
    assert.ok(doc);
    const text = doc.getText();
    assert.match(text, /^Events of loans in stag \(namespace stag\)\n/);
    assert.match(text, /── Events of loans-deployment and its pods — captured when 3\.1\.0 failed [^\n]*\n(?:.*\n)*?Warning +BackOff +Pod\/loans-deployment-[\w-]+ +Back-off restarting failed container/);
    assert.match(text, /── Deployment loans-deployment — live\n/);
  });

  it('Retry Sync: a hard refresh and origin\'s head Synced and Healthy, in the transcript', async () => {
    const row = await rowAt(api, 'stag', 'loans');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspaceRoot(), encoding: 'utf8' }).trim();
    const result = await vscode.commands.executeCommand<RetrySyncResult | undefined>('gitopsDeploy.retrySync', row.node);
    assert.ok(result);
    assert.equal(result.ok, true, result.message);
    assert.equal(result.revision, head);
    const transcript = flows.transcript();
    assert.match(transcript, /━━━ Retry sync of loans in stag ━━━/);
    assert.match(transcript, new RegExp(`origin is at ${head.slice(0, 7)}; asking Argo CD for a hard refresh of loans-stag`));
    assert.match(transcript, new RegExp(`✓ loans-stag is Synced and Healthy at ${head.slice(0, 7)}`));
    assert.deepEqual(prompter.notified.at(-1), { severity: 'info', message: `Retried the sync of loans in stag: loans-stag is Synced and Healthy at ${head.slice(0, 7)}.`, actions: ['Show output'] });
  });

  it('Fix Failed Rollback: origin rejects the automatic rollback; the node offers the fix, which restores 3.0.0 with the prefilled reason', async () => {
    // A pre-receive hook on origin rejects pushes of "Rollback …" commits while the marker exists.
    const origin = execFileSync('git', ['remote', 'get-url', 'origin'], { cwd: workspaceRoot(), encoding: 'utf8' }).trim();
    const gitDir = execFileSync('git', ['rev-parse', '--absolute-git-dir'], { cwd: origin, encoding: 'utf8' }).trim();
    const marker = path.join(gitDir, 'reject-rollbacks');
    const hook = path.join(gitDir, 'hooks', 'pre-receive');
    await fs.writeFile(marker, '');
    await fs.writeFile(hook, ['#!/bin/sh', `[ -e '${marker}' ] || exit 0`, 'zero=0000000000000000000000000000000000000000', 'while read old new ref; do', '  [ "$new" = "$zero" ] && continue', '  if [ "$old" = "$zero" ]; then range="$new"; else range="$old..$new"; fi', '  if git log --format=%s "$range" | grep -q "^Rollback "; then', '    echo "rollbacks are rejected here (test hook)" >&2', '    exit 1', '  fi', 'done', 'exit 0', ''].join('\n'), { mode: 0o755 });
    let outcome: PipelineOutcome;
    try {
      outcome = await deployLoans('try the loan schedule again');
    } finally {
      await fs.rm(marker, { force: true });
    }
    assert.equal(outcome.kind, 'failed-needs-human', outcome.message);
    assert.ok(outcome.manualFix);
    const n = prompter.notified.at(-1)!;
    assert.equal(n.severity, 'error');
    assert.deepEqual(n.actions, ['Fix: restore 3.0.0', 'Show logs', 'Show events', 'More…']);

    const row = await waitFor(api, 'loans in stag marked rollback failed', async () => {
      const r = await rowAt(api, 'stag', 'loans');
      return r.description === '3.1.0 · ✗ rollback failed' ? r : undefined;
    });
    const contextValue = String(row.item.contextValue);
    assert.match(contextValue, /\brollbackFailed\b/);
    assert.ok(menuRegexes('gitopsDeploy.fixFailedRollback').every((re) => re.test(contextValue)));
    assert.match(tooltipText(row), /Right-click → Fix Failed Rollback restores 3\.0\.0\./);

    let prefilled: string | undefined;
    let plan: string | undefined;
    prompter.script(
      input((q) => {
        assert.equal(q.title, 'Fix loans in stag: restore 3.0.0 (replacing 3.1.0): reason');
        prefilled = q.value;
        return q.value;
      }),
      confirm((q) => {
        plan = q.message;
        assert.match(q.detail, /^Reason: Manual fix: restore loans 3\.0\.0 in stag/m);
        return 'Roll back';
      }),
    );
    const fixed = await vscode.commands.executeCommand<PipelineOutcome | undefined>('gitopsDeploy.fixFailedRollback', row.node);
    assert.equal(prompter.pending, 0);
    assert.match(prefilled ?? '', /^Manual fix: restore loans 3\.0\.0 in stag after 3\.1\.0 failed \(.+\) and the automatic rollback failed at rollback-push$/);
    assert.equal(plan, 'Roll back loans in stag: 3.1.0 → 3.0.0?');
    assert.ok(fixed);
    assert.equal(fixed.kind, 'deployed', fixed.message);
    assert.equal(fixed.mode, 'rollback');
    const record = await frontMatter(fixed.record!.absolutePath);
    assert.equal(record.status, 'rollback');
    assert.equal(record.tag, '3.0.0');
    assert.equal(record.reason, prefilled);
    await waitFor(api, 'loans in stag no longer marked', async () => (await rowAt(api, 'stag', 'loans')).description === '3.0.0 · dev has 3.1.0');
  });
});

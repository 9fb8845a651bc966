// The deployment flows in a real VS Code against the sandbox (scripts/e2e.mjs opens the sandbox's
// GitOps repository and runs this file with GITOPS_E2E_SUITE=sandbox): the real commands, the real
// pipeline and clients; the prompts are answered by a scripted Prompter (and, for the plan, by
// clicking the real modal dialog when the UI driver is there).
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import type { PipelineOutcome } from '../../src/pipeline/outcome';
import { confirm, input, pick, pickOrType, ScriptedPrompter, useScriptedFlows, type Asked, type Flows } from './flowsPrompter';
import { EXTENSION_ID, hasUiDriver, rowAt, screenshot, waitFor, workspaceRoot, type TestApi } from './helpers';

function valuesFile(env: string): string {
  return path.join(workspaceRoot(), 'helm', 'environments', `${env}-env`, 'image-tags.yaml');
}

async function tagIn(env: string, service: string): Promise<string | undefined> {
  const text = await fs.readFile(valuesFile(env), 'utf8');
  const re = new RegExp(`^${service}:\\n(?:\\s+.*\\n)*?\\s+tag: "([^"]+)"`, 'm');
  return re.exec(text)?.[1];
}

async function frontMatter(file: string): Promise<Record<string, any>> {
  const text = await fs.readFile(file, 'utf8');
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  assert.ok(m, `${file} has front matter`);
  return parse(m[1]);
}

describe('Deployment flows against the sandbox', function () {
  this.timeout(240_000);
  const ctx = useScriptedFlows('the sandbox repository in the tree', async (a) => (await rowAt(a, 'prod', 'accounts')).description.includes('1.4.0'));
  let api: TestApi;
  let flows: Flows;
  let prompter: ScriptedPrompter;
  before(() => ({ api, flows, prompter } = ctx));

  it('Promote to Production: picks the service, asks the reason, shows the plan, deploys, verifies and records', async () => {
    let plan: Extract<Asked, { kind: 'confirm' }> | undefined;
    let reasonCheck: string | undefined;
    prompter.script(
      pick((q) => {
        assert.equal(q.title, 'Promote to prod: which service?');
        const accounts = q.items.find((i) => (i as { service?: string }).service === 'accounts')!;
        assert.equal(accounts.description, '1.4.0 → 1.5.0');
        return accounts;
      }),
      input((q) => {
        assert.match(q.title, /^Promote accounts 1\.5\.0 from stag to prod: reason$/);
        reasonCheck = q.validate?.('');
        return 'CHG-2001 statement export to prod';
      }),
      confirm(async (q) => {
        plan = q;
        // Extension tests may not open modal dialogs; the same plan is open as a read-only document.
        if (hasUiDriver) {
          await waitFor(api, 'the plan document', async () => vscode.window.visibleTextEditors.some((e) => e.document.uri.scheme === 'gitops-deploy-plan'));
          await screenshot('plan', { docs: true, sidebarWidth: 360 });
        }
        return 'Deploy';
      }),
    );

    // The output channel while the deployment runs (once Argo CD has the commit).
    let shot: Promise<unknown> | undefined;
    const sub = flows.onDidAppendTranscript((lines) => {
      if (!shot && hasUiDriver && lines.some((l) => /▸ Wait for the rollout/.test(l))) shot = screenshot('output', { docs: true });
    });
    let outcome: PipelineOutcome | undefined;
    try {
      outcome = await vscode.commands.executeCommand<PipelineOutcome | undefined>('gitopsDeploy.promoteToProduction');
    } finally {
      sub.dispose();
    }
    await shot;

    assert.equal(prompter.pending, 0, 'every prompt was asked');
    assert.equal(reasonCheck, 'prod requires a reason (e.g. a change ticket).');
    assert.ok(plan, 'the plan was shown');
    assert.deepEqual(plan.buttons, ['Deploy']);
    assert.equal(plan.message, 'Deploy accounts to prod: 1.4.0 → 1.5.0?');
    for (const re of [/^Service: accounts$/m, /^Tag: 1\.4\.0 → 1\.5\.0$/m, /^ {2}- {4}tag: "1\.4\.0"$/m, /^ {2}\+ {4}tag: "1\.5\.0"$/m, /✓ signature: verified Sigstore bundle \(OCI referrer\), (key cosign\.pub|keyless: https:\/\/github\.com\/acme\/accounts\/)/, /✓ previous-environment: stag runs 1\.5\.0 now/, /^Deployment window: no deployment window restrictions$/m, /^Reason: CHG-2001/m]) {
      assert.match(plan.detail, re);
    }

    const planDoc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'gitops-deploy-plan' && d.uri.path.includes('accounts prod'));
    assert.ok(planDoc, 'the plan is open as a read-only document');
    // Once the run has ended the document is titled with the outcome, no longer a question.
    await waitFor(api, 'the plan document retitled', async () => planDoc.getText().startsWith('# ✓ Deployed accounts to prod: 1.4.0 → 1.5.0 (verified)\n'));
    assert.match(planDoc.getText(), /```diff\n- {4}tag: "1\.4\.0"\n\+ {4}tag: "1\.5\.0"\n```/);

    assert.ok(outcome, 'the command returns the outcome');
    assert.equal(outcome.kind, 'deployed', outcome.message);
    assert.equal(await tagIn('prod', 'accounts'), '1.5.0');
    const record = await frontMatter(outcome.record!.absolutePath);
    assert.equal(record.service, 'accounts');
    assert.equal(record.environment, 'prod');
    assert.equal(record.tag, '1.5.0');
    assert.equal(record.previousTag, '1.4.0');
    assert.equal(record.status, 'succeeded');
    assert.equal(record.actor, 'E2E Deployer');
    assert.equal(record.reason, 'CHG-2001 statement export to prod');
    assert.ok(record.checks.some((c: { name: string; status: string }) => c.name === 'health' && c.status === 'passed'), JSON.stringify(record.checks));

    const transcript = flows.transcript();
    for (const re of [/━━━ Deploy accounts 1\.5\.0 to prod ━━━/, /by E2E Deployer/, /✓ Pre-validate \(/, /✓ Push \(/, /✓ Wait for Argo CD \(/, /✓ Verify \(/, /✓ DONE/, /record {10}docs\/deployments\/prod\/\d{8}T\d{6}Z-accounts-[a-z]{6}\.md \(succeeded, pushed\)/]) {
      assert.match(transcript, re);
    }
    assert.ok(transcript.includes(outcome.record!.absolutePath), 'the record is linked by its path');

    const n = prompter.notified.at(-1)!;
    assert.deepEqual(n, { severity: 'info', message: 'Deployed accounts 1.5.0 to prod (1.4.0 → 1.5.0) and verified.', actions: ['Open record', 'Show output'] });
    const row = await rowAt(api, 'prod', 'accounts');
    assert.match(row.description, /^1\.5\.0\b/);
    assert.doesNotMatch(row.description, /stag has/);
  });

  it('Rollback from the tree\'s context menu on a service node: the tag, the reason, the confirmation', async () => {
    const row = await rowAt(api, 'prod', 'accounts');
    // The menu shows Rollback on this node (word-bounded match on its contextValue).
    const menus = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus['view/item/context'] as { command: string; when: string }[];
    const entry = menus.find((m) => m.command === 'gitopsDeploy.rollback')!;
    const re = /viewItem =~ \/(.*)\/$/.exec(entry.when)![1];
    assert.match(String(row.item.contextValue), new RegExp(re.replace(/\\\\/g, '\\')));
    assert.match(String(row.item.contextValue), /\brollbackable\b/);

    let planShown: Extract<Asked, { kind: 'confirm' }> | undefined;
    prompter.script(
      pick((q) => {
        assert.equal(q.title, 'Roll back accounts in prod (now 1.5.0) to…');
        assert.equal(q.items[0].label, '1.4.0');
        assert.match(q.items[0].description!, /^succeeded by .+ — default$/);
        return q.items.find((i) => i.picked);
      }),
      input((q) => {
        assert.equal(q.validate?.('  '), 'A rollback needs a reason.');
        return 'INC-77 statement totals wrong';
      }),
      confirm((q) => {
        planShown = q;
        return 'Roll back';
      }),
    );
    const outcome = await vscode.commands.executeCommand<PipelineOutcome | undefined>('gitopsDeploy.rollback', row.node);
    assert.equal(prompter.pending, 0);
    assert.equal(planShown?.message, 'Roll back accounts in prod: 1.5.0 → 1.4.0?');
    // A rollback's plan says what a failed verification does for a rollback, not for a deployment.
    assert.match(planShown!.detail, /verifies accounts 1\.4\.0; if 1\.4\.0 fails verification, 1\.5\.0 \(what runs now\) is put back automatically\.$/);
    assert.doesNotMatch(planShown!.detail, /a failed verification rolls back/);
    assert.ok(outcome);
    assert.equal(outcome.kind, 'deployed', outcome.message);
    assert.equal(outcome.mode, 'rollback');
    assert.equal(await tagIn('prod', 'accounts'), '1.4.0');
    const record = await frontMatter(outcome.record!.absolutePath);
    assert.equal(record.status, 'rollback');
    assert.equal(record.tag, '1.4.0');
    assert.equal(record.previousTag, '1.5.0');
    assert.equal(record.reason, 'INC-77 statement totals wrong');
    assert.match(flows.transcript(), /━━━ Roll back accounts in prod to 1\.4\.0 ━━━/);
    assert.equal(prompter.notified.at(-1)?.message, 'Rolled back accounts in prod to 1.4.0 and verified.');
    assert.match((await rowAt(api, 'prod', 'accounts')).description, /^1\.4\.0 · stag has 1\.5\.0$/);
  });

  it('Deploy here: a tag whose health is DOWN fails verification and is rolled back automatically', async () => {
    const row = await rowAt(api, 'stag', 'cards');
    prompter.script(
      pickOrType((q) => {
        assert.equal(q.title, 'Deploy cards to stag (now 2.1.0): which tag?');
        const def = q.items.find((i) => i.picked)!;
        assert.equal(def.tag, '2.2.0');
        assert.match(def.description!, /dev runs it — default/);
        assert.ok(q.loaded?.some((i) => i.tag === '2.0.0'), `registry tags: ${JSON.stringify(q.loaded?.map((i) => i.tag))}`);
        return def;
      }),
      input(() => 'try the new card limits'),
      confirm((q) => {
        assert.match(q.detail, /✓ image-exists/);
        return 'Deploy';
      }),
    );
    const outcome = await vscode.commands.executeCommand<PipelineOutcome | undefined>('gitopsDeploy.deploy', row.node);
    assert.ok(outcome);
    assert.equal(outcome.kind, 'rolled-back', outcome.message);
    assert.equal(await tagIn('stag', 'cards'), '2.1.0');
    const n = prompter.notified.at(-1)!;
    assert.equal(n.severity, 'warning');
    assert.match(n.message, /^cards 2\.2\.0 failed in stag and was rolled back automatically to 2\.1\.0\. Cause: health: \/actuator\/health answered DOWN/);
    // What to look at next (the troubleshooting commands); the record and the output are behind More….
    assert.deepEqual(n.actions, ['Show logs', 'Show events', 'Open in Argo CD', 'More…']);
    const record = await frontMatter(outcome.record!.absolutePath);
    assert.equal(record.status, 'rolled-back');
    assert.equal(record.tag, '2.2.0');
    assert.equal(record.previousTag, '2.1.0');
    assert.ok(record.rollbackCommit, 'the record names the rollback commit');
    assert.ok(record.checks.some((c: { name: string; status: string }) => c.name === 'health' && c.status === 'failed'));
    const transcript = flows.transcript();
    assert.match(transcript, /✗ Verify \(/);
    assert.match(transcript, /✓ Rollback: push \(/);
    assert.match(transcript, /↩ ROLLED BACK/);
    const cards = await rowAt(api, 'stag', 'cards');
    assert.match(cards.description, /^2\.1\.0/);
  });
});

// The transcript (output channel) and the plan shown for approval, from pipeline events and plans.
import { strict as assert } from 'node:assert';
import type { DeploymentPlan, PipelineEvent, PipelineOutcome } from '../../src/pipeline/deploy';
import type { CheckResult } from '../../src/pipeline/model/records';
import { ACTION, causeOf, commitWebUrl, formatEvent, formatHeader, formatOutcome, outcomeNotification, planAfterRun, planText, troubleshootActions } from '../../src/providers/transcript';

/** Buttons and "More…" entries by label (what a person sees). */
function labels(a: ReturnType<typeof troubleshootActions>) {
  return a && { buttons: a.buttons.map((b) => b.label), more: a.more.map((b) => b.label) };
}

const links = { root: '/repo', commitUrl: (sha: string) => commitWebUrl({ apiUrl: 'https://api.github.com', owner: 'acme', repo: 'gitops' }, sha) };
const at = (s: number) => new Date(Date.UTC(2026, 10, 26, 22, 0, s)).toISOString();

function outcome(over: Partial<PipelineOutcome> = {}): PipelineOutcome {
  return {
    kind: 'deployed', exitCode: 0, message: 'deployed accounts 1.4.0 → 1.5.0 in prod (commit 1a2b3c4) and verified', mode: 'deploy', service: 'accounts', environment: 'prod', tag: '1.5.0', previousTag: '1.4.0',
    commit: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b', checks: [], steps: [], startedAt: at(0), finishedAt: at(9),
    record: { path: 'docs/deployments/prod/20261126T220000Z-accounts.md', absolutePath: '/repo/docs/deployments/prod/20261126T220000Z-accounts.md', status: 'succeeded', pushed: true },
    ...over,
  };
}

function plan(over: Partial<DeploymentPlan> = {}): DeploymentPlan {
  return {
    wouldProceed: true, service: 'accounts', environment: 'prod', tag: '1.5.0', previousTag: '1.4.0', digest: 'sha256:abc', valuesFile: 'helm/environments/prod-env/image-tags.yaml',
    diff: '--- a/helm/environments/prod-env/image-tags.yaml\n+++ b/helm/environments/prod-env/image-tags.yaml\n@@ -7 +7 @@\n-    tag: "1.4.0"\n+    tag: "1.5.0"\n',
    commitMessage: 'Deploy accounts to prod: 1.4.0 → 1.5.0\n\nCHG-1\n', application: 'accounts-prod',
    checks: [
      { name: 'image-exists', status: 'passed', detail: 'accounts:1.5.0 is sha256:abc' },
      { name: 'signature', status: 'passed', detail: 'verified with cosign.pub (ECDSA P-256)' },
      { name: 'window', status: 'passed', detail: 'open until Mon 09:00 EST' },
      { name: 'reason', status: 'passed', detail: 'CHG-1' },
    ],
    ...over,
  };
}

describe('transcript', () => {
  it('formats a run from its events with the CLI lines: steps with ✓/✗ and durations, logs indented, multi-line messages kept', () => {
    const events: PipelineEvent[] = [
      { type: 'step-started', step: 'validate', title: 'Pre-validate', at: at(1) },
      { type: 'log', step: 'validate', level: 'info', message: '✓ signature: verified with cosign.pub', at: at(1) },
      { type: 'log', step: 'validate', level: 'warn', message: 'slow registry', at: at(2) },
      { type: 'step-finished', step: 'validate', title: 'Pre-validate', status: 'succeeded', message: '7 checks passed', startedAt: at(1), finishedAt: at(2), durationMs: 1234 },
      { type: 'step-started', step: 'verify', title: 'Verify', at: at(3) },
      { type: 'step-finished', step: 'verify', title: 'Verify', status: 'failed', message: 'verification failed:\n- health: DOWN', startedAt: at(3), finishedAt: at(4), durationMs: 850 },
      { type: 'notification', kind: 'rolled-back', message: 'x', at: at(5) },
    ];
    assert.deepEqual(events.flatMap((e) => formatEvent(e, links)), [
      '22:00:01 ▸ Pre-validate',
      '22:00:01     ✓ signature: verified with cosign.pub',
      '22:00:02     ! slow registry',
      '22:00:02 ✓ Pre-validate (1.2 s) — 7 checks passed',
      '22:00:03 ▸ Verify',
      '22:00:04 ✗ Verify (850 ms) — verification failed:',
      '             - health: DOWN',
    ]);
  });

  it('starts with what, by whom and why', () => {
    assert.deepEqual(formatHeader({ mode: 'deploy', service: 'accounts', environment: 'prod', tag: '1.5.0', reason: 'CHG-1', actor: 'alice', overrideWindow: true, at: new Date(at(0)) }), [
      '',
      '━━━ Deploy accounts 1.5.0 to prod ━━━',
      'started 2026-11-26T22:00:00Z (times below are UTC), by alice',
      'reason: CHG-1',
      'deployment window: OVERRIDDEN (emergency)',
    ]);
    assert.equal(formatHeader({ mode: 'rollback', service: 'accounts', environment: 'stag', tag: '1.4.0', at: new Date(at(0)) })[1], '━━━ Roll back accounts in stag to 1.4.0 ━━━');
  });

  it('ends with the verdict, links to the commit and the record, and the duration', () => {
    const lines = formatEvent({ type: 'pipeline-finished', outcome: outcome(), at: at(9) }, links);
    assert.deepEqual(lines, [
      '22:00:09 ✓ DONE',
      '  deployed accounts 1.4.0 → 1.5.0 in prod (commit 1a2b3c4) and verified',
      '  commit          1a2b3c4  https://github.com/acme/gitops/commit/1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
      '  record          docs/deployments/prod/20261126T220000Z-accounts.md (succeeded, pushed)',
      '                  /repo/docs/deployments/prod/20261126T220000Z-accounts.md',
      '  took 9.0 s',
    ]);
    const rolled = formatOutcome(outcome({ kind: 'rolled-back', rollbackCommit: 'ffeeddccbbaa', message: 'accounts 1.6.0 failed in stag (verify: health DOWN); rolled back to 1.5.0' }), { root: '/repo' });
    assert.equal(rolled[0], '22:00:09 ↩ ROLLED BACK');
    assert.ok(rolled.includes('  rollback commit ffeeddc'));
    assert.ok(rolled.includes('  commit          1a2b3c4'), 'no web link without a GitHub repository');
  });

  it('links commits only for GitHub and GitHub Enterprise', () => {
    assert.equal(commitWebUrl({ apiUrl: 'https://ghe.corp/api/v3', owner: 'o', repo: 'r' }, 'abc'), 'https://ghe.corp/o/r/commit/abc');
    assert.equal(commitWebUrl({ apiUrl: 'http://127.0.0.1:4000', owner: 'o', repo: 'r' }, 'abc'), undefined);
    assert.equal(commitWebUrl({ apiUrl: 'https://api.github.com' }, 'abc'), undefined);
  });
});

describe('plan text', () => {
  it('shows service, old → new tag, the diff, every check and the window before asking', () => {
    const p = planText(plan(), { reason: 'CHG-1', actor: 'alice' });
    assert.equal(p.title, 'Deploy accounts to prod: 1.4.0 → 1.5.0?');
    assert.deepEqual(p.refusals, []);
    assert.equal(p.onlyWindow, false);
    assert.equal(
      p.detail,
      [
        'Service: accounts',
        'Environment: prod (Argo CD application accounts-prod)',
        'Tag: 1.4.0 → 1.5.0',
        'Image: sha256:abc',
        'Reason: CHG-1',
        'Actor: alice',
        'Deployment window: open until Mon 09:00 EST',
        '',
        'Change to helm/environments/prod-env/image-tags.yaml:',
        '  -    tag: "1.4.0"',
        '  +    tag: "1.5.0"',
        '',
        'Checks:',
        '  ✓ image-exists: accounts:1.5.0 is sha256:abc',
        '  ✓ signature: verified with cosign.pub (ECDSA P-256)',
        '  ✓ window: open until Mon 09:00 EST',
        '  ✓ reason: CHG-1',
        '',
        'Approving commits "Deploy accounts to prod: 1.4.0 → 1.5.0", pushes it, waits for Argo CD and verifies accounts 1.5.0; a failed verification rolls back to 1.4.0 automatically.',
      ].join('\n'),
    );
  });

  it('in pull-request mode (plan.pullRequest) says the change goes to its branch and a pull request, and what it waits for', () => {
    const last = (pullRequest?: DeploymentPlan['pullRequest']) => planText({ ...plan(), ...(pullRequest ? { pullRequest } : {}) }).detail.split('\n').at(-1);
    const pr = { branch: 'gitops-deploy/prod/accounts/1.5.0', base: 'main', merge: 'manual' as const, labels: ['gitops-deploy', 'env:prod'], mergeTimeoutMinutes: 60 };
    assert.equal(
      last(pr),
      'Approving commits "Deploy accounts to prod: 1.4.0 → 1.5.0" to the branch gitops-deploy/prod/accounts/1.5.0, opens a pull request into main and waits until a reviewer merges it; then it waits for Argo CD at the merge commit and verifies accounts 1.5.0; a failed verification rolls back to 1.4.0 automatically (by a pull request of its own).',
    );
    assert.match(last({ ...pr, merge: 'auto' })!, /waits until it is merged \(by the run, or by GitHub's auto-merge, once the branch rules allow\)/);
    assert.match(last()!, /^Approving commits "Deploy accounts to prod: 1\.4\.0 → 1\.5\.0", pushes it, waits for Argo CD/);
  });

  it('renders the same plan as a Markdown document with the diff fenced', () => {
    const md = planText(plan(), { reason: 'CHG-1' }).markdown;
    assert.match(md, /^# Deploy accounts to prod: 1\.4\.0 → 1\.5\.0\?\n\nService: accounts {2}\n/);
    assert.match(md, /Change to helm\/environments\/prod-env\/image-tags\.yaml:\n```diff\n- {4}tag: "1\.4\.0"\n\+ {4}tag: "1\.5\.0"\n```\n\nChecks:\n {4}✓ image-exists/);
  });

  it('a refusal shows each failed check once, with its fix in the editor\'s words; only a sole window refusal may be overridden', () => {
    const sentence = 'prod deployments are blocked now (blocked hours Mon–Fri 09:00–17:00); the window opens 17:00 EST (in 7 h; it is Wed 10:00 EST now).';
    const window: CheckResult = { name: 'window', status: 'failed', detail: sentence, fix: { kind: 'wait-for-window', environment: 'prod', opensAt: '2026-11-18T22:00:00.000Z', opensAtLocal: '17:00 EST', opensIn: '7 h' } };
    const onlyWindow = planText(plan({ wouldProceed: false, checks: [...plan().checks.filter((c) => c.name !== 'window'), window] }));
    assert.equal(onlyWindow.title, 'Deploy accounts to prod: 1.4.0 → 1.5.0 is refused');
    assert.equal(onlyWindow.onlyWindow, true);
    assert.equal(onlyWindow.override, false);
    for (const text of [onlyWindow.detail, onlyWindow.markdown]) {
      assert.equal(text.split(sentence).length - 1, 1, `the window sentence appears once:\n${text}`);
      assert.doesNotMatch(text, /--override|--reason|gitops-deploy /, 'no CLI flags in the editor');
    }
    assert.match(onlyWindow.detail, /^Deployment window: CLOSED \(see the window check below\)$/m);
    assert.match(onlyWindow.detail, /^ {2}✗ window: prod deployments are blocked now .*\n {6}Fix: Deploy when the window opens \(17:00 EST, in 7 h\)\. Only for an emergency: "Override deployment window…" below/m);
    assert.match(onlyWindow.detail, /\nRefused by window: nothing was changed\.$/);
    assert.doesNotMatch(onlyWindow.detail, /Approving/);
    const two = planText(plan({ wouldProceed: false, checks: [window, { name: 'signature', status: 'failed', detail: 'not signed. Sign it in the build workflow' }] }));
    assert.equal(two.onlyWindow, false);
    assert.deepEqual(two.refusals.map((c) => c.name), ['window', 'signature']);
    assert.doesNotMatch(two.detail, /Override deployment window/, 'no override offered when another check refuses too');
  });

  it('a window override is said first and loud, in the dialog and the document', () => {
    const p = planText(plan({ checks: [{ name: 'window', status: 'warning', detail: 'WINDOW OVERRIDE by alice: prod deployments are blocked now' }], windowOverride: { reason: 'SEV1 INC-9 payments down', by: 'alice' } }), { reason: 'CHG-1' });
    assert.equal(p.override, true);
    assert.equal(p.title, 'WINDOW OVERRIDE: Deploy accounts to prod: 1.4.0 → 1.5.0?');
    assert.deepEqual(p.detail.split('\n').slice(0, 2), ["⚠ WINDOW OVERRIDE — prod's deployment window is closed; this runs as an emergency.", 'Emergency: SEV1 INC-9 payments down (by alice)']);
    assert.match(p.detail, /^Deployment window: CLOSED — WINDOW OVERRIDE \(emergency\)$/m);
    assert.match(p.markdown, /^# WINDOW OVERRIDE: Deploy accounts to prod: 1\.4\.0 → 1\.5\.0\?\n\n> \*\*⚠ WINDOW OVERRIDE — /);
  });

  it('a rollback\'s plan says what a failed verification does for a rollback, and for the manual fix', () => {
    const rb = planText(plan({ tag: '1.4.0', previousTag: '1.5.0', commitMessage: 'Rollback accounts in prod: 1.5.0 → 1.4.0\n' }), { mode: 'rollback' });
    assert.equal(rb.title, 'Roll back accounts in prod: 1.5.0 → 1.4.0?');
    assert.match(rb.detail, /verifies accounts 1\.4\.0; if 1\.4\.0 fails verification, 1\.5\.0 \(what runs now\) is put back automatically\.$/);
    assert.doesNotMatch(rb.detail, /a failed verification rolls back/);
    const fix = planText(plan({ tag: '1.4.0', previousTag: '1.5.0' }), { mode: 'rollback', autoRollback: false });
    assert.match(fix.detail, /if that fails, nothing is put back automatically: the run stops and says what to do\.$/);
  });

  it('the plan document is retitled with the outcome when the run ends', () => {
    const md = planText(plan(), { reason: 'CHG-1' }).markdown;
    const done = planAfterRun(md, outcome({ windowOverride: { reason: 'SEV1', by: 'alice' } }), 'unused');
    assert.match(done, /^# ✓ Deployed accounts to prod: 1\.4\.0 → 1\.5\.0 \(verified\) — WINDOW OVERRIDE\n\n\*Ended 2026-11-26T22:00:09Z: deployed accounts/);
    assert.doesNotMatch(done, /\?\n/);
    assert.match(done, /```diff/);
    assert.match(planAfterRun(md, undefined, '○ Not approved: Deploy accounts to prod — nothing was changed'), /^# ○ Not approved: Deploy accounts to prod — nothing was changed\n\nService: accounts/);
    assert.match(planAfterRun(md, outcome({ kind: 'rolled-back' }), ''), /^# ↩ Deployment of accounts to prod: 1\.4\.0 → 1\.5\.0 failed; 1\.4\.0 was put back\n/);
  });
});

describe('outcome notification', () => {
  it('says what happened and offers the record and the output', () => {
    assert.deepEqual(outcomeNotification(outcome()), { severity: 'info', text: 'Deployed accounts 1.5.0 to prod (1.4.0 → 1.5.0) and verified.', actions: [ACTION.record, ACTION.output] });
    const rolled = outcome({ kind: 'rolled-back', tag: '1.6.0', previousTag: '1.5.0', environment: 'stag', checks: [{ name: 'health', status: 'failed', detail: 'DOWN (HTTP 503)' }, { name: 'rollback-health', status: 'passed' }] });
    assert.deepEqual(outcomeNotification(rolled), { severity: 'warning', text: 'accounts 1.6.0 failed in stag and was rolled back automatically to 1.5.0. Cause: health: DOWN (HTTP 503)', actions: [ACTION.record, ACTION.output] });
    assert.equal(causeOf(outcome({ checks: [] , message: 'first\nsecond' })), 'first');
    const refused = outcomeNotification(outcome({ kind: 'refused', record: undefined, message: '1 pre-deployment check failed; nothing was changed:\n  - window: …' }));
    assert.equal(refused.severity, 'warning');
    assert.deepEqual(refused.actions, [ACTION.output]);
    assert.equal(outcomeNotification(outcome({ kind: 'failed-needs-human' })).severity, 'error');
  });
});

describe('troubleshooting actions after a failed run', () => {
  const rolled = () => outcome({ kind: 'rolled-back', exitCode: 3, tag: '1.6.1', previousTag: '1.5.0', environment: 'stag', rollbackCommit: 'f'.repeat(40) });
  const human = (over: Partial<PipelineOutcome> = {}) => outcome({ kind: 'failed-needs-human', exitCode: 4, tag: '1.6.1', previousTag: '1.5.0', environment: 'stag', manualFix: 'ROLLBACK FAILED — a human is needed.', ...over });

  it('after a rollback: logs, events and Argo CD as buttons; retry sync, the record and the output behind More…', () => {
    assert.deepEqual(labels(troubleshootActions(rolled(), { argoCd: true })), { buttons: ['Show logs', 'Show events', 'Open in Argo CD', 'More…'], more: ['Retry sync', 'Open record', 'Show output'] });
    assert.deepEqual(labels(troubleshootActions(rolled(), { argoCd: false })), { buttons: ['Show logs', 'Show events', 'Retry sync', 'More…'], more: ['Open record', 'Show output'] });
  });

  it('after a failed automatic rollback: the fix first, restoring the previous tag', () => {
    assert.deepEqual(troubleshootActions(human(), { argoCd: true })!.buttons.map((b) => b.id), ['fix-rollback', 'logs', 'events', 'more'], 'each button is chosen by its id');
    assert.deepEqual(labels(troubleshootActions(human(), { argoCd: true })), { buttons: ['Fix: restore 1.5.0', 'Show logs', 'Show events', 'More…'], more: ['Retry sync', 'Open in Argo CD', 'Open record', 'Show output'] });
    // A failure without the automatic rollback (the manual fix itself failed): no fix, retry sync is near.
    assert.deepEqual(labels(troubleshootActions(human({ manualFix: undefined }), { argoCd: false })), { buttons: ['Show logs', 'Show events', 'Retry sync', 'More…'], more: ['Open record', 'Show output'] });
    // A credential problem's fix comes right after the manual fix.
    assert.deepEqual(troubleshootActions(human(), { argoCd: false, extra: [{ id: 'kube', label: 'Select Kubernetes context' }] })!.buttons.map((b) => b.label), ['Fix: restore 1.5.0', 'Select Kubernetes context', 'Show logs', 'More…']);
  });

  it('nothing for runs that pushed nothing, succeeded or were refused', () => {
    assert.equal(troubleshootActions(human({ commit: undefined }), { argoCd: true }), undefined);
    assert.equal(troubleshootActions(outcome(), { argoCd: true }), undefined);
    assert.equal(troubleshootActions(outcome({ kind: 'refused', commit: undefined }), { argoCd: true }), undefined);
  });

  it('gives the cause without the evidence (its own field)', () => {
    const o = rolled();
    o.checks = [{ name: 'rollout', status: 'failed', detail: 'pod accounts-1 is in CrashLoopBackOff', evidence: [{ kind: 'log', title: 'Log', summary: 'log of accounts-1 (previous): "Application run failed"', lines: [] }] }];
    assert.equal(causeOf(o), 'rollout: pod accounts-1 is in CrashLoopBackOff');
  });
});

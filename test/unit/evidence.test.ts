import { strict as assert } from 'node:assert';
import {
  appEvidence,
  argoCdAppUrl,
  eventsEvidence,
  evidenceFromBody,
  evidenceSection,
  logEvidence,
  checkText,
  type Evidence,
  type KubeEvent,
} from '../../src/pipeline/evidence';
import { maskSecrets } from '../../src/pipeline/mask';
import type { CheckResult, LoadedRecord } from '../../src/pipeline/model/records';
import type { AppStatus } from '../../src/pipeline/ports';
import { failureCause, lastFailure, manualFixFor, rollbackFailed } from '../../src/pipeline/troubleshoot';

const ev = (summary: string, kind: Evidence['kind'] = 'log'): Evidence => ({ kind, title: 'T', summary, lines: ['x'] });

describe('evidence', () => {
  describe('checkText (the edge: a detail with its evidence summaries)', () => {
    it('appends the summaries to the detail for display; the detail itself never holds them', () => {
      const c = { detail: 'pod accounts-7d9f-abcde is in CrashLoopBackOff (3 restarts)', evidence: [ev('event BackOff (x3) on Pod/accounts-7d9f-abcde: "Back-off restarting"'), ev('log of accounts-7d9f-abcde (previous): "ERROR Application run failed"')] };
      assert.equal(checkText(c), `${c.detail}. Evidence: event BackOff (x3) on Pod/accounts-7d9f-abcde: "Back-off restarting" · log of accounts-7d9f-abcde (previous): "ERROR Application run failed"`);
      assert.equal(c.detail, 'pod accounts-7d9f-abcde is in CrashLoopBackOff (3 restarts)');
    });

    it('leaves a detail without evidence alone (no summaries, or only empty ones)', () => {
      assert.equal(checkText({ detail: 'HTTP 5xx ratio 0.2% ok', evidence: [] }), 'HTTP 5xx ratio 0.2% ok');
      assert.equal(checkText({ detail: 'x failed', evidence: [ev('')] }), 'x failed');
      assert.equal(checkText({}), '');
    });

    it('a detail ending in "." gets one period before the evidence', () => {
      const d = 'Argo CD did not report accounts-stag Synced and Healthy within 1 s. Check: kubectl get application accounts-stag -n argocd.';
      assert.equal(checkText({ detail: d, evidence: [ev('Argo CD accounts-stag: sync OutOfSync')] }), `${d} Evidence: Argo CD accounts-stag: sync OutOfSync`);
    });

    it('evidence shared with another check is referred to, not repeated', () => {
      assert.equal(checkText({ detail: '5 container restarts', evidenceFrom: 'pods' }), '5 container restarts (evidence under "pods")');
    });
  });

  describe('logEvidence', () => {
    it('summarises with the last line that looks like the cause: ERROR/Exception over a mere "failed"', () => {
      const text = ['INFO Starting', 'ERROR o.s.boot.SpringApplication : Application run failed', 'java.lang.IllegalStateException: boom', '\tat x.y(Z.java:1)', 'WARN DataSource health check failed', 'INFO shutting down', ''].join('\n');
      const e = logEvidence('accounts-7d9f-abcde', text, false);
      assert.equal(e.kind, 'log');
      assert.equal(e.title, 'Log of accounts-7d9f-abcde');
      assert.equal(e.summary, 'log of accounts-7d9f-abcde: "java.lang.IllegalStateException: boom"');
      assert.deepEqual(e.lines, text.split('\n').slice(0, -1), 'the trailing empty line is dropped');
    });

    it('falls back to a "failed/refused/denied" line, then to the last line; says when the log is empty', () => {
      assert.equal(logEvidence('p', 'INFO a\nWARN connection refused by db\nINFO b\n', false).summary, 'log of p: "WARN connection refused by db"');
      assert.equal(logEvidence('p', 'INFO a\nINFO last one\n\n', false).summary, 'log of p: "INFO last one"');
      const empty = logEvidence('p', '\n\n', true);
      assert.equal(empty.summary, 'log of p is empty');
      assert.deepEqual(empty.lines, ['(empty)']);
    });

    it('marks the previous container, and keeps only the last lines', () => {
      const text = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
      const e = logEvidence('accounts-1', text, true, 5);
      assert.equal(e.title, 'Log of accounts-1 (previous container)');
      assert.equal(e.summary, 'log of accounts-1 (previous): "line 30"');
      assert.deepEqual(e.lines, ['line 26', 'line 27', 'line 28', 'line 29', 'line 30']);
      assert.equal(logEvidence('p', 'x\r\nERROR crlf\r\n', false).summary, 'log of p: "ERROR crlf"');
    });
  });

  describe('eventsEvidence', () => {
    const events: KubeEvent[] = [
      { type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned stag/accounts-1 to node-1', object: 'Pod/accounts-1', time: '2026-11-20T03:12:00Z' },
      { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container accounts in pod accounts-1', object: 'Pod/accounts-1', count: 5, time: '2026-11-20T03:12:05Z' },
      { type: 'Normal', reason: 'Pulled', message: 'Successfully pulled image', object: 'Pod/accounts-1', count: 1, time: '2026-11-20T03:12:06Z' },
    ];

    it('is kubectl describe\'s Events table; the summary is the last Warning with its count', () => {
      const e = eventsEvidence(events, 'accounts-deployment and its pods');
      assert.equal(e.title, 'Events of accounts-deployment and its pods');
      assert.equal(e.lines[0], 'Type     Reason             Object                                   Message');
      assert.equal(e.lines.length, 4);
      assert.match(e.lines[2], /^Warning +BackOff +Pod\/accounts-1 +Back-off restarting failed container accounts in pod accounts-1 \(x5\) \[2026-11-20T03:12:05Z\]$/);
      assert.doesNotMatch(e.lines[3], /\(x1\)/, 'a count of 1 is not shown');
      assert.equal(e.summary, 'event BackOff (x5) on Pod/accounts-1: "Back-off restarting failed container accounts in pod accounts-1"');
    });

    it('without a Warning the summary is the last event; none at all says so; only the last `limit` are kept', () => {
      assert.equal(eventsEvidence([events[0], events[2]], 'd').summary, 'event Pulled on Pod/accounts-1: "Successfully pulled image"');
      const none = eventsEvidence([], 'accounts-deployment');
      assert.deepEqual(none.lines, ['<none>']);
      assert.equal(none.summary, 'no events for accounts-deployment');
      const limited = eventsEvidence(events, 'd', 1);
      assert.equal(limited.lines.length, 2);
      assert.equal(limited.summary, 'event Pulled on Pod/accounts-1: "Successfully pulled image"', 'the Warning fell out of the last 1');
    });
  });

  describe('appEvidence', () => {
    const app: AppStatus = {
      syncStatus: 'OutOfSync',
      syncRevision: '0123456789abcdef0123456789abcdef01234567',
      healthStatus: 'Degraded',
      healthMessage: 'Deployment "accounts-deployment" exceeded its progress deadline',
      operationPhase: 'Failed',
      operationRevision: '0123456789abcdef0123456789abcdef01234567',
      operationMessage: 'one or more objects failed to apply',
      operationFinishedAt: '2026-11-20T03:12:09Z',
      conditions: [{ type: 'SyncError', message: 'Failed sync attempt to 0123456: admission webhook denied the request' }],
      reconciledAt: '2026-11-20T03:12:10Z',
    } as AppStatus;
    const link = 'https://argocd.example.test/applications/argocd/accounts-stag';

    it('shows sync, health, operation, conditions and the UI link; the summary has the condition and the link', () => {
      const e = appEvidence(app, 'accounts-stag', link);
      assert.equal(e.kind, 'argocd');
      assert.equal(e.title, 'Argo CD application accounts-stag');
      assert.equal(e.link, link);
      assert.deepEqual(e.lines, [
        'Sync:       OutOfSync at 0123456789abcdef0123456789abcdef01234567',
        'Health:     Degraded — Deployment "accounts-deployment" exceeded its progress deadline',
        'Operation:  Failed at 0123456789abcdef0123456789abcdef01234567, finished 2026-11-20T03:12:09Z',
        'Message:    one or more objects failed to apply',
        'Conditions:',
        '  SyncError: Failed sync attempt to 0123456: admission webhook denied the request',
        'Reconciled: 2026-11-20T03:12:10Z',
        `Argo CD UI: ${link}`,
      ]);
      assert.equal(e.summary, `Argo CD accounts-stag: sync OutOfSync at 0123456, health Degraded, operation Failed: "one or more objects failed to apply", condition SyncError: "Failed sync attempt to 0123456: admission webhook denied the request", ${link}`);
    });

    it('without a link or a status it says what it has', () => {
      const e = appEvidence({ ...app, conditions: [] }, 'accounts-stag', undefined);
      assert.equal(e.link, undefined);
      assert.ok(!e.lines.some((l) => l.startsWith('Argo CD UI') || l === 'Conditions:'));
      assert.equal(appEvidence(undefined, 'accounts-stag', link, 'applications.argoproj.io "accounts-stag" is forbidden').summary, 'Argo CD accounts-stag: cannot read it (applications.argoproj.io "accounts-stag" is forbidden)');
      assert.equal(appEvidence(undefined, 'accounts-stag', undefined).summary, 'Argo CD accounts-stag: no status');
    });
  });

  describe('evidenceSection / evidenceFromBody', () => {
    const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2';
    const checks: CheckResult[] = [
      { name: 'image-exists', status: 'passed', detail: 'found' },
      {
        name: 'sync',
        status: 'failed',
        detail: 'x',
        evidence: [
          { kind: 'argocd', title: 'Argo CD application accounts-stag', summary: 's', lines: ['Sync:       OutOfSync', 'Argo CD UI: https://argocd.example.test/applications/argocd/accounts-stag'], link: 'https://argocd.example.test/applications/argocd/accounts-stag' },
          {
            kind: 'log',
            title: 'Log of accounts-1 (previous container)',
            summary: 's',
            lines: ['INFO starting', '~~~~', '~~~~~ banner ~~~~~~~~', '   ~~~~', '### health: not a heading', '## Not a section either', `GITHUB_TOKEN=${token} leaked`, 'ERROR Application run failed'],
          },
        ],
      },
      { name: 'health', status: 'failed', detail: 'DOWN', evidence: [{ kind: 'health', title: 'Health response', summary: 's', lines: ['GET /actuator/health → HTTP 503', '{"status":"DOWN"}'] }] },
    ];

    it('writes each piece fenced under "## Evidence", masked, and reads it back', () => {
      const mask = (t: string) => maskSecrets(t, { GITHUB_TOKEN: token });
      const section = evidenceSection(checks, mask);
      assert.deepEqual(section.slice(0, 3), ['', '## Evidence', '']);
      const body = ['# accounts 1.4.0 → 1.6.1 in stag: rolled-back', '', '## Checks', '', '| a | b |', ...section, '## Later section', '', 'text'].join('\n');
      assert.ok(!body.includes(token), 'the token is masked');
      assert.ok(!/^ {0,3}~{4}(?!text)/m.test(section.filter((l) => l !== '~~~~' && l !== '~~~~text').join('\n')), 'no line inside a fence can close it');
      const back = evidenceFromBody(body);
      assert.deepEqual(back, [
        { check: 'sync', title: 'Argo CD application accounts-stag', lines: ['Sync:       OutOfSync', 'Argo CD UI: https://argocd.example.test/applications/argocd/accounts-stag'], link: 'https://argocd.example.test/applications/argocd/accounts-stag' },
        { check: 'sync', title: 'Log of accounts-1 (previous container)', lines: ['INFO starting', '~~~', '~~~ banner ~~~', '   ~~~', '### health: not a heading', '## Not a section either', 'GITHUB_TOKEN=*** leaked', 'ERROR Application run failed'] },
        { check: 'health', title: 'Health response', lines: ['GET /actuator/health → HTTP 503', '{"status":"DOWN"}'] },
      ]);
    });

    it('nothing to write without evidence; nothing to read without the section', () => {
      assert.deepEqual(evidenceSection([{ name: 'health', evidence: [] }, { name: 'pods' }]), []);
      assert.deepEqual(evidenceFromBody('# x\n\n## Checks\n\n| a |\n'), []);
    });
  });

  describe('argoCdAppUrl', () => {
    it('joins the UI URL without doubled slashes, encodes the names, and is undefined without a URL', () => {
      assert.equal(argoCdAppUrl('https://argocd.example.test', 'argocd', 'accounts-stag'), 'https://argocd.example.test/applications/argocd/accounts-stag');
      assert.equal(argoCdAppUrl('https://argocd.example.test/', 'argocd', 'accounts-stag'), 'https://argocd.example.test/applications/argocd/accounts-stag');
      assert.equal(argoCdAppUrl('https://example.test/argo///', 'argocd', 'accounts-stag'), 'https://example.test/argo/applications/argocd/accounts-stag');
      assert.equal(argoCdAppUrl('https://a.test', 'argo cd', 'x/y'), 'https://a.test/applications/argo%20cd/x%2Fy');
      assert.equal(argoCdAppUrl(undefined, 'argocd', 'accounts-stag'), undefined);
      assert.equal(argoCdAppUrl('', 'argocd', 'accounts-stag'), undefined);
    });
  });
});

describe('troubleshooting a record', () => {
  function rec(o: Partial<LoadedRecord>): LoadedRecord {
    return { service: 'accounts', environment: 'stag', tag: '1.6.1', previousTag: '1.4.0', status: 'succeeded', startedAt: '2026-11-20T03:00:00Z', checks: [], file: '/repo/docs/deployments/stag/x.md', ...o };
  }
  const syncFailed: CheckResult = { name: 'sync', status: 'failed', detail: 'pod accounts-1 is in CrashLoopBackOff (2 restarts)', evidence: [ev('log of accounts-1 (previous): "Application run failed"')] };
  const rollbackCheck = (status: 'passed' | 'failed', detail: string): CheckResult => ({ name: 'rollback', status, detail });
  const failedRollback = rec({
    status: 'failed',
    commit: 'c0ffee0000000000000000000000000000000000',
    checks: [{ name: 'image-exists', status: 'passed' }, syncFailed, { name: 'rollback-sync', status: 'failed', detail: 'rollback sync failed' }, { ...rollbackCheck('failed', 'the automatic rollback to 1.4.0 failed at rollback-push: rejected (nothing of it reached origin)'), failedStep: 'rollback-push' }],
  });

  it('lastFailure: the newest record of the service in the environment, when it failed or was rolled back', () => {
    const older = rec({ status: 'rolled-back', startedAt: '2026-11-19T00:00:00Z' });
    const newest = rec({ status: 'failed', startedAt: '2026-11-21T00:00:00Z' });
    const otherService = rec({ service: 'cards', status: 'failed', startedAt: '2026-11-22T00:00:00Z' });
    const otherEnv = rec({ environment: 'prod', status: 'failed', startedAt: '2026-11-22T00:00:00Z' });
    assert.equal(lastFailure([older, newest, otherService, otherEnv], 'stag', 'accounts'), newest);
    assert.equal(lastFailure([older], 'stag', 'accounts'), older);
    const fixedSince = rec({ status: 'succeeded', startedAt: '2026-11-23T00:00:00Z' });
    assert.equal(lastFailure([older, newest, fixedSince], 'stag', 'accounts'), undefined, 'a later success clears it');
    assert.equal(lastFailure([rec({ status: 'rollback', startedAt: '2026-11-23T00:00:00Z' }), newest], 'stag', 'accounts'), undefined);
    assert.equal(lastFailure([], 'stag', 'accounts'), undefined);
  });

  it('failureCause: the failed checks but not the rollback\'s, in one line without the evidence; else the status', () => {
    assert.equal(failureCause(failedRollback), 'sync: pod accounts-1 is in CrashLoopBackOff (2 restarts)');
    const two = rec({ status: 'rolled-back', checks: [{ name: 'health', status: 'failed', detail: 'DOWN (HTTP 503)', evidence: [ev('HTTP 503, DOWN: db', 'health')] }, { name: 'smoke', status: 'failed' }, rollbackCheck('passed', 'ok')] });
    assert.equal(failureCause(two), 'health: DOWN (HTTP 503); smoke: failed');
    assert.equal(failureCause(rec({ status: 'failed', checks: [rollbackCheck('failed', 'x')] })), 'failed');
  });

  it('rollbackFailed: only a failed record with a failed rollback check', () => {
    assert.equal(rollbackFailed(failedRollback), true);
    assert.equal(rollbackFailed(rec({ status: 'rolled-back', checks: [syncFailed, rollbackCheck('passed', '1.4.0 restored')] })), false);
    assert.equal(rollbackFailed(rec({ status: 'failed', checks: [syncFailed] })), false, 'failed without an automatic rollback (e.g. interrupted)');
    assert.equal(rollbackFailed(rec({ status: 'succeeded', checks: [rollbackCheck('failed', 'x')] })), false);
  });

  it('manualFixFor: the previous tag back with a prefilled reason; only the sync when origin has the rollback commit', () => {
    const fix = manualFixFor(failedRollback)!;
    assert.deepEqual(fix, {
      service: 'accounts',
      environment: 'stag',
      to: '1.4.0',
      from: '1.6.1',
      reason: 'Manual fix: restore accounts 1.4.0 in stag after 1.6.1 failed (sync: pod accounts-1 is in CrashLoopBackOff (2 restarts)) and the automatic rollback failed at rollback-push',
      overrideReason: 'stag runs accounts 1.6.1, which failed, and its automatic rollback failed: restoring 1.4.0 cannot wait for the window',
      onlySync: false,
    });
    const pushed = manualFixFor({ ...failedRollback, rollbackCommit: 'beef000000000000000000000000000000000000', checks: [syncFailed, { ...rollbackCheck('failed', 'the automatic rollback to 1.4.0 failed at rollback-sync: timed out (the rollback commit beef000 is on origin)'), failedStep: 'rollback-sync' }] })!;
    assert.equal(pushed.onlySync, true);
    assert.match(pushed.reason, /the automatic rollback failed at rollback-sync$/);
    const long = manualFixFor({ ...failedRollback, checks: [{ name: 'verify', status: 'failed', detail: 'y'.repeat(1000) }, rollbackCheck('failed', 'no step named here')] })!;
    assert.ok(long.reason.length <= 480, `${long.reason.length}`);
    assert.match(long.reason, /y…\) and the automatic rollback failed$/);
  });

  it('manualFixFor: nothing for records whose rollback did not fail, or without a previous tag', () => {
    assert.equal(manualFixFor(rec({ status: 'rolled-back', checks: [syncFailed, rollbackCheck('passed', 'ok')] })), undefined);
    assert.equal(manualFixFor(rec({ status: 'succeeded' })), undefined);
    assert.equal(manualFixFor({ ...failedRollback, previousTag: undefined }), undefined);
  });
});

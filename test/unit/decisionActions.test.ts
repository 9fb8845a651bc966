// An inconclusive run's notification offers exactly what outcome.decision holds, as buttons chosen
// by id; each id maps to an editor command and its argument taken from the decision (data, not labels).
import { strict as assert } from 'node:assert';
import type { Decision, PipelineOutcome } from '../../src/pipeline/outcome';
import { decisionActions, decisionCommand, troubleshootActions } from '../../src/providers/transcript';

const held: Decision = {
  recheck: { command: 'verify', service: 'accounts', environment: 'stag' },
  rollback: { command: 'rollback', service: 'accounts', environment: 'stag', to: '1.5.0', reason: 'verification of 1.6.0 inconclusive' },
  observed: ['argocd', 'rollout', 'health'],
  unobserved: ['error-rate'],
};
/** After an automatic rollback whose own verification could not observe: only re-check. */
const alreadyRolledBack: Decision = { recheck: { command: 'verify', service: 'cards', environment: 'prod' }, observed: ['health'], unobserved: ['rollback-error-rate'] };

function inconclusive(decision: Decision | undefined, over: Partial<PipelineOutcome> = {}): PipelineOutcome {
  return {
    kind: 'inconclusive', exitCode: 4, message: 'held', mode: 'deploy', service: 'accounts', environment: 'stag', tag: '1.6.0', previousTag: '1.5.0', commit: 'a'.repeat(40), checks: [], steps: [],
    startedAt: '2026-12-04T07:00:00Z', finishedAt: '2026-12-04T07:01:00Z', decision,
    record: { path: 'docs/deployments/stag/r.md', absolutePath: '/repo/docs/deployments/stag/r.md', status: 'inconclusive', pushed: true },
    ...over,
  };
}

describe('the decision of an inconclusive run as notification actions', () => {
  it('decision → buttons: Re-check always, Roll back (to the decision\'s tag) only when the decision has a rollback', () => {
    assert.deepEqual(decisionActions(held), [{ id: 'recheck', label: 'Re-check' }, { id: 'rollback', label: 'Roll back to 1.5.0' }]);
    assert.deepEqual(decisionActions(alreadyRolledBack), [{ id: 'recheck', label: 'Re-check' }]);
  });

  it('each button id → the editor command and its argument, from the decision', () => {
    assert.deepEqual(decisionCommand('recheck', held), { command: 'gitopsDeploy.recheck', arg: { service: 'accounts', environment: 'stag' } });
    assert.deepEqual(decisionCommand('rollback', held), { command: 'gitopsDeploy.rollback', arg: { service: 'accounts', environment: 'stag', to: '1.5.0', reason: 'verification of 1.6.0 inconclusive' } });
    assert.equal(decisionCommand('rollback', alreadyRolledBack), undefined, 'no rollback offered, none run');
    assert.deepEqual(decisionCommand('recheck', alreadyRolledBack), { command: 'gitopsDeploy.recheck', arg: { service: 'cards', environment: 'prod' } });
  });

  it('the end-of-run notification: the decision\'s buttons first, looking around behind More…', () => {
    const a = troubleshootActions(inconclusive(held), { argoCd: true })!;
    assert.deepEqual(a.buttons.map((b) => b.id), ['recheck', 'rollback', 'more']);
    assert.deepEqual(a.more.map((b) => b.id), ['logs', 'events', 'argocd', 'record', 'output']);
    const b = troubleshootActions(inconclusive(alreadyRolledBack, { kind: 'inconclusive', mode: 'rollback' }), { argoCd: false, extra: [{ id: 'kube', label: 'Select Kubernetes context' }] })!;
    assert.deepEqual(b.buttons.map((x) => x.id), ['recheck', 'more']);
    assert.deepEqual(b.more.map((x) => x.id), ['kube', 'logs', 'events', 'record', 'output']);
    // Without a decision an inconclusive run keeps the troubleshooting buttons.
    assert.deepEqual(troubleshootActions(inconclusive(undefined), { argoCd: false })!.buttons.map((x) => x.id), ['logs', 'events', 'retry-sync', 'more']);
  });
});

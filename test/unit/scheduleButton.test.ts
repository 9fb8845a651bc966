// The refusal dialog's "Schedule for <when the window opens>" button: offered from the window
// check's fix (opensAt, a field), labelled in the window's zone. Pure.
import { strict as assert } from 'node:assert';
import { windowOpening } from '../../src/commands/runFlow';
import type { DeploymentPlan } from '../../src/pipeline/outcome';
import type { CheckResult } from '../../src/pipeline/model/records';

const plan = (checks: CheckResult[]): DeploymentPlan => ({ wouldProceed: false, service: 'accounts', environment: 'prod', tag: '1.5.0', previousTag: '1.4.0', valuesFile: 'helm/environments/prod-env/image-tags.yaml', diff: '', commitMessage: '', application: 'accounts-prod', checks });
const closed = (fix: Partial<{ opensAt: string; opensAtLocal: string }>): CheckResult => ({ name: 'window', status: 'failed', detail: 'blocked', fix: { kind: 'wait-for-window', environment: 'prod', ...fix } });
/** Wednesday 2026-11-18 10:00 US Eastern. */
const NOW = new Date('2026-11-18T15:00:00Z');

describe('refusal dialog: Schedule for when the window opens', () => {
  it('today at 17:00 Eastern: "Schedule for 17:00 ET", at the instant the fix names', () => {
    const o = windowOpening(plan([closed({ opensAt: '2026-11-18T22:00:00.000Z', opensAtLocal: '17:00 EST' })]), 'America/New_York', NOW);
    assert.deepEqual(o, { at: new Date('2026-11-18T22:00:00.000Z'), label: 'Schedule for 17:00 ET' });
  });

  it('on Friday evening it opens Monday: the weekday is named', () => {
    const o = windowOpening(plan([closed({ opensAt: '2026-11-23T14:00:00.000Z' })]), 'America/New_York', new Date('2026-11-20T23:00:00Z'));
    assert.equal(o?.label, 'Schedule for Mon 09:00 ET');
  });

  it('not offered when the window check passed, or says no time it opens', () => {
    assert.equal(windowOpening(plan([{ name: 'window', status: 'passed', detail: 'open' }]), 'America/New_York', NOW), undefined);
    assert.equal(windowOpening(plan([closed({})]), 'America/New_York', NOW), undefined);
    assert.equal(windowOpening(plan([{ name: 'finish-by', status: 'failed', detail: 'late' }]), 'America/New_York', NOW), undefined);
  });
});

import { strict as assert } from 'node:assert';
import { withReviewTimes, type RunDeployment } from '../../src/pipeline/github/reviewTimes';
import type { DeploymentStatusInfo, RunApproval } from '../../src/pipeline/github/port';

const job = (run: number) => `https://github.com/acme/gitops/actions/runs/${run}/job/${run * 10 + 1}`;
let sid = 1;
/** Statuses given oldest first; returned newest first as GitHub lists them. */
const statuses = (run: number, ...s: [string, string][]): DeploymentStatusInfo[] => s.map(([state, createdAt]) => ({ id: sid++, state, logUrl: job(run), createdAt })).reverse();
const dep = (environment: string, st: DeploymentStatusInfo[]): RunDeployment => ({ environment, statuses: st });

describe('review times: when a run’s environment review happened, from the deployment Actions made', () => {
  const approved: RunApproval = { state: 'approved', user: 'bob', comment: 'ok', environments: ['prod'] };

  it('an approval: the time its deployment left waiting', () => {
    const d = dep('prod', statuses(7, ['waiting', '2026-11-02T10:00:00Z'], ['queued', '2026-11-02T10:20:00Z'], ['in_progress', '2026-11-02T10:20:05Z'], ['success', '2026-11-02T10:25:00Z']));
    assert.deepEqual(withReviewTimes([approved], 7, [d]), [{ ...approved, at: '2026-11-02T10:20:00Z' }]);
  });

  it('a rejection, then an approval of the re-run attempt: paired in time order', () => {
    const rejected: RunApproval = { state: 'rejected', user: 'carol', environments: ['prod'] };
    const first = dep('prod', statuses(7, ['waiting', '2026-11-02T10:00:00Z'], ['failure', '2026-11-02T10:05:00Z']));
    const second = dep('prod', statuses(7, ['waiting', '2026-11-02T11:00:00Z'], ['queued', '2026-11-02T11:30:00Z'], ['success', '2026-11-02T11:40:00Z']));
    assert.deepEqual(withReviewTimes([rejected, approved], 7, [second, first]).map((a) => [a.user, a.state, a.at]), [
      ['carol', 'rejected', '2026-11-02T10:05:00Z'],
      ['bob', 'approved', '2026-11-02T11:30:00Z'],
    ]);
  });

  it('another run’s deployment, another environment, a pending comment and no waiting status give no time', () => {
    const other = dep('prod', statuses(8, ['waiting', '2026-11-02T10:00:00Z'], ['queued', '2026-11-02T10:01:00Z']));
    const stag = dep('stag', statuses(7, ['waiting', '2026-11-02T10:00:00Z'], ['queued', '2026-11-02T10:02:00Z']));
    const unprotected = dep('prod', statuses(7, ['queued', '2026-11-02T10:00:00Z'], ['in_progress', '2026-11-02T10:03:00Z']));
    const pending: RunApproval = { state: 'pending', user: 'dan', comment: 'looking', environments: ['prod'] };
    const out = withReviewTimes([pending, approved], 7, [other, stag, unprotected]);
    assert.deepEqual(out.map((a) => a.at), [undefined, undefined]);
    assert.ok(!('at' in out[1]), 'no at field rather than an empty one');
  });

  it('one review of two environments: the earlier of its two transitions', () => {
    const both: RunApproval = { state: 'approved', user: 'bob', environments: ['stag', 'prod'] };
    const out = withReviewTimes([both], 7, [
      dep('prod', statuses(7, ['waiting', '2026-11-02T10:00:00Z'], ['queued', '2026-11-02T10:10:02Z'])),
      dep('stag', statuses(7, ['waiting', '2026-11-02T10:00:00Z'], ['queued', '2026-11-02T10:10:01Z'])),
    ]);
    assert.equal(out[0].at, '2026-11-02T10:10:01Z');
  });
});

// The journal as data: trailers in, a state out — one test per state a service can be in.
import * as assert from 'node:assert/strict';
import { journalState, journalTrailers, leaseMessage, leaseState, newRunId, parseJournal, parseLease, RUN_ID, trailers, type JournalEntry, type LeaseInfo } from '../../src/pipeline/model/journal';
import { deployCommitMessage, rollbackCommitMessage, withTrailers } from '../../src/pipeline/plan';
import { runRecordFileName } from '../../src/pipeline/model/records';

const NOW = new Date('2026-12-04T07:00:00Z');
const facts = { service: 'accounts', environment: 'prod', previousTag: '1.4.0', tag: '1.5.0', reason: 'CHG-1 fix', actor: 'alice' };

function commit(message: string, sha: string): JournalEntry {
  return parseJournal({ sha, date: '2026-12-04T06:59:00Z', message })!;
}

const deploy = (runId: string, sha = 'd'.repeat(40)) => commit(withTrailers(deployCommitMessage(facts), journalTrailers({ runId, kind: 'deploy', digest: 'sha256:' + 'a'.repeat(64) })), sha);
const autoRollback = (runId: string, sha = 'r'.repeat(40)) => commit(withTrailers(rollbackCommitMessage({ ...facts, previousTag: '1.5.0', tag: '1.4.0' }, 'health failed'), journalTrailers({ runId, kind: 'auto-rollback' })), sha);

const RUN = '20261204T065900Z-kqzxmt';
const OTHER = '20261204T060000Z-abcdef';
const lease = (o: Partial<LeaseInfo> = {}): LeaseInfo => ({ runId: RUN, holder: 'alice', host: 'ci-7', pid: 4242, service: 'accounts', environment: 'prod', tag: '1.5.0', startedAt: '2026-12-04T06:59:00Z', expiresAt: '2026-12-04T07:30:00Z', ...o });
const none = () => false;

describe('journal', () => {
  it('run ids: the start time and six letters; a record file named with it', () => {
    const id = newRunId(NOW, (n) => Buffer.alloc(n, 7));
    assert.match(id, RUN_ID);
    assert.equal(id.slice(0, 16), '20261204T070000Z');
    assert.equal(runRecordFileName(NOW, 'accounts', id), `20261204T070000Z-accounts-${id.slice(-6)}.md`);
  });

  it('trailers of a deploy commit parse back into a journal entry (and a commit without Run-Id is not one)', () => {
    const e = deploy(RUN);
    assert.deepEqual({ ...e, commit: undefined, date: undefined }, { runId: RUN, kind: 'deploy', service: 'accounts', environment: 'prod', from: '1.4.0', to: '1.5.0', digest: 'sha256:' + 'a'.repeat(64), actor: 'alice', reason: 'CHG-1 fix', commit: undefined, date: undefined });
    assert.equal(parseJournal({ sha: 'x', date: '', message: deployCommitMessage(facts) }), undefined);
    assert.equal(trailers('Subject\n\nbody: with a colon\nand a line that is not one').size, 0);
  });

  it('clean: no entries; or the newest run has its record', () => {
    assert.deepEqual(journalState([], { finished: none, originTag: '1.4.0' }), { kind: 'clean' });
    assert.deepEqual(journalState([deploy(RUN)], { finished: (id) => id === RUN, originTag: '1.5.0' }), { kind: 'clean' });
  });

  it('clean: someone changed the tag by hand after the run (they took over)', () => {
    assert.deepEqual(journalState([deploy(RUN)], { finished: none, originTag: '1.4.1' }), { kind: 'clean' });
  });

  it('running: no record yet, and the run holds a live lease', () => {
    const st = journalState([deploy(RUN)], { finished: none, originTag: '1.5.0', lease: { info: lease(), state: 'live' } });
    assert.equal(st.kind, 'running');
  });

  it('interrupted, pushed: no record, no live lease of that run (none, expired, over, or another run’s)', () => {
    for (const l of [undefined, { info: lease(), state: 'expired' as const }, { info: lease(), state: 'over' as const }, { info: lease({ runId: OTHER }), state: 'live' as const }]) {
      const st = journalState([deploy(RUN)], { finished: none, originTag: '1.5.0', lease: l });
      assert.equal(st.kind, 'interrupted');
      if (st.kind === 'interrupted') assert.deepEqual([st.runId, st.phase, st.change.from, st.change.to, st.rollback], [RUN, 'pushed', '1.4.0', '1.5.0', undefined]);
    }
  });

  it('interrupted, rolling back: the newest entry is the run’s automatic rollback, with its deployment found below it', () => {
    const st = journalState([autoRollback(RUN), deploy(RUN), deploy(OTHER, 'o'.repeat(40))], { finished: (id) => id === OTHER, originTag: '1.4.0' });
    assert.equal(st.kind, 'interrupted');
    if (st.kind === 'interrupted') {
      assert.equal(st.phase, 'rolling-back');
      assert.equal(st.change.commit, 'd'.repeat(40));
      assert.equal(st.rollback?.commit, 'r'.repeat(40));
    }
  });

  it('lease states: live, expired, over (record written, or same host and the process gone), unreadable', () => {
    const o = { now: NOW, host: 'laptop', alive: () => true, finished: none };
    assert.equal(leaseState(lease(), o), 'live');
    assert.equal(leaseState(lease({ expiresAt: '2026-12-04T06:59:59Z' }), o), 'expired');
    assert.equal(leaseState(lease(), { ...o, finished: (id) => id === RUN }), 'over');
    assert.equal(leaseState(lease({ host: 'laptop' }), { ...o, alive: () => false }), 'over');
    assert.equal(leaseState(lease({ host: 'laptop' }), o), 'live');
    // another host's process is never judged from here
    assert.equal(leaseState(lease(), { ...o, alive: () => false }), 'live');
    assert.equal(leaseState(undefined, o), 'unreadable');
    assert.deepEqual(parseLease(leaseMessage(lease())), lease());
    assert.equal(parseLease('not json'), undefined);
  });
});

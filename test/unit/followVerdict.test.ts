// The "follows" node's newest candidate and why it is (not) deployed: the verdict as data
// (followVerdict) and its words at the edge (followNodeText). Pure: no editor, no registry.
import * as assert from 'node:assert/strict';
import type { FollowCandidate, Inspection } from '../../src/pipeline/follow/follow';
import { followVerdict } from '../../src/pipeline/follow/verdict';
import type { PauseMarker } from '../../src/pipeline/follow/pause';
import { followDescription, followTooltipLines } from '../../src/providers/followNodeText';

const NOW = new Date('2026-11-18T15:00:00Z');
const WHAT = 'tags ^main-[0-9a-f]{7,40}$';
const cand = (tag: string, skip?: FollowCandidate['skip']): FollowCandidate => ({ tag, digest: `sha256:${tag.slice(-1).repeat(64)}`, pushedAt: '2026-11-18T14:50:00.000Z', ...(skip ? { skip } : {}) });
const ins = (over: Partial<Inspection>): Inspection => ({ currentTag: 'main-1111111', candidates: [], ...over });
const PAUSE: PauseMarker = { service: 'accounts', environment: 'dev', paused: true, by: 'dana', at: '2026-11-18T14:00:00Z', reason: 'INC-7' };

describe('follow: the newest candidate and why (tree node)', () => {
  it('the newest qualifies: state next, "deploys on the next pass"', () => {
    const c = cand('main-aaaaaaa');
    const v = followVerdict(undefined, ins({ candidates: [c], chosen: c }));
    assert.deepEqual(v, { state: 'next', newest: c });
    assert.equal(followDescription(WHAT, v, NOW), `${WHAT} · newest main-aaaaaaa: deploys on the next pass`);
  });

  it('unsigned: held with the reason; the older signed one that goes instead is named', () => {
    const bad = cand('main-bbbbbbb', { reason: 'unsigned', detail: 'no signature exists' });
    const ok = cand('main-ccccccc');
    const v = followVerdict(undefined, ins({ candidates: [bad, ok], chosen: ok }));
    assert.equal(v.state, 'held');
    assert.ok(v.state === 'held' && v.reason === 'unsigned' && v.newest === bad && v.instead === ok);
    assert.equal(followDescription(WHAT, v, NOW), `${WHAT} · newest main-bbbbbbb: unsigned (next: main-ccccccc)`);
    assert.deepEqual(followTooltipLines(v, NOW).slice(1), ['no signature exists', 'The next pass deploys main-ccccccc instead.']);
  });

  it('failed before: held, nothing instead', () => {
    const c = cand('main-ddddddd', { reason: 'failed-before', detail: 'rolled back', record: 'docs/deployments/dev/x.md' });
    const v = followVerdict(undefined, ins({ candidates: [c], status: 'no-candidate', detail: 'none' }));
    assert.ok(v.state === 'held' && v.reason === 'failed-before' && v.instead === undefined);
    assert.equal(followDescription(WHAT, v, NOW), `${WHAT} · newest main-ddddddd: failed before, not retried`);
  });

  it('too new: held with when it settles, counted from the until field', () => {
    const c = cand('main-eeeeeee', { reason: 'too-new', detail: 'minAge', until: '2026-11-18T15:20:00.000Z' });
    const v = followVerdict(undefined, ins({ candidates: [c], status: 'no-candidate', detail: 'none' }));
    assert.ok(v.state === 'held' && v.reason === 'too-new');
    assert.equal(followDescription(WHAT, v, NOW), `${WHAT} · newest main-eeeeeee: too new (settles in 20 min)`);
    assert.equal(followDescription(WHAT, v, new Date('2026-11-18T15:19:30Z')), `${WHAT} · newest main-eeeeeee: too new (settles in 1 min)`);
  });

  it('signedBy refused: says whose policy', () => {
    const c = cand('main-fffffff', { reason: 'signature-rejected', detail: 'follow signedBy: …', policy: 'signedBy', signature: 'untrusted-key' });
    const v = followVerdict(undefined, ins({ candidates: [c], status: 'no-candidate' }));
    assert.equal(followDescription(WHAT, v, NOW), `${WHAT} · newest main-fffffff: not signed by a signedBy key`);
  });

  it('paused wins over a qualifying candidate: state paused, the candidate waits', () => {
    const c = cand('main-aaaaaaa');
    const v = followVerdict(PAUSE, ins({ candidates: [c], chosen: c }));
    assert.deepEqual(v, { state: 'paused', pause: PAUSE, newest: c });
    assert.equal(followDescription(WHAT, v, NOW), '⏸ paused by dana: INC-7 · newest main-aaaaaaa waits');
    assert.deepEqual(followDescription(WHAT, followVerdict(PAUSE, ins({ status: 'up-to-date' })), NOW), '⏸ paused by dana: INC-7');
  });

  it('up to date, no newer build, and a registry that could not be read (no decision)', () => {
    assert.deepEqual(followVerdict(undefined, ins({ status: 'up-to-date' })), { state: 'up-to-date', currentTag: 'main-1111111' });
    assert.deepEqual(followVerdict(undefined, ins({ status: 'no-candidate' })), { state: 'no-candidate' });
    const err = followVerdict(undefined, ins({ status: 'error', detail: 'could not list the tags of accounts: 500' }));
    assert.deepEqual(err, { state: 'unknown', detail: 'could not list the tags of accounts: 500' });
    // A signature that could not be read on the newest: undecided, not "next".
    const undecided = followVerdict(undefined, ins({ candidates: [cand('main-aaaaaaa')], status: 'error', detail: 'could not read the signature' }));
    assert.equal(undecided.state, 'unknown');
    assert.equal(followDescription(WHAT, err, NOW), `${WHAT} · newest unknown (registry not read)`);
  });
});

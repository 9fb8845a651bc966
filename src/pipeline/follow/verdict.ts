// What the follower would do next for one service, as data: the newest candidate and why it is or
// is not deployed (paused, unsigned, failed before, too new…). Pure: built from a pause marker and
// an inspection (inspectService); the editor's tree and `follow status` make the words.
import type { FollowCandidate, Inspection, SkipReason } from './follow';
import type { PauseMarker } from './pause';

export type FollowVerdict =
  /** Following is paused here: nothing is deployed, whatever the registry holds. */
  | { state: 'paused'; pause: PauseMarker; newest?: FollowCandidate }
  /** The newest matching image runs. */
  | { state: 'up-to-date'; currentTag?: string }
  /** The newest matching image qualifies: the next pass deploys it. */
  | { state: 'next'; newest: FollowCandidate }
  /** The newest matching image is skipped (`reason`); `instead` is an older one the next pass deploys, if any. */
  | { state: 'held'; newest: FollowCandidate; reason: SkipReason; instead?: FollowCandidate }
  /** No image matches and is newer than what runs. */
  | { state: 'no-candidate' }
  /** The registry (or a signature) could not be read: no decision. */
  | { state: 'unknown'; detail: string };

export function followVerdict(pause: PauseMarker | undefined, inspection: Inspection): FollowVerdict {
  const newest = inspection.candidates[0];
  if (pause) return { state: 'paused', pause, ...(newest ? { newest } : {}) };
  if (inspection.status === 'error' && !inspection.chosen) {
    // A signature that could not be read after some were skipped: the newest is still undecided.
    return { state: 'unknown', detail: inspection.detail ?? 'could not read the registry' };
  }
  if (!newest) return inspection.status === 'up-to-date' ? { state: 'up-to-date', currentTag: inspection.currentTag } : { state: 'no-candidate' };
  if (!newest.skip) return { state: 'next', newest };
  return { state: 'held', newest, reason: newest.skip.reason, ...(inspection.chosen ? { instead: inspection.chosen } : {}) };
}

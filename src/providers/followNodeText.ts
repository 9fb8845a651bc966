// The words of a "follows" node in the tree: what the service follows, its newest candidate and why
// it is or is not deployed. Pure (no vscode import), made from a FollowVerdict at the edge.
import type { FollowCandidate, SkipReason } from '../pipeline/follow/follow';
import type { FollowVerdict } from '../pipeline/follow/verdict';

const short = (tag: string) => (tag.length > 24 ? `${tag.slice(0, 23)}…` : tag);

function inMinutes(untilIso: string, now: Date): string {
  const min = Math.max(0, Math.ceil((Date.parse(untilIso) - now.getTime()) / 60_000));
  return min < 60 ? `in ${min} min` : `in ${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Why a candidate is skipped, in a few words. */
export function skipWords(reason: SkipReason, skip: FollowCandidate['skip'], now: Date): string {
  switch (reason) {
    case 'unsigned':
      return 'unsigned';
    case 'signature-rejected':
      return skip?.policy === 'signedBy' ? 'not signed by a signedBy key' : 'signature not trusted';
    case 'failed-before':
      return 'failed before, not retried';
    case 'too-new':
      return skip?.until ? `too new (settles ${inMinutes(skip.until, now)})` : 'too new';
    case 'not-found':
      return 'not found in the registry';
  }
}

/** The node's description: "<what it follows> · <newest candidate and its state>". */
export function followDescription(what: string, v: FollowVerdict, now: Date): string {
  switch (v.state) {
    case 'paused':
      return `⏸ paused by ${v.pause.by}${v.pause.reason ? `: ${v.pause.reason}` : ''}${v.newest ? ` · newest ${short(v.newest.tag)} waits` : ''}`;
    case 'up-to-date':
      return `${what} · up to date`;
    case 'next':
      return `${what} · newest ${short(v.newest.tag)}: deploys on the next pass`;
    case 'held':
      return `${what} · newest ${short(v.newest.tag)}: ${skipWords(v.reason, v.newest.skip, now)}${v.instead ? ` (next: ${short(v.instead.tag)})` : ''}`;
    case 'no-candidate':
      return `${what} · no newer build`;
    case 'unknown':
      return `${what} · newest unknown (registry not read)`;
  }
}

/** Tooltip lines about the newest candidate (what the follower would do, and why). */
export function followTooltipLines(v: FollowVerdict, now: Date): string[] {
  const pushed = (c: FollowCandidate) => (c.pushedAt ? `, pushed ${c.pushedAt}` : '');
  switch (v.state) {
    case 'paused':
      return v.newest ? [`Newest candidate: ${v.newest.tag} (${v.newest.digest}${pushed(v.newest)}); not deployed while following is paused.`] : [];
    case 'up-to-date':
      return [`The newest matching image${v.currentTag ? `, ${v.currentTag},` : ''} runs.`];
    case 'next':
      return [`Newest candidate: ${v.newest.tag} (${v.newest.digest}${pushed(v.newest)})${v.newest.sourceCommit ? `, source commit ${v.newest.sourceCommit}` : ''}; the next pass of \`gitops-deploy follow\` deploys it.`];
    case 'held':
      return [
        `Newest candidate: ${v.newest.tag} (${v.newest.digest}${pushed(v.newest)}); not deployed: ${skipWords(v.reason, v.newest.skip, now)}.`,
        ...(v.newest.skip?.detail ? [v.newest.skip.detail] : []),
        ...(v.instead ? [`The next pass deploys ${v.instead.tag} instead.`] : []),
      ];
    case 'no-candidate':
      return ['No image matches and is newer than what runs.'];
    case 'unknown':
      return [`Newest candidate unknown: ${v.detail}`];
  }
}

// "The verified digest is what runs": after the rollout, every pod of the new ReplicaSet must
// report (containerStatuses[].imageID) the digest the signature check verified. A tag pushed again
// between validation and rollout shows here as another digest, and fails verification (rollback).
import type { Evidence } from '../evidence';
import type { CheckResult } from '../model/records';
import type { PodStatus } from '../ports';
import { short } from '../signatures';
import { runsTag } from '../steps/pods';
import type { AfterCheck } from './check';

/** The sha256 digest in an imageID (`repo@sha256:…`, `docker-pullable://repo@sha256:…`), lower case. */
export function digestOfImageId(imageID: string): string | undefined {
  const m = /sha256:[0-9a-f]{64}/i.exec(imageID);
  return m ? m[0].toLowerCase() : undefined;
}

export interface RunningDigest {
  pod: string;
  container: string;
  image: string;
  imageID: string;
  digest?: string;
}

/** What each pod's container running `tag` reports. */
export function runningDigests(pods: readonly PodStatus[], tag: string): RunningDigest[] {
  const out: RunningDigest[] = [];
  for (const p of pods) {
    const cs = (p.containers ?? []).filter((c) => runsTag(c.image, tag));
    if (cs.length === 0) out.push({ pod: p.name, container: '', image: p.images.join(', '), imageID: '' });
    for (const c of cs) out.push({ pod: p.name, container: c.name, image: c.image, imageID: c.imageID, digest: digestOfImageId(c.imageID) });
  }
  return out;
}

/** Pure: the check from what the pods report. */
export function judgeRunningDigest(verified: string, running: readonly RunningDigest[], tag: string): CheckResult {
  const want = verified.toLowerCase();
  const name = 'running-digest';
  if (running.length === 0) return { name, status: 'failed', detail: `no pod of the new ReplicaSet reports the image it runs: cannot prove that ${short(want)} runs` };
  const wrong = running.filter((r) => r.digest !== want);
  if (wrong.length === 0) return { name, status: 'passed', detail: `${running.length} container${running.length === 1 ? '' : 's'} of the new ReplicaSet run${running.length === 1 ? 's' : ''} the verified digest ${short(want)}` };
  const others = [...new Set(wrong.map((w) => w.digest ?? '(no imageID)'))];
  const evidence: Evidence = {
    kind: 'image',
    title: `Digests of ${tag}: verified vs running`,
    summary: `verified ${want}; running ${others.join(', ')}`,
    lines: [`verified: ${want}`, ...running.map((r) => `${r.pod}${r.container ? `/${r.container}` : ''}: ${r.imageID || '(no imageID reported)'}`)],
  };
  return {
    name,
    status: 'failed',
    detail: `the pods run ${others.map(short).join(', ')}, not the verified digest ${short(want)}: the tag ${tag} was pushed again after validation (${wrong.map((w) => w.pod).join(', ')})`,
    evidence: [evidence],
    runningDigest: { verified: want, running: others },
  };
}

export const runningDigest: AfterCheck<never> = {
  name: 'running-digest',
  phase: 'after',
  needs: [],
  async run({ run: s, tag, observed }) {
    // Only for the tag the signature check verified (not a rollback's target).
    if (tag !== s.target.tag || !s.digest) return undefined;
    const r = await observed.pods();
    if (!r.ok) return { status: 'inconclusive', detail: `cannot read the new pods to compare the digest they run: ${r.error}` };
    const { name: _name, ...verdict } = judgeRunningDigest(s.digest, runningDigests(r.value, tag), tag);
    return verdict;
  },
};

// The pods of the new ReplicaSet exist, are ready and run the tag.
import { runsTag } from '../steps/pods';
import { couldNotObserve, type AfterCheck } from './check';

export const pods: AfterCheck<never> = {
  name: 'pods',
  phase: 'after',
  needs: [],
  async run({ run: s, tag, observed }) {
    const dep = s.target.serviceConfig.deployment;
    const read = await observed.pods();
    if (!read.ok) return couldNotObserve(`the pods of ${dep}`, read.error, undefined, read.fault);
    const all = read.value;
    if (all.length === 0) return { status: 'failed', detail: `no pods of the new ReplicaSet of ${dep}`, evidence: await observed.workloadEvidence([]) };
    const notReady = all.filter((p) => !p.ready || p.phase !== 'Running');
    const wrongImage = all.filter((p) => !p.images.some((i) => runsTag(i, tag)));
    if (!notReady.length && !wrongImage.length) return { status: 'passed', detail: `${all.length} pod${all.length === 1 ? '' : 's'} ready, running ${tag}` };
    const detail = [notReady.length ? `not ready: ${notReady.map((p) => `${p.name} (${p.waitingReason ?? p.phase})`).join(', ')}` : '', wrongImage.length ? `not running ${tag}: ${wrongImage.map((p) => `${p.name} (${p.images.join(', ')})`).join(', ')}` : ''].filter(Boolean).join('; ');
    return { status: 'failed', detail, evidence: await observed.workloadEvidence(all) };
  },
};

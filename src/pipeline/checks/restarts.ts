// No crash loop and no more container restarts in the new pods than verification.restartThreshold.
import { crashDetail } from '../model/rollout';
import { couldNotObserve, type AfterCheck } from './check';

export const restarts: AfterCheck<never> = {
  name: 'restarts',
  phase: 'after',
  needs: [],
  async run({ run: s, observed }) {
    const dep = s.target.serviceConfig.deployment;
    const read = await observed.pods();
    if (!read.ok) return couldNotObserve(`the restarts of ${dep}'s pods`, read.error, undefined, read.fault);
    const all = read.value;
    if (all.length === 0) return undefined; // "pods" says there are none
    const ns = s.target.env.namespace;
    const crashing = all.find((p) => p.waitingReason === 'CrashLoopBackOff');
    const total = all.reduce((n, p) => n + p.restarts, 0);
    const threshold = s.settings.config.verification.restartThreshold;
    if (crashing) return { status: 'failed', detail: `${crashDetail(crashing)}. See kubectl logs ${crashing.name} -n ${ns} --previous`, evidence: await observed.workloadEvidence(all) };
    if (total > threshold) return { status: 'failed', detail: `${total} container restart${total === 1 ? '' : 's'} in the new pods (tolerated: ${threshold}): ${all.filter((p) => p.restarts).map((p) => `${p.name} ${p.restarts}`).join(', ')}`, evidence: await observed.workloadEvidence(all) };
    return { status: 'passed', detail: `${total} restarts (tolerated: ${threshold}), no crash loop` };
  },
};

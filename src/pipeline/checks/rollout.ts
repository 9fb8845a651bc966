// The rollout completes (kubectl's algorithm) at the tag, within verification.rolloutTimeoutSeconds;
// fails fast on a crash loop or an exceeded progress deadline. A Deployment that cannot be read after
// a few tries is inconclusive: the object's state decides, never the transport's.
import { crashDetail, rolloutProgress } from '../model/rollout';
import type { DeploymentStatus, PodStatus } from '../ports';
import { newPods, runsTag } from '../steps/pods';
import { couldNotObserve, errText, type AfterCheck, type Verdict } from './check';

/** Consecutive failed reads of the Deployment after which the rollout wait is inconclusive. */
const MAX_READ_FAILURES = 5;

export const rollout: AfterCheck<'cluster'> = {
  name: 'rollout',
  phase: 'rollout',
  needs: ['cluster'],
  async run({ run: s, tag, observed }, ctx) {
    const cluster = ctx.ports.cluster;
    const ns = s.target.env.namespace;
    const name = s.target.serviceConfig.deployment;
    const timeoutS = s.settings.config.verification.rolloutTimeoutSeconds;
    const deadline = ctx.clock.now().getTime() + timeoutS * 1000;
    const failed = async (detail: string, pods: PodStatus[]): Promise<Verdict> => ({ status: 'failed', detail, evidence: await observed.workloadEvidence(pods) });
    let lastWaiting = '';
    let interval = Math.min(s.settings.pollIntervalMs, 250);
    const backoff = () => (interval = Math.min(interval * 2, Math.max(s.settings.pollIntervalMs, 250) * 4));
    let readFailures = 0;
    for (;;) {
      let d: DeploymentStatus;
      let pods: PodStatus[];
      try {
        d = await cluster.getDeployment(ns, name, ctx.signal);
        pods = await newPods(cluster, ns, name, tag, ctx.signal);
        readFailures = 0;
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        readFailures++;
        ctx.log(`${name}: cannot read the rollout (${readFailures}/${MAX_READ_FAILURES}): ${errText(err)}`, 'warn');
        if (readFailures >= MAX_READ_FAILURES || ctx.clock.now().getTime() >= deadline) return couldNotObserve(`the rollout of ${name}`, errText(err));
        await s.settings.sleep(interval, ctx.signal);
        backoff();
        continue;
      }
      const p = rolloutProgress(d);
      if (p.done && d.images.some((i) => runsTag(i, tag))) return { status: 'passed', detail: `${name}: ${d.updatedReplicas}/${d.replicas} replicas updated and available at ${tag}` };
      if (!p.done && p.fatal) return failed(`${name}: ${p.waiting}. See kubectl describe deployment ${name} -n ${ns}`, pods);
      const crashing = pods.find((x) => x.waitingReason === 'CrashLoopBackOff');
      if (crashing) return failed(`${crashDetail(crashing)}. See kubectl logs ${crashing.name} -n ${ns} --previous`, pods);
      const waiting = p.done ? `the pod template runs ${d.images.join(', ') || 'no image'}, not tag ${tag}` : p.waiting;
      if (waiting !== lastWaiting) {
        lastWaiting = waiting;
        ctx.log(`${name}: ${waiting}`);
      }
      if (ctx.clock.now().getTime() >= deadline) return failed(`${name} did not finish rolling out within ${timeoutS} s: ${waiting}. See kubectl rollout status deployment/${name} -n ${ns}`, pods);
      await s.settings.sleep(interval, ctx.signal);
      backoff();
    }
  },
};


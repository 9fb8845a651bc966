// /actuator/health (or services.<name>.healthUrl) answers UP. A route that answers 404 without an
// actuator status is missing, so health cannot be judged: inconclusive, not failed.
import { healthEvidence } from '../evidence';
import type { HealthResponse } from '../ports';
import { couldNotObserve, type AfterCheck } from './check';

/** A 404 that is not the actuator's answer: the route is missing. */
export function routeMissing(r: Pick<HealthResponse, 'httpStatus' | 'status'>): boolean {
  return r.httpStatus === 404 && r.status === undefined;
}

/** The actuator's answer means UP. */
export function isUp(r: Pick<HealthResponse, 'httpStatus' | 'status'>): boolean {
  return r.status === 'UP' && r.httpStatus >= 200 && r.httpStatus < 300;
}

export const health: AfterCheck<never> = {
  name: 'health',
  phase: 'after',
  needs: [],
  async run({ run: s, observed }) {
    const svc = s.target.serviceConfig;
    const via = observed.healthVia;
    const what = `${svc.healthPath} via ${via}`;
    const first = await observed.probe(1);
    if (!first.ok) return couldNotObserve(what, first.error, await observed.podLog(), first.fault);
    const { r } = first.value;
    if (routeMissing(r)) return couldNotObserve(what, `the route answered HTTP 404 without an actuator status: check services.${s.service}.healthPath / healthUrl`, [healthEvidence(r, via)]);
    if (isUp(r)) return { status: 'passed', detail: `UP (HTTP ${r.httpStatus}) via ${via}` };
    return {
      status: 'failed',
      detail: `${svc.healthPath} answered ${r.status ?? 'no status'} (HTTP ${r.httpStatus})${r.downComponents.length ? `; DOWN: ${r.downComponents.join(', ')}` : ''} via ${via}. See kubectl logs -l app=${s.service} -n ${s.target.env.namespace}`,
      evidence: [healthEvidence(r, via), ...(await observed.podLog())],
    };
  },
};

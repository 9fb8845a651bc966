// A second request to the service answers (no 5xx) and says UP; its latency is reported.
import { healthEvidence } from '../evidence';
import { couldNotObserve, type AfterCheck } from './check';
import { isUp, routeMissing } from './health';

export const smoke: AfterCheck<never> = {
  name: 'smoke',
  phase: 'after',
  needs: [],
  async run({ observed }) {
    const first = await observed.probe(1);
    if (!first.ok) return { status: 'inconclusive', detail: 'not tried: the health endpoint could not be reached' };
    if (routeMissing(first.value.r)) return { status: 'inconclusive', detail: 'not tried: the health route is missing' };
    const second = await observed.probe(2);
    if (!second.ok) return couldNotObserve('a smoke request', second.error);
    const { r, ms } = second.value;
    if (r.httpStatus > 0 && r.httpStatus < 500 && r.status === 'UP') return { status: 'passed', detail: `responds in ${ms} ms and says UP` };
    // The health check's evidence already shows the same endpoint; only a smoke-only failure gets its own.
    const evidence = isUp(first.value.r) ? [healthEvidence(r, observed.healthVia)] : [];
    return { status: 'failed', detail: `responds (HTTP ${r.httpStatus}) but says ${r.status ?? JSON.stringify(r.body.slice(0, 80))}, not UP`, ...(evidence.length ? { evidence } : {}) };
  },
};

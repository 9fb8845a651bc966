// The HTTP 5xx ratio of the service (verification.errorRateQuery in Prometheus) is under the
// threshold. No requests recorded is a warning; Prometheus not answering is inconclusive.
import { metricEvidence } from '../evidence';
import { couldNotObserve, type AfterCheck } from './check';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export const errorRate: AfterCheck<'metrics'> = {
  name: 'error-rate',
  phase: 'after',
  needs: ['metrics'],
  async run({ run: s, observed }, ctx) {
    const v = s.settings.config.verification;
    if (!v.prometheusUrl) return { status: 'skipped', detail: 'no verification.prometheusUrl configured' };
    const q = v.errorRateQuery.replace(/\$ns/g, s.target.env.namespace).replace(/\$svc/g, s.service);
    const read = await observed.read((signal) => ctx.ports.metrics.query(q, signal));
    if (!read.ok) return couldNotObserve('the 5xx ratio', `${read.error} (after ${read.attempts} tries)`, [metricEvidence(q, undefined, v.errorRateThreshold)], read.fault);
    const ratio = read.value;
    if (ratio === undefined || Number.isNaN(ratio)) return { status: 'warning', detail: 'no HTTP requests recorded: the 5xx ratio could not be measured' };
    if (ratio > v.errorRateThreshold) return { status: 'failed', detail: `HTTP 5xx ratio ${pct(ratio)} is over the threshold ${pct(v.errorRateThreshold)}`, evidence: [metricEvidence(q, ratio, v.errorRateThreshold)] };
    return { status: 'passed', detail: `HTTP 5xx ratio ${pct(ratio)} (threshold ${pct(v.errorRateThreshold)})` };
  },
};

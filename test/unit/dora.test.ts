import { strict as assert } from 'node:assert';
import {
  computeInsights,
  failureRateBand,
  frequencyBand,
  incidentsOf,
  leadTimeBand,
  parsePeriod,
  restoreBand,
  changeStart,
  sourceTime,
  weekStart,
} from '../../src/pipeline/model/dora';
import { formatSpan as formatDuration } from '../../src/pipeline/model/format';
import type { DeploymentRecord } from '../../src/pipeline/model/records';

const H = 3_600_000;
const D = 24 * H;

let seq = 0;
function rec(p: Partial<DeploymentRecord> & { startedAt: string }): DeploymentRecord {
  seq++;
  return { service: 'accounts', environment: 'prod', tag: `1.0.${seq}`, status: 'succeeded', commit: `c${seq}`, checks: [], ...p };
}
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const T0 = Date.parse('2026-11-02T00:00:00Z'); // a Monday
const period = { since: new Date(T0), until: new Date(T0 + 14 * D) };

describe('DORA measures', () => {
  it('no deployments: frequency 0 (low), the other measures have no value and no band', () => {
    const r = computeInsights([rec({ startedAt: iso(T0 - 30 * D) })], period);
    const m = r.measures.find((x) => x.service === undefined)!;
    assert.equal(m.deploymentFrequency.deployments, 0);
    assert.equal(m.deploymentFrequency.perDay, 0);
    assert.equal(m.deploymentFrequency.band, 'low');
    assert.deepEqual(m.leadTime, { count: 0 });
    assert.deepEqual(m.changeFailureRate, { changes: 0, failures: 0, rate: undefined, band: undefined });
    assert.equal(m.timeToRestore.incidents, 0);
    assert.equal(m.timeToRestore.band, undefined);
    assert.deepEqual(r.weeks, []);
    assert.deepEqual(computeInsights([], period).measures, []);
  });

  it('counts succeeded changes per day and week and bands them', () => {
    // 14 succeeded deployments in 14 days: 1/day → elite; 7/week.
    const records = Array.from({ length: 14 }, (_, i) => rec({ startedAt: iso(T0 + i * D + H), finishedAt: iso(T0 + i * D + H + 60_000) }));
    const m = computeInsights(records, period).measures[0];
    assert.equal(m.deploymentFrequency.deployments, 14);
    assert.equal(m.deploymentFrequency.perDay, 1);
    assert.equal(m.deploymentFrequency.perWeek, 7);
    assert.equal(m.deploymentFrequency.band, 'elite');
    // two a week → high; one in 14 days → medium
    assert.equal(computeInsights(records.slice(0, 4), period).measures[0].deploymentFrequency.band, 'high');
    assert.equal(computeInsights(records.slice(0, 1), period).measures[0].deploymentFrequency.band, 'medium');
    assert.equal(computeInsights(records.slice(0, 1), { since: new Date(T0), until: new Date(T0 + 60 * D) }).measures[0].deploymentFrequency.band, 'low');
  });

  it('the period is [since, until): a record at until belongs to the next period', () => {
    const records = [rec({ startedAt: iso(T0) }), rec({ startedAt: iso(T0 + 14 * D) })];
    assert.equal(computeInsights(records, period).measures[0].deploymentFrequency.deployments, 1);
  });

  it('only failures: change failure rate 100 % (low), no lead time, incidents open', () => {
    const records = [
      rec({ status: 'failed', startedAt: iso(T0 + H), finishedAt: iso(T0 + 2 * H) }),
      rec({ status: 'rolled-back', startedAt: iso(T0 + D), finishedAt: iso(T0 + D + H), checks: [{ name: 'rollback', status: 'failed' }] }),
      // refused before the push: no commit, not a change
      rec({ status: 'failed', commit: undefined, startedAt: iso(T0 + 2 * D) }),
    ];
    const m = computeInsights(records, period).measures[0];
    assert.equal(m.deploymentFrequency.deployments, 0);
    assert.deepEqual(m.changeFailureRate, { changes: 2, failures: 2, rate: 1, band: 'low' });
    assert.equal(m.leadTime.count, 0);
    // the second failure happened while the first was not restored: one incident, still open
    assert.deepEqual({ incidents: m.timeToRestore.incidents, open: m.timeToRestore.open, count: m.timeToRestore.count }, { incidents: 1, open: 1, count: 0 });
  });

  it('change failure rate: rolled-back and failed over all changes, manual rollbacks excluded', () => {
    const records = [
      ...Array.from({ length: 8 }, (_, i) => rec({ startedAt: iso(T0 + i * H) })),
      rec({ status: 'rolled-back', startedAt: iso(T0 + 9 * H), finishedAt: iso(T0 + 9 * H + 600_000), checks: [{ name: 'rollback', status: 'passed' }] }),
      rec({ status: 'failed', startedAt: iso(T0 + 10 * H), finishedAt: iso(T0 + 10 * H + 60_000) }),
      rec({ status: 'rollback', startedAt: iso(T0 + 11 * H), finishedAt: iso(T0 + 11 * H + 120_000) }),
    ];
    const m = computeInsights(records, period).measures[0];
    assert.deepEqual(m.changeFailureRate, { changes: 10, failures: 2, rate: 0.2, band: 'low' });
    assert.equal(failureRateBand(0.05), 'elite');
    assert.equal(failureRateBand(0.1), 'high');
    assert.equal(failureRateBand(0.15), 'medium');
    assert.equal(failureRateBand(0.151), 'low');
  });

  it('time to restore: verified automatic rollback, next succeeded change, manual rollback', () => {
    const records = [
      // verified rollback: 10 minutes from the start of the bad change
      rec({ status: 'rolled-back', startedAt: iso(T0), finishedAt: iso(T0 + 600_000), checks: [{ name: 'rollback', status: 'passed' }] }),
      // failed at +1d, fixed forward by a succeeded deployment finishing 3h later
      rec({ status: 'failed', startedAt: iso(T0 + D), finishedAt: iso(T0 + D + 60_000) }),
      rec({ startedAt: iso(T0 + D + 2 * H), finishedAt: iso(T0 + D + 3 * H) }),
      // failed at +2d, a manual rollback 30 minutes later
      rec({ status: 'failed', startedAt: iso(T0 + 2 * D), finishedAt: iso(T0 + 2 * D + 60_000) }),
      rec({ status: 'rollback', startedAt: iso(T0 + 2 * D + 20 * 60_000), finishedAt: iso(T0 + 2 * D + 30 * 60_000) }),
    ];
    const m = computeInsights(records, period).measures[0];
    assert.equal(m.timeToRestore.incidents, 3);
    assert.equal(m.timeToRestore.open, 0);
    assert.equal(m.timeToRestore.count, 3);
    assert.equal(m.timeToRestore.medianMs, 30 * 60_000);
    assert.equal(m.timeToRestore.maxMs, 3 * H);
    assert.equal(m.timeToRestore.band, 'elite');
  });

  it('restore across periods: an incident belongs to the period it starts in, its end may be later', () => {
    const records = [
      rec({ status: 'failed', startedAt: iso(T0 + 13 * D), finishedAt: iso(T0 + 13 * D + 60_000) }),
      rec({ startedAt: iso(T0 + 15 * D), finishedAt: iso(T0 + 15 * D + H) }),
    ];
    const first = computeInsights(records, period).measures[0].timeToRestore;
    assert.deepEqual({ incidents: first.incidents, open: first.open, median: first.medianMs, band: first.band }, { incidents: 1, open: 0, median: 2 * D + H, band: 'medium' });
    const next = computeInsights(records, { since: new Date(T0 + 14 * D), until: new Date(T0 + 28 * D) }).measures[0];
    assert.equal(next.timeToRestore.incidents, 0);
    assert.equal(next.deploymentFrequency.deployments, 1);
  });

  it('incidents are per service and environment', () => {
    const list = [
      rec({ service: 'a', status: 'failed', startedAt: iso(T0) }),
      rec({ service: 'b', startedAt: iso(T0 + H) }),
    ];
    const r = computeInsights(list, period);
    const a = r.measures.find((m) => m.service === 'a')!;
    assert.equal(a.timeToRestore.open, 1);
    assert.equal(r.measures.find((m) => m.service === undefined)!.timeToRestore.open, 1);
    assert.equal(incidentsOf([list[0]]).length, 1);
    // rolled-back: the automatic rollback ran and was verified, unless its check says it failed
    assert.deepEqual(incidentsOf([rec({ status: 'rolled-back', startedAt: iso(T0), finishedAt: iso(T0 + 400_000) })]).map((i) => i.end), [T0 + 400_000]);
    assert.deepEqual(incidentsOf([rec({ status: 'rolled-back', startedAt: iso(T0), checks: [{ name: 'rollback', status: 'failed' }] })]).map((i) => i.end), [undefined]);
  });

  it('lead time: from the image push (field, else the image-exists check) to the succeeded record', () => {
    const records = [
      rec({ startedAt: iso(T0 + 2 * H), finishedAt: iso(T0 + 3 * H), imagePushedAt: iso(T0) }),
      rec({ startedAt: iso(T0 + D), finishedAt: iso(T0 + 3 * D), checks: [{ name: 'image-exists', status: 'passed', detail: `acme/accounts:1.5.0 is sha256:ab (pushed ${new Date(T0).toISOString()})` }] }),
      rec({ startedAt: iso(T0 + 4 * D), finishedAt: iso(T0 + 4 * D + H) }), // no source time: not a sample
    ];
    const m = computeInsights(records, period).measures[0];
    assert.equal(m.leadTime.count, 2);
    assert.equal(m.leadTime.medianMs, (3 * H + 3 * D) / 2);
    assert.equal(m.leadTime.band, 'high');
    assert.equal(sourceTime(records[2]), undefined);
    const hist = computeInsights(records, period).leadTimeHistogram[0];
    assert.deepEqual(hist, { environment: 'prod', counts: [0, 1, 1, 0, 0] });
  });

  it('lead time starts at the signing certificate, else the signature log time, else the push', () => {
    const signed = (signature: Record<string, string>) => [{ name: 'signature', status: 'passed' as const, signature: { form: 'bundle' as const, via: 'referrers-api' as const, signer: 'keyless' as const, digest: 'sha256:ab', artifactDigest: 'sha256:cd', ...signature } }];
    const records = [
      // keyless: certificate notBefore 5 h before the finish; pushed 6 h before (the push is not used)
      rec({ startedAt: iso(T0 + 4 * H), finishedAt: iso(T0 + 6 * H), imagePushedAt: iso(T0), checks: signed({ certificateNotBefore: iso(T0 + H), integratedTime: iso(T0 + H + 30_000) }) }),
      // key-based bundle: no certificate, the Rekor log time (2 days before the finish)
      rec({ startedAt: iso(T0 + 3 * D), finishedAt: iso(T0 + 3 * D + H), imagePushedAt: iso(T0 + D), checks: signed({ integratedTime: iso(T0 + D + H) }) }),
      // classic signature (no time in the evidence): the push time, 10 h
      rec({ startedAt: iso(T0 + 5 * D), finishedAt: iso(T0 + 5 * D + 10 * H), imagePushedAt: iso(T0 + 5 * D), checks: signed({}) }),
      // a failed signature check's evidence is not used: the push time, 3 h
      rec({ startedAt: iso(T0 + 6 * D), finishedAt: iso(T0 + 6 * D + 3 * H), imagePushedAt: iso(T0 + 6 * D), checks: [{ ...signed({ certificateNotBefore: iso(T0) })[0], status: 'failed' }] }),
    ];
    assert.deepEqual(records.map(changeStart), [
      { at: T0 + H, from: 'certificate' },
      { at: T0 + D + H, from: 'signature-log' },
      { at: T0 + 5 * D, from: 'image-push' },
      { at: T0 + 6 * D, from: 'image-push' },
    ]);
    assert.equal(sourceTime(records[0]), T0 + H);
    const m = computeInsights(records, period).measures[0];
    // samples 5 h, 2 d, 10 h, 3 h → sorted 3 h, 5 h, 10 h, 48 h: median 7.5 h, p90 and max 48 h
    assert.equal(m.leadTime.count, 4);
    assert.equal(m.leadTime.medianMs, 7.5 * H);
    assert.equal(m.leadTime.p90Ms, 2 * D);
    assert.equal(m.leadTime.maxMs, 2 * D);
    assert.equal(m.leadTime.band, 'elite');
    assert.deepEqual(computeInsights(records, period).leadTimeHistogram[0].counts, [0, 3, 1, 0, 0]);
  });

  it('a period change reuses the prepared records and gives the same figures as a fresh computation', () => {
    const records = Array.from({ length: 60 }, (_, i) => rec({ service: `s${i % 3}`, status: i % 5 === 4 ? 'rolled-back' : 'succeeded', startedAt: iso(T0 + i * 6 * H), finishedAt: iso(T0 + i * 6 * H + H), imagePushedAt: iso(T0 + i * 6 * H - 2 * H) }));
    const p1 = { since: new Date(T0), until: new Date(T0 + 7 * D) };
    const p2 = { since: new Date(T0 + 3 * D), until: new Date(T0 + 20 * D) };
    const first = computeInsights(records, p1);
    const second = computeInsights(records, p2);
    assert.deepEqual(computeInsights(records.slice(), p2), second);
    assert.deepEqual(computeInsights(records.slice(), p1), first);
    assert.equal(first.measures[0].changeFailureRate.changes, 28);
    assert.equal(second.measures[0].changeFailureRate.changes, 60 - 12);
  });

  it('band boundaries', () => {
    assert.equal(frequencyBand(1), 'elite');
    assert.equal(frequencyBand(0.999), 'high');
    assert.equal(frequencyBand(1 / 7), 'high');
    assert.equal(frequencyBand(1 / 30), 'medium');
    assert.equal(frequencyBand(0.03), 'low');
    assert.equal(leadTimeBand(D - 1), 'elite');
    assert.equal(leadTimeBand(D), 'high');
    assert.equal(leadTimeBand(7 * D), 'medium');
    assert.equal(leadTimeBand(30 * D), 'low');
    assert.equal(restoreBand(H - 1), 'elite');
    assert.equal(restoreBand(H), 'high');
    assert.equal(restoreBand(D), 'medium');
    assert.equal(restoreBand(7 * D), 'low');
  });

  it('weeks, environments in configuration order, and the tag timeline', () => {
    const records = [
      rec({ environment: 'dev', tag: '2.0.0', startedAt: iso(T0 + H), finishedAt: iso(T0 + H + 60_000) }),
      rec({ environment: 'stag', tag: '2.0.0', startedAt: iso(T0 + D), finishedAt: iso(T0 + D + 60_000) }),
      rec({ environment: 'prod', tag: '2.0.0', startedAt: iso(T0 + 8 * D), finishedAt: iso(T0 + 8 * D + 60_000) }),
      rec({ environment: 'prod', tag: '2.0.1', status: 'rolled-back', startedAt: iso(T0 + 9 * D) }),
    ];
    const r = computeInsights(records, { ...period, environmentOrder: ['dev', 'stag', 'prod'] });
    assert.deepEqual(r.environments, ['dev', 'stag', 'prod']);
    assert.deepEqual(r.measures.map((m) => `${m.environment}/${m.service ?? '*'}`), ['dev/*', 'dev/accounts', 'stag/*', 'stag/accounts', 'prod/*', 'prod/accounts']);
    assert.deepEqual(r.weeks.map((w) => [w.week.slice(0, 10), w.environment, w.counts.succeeded, w.counts['rolled-back']]), [
      ['2026-11-02', 'dev', 1, 0],
      ['2026-11-02', 'stag', 1, 0],
      ['2026-11-09', 'prod', 1, 1],
    ]);
    assert.deepEqual(r.timeline, [{ service: 'accounts', tags: [{ tag: '2.0.0', reached: { dev: iso(T0 + H + 60_000), stag: iso(T0 + D + 60_000), prod: iso(T0 + 8 * D + 60_000) } }] }]);
    assert.equal(new Date(weekStart(Date.parse('2026-11-08T23:59:59Z'))).toISOString(), '2026-11-02T00:00:00.000Z');
  });

  it('filters by environment and service', () => {
    const records = [rec({ environment: 'dev', startedAt: iso(T0) }), rec({ service: 'gateway', startedAt: iso(T0) }), rec({ startedAt: iso(T0 + H) })];
    const r = computeInsights(records, { ...period, environment: 'prod', service: 'accounts' });
    assert.deepEqual(r.measures.map((m) => [m.environment, m.service, m.deploymentFrequency.deployments]), [['prod', undefined, 1], ['prod', 'accounts', 1]]);
  });

  it('parsePeriod reads dates and spans and refuses anything else', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    assert.deepEqual(parsePeriod('30d', undefined, now), { since: new Date('2026-11-01T00:00:00Z'), until: now });
    assert.deepEqual(parsePeriod('2026-10-01', '2026-11-01', now), { since: new Date('2026-10-01T00:00:00Z'), until: new Date('2026-11-01T00:00:00Z') });
    assert.equal(parsePeriod(undefined, undefined, now).since.toISOString(), '2026-09-02T00:00:00.000Z');
    assert.throws(() => parsePeriod('yesterday', undefined, now), /--since "yesterday" is not a date/);
    assert.throws(() => parsePeriod('2026-12-02', undefined, now), /the period is empty/);
    assert.equal(formatDuration(90 * 60_000), '1h 30m');
    assert.equal(formatDuration(50 * H), '2d 2h');
  });
});

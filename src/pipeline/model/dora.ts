// The four DORA measures, computed from deployment records alone (pure: no I/O, no clock).
//
// What counts, exactly (docs/record-format.md § Insights says the same in prose):
// - a *change* is a record whose status is succeeded, rolled-back or failed and that reached origin
//   (it names a `commit`); a failed record without a commit changed nothing and is not counted.
//   Manual rollbacks (status `rollback`) are remediation, not changes.
// - deployment frequency: succeeded changes in the period, per day / per week.
// - lead time for changes: from the image's push time (`imagePushedAt`, or for older records the
//   "(pushed …)" time in the image-exists check) to the succeeded record's `finishedAt`.
// - change failure rate: (rolled-back + failed changes) / all changes.
// - time to restore: an incident starts at a failed or rolled-back change (its `startedAt`), while
//   the service was healthy; it ends at the verified automatic rollback (a rolled-back record's
//   `finishedAt`, unless its `rollback` check failed), else at the next succeeded change or manual
//   rollback of that service in that environment (its `finishedAt`). Incidents belong to the
//   period they start in; their end may lie after it. An incident with no end yet is "open".
import type { DeploymentRecord, RecordStatus } from './records';

export const DORA_BANDS = ['elite', 'high', 'medium', 'low'] as const;
export type DoraBand = (typeof DORA_BANDS)[number];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;

/**
 * Band boundaries from the performance clusters of the Accelerate State of DevOps Report 2023
 * (dora.dev): elite deploys on demand (≥ once a day), lead time < 1 day, change failure rate ≈ 5 %,
 * recovery < 1 hour; high: daily–weekly, < 1 week, ≈ 10 %, < 1 day; medium: weekly–monthly,
 * < 1 month, ≈ 15 %, < 1 week; low: below that. The report gives each cluster's typical value;
 * the change failure rate's cluster values are used here as upper bounds.
 */
export const DORA_THRESHOLDS = {
  /** Minimum deployments per day for each band. */
  frequencyPerDay: { elite: 1, high: 1 / 7, medium: 1 / 30 },
  /** Lead time strictly below (ms). */
  leadTimeMs: { elite: DAY, high: WEEK, medium: MONTH },
  /** Change failure rate at most (0–1). */
  changeFailureRate: { elite: 0.05, high: 0.1, medium: 0.15 },
  /** Time to restore strictly below (ms). */
  restoreMs: { elite: HOUR, high: DAY, medium: WEEK },
} as const;

export interface Period {
  /** Inclusive. */
  since: Date;
  /** Exclusive. */
  until: Date;
}

export interface DeploymentFrequency {
  /** Succeeded changes in the period. */
  deployments: number;
  days: number;
  perDay: number;
  perWeek: number;
  band: DoraBand;
}

export interface Distribution {
  /** Number of samples. */
  count: number;
  medianMs?: number;
  p90Ms?: number;
  maxMs?: number;
  /** Undefined when there is no sample. */
  band?: DoraBand;
}

export interface ChangeFailureRate {
  changes: number;
  failures: number;
  /** 0–1; undefined with no change. */
  rate?: number;
  band?: DoraBand;
}

export interface TimeToRestore extends Distribution {
  incidents: number;
  /** Incidents not restored (yet). */
  open: number;
}

export interface DoraMeasures {
  environment: string;
  /** Undefined: every service of the environment together. */
  service?: string;
  deploymentFrequency: DeploymentFrequency;
  leadTime: Distribution;
  changeFailureRate: ChangeFailureRate;
  timeToRestore: TimeToRestore;
}

export interface WeekBucket {
  /** Monday 00:00 UTC, ISO. */
  week: string;
  environment: string;
  counts: Record<RecordStatus, number>;
}

export const LEAD_TIME_BUCKETS = [
  { label: '< 1 hour', maxMs: HOUR },
  { label: '1 hour – 1 day', maxMs: DAY },
  { label: '1 day – 1 week', maxMs: WEEK },
  { label: '1 week – 1 month', maxMs: MONTH },
  { label: '≥ 1 month', maxMs: Infinity },
] as const;

/** The timeline keeps each service's newest tags (first reached in the period). */
export const TIMELINE_TAGS = 10;

/** When a tag first reached each environment (a succeeded change), per service: its newest TIMELINE_TAGS tags. */
export interface TagTimeline {
  service: string;
  tags: { tag: string; reached: Record<string, string> }[];
}

export interface Insights {
  period: { since: string; until: string };
  environments: string[];
  /** Per environment (service undefined) then per service of it. */
  measures: DoraMeasures[];
  weeks: WeekBucket[];
  /** Per environment: how many succeeded changes fell in each LEAD_TIME_BUCKETS bucket. */
  leadTimeHistogram: { environment: string; counts: number[] }[];
  timeline: TagTimeline[];
}

export interface InsightsOptions extends Period {
  environment?: string;
  service?: string;
  /** Environment order (the configuration's); others follow alphabetically. */
  environmentOrder?: readonly string[];
}

const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : NaN);
const endOf = (r: DeploymentRecord): number => {
  const f = ms(r.finishedAt);
  return Number.isNaN(f) ? ms(r.startedAt) : f;
};

/** A change: succeeded, rolled-back, failed or inconclusive (deployed, not yet judged), that reached origin. */
export function isChange(r: DeploymentRecord): boolean {
  if (r.status === 'rollback') return false;
  if (r.status === 'failed' && !r.commit) return false;
  return true;
}

export const isFailure = (r: DeploymentRecord): boolean => isChange(r) && (r.status === 'failed' || r.status === 'rolled-back');

const PUSHED = /\bpushed (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)/;

/** When the image was pushed: the record's field, else the time the image-exists check wrote. */
export function sourceTime(r: DeploymentRecord): number | undefined {
  const field = ms(r.imagePushedAt);
  if (!Number.isNaN(field)) return field;
  const detail = r.checks.find((c) => c.name === 'image-exists' && c.status === 'passed')?.detail;
  const m = detail ? PUSHED.exec(detail) : null;
  const t = m ? Date.parse(m[1]) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

export function frequencyBand(perDay: number): DoraBand {
  const t = DORA_THRESHOLDS.frequencyPerDay;
  return perDay >= t.elite ? 'elite' : perDay >= t.high ? 'high' : perDay >= t.medium ? 'medium' : 'low';
}

export function leadTimeBand(msValue: number): DoraBand {
  const t = DORA_THRESHOLDS.leadTimeMs;
  return msValue < t.elite ? 'elite' : msValue < t.high ? 'high' : msValue < t.medium ? 'medium' : 'low';
}

export function failureRateBand(rate: number): DoraBand {
  const t = DORA_THRESHOLDS.changeFailureRate;
  return rate <= t.elite ? 'elite' : rate <= t.high ? 'high' : rate <= t.medium ? 'medium' : 'low';
}

export function restoreBand(msValue: number): DoraBand {
  const t = DORA_THRESHOLDS.restoreMs;
  return msValue < t.elite ? 'elite' : msValue < t.high ? 'high' : msValue < t.medium ? 'medium' : 'low';
}

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function distribution(values: number[], band: (v: number) => DoraBand): Distribution {
  if (!values.length) return { count: 0 };
  const sorted = values.slice().sort((a, b) => a - b);
  const med = median(sorted);
  return { count: sorted.length, medianMs: med, p90Ms: percentile(sorted, 90), maxMs: sorted[sorted.length - 1], band: band(med) };
}

interface Incident {
  environment: string;
  service: string;
  start: number;
  end?: number;
}

/**
 * Incidents of one service in one environment; `records` oldest first. An incident starts at a
 * failure while healthy and ends at its verified rollback or the next succeeded change / manual rollback.
 */
export function incidentsOf(records: readonly DeploymentRecord[]): Incident[] {
  const out: Incident[] = [];
  let open: Incident | undefined;
  for (const r of records) {
    if (isFailure(r)) {
      // rolled-back means the automatic rollback ran and was verified, unless its check says it failed
      const rolledBack = r.status === 'rolled-back' && !r.checks.some((c) => c.name === 'rollback' && c.status === 'failed');
      if (!open) {
        open = { environment: r.environment, service: r.service, start: ms(r.startedAt) };
        out.push(open);
      }
      if (rolledBack) {
        open.end = endOf(r);
        open = undefined;
      }
    } else if (open && (r.status === 'succeeded' || r.status === 'rollback')) {
      open.end = endOf(r);
      open = undefined;
    }
  }
  return out;
}

/** Monday 00:00 UTC of the week containing t. */
export function weekStart(t: number): number {
  const d = new Date(t);
  const day = (d.getUTCDay() + 6) % 7;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day);
}

function emptyCounts(): Record<RecordStatus, number> {
  return { succeeded: 0, 'rolled-back': 0, failed: 0, rollback: 0, inconclusive: 0 };
}

/** Everything the Insights tab and `gitops-deploy insights` show, for a period. */
export function computeInsights(all: readonly DeploymentRecord[], opts: InsightsOptions): Insights {
  const since = opts.since.getTime();
  const until = opts.until.getTime();
  if (!(until > since)) throw new RangeError('the period must end after it starts');
  const days = (until - since) / DAY;
  const order = opts.environmentOrder ?? [];
  const rank = (e: string) => {
    const i = order.indexOf(e);
    return i < 0 ? order.length : i;
  };
  const selected = all.filter((r) => (!opts.environment || r.environment === opts.environment) && (!opts.service || r.service === opts.service));
  // Oldest first, per (environment, service).
  const byKey = new Map<string, DeploymentRecord[]>();
  for (const r of selected) {
    const key = `${r.environment}\u0000${r.service}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(r);
  }
  const environments = [...new Set(selected.map((r) => r.environment))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const inPeriod = (t: number) => t >= since && t < until;

  interface Acc { deployments: number; lead: number[]; changes: number; failures: number; restore: number[]; incidents: number; open: number }
  const newAcc = (): Acc => ({ deployments: 0, lead: [], changes: 0, failures: 0, restore: [], incidents: 0, open: 0 });
  const envAcc = new Map<string, Acc>(environments.map((e) => [e, newAcc()]));
  const svcAcc = new Map<string, Acc>();
  const weeks = new Map<string, WeekBucket>();
  const histogram = new Map<string, number[]>(environments.map((e) => [e, LEAD_TIME_BUCKETS.map(() => 0)]));
  const reached = new Map<string, Map<string, Record<string, string>>>();

  for (const [key, list] of byKey) {
    list.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : (a.finishedAt ?? '') < (b.finishedAt ?? '') ? -1 : (a.finishedAt ?? '') > (b.finishedAt ?? '') ? 1 : 0));
    const acc = newAcc();
    svcAcc.set(key, acc);
    const [environment, service] = key.split('\u0000');
    for (const r of list) {
      const started = ms(r.startedAt);
      const finished = endOf(r);
      if (r.status === 'succeeded' && isChange(r)) {
        let tags = reached.get(service);
        if (!tags) reached.set(service, (tags = new Map()));
        let at = tags.get(r.tag);
        if (!at) tags.set(r.tag, (at = {}));
        if (!at[environment] || at[environment] > (r.finishedAt ?? r.startedAt)) at[environment] = r.finishedAt ?? r.startedAt;
      }
      if (!inPeriod(started)) continue;
      const wk = weekStart(started);
      const wkKey = `${wk}\u0000${environment}`;
      let bucket = weeks.get(wkKey);
      if (!bucket) weeks.set(wkKey, (bucket = { week: new Date(wk).toISOString(), environment, counts: emptyCounts() }));
      if (isChange(r) || r.status === 'rollback') bucket.counts[r.status]++;
      if (!isChange(r)) continue;
      acc.changes++;
      if (isFailure(r)) acc.failures++;
      if (r.status === 'succeeded') {
        acc.deployments++;
        const src = sourceTime(r);
        if (src !== undefined && finished >= src) {
          const lead = finished - src;
          acc.lead.push(lead);
          const h = histogram.get(environment)!;
          h[LEAD_TIME_BUCKETS.findIndex((b) => lead < b.maxMs)]++;
        }
      }
    }
    for (const inc of incidentsOf(list)) {
      if (!inPeriod(inc.start)) continue;
      acc.incidents++;
      if (inc.end === undefined) acc.open++;
      else acc.restore.push(Math.max(0, inc.end - inc.start));
    }
    const e = envAcc.get(environment)!;
    e.deployments += acc.deployments;
    e.lead.push(...acc.lead);
    e.changes += acc.changes;
    e.failures += acc.failures;
    e.restore.push(...acc.restore);
    e.incidents += acc.incidents;
    e.open += acc.open;
  }

  const measure = (environment: string, service: string | undefined, a: Acc): DoraMeasures => {
    const perDay = a.deployments / days;
    const rate = a.changes ? a.failures / a.changes : undefined;
    return {
      environment,
      service,
      deploymentFrequency: { deployments: a.deployments, days, perDay, perWeek: perDay * 7, band: frequencyBand(perDay) },
      leadTime: distribution(a.lead, leadTimeBand),
      changeFailureRate: { changes: a.changes, failures: a.failures, rate, band: rate === undefined ? undefined : failureRateBand(rate) },
      timeToRestore: { ...distribution(a.restore, restoreBand), incidents: a.incidents, open: a.open },
    };
  };
  const measures: DoraMeasures[] = [];
  for (const env of environments) {
    measures.push(measure(env, undefined, envAcc.get(env)!));
    const services = [...byKey.keys()].filter((k) => k.startsWith(`${env}\u0000`)).map((k) => k.split('\u0000')[1]).sort();
    for (const s of services) measures.push(measure(env, s, svcAcc.get(`${env}\u0000${s}`)!));
  }
  const timeline: TagTimeline[] = [...reached.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, tags]) => ({
      service,
      tags: [...tags.entries()]
        .map(([tag, at]) => ({ tag, reached: at }))
        .filter((t) => Object.values(t.reached).some((iso) => inPeriod(Date.parse(iso))))
        .sort((a, b) => (firstReached(a.reached) < firstReached(b.reached) ? -1 : 1))
        .slice(-TIMELINE_TAGS),
    }))
    .filter((t) => t.tags.length > 0);
  return {
    period: { since: opts.since.toISOString(), until: opts.until.toISOString() },
    environments,
    measures,
    weeks: [...weeks.values()].sort((a, b) => a.week.localeCompare(b.week) || rank(a.environment) - rank(b.environment)),
    leadTimeHistogram: environments.map((environment) => ({ environment, counts: histogram.get(environment)! })),
    timeline,
  };
}

function firstReached(at: Record<string, string>): string {
  return Object.values(at).sort()[0] ?? '';
}

/**
 * A period from `--since` / `--until`: ISO dates or times, or a span back from now
 * ("30d", "12w", "6m" = 30-day months). Throws a RangeError saying what to write.
 */
export function parsePeriod(since: string | undefined, until: string | undefined, now: Date, defaultDays = 90): Period {
  const end = until === undefined ? now : parseInstant(until, now, '--until');
  const start = since === undefined ? new Date(end.getTime() - defaultDays * DAY) : parseInstant(since, end, '--since');
  if (!(end.getTime() > start.getTime())) throw new RangeError(`the period is empty: --since ${start.toISOString()} is not before --until ${end.toISOString()}`);
  return { since: start, until: end };
}

function parseInstant(text: string, from: Date, flag: string): Date {
  const span = /^(\d{1,4})([dwm])$/.exec(text.trim());
  if (span) return new Date(from.getTime() - Number(span[1]) * { d: DAY, w: WEEK, m: MONTH }[span[2] as 'd' | 'w' | 'm']);
  if (/^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?$/.test(text.trim())) {
    const t = Date.parse(text.trim().length === 10 ? `${text.trim()}T00:00:00Z` : text.trim());
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new RangeError(`${flag} "${text}" is not a date (2026-11-01, 2026-11-01T08:00:00Z) or a span back from now (30d, 12w, 6m)`);
}


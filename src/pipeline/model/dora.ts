// The four DORA measures, computed from deployment records alone (pure: no I/O, no clock).
//
// What counts, exactly (docs/record-format.md § Insights says the same in prose):
// - a *change* is a record whose status is succeeded, rolled-back or failed and that reached origin
//   (it names a `commit`); a failed record without a commit changed nothing and is not counted.
//   Manual rollbacks (status `rollback`) are remediation, not changes.
// - deployment frequency: succeeded changes in the period, per day / per week.
// - lead time for changes: from when the change was built — the signing certificate's notBefore
//   (keyless) or the signature's Rekor log time, when the passed signature check carries them — else
//   the image's push time (`imagePushedAt`, or for older records the "(pushed …)" time in the
//   image-exists check), to the succeeded record's `finishedAt` (changeStart).
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

/** Where a change's lead time starts, most telling first. */
export type LeadTimeStart = 'certificate' | 'signature-log' | 'image-push';

/**
 * When the change was built: from the passed signature check's evidence when the record has it —
 * the keyless certificate's notBefore (Fulcio issues it to the build as it signs), else the time
 * Rekor logged the signature — else the image's push time (the record's field, else the time the
 * image-exists check wrote). Undefined when the record has none of them.
 */
export function changeStart(r: DeploymentRecord): { at: number; from: LeadTimeStart } | undefined {
  const signature = r.checks.find((c) => c.name === 'signature' && c.status === 'passed')?.signature;
  if (signature) {
    const cert = ms(signature.certificateNotBefore);
    if (!Number.isNaN(cert)) return { at: cert, from: 'certificate' };
    const logged = ms(signature.integratedTime);
    if (!Number.isNaN(logged)) return { at: logged, from: 'signature-log' };
  }
  const field = ms(r.imagePushedAt);
  if (!Number.isNaN(field)) return { at: field, from: 'image-push' };
  const detail = r.checks.find((c) => c.name === 'image-exists' && c.status === 'passed')?.detail;
  const m = detail ? PUSHED.exec(detail) : null;
  const t = m ? Date.parse(m[1]) : NaN;
  return Number.isNaN(t) ? undefined : { at: t, from: 'image-push' };
}

/** The start of a change's lead time (changeStart's instant). */
export function sourceTime(r: DeploymentRecord): number | undefined {
  return changeStart(r)?.at;
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

/** A record with the times the measures use, parsed once. */
interface Prepared {
  r: DeploymentRecord;
  started: number;
  /** Monday of `started`'s week. */
  week: number;
  change: boolean;
  failure: boolean;
  /** Succeeded change with a source time: its lead time (ms). */
  lead?: number;
}

interface Group {
  environment: string;
  service: string;
  /** Oldest first. */
  list: Prepared[];
  incidents: Incident[];
}

interface TagReached {
  tag: string;
  reached: Record<string, string>;
  times: number[];
  first: string;
}

interface Preparation {
  /** Sorted by environment key then service. */
  groups: Map<string, Group>;
  /** Per service: its tags, by first reached (oldest first). */
  reached: Map<string, TagReached[]>;
}

// The part of the work that does not depend on the period, per records array and filter: a period
// change (the Insights tab's selector) only walks the records inside the period. Record arrays are
// never changed after loading (a reload makes a new array), so the array is the cache key.
const prepared = new WeakMap<readonly DeploymentRecord[], Map<string, Preparation>>();

function prepare(all: readonly DeploymentRecord[], environment: string | undefined, service: string | undefined): Preparation {
  let byFilter = prepared.get(all);
  if (!byFilter) prepared.set(all, (byFilter = new Map()));
  const filterKey = `${environment ?? ''}\u0000${service ?? ''}`;
  const hit = byFilter.get(filterKey);
  if (hit) return hit;
  const groups = new Map<string, Group>();
  const reachedAt = new Map<string, Map<string, Record<string, string>>>();
  for (const r of all) {
    if ((environment && r.environment !== environment) || (service && r.service !== service)) continue;
    const key = `${r.environment}\u0000${r.service}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { environment: r.environment, service: r.service, list: [], incidents: [] }));
    const started = ms(r.startedAt);
    const change = isChange(r);
    const p: Prepared = { r, started, week: weekStart(started), change, failure: change && (r.status === 'failed' || r.status === 'rolled-back') };
    if (r.status === 'succeeded' && change) {
      const finished = endOf(r);
      const src = sourceTime(r);
      if (src !== undefined && finished >= src) p.lead = finished - src;
      let tags = reachedAt.get(r.service);
      if (!tags) reachedAt.set(r.service, (tags = new Map()));
      let at = tags.get(r.tag);
      if (!at) tags.set(r.tag, (at = {}));
      const when = r.finishedAt ?? r.startedAt;
      if (!at[r.environment] || at[r.environment] > when) at[r.environment] = when;
    }
    g.list.push(p);
  }
  for (const g of groups.values()) {
    g.list.sort((a, b) => (a.r.startedAt < b.r.startedAt ? -1 : a.r.startedAt > b.r.startedAt ? 1 : (a.r.finishedAt ?? '') < (b.r.finishedAt ?? '') ? -1 : (a.r.finishedAt ?? '') > (b.r.finishedAt ?? '') ? 1 : 0));
    g.incidents = incidentsOf(g.list.map((p) => p.r));
  }
  const reached = new Map<string, TagReached[]>();
  for (const [svc, tags] of reachedAt) {
    reached.set(
      svc,
      [...tags.entries()]
        .map(([tag, at]) => {
          const values = Object.values(at);
          return { tag, reached: at, times: values.map((v) => Date.parse(v)), first: values.slice().sort()[0] ?? '' };
        })
        .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0)),
    );
  }
  const result: Preparation = { groups, reached };
  byFilter.set(filterKey, result);
  return result;
}

/** Index of the first entry of `list` (by `started`, ascending) at or after `t`. */
function firstAtOrAfter(list: readonly Prepared[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].started < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Everything the Insights tab and `gitops-deploy insights` show, for a period. `all` is read, never
 * changed; what does not depend on the period is kept per array, so another period costs little.
 */
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
  const prep = prepare(all, opts.environment || undefined, opts.service || undefined);
  const environments = [...new Set([...prep.groups.values()].map((g) => g.environment))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const inPeriod = (t: number) => t >= since && t < until;

  interface Acc { deployments: number; lead: number[]; changes: number; failures: number; restore: number[]; incidents: number; open: number }
  const newAcc = (): Acc => ({ deployments: 0, lead: [], changes: 0, failures: 0, restore: [], incidents: 0, open: 0 });
  const envAcc = new Map<string, Acc>(environments.map((e) => [e, newAcc()]));
  const svcAcc = new Map<string, Acc>();
  const weeks = new Map<string, WeekBucket>();
  const histogram = new Map<string, number[]>(environments.map((e) => [e, LEAD_TIME_BUCKETS.map(() => 0)]));

  for (const [key, g] of prep.groups) {
    const acc = newAcc();
    svcAcc.set(key, acc);
    const { environment, list } = g;
    for (let i = firstAtOrAfter(list, since); i < list.length && list[i].started < until; i++) {
      const p = list[i];
      const r = p.r;
      const wkKey = `${p.week}\u0000${environment}`;
      let bucket = weeks.get(wkKey);
      if (!bucket) weeks.set(wkKey, (bucket = { week: new Date(p.week).toISOString(), environment, counts: emptyCounts() }));
      if (p.change || r.status === 'rollback') bucket.counts[r.status]++;
      if (!p.change) continue;
      acc.changes++;
      if (p.failure) acc.failures++;
      if (r.status === 'succeeded') {
        acc.deployments++;
        if (p.lead !== undefined) {
          const lead = p.lead;
          acc.lead.push(lead);
          const h = histogram.get(environment)!;
          h[LEAD_TIME_BUCKETS.findIndex((b) => lead < b.maxMs)]++;
        }
      }
    }
    for (const inc of g.incidents) {
      if (!inPeriod(inc.start)) continue;
      acc.incidents++;
      if (inc.end === undefined) acc.open++;
      else acc.restore.push(Math.max(0, inc.end - inc.start));
    }
    const e = envAcc.get(environment)!;
    e.deployments += acc.deployments;
    for (const x of acc.lead) e.lead.push(x);
    e.changes += acc.changes;
    e.failures += acc.failures;
    for (const x of acc.restore) e.restore.push(x);
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
    const services = [...prep.groups.values()].filter((g) => g.environment === env).map((g) => g.service).sort();
    for (const s of services) measures.push(measure(env, s, svcAcc.get(`${env}\u0000${s}`)!));
  }
  const timeline: TagTimeline[] = [...prep.reached.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, tags]) => ({
      service,
      tags: tags
        .filter((t) => t.times.some(inPeriod))
        .slice(-TIMELINE_TAGS)
        .map((t) => ({ tag: t.tag, reached: { ...t.reached } })),
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


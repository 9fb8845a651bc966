import { DateTime, IANAZone } from 'luxon';
import type { BlockedRange, Freeze, Weekday, WindowPolicy } from '../config/types';

const DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface WindowState {
  /** Deployments are allowed at this instant. */
  open: boolean;
  /** Why it is closed: the blocked range or the freeze. */
  reason?: string;
  /** The next instant the state flips (undefined: never within the horizon, or no policy). */
  changesAt?: Date;
  /** When it next opens (set only while closed and an opening is within the horizon). */
  opensAt?: Date;
  /** When it next closes (set only while open and a closing is within the horizon). */
  closesAt?: Date;
  /** The policy's IANA zone (undefined: no policy). */
  timeZone?: string;
  /** `changesAt` in the policy's zone, compactly: "17:00 EST", "Mon 09:00 EST". */
  changesAtLocal?: string;
  /** A human summary: "open until Mon 09:00 EST", "blocked until 17:00 EST (business hours)". */
  summary: string;
  /** The instant in the policy's zone, for refusals: "Wed 10:00 EST". */
  localNow?: string;
}

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

function describeRange(r: BlockedRange): string {
  const days = r.days.length === 5 && ['mon', 'tue', 'wed', 'thu', 'fri'].every((d) => r.days.includes(d as Weekday)) ? 'Mon–Fri' : r.days.map((d) => d[0].toUpperCase() + d.slice(1)).join(', ');
  return `${days} ${r.from}–${r.to}`;
}

/** Which rule blocks this instant, if any. Ranges with from > to run past midnight into the next day. */
function blockingRule(policy: WindowPolicy, t: DateTime): string | undefined {
  const local = t.setZone(policy.timeZone);
  for (const f of policy.freezes) {
    if (inFreeze(f, local)) return `freeze "${f.name}"`;
  }
  const day = DAYS[local.weekday - 1];
  const prevDay = DAYS[(local.weekday + 5) % 7];
  const m = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60000;
  for (const r of policy.blocked) {
    const from = minutes(r.from);
    const to = minutes(r.to);
    if (from < to) {
      if (r.days.includes(day) && m >= from && m < to) return `blocked hours ${describeRange(r)}`;
    } else if (from > to) {
      if ((r.days.includes(day) && m >= from) || (r.days.includes(prevDay) && m < to)) return `blocked hours ${describeRange(r)}`;
    }
  }
  return undefined;
}

function freezeBounds(f: Freeze, zone: string): [DateTime, DateTime] {
  const start = f.from.length === 10 ? DateTime.fromISO(f.from, { zone }).startOf('day') : DateTime.fromISO(f.from.replace(' ', 'T'), { zone });
  // A date `to` is inclusive: the freeze ends at the start of the next day.
  const end = f.to.length === 10 ? DateTime.fromISO(f.to, { zone }).plus({ days: 1 }).startOf('day') : DateTime.fromISO(f.to.replace(' ', 'T'), { zone });
  return [start, end];
}

function inFreeze(f: Freeze, local: DateTime): boolean {
  const [start, end] = freezeBounds(f, local.zoneName ?? 'UTC');
  return local >= start && local < end;
}

/** Instants at which a rule could start or stop applying, after `from`, within `days`. */
function boundaries(policy: WindowPolicy, from: DateTime, days: number): DateTime[] {
  const zone = policy.timeZone;
  const out: DateTime[] = [];
  const startDay = from.setZone(zone).startOf('day');
  for (let i = -1; i <= days; i++) {
    const day = startDay.plus({ days: i });
    for (const r of policy.blocked) {
      for (const hhmm of [r.from, r.to]) {
        const m = minutes(hhmm);
        // Built from local wall-clock parts, so a DST change is honoured (09:00 is 09:00 local on both sides).
        out.push(m === 1440 ? day.plus({ days: 1 }).startOf('day') : day.set({ hour: Math.floor(m / 60), minute: m % 60, second: 0, millisecond: 0 }));
      }
    }
  }
  for (const f of policy.freezes) out.push(...freezeBounds(f, zone));
  return out.filter((b) => b > from).sort((a, b) => a.toMillis() - b.toMillis());
}

/**
 * Is deployment allowed at `now`, and when does that change? A pure function of the instant.
 * `undefined` policy: always open.
 */
export function windowState(policy: WindowPolicy | undefined, now: Date, horizonDays = 400): WindowState {
  if (!policy || (policy.blocked.length === 0 && policy.freezes.length === 0)) {
    return { open: true, summary: 'no deployment window restrictions' };
  }
  const t = DateTime.fromJSDate(now, { zone: policy.timeZone });
  const rule = blockingRule(policy, t);
  const open = rule === undefined;
  let changesAt: DateTime | undefined;
  // Boundaries are checked in order; the first one whose state differs is the change. Scanning a
  // week first keeps the common case cheap; a long freeze needs the longer horizon.
  for (const days of [8, horizonDays]) {
    for (const b of boundaries(policy, t, days)) {
      if ((blockingRule(policy, b) === undefined) !== open) {
        changesAt = b;
        break;
      }
    }
    if (changesAt) break;
  }
  const when = changesAt ? formatWhen(changesAt.setZone(policy.timeZone), t) : undefined;
  const summary = open
    ? when ? `open until ${when}` : 'open'
    : when ? `blocked until ${when} (${rule})` : `blocked (${rule})`;
  const at = changesAt?.toJSDate();
  return { open, reason: rule, changesAt: at, changesAtLocal: when, opensAt: open ? undefined : at, closesAt: open ? at : undefined, timeZone: policy.timeZone, summary, localNow: t.toFormat('ccc HH:mm ZZZZ') };
}

/** "17:00 EST" today, "Mon 09:00 EST" this week, "2026-12-01 09:00 EST" further out. */
export function formatWhen(at: DateTime, now: DateTime): string {
  const local = at;
  const sameDay = local.hasSame(now.setZone(local.zoneName ?? 'UTC'), 'day');
  const diffDays = local.diff(now, 'days').days;
  const time = local.toFormat('HH:mm ZZZZ');
  if (sameDay) return time;
  if (diffDays < 6) return `${local.toFormat('ccc')} ${time}`;
  return `${local.toFormat('yyyy-LL-dd')} ${time}`;
}

/**
 * The window's next change in a few words, for narrow places (a tree row): "open · closes 09:00 ET",
 * "closed · opens 17:00 ET (in 3 h)", "closed · opens Mon 09:00 ET (in 2 d)". Reads opensAt/closesAt.
 */
export function windowBrief(w: WindowState, now: Date): string {
  if (!w.timeZone) return 'open';
  if (w.open) return w.closesAt ? `open · closes ${shortWhen(w.closesAt, w.timeZone, now)}` : 'open';
  return w.opensAt ? `closed · opens ${shortWhen(w.opensAt, w.timeZone, now)} (${inHowLong(w.opensAt, now)})` : 'closed';
}

/** "09:00 ET" today, "Mon 09:00 ET" within six days, "Dec 24 09:00 ET" further out. */
export function shortWhen(at: Date, zone: string, now: Date): string {
  const local = DateTime.fromJSDate(at, { zone });
  const today = DateTime.fromJSDate(now, { zone });
  const time = `${local.toFormat('HH:mm')} ${zoneAbbreviation(zone, at)}`;
  if (local.hasSame(today, 'day')) return time;
  if (local.diff(today, 'days').days < 6) return `${local.toFormat('ccc')} ${time}`;
  return `${local.toFormat('LLL d')} ${time}`;
}

/** "ET", "PT" where a short generic name exists; else the short specific one ("CET", "GMT+1", "UTC"). */
export function zoneAbbreviation(zone: string, at: Date): string {
  const name = (style: 'shortGeneric' | 'short'): string | undefined => {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: style }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value;
    } catch {
      return undefined;
    }
  };
  const generic = name('shortGeneric');
  if (generic && /^[A-Z]{2,4}$/.test(generic)) return generic;
  return DateTime.fromJSDate(at, { zone }).toFormat('ZZZZ');
}

/** "in 25 min", "in 3 h", "in 2 d". */
function inHowLong(at: Date, now: Date): string {
  const min = Math.max(1, Math.round((at.getTime() - now.getTime()) / 60_000));
  if (min < 60) return `in ${min} min`;
  if (min < 48 * 60) return `in ${Math.round(min / 60)} h`;
  return `in ${Math.round(min / 1440)} d`;
}

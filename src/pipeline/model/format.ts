/** "just now", "5 min ago", "3 h ago", "2 d ago", or the date for older instants. */
export function relativeTime(iso: string, now: Date): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now.getTime() - t) / 1000);
  if (s < 0) return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 86400 * 30) return `${Math.floor(s / 86400)} d ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** A step's or a wait's duration, precise: "340 ms", "4.2 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** A span of calendar time, coarse (lead times, time to restore): "45s", "3h 20m", "2d 4h". */
export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? ` ${h % 24}h` : ''}`;
}

/** How long until something (a window opening): "45 min", "7 h", "2 h 30 min", "2 d 16 h". */
export function formatWait(ms: number): string {
  const min = Math.max(1, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  if (h < 24) return m ? `${h} h ${m} min` : `${h} h`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** The mark of a check's status, everywhere a check is printed (transcript, CLI, record). */
export const CHECK_MARK = { passed: '✓', failed: '✗', warning: '!', skipped: '–', inconclusive: '?' } as const satisfies Record<string, string>;

/** The mark of a finished step's status. */
export const STEP_MARK = { succeeded: '✓', refused: '⊘', failed: '✗', inconclusive: '?' } as const satisfies Record<string, string>;

/** The first seven characters of a commit id, "(none)" without one. */
export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 7) : '(none)';
}

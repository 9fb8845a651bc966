/**
 * `rateLimit` (GitHub): answer as GitHub does when a limit is hit — 'primary': x-ratelimit-remaining: 0
 * and x-ratelimit-reset `retryAfter` s from now; 'secondary': "You have exceeded a secondary rate
 * limit" with Retry-After: `retryAfter` (omitted when undefined). `code` is 403 or 429, as GitHub sends either.
 */
export type FaultSpec = number | { code: number; message?: string; type?: string; times?: number; rateLimit?: 'primary' | 'secondary'; retryAfter?: number };

/** Injected API errors keyed by "VERB /path" (a trailing * matches a prefix). */
export class Faults {
  private readonly rules = new Map<string, FaultSpec>();

  constructor(initial: Record<string, FaultSpec> = {}) {
    for (const [k, v] of Object.entries(initial)) this.rules.set(k, v);
  }

  set(key: string, spec: FaultSpec | null): void {
    if (spec === null) this.rules.delete(key);
    else this.rules.set(key, spec);
  }

  clear(): void {
    this.rules.clear();
  }

  /** The fault for a request, consuming one of its `times`. */
  match(verbs: string[], path: string): { code: number; message?: string; type?: string; rateLimit?: 'primary' | 'secondary'; retryAfter?: number } | undefined {
    for (const [key, spec] of this.rules) {
      const sp = key.indexOf(' ');
      const verb = sp > 0 ? key.slice(0, sp).toUpperCase() : '*';
      const pattern = sp > 0 ? key.slice(sp + 1).trim() : key.trim();
      if (verb !== '*' && !verbs.includes(verb)) continue;
      const ok = pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
      if (!ok) continue;
      const s = typeof spec === 'number' ? { code: spec } : spec;
      if (typeof spec === 'object' && spec.times !== undefined) {
        if (spec.times <= 1) this.rules.delete(key);
        else spec.times--;
      }
      return s;
    }
    return undefined;
  }
}

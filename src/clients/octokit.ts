// The one Octokit of src/clients: @octokit/rest with @octokit/plugin-retry (5xx and network errors,
// `retries` times with a growing pause) and @octokit/plugin-throttling (GitHub's primary rate limit
// — x-ratelimit-remaining: 0 until x-ratelimit-reset —, secondary limits and Retry-After, and one
// write at a time). All three load with import() on first use, each from its own bundle.
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };

export interface RateLimitEvent {
  kind: 'primary' | 'secondary';
  /** Seconds GitHub asked us to wait (Retry-After, or until x-ratelimit-reset). */
  retryAfterS: number;
  method: string;
  url: string;
  /** Retries of this request so far. */
  retryCount: number;
  /** Whether the request waits and retries (false: the error goes to the caller). */
  willRetry: boolean;
}

export interface OctokitOptions {
  baseUrl: string;
  token?: string;
  /** Retries of a 5xx or network error (default 3; tests pass 0). */
  retries?: number;
  /** Wait out a rate limit only when GitHub asks for at most this long (default 120 s); longer fails at once. */
  maxRateLimitWaitS?: number;
  /** Rate-limit retries of one request (default 2). */
  maxRateLimitRetries?: number;
  /** Milliseconds per second of Retry-After (default 1000; tests pass 0 so nothing really sleeps). */
  retryAfterUnitMs?: number;
  /** Told about every rate-limit response (the caller logs it). */
  onRateLimit?: (e: RateLimitEvent) => void;
  /** Least time between two writes (POST, PATCH, PUT, DELETE) of this client (default 250 ms). */
  writeIntervalMs?: number;
  /**
   * Least time between two writes that notify people (opening or merging a pull request, a review,
   * a comment) — GitHub asks for about a second between content-creating requests (default 1000 ms;
   * the plugin's own group waits 3 s for every client of the process).
   */
  notificationIntervalMs?: number;
}

/**
 * The throttling plugin's "write" limiter (a Bottleneck group by default, 1 s between writes for
 * every client of the process, which made a deployment's four GitHub Deployments calls cost 3 s).
 * Ours spaces this client's writes by `intervalMs`; GitHub's secondary limits, should they come,
 * are waited out as above. The plugin only awaits `key(id).schedule(options, noop)` before a write.
 */
function spacedWrites(intervalMs: number): { key(id: string): { schedule<T>(options: unknown, fn: (...a: unknown[]) => Promise<T>, ...args: unknown[]): Promise<T> } } {
  let free = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const limiter = {
    schedule<T>(_options: unknown, fn: (...a: unknown[]) => Promise<T>, ...args: unknown[]): Promise<T> {
      const run = queue.then(async () => {
        const wait = free - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        free = Date.now() + intervalMs;
        return fn(...args);
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
  return { key: () => limiter };
}

/** Whether to wait `retryAfterS` and retry, after `retryCount` retries: a pure rule. */
export function waitOutRateLimit(retryAfterS: number, retryCount: number, o: Pick<OctokitOptions, 'maxRateLimitWaitS' | 'maxRateLimitRetries'> = {}): boolean {
  return retryCount < (o.maxRateLimitRetries ?? 2) && retryAfterS <= (o.maxRateLimitWaitS ?? 120);
}

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export async function createOctokit(o: OctokitOptions): Promise<Octokit> {
  const [{ Octokit: Base }, { retry }, { throttling }] = await Promise.all([import('@octokit/rest'), import('@octokit/plugin-retry'), import('@octokit/plugin-throttling')]);
  const WithPlugins = Base.plugin(retry, throttling);
  const handler =
    (kind: RateLimitEvent['kind']) =>
    (retryAfterS: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number): boolean => {
      const willRetry = waitOutRateLimit(retryAfterS, retryCount, o);
      o.onRateLimit?.({ kind, retryAfterS, method: options.method ?? 'GET', url: options.url ?? '', retryCount, willRetry });
      return willRetry;
    };
  return new WithPlugins({
    ...(o.token ? { auth: o.token } : {}),
    baseUrl: o.baseUrl.replace(/\/+$/, ''),
    userAgent: 'gitops-deploy',
    // Not `request: { retries }`: plugin-retry reads that on every failed request, and would retry a
    // 403 or 422 too. Here it retries 5xx and network errors, pausing retryCount² × retryAfterBaseValue;
    // 403 and 429 are the throttling plugin's (GitHub sends its limits as either).
    retry: { retries: o.retries ?? 3, retryAfterBaseValue: o.retryAfterUnitMs ?? 1000, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: { onRateLimit: handler('primary'), onSecondaryRateLimit: handler('secondary'), retryAfterBaseValue: o.retryAfterUnitMs ?? 1000, write: spacedWrites(o.writeIntervalMs ?? 250) as never, notifications: spacedWrites(o.notificationIntervalMs ?? 1000) as never },
    log: quiet,
  }) as unknown as Octokit;
}

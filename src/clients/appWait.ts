// The frame both Argo CD adapters wait in (the Application as a Kubernetes custom object, and the
// Argo CD API server's stream): a deadline, the caller's abort, every status seen handed to
// `onUpdate` and `done`, a growing pause between failed attempts, and one place that ends it all.
// How the status arrives — a Kubernetes watch or a JSON stream, each re-read when it breaks — is the
// adapter's `start`.
import { formatDuration } from '../pipeline/model/format';
import { WaitTimeoutError, type AppStatus } from '../pipeline/ports';
import { describeAppStatus, toAppStatus } from './kubeMap';
import { abortError, throwIfAborted } from './util';

export interface AppWait {
  /** The wait is over (resolved or rejected): callbacks still in flight return. */
  readonly finished: boolean;
  /** Map a raw Application, remember it, tell `onUpdate` and end the wait when `done`. */
  observe(obj: unknown): AppStatus | undefined;
  finish(err: Error | undefined, value?: AppStatus): void;
  /** Run `fn` after a pause that grows with each failure in a row (100 ms … 2 s, never past the deadline). */
  retry(fn: () => void): void;
  /** A status arrived: the next failure pauses briefly again. */
  recovered(): void;
  /** The last transport error, named in the timeout's message. */
  lastError?: string;
  /** Released when the wait ends (a stream, a watch, a timer). */
  onEnd(cleanup: () => void): void;
}

export interface AppWaitOptions {
  namespace: string;
  app: string;
  timeoutMs: number;
  signal?: AbortSignal;
  done: (s: AppStatus) => boolean;
  onUpdate?: (s: AppStatus) => void;
  /** Where the wait looked, for the timeout's message (" (API server argocd.example.com)"). */
  where?: string;
  /** What a transport error is called in the timeout's message ("watch", "stream"). */
  channel: string;
}

export function waitForApp(o: AppWaitOptions, start: (w: AppWait) => void): Promise<AppStatus> {
  throwIfAborted(o.signal);
  const started = Date.now();
  return new Promise<AppStatus>((resolve, reject) => {
    let last: AppStatus | undefined;
    let failures = 0;
    let retryTimer: NodeJS.Timeout | undefined;
    const cleanups: (() => void)[] = [];
    const remaining = () => Math.max(0, o.timeoutMs - (Date.now() - started));
    const w: AppWait = {
      finished: false,
      observe(obj) {
        if (w.finished || !obj) return undefined;
        const s = toAppStatus(obj, o.app);
        last = s;
        try {
          o.onUpdate?.(s);
          if (o.done(s)) w.finish(undefined, s);
        } catch (err) {
          w.finish(err instanceof Error ? err : new Error(String(err)));
        }
        return s;
      },
      finish(err, value) {
        if (w.finished) return;
        (w as { finished: boolean }).finished = true;
        clearTimeout(timer);
        if (retryTimer) clearTimeout(retryTimer);
        o.signal?.removeEventListener('abort', onAbort);
        for (const c of cleanups) c();
        if (err) reject(err);
        else resolve(value!);
      },
      retry(fn) {
        if (w.finished) return;
        failures++;
        const delay = Math.min(2000, 100 * 2 ** Math.min(failures - 1, 5));
        retryTimer = setTimeout(fn, Math.min(delay, remaining()));
      },
      recovered() {
        failures = 0;
      },
      onEnd(cleanup) {
        cleanups.push(cleanup);
      },
    };
    const timer = setTimeout(() => {
      const waitedMs = Date.now() - started;
      const extra = w.lastError ? `; last ${o.channel} error: ${w.lastError}` : '';
      w.finish(new WaitTimeoutError(`Timed out after ${formatDuration(waitedMs)} waiting for Argo CD application ${o.namespace}/${o.app}${o.where ?? ''}; last status: ${describeAppStatus(last)}${extra}`, last, waitedMs));
    }, remaining());
    const onAbort = () => w.finish(abortError(o.signal));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    start(w);
  });
}

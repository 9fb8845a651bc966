// "Could not observe" is not "failed". A verification check fails only on an observation of a bad
// state (a crash loop, DOWN, a 5xx ratio over the threshold); when the system that would tell cannot
// be read after a few tries (Prometheus answering 503, the API refusing the token, a timeout) the
// check is `inconclusive`, and the pipeline decides by `verification.onInconclusive`, never blindly.
import { portErrorOf, type FaultKind, type FaultSystem } from './model/cause';
import { abortReason } from './runner';

export type Observation<T> = { ok: true; value: T } | { ok: false; error: string; attempts: number; fault?: { system: FaultSystem; kind: FaultKind } };

export interface ReadOptions {
  signal: AbortSignal;
  /** The pipeline's sleep (tests inject one that advances a fake clock). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Tries before giving up (default 3). */
  attempts?: number;
  /** First pause between tries, doubled after each (default 250 ms). */
  backoffMs?: number;
  /** Epoch ms (Date.now()) after which no further try is started. */
  deadline?: number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Read something the verification needs, retrying with backoff. An abort of `signal` is rethrown
 * (the run was interrupted or the step timed out); every other error after the last try is an
 * observation failure, returned as data.
 */
export async function observe<T>(read: (signal: AbortSignal) => Promise<T>, o: ReadOptions): Promise<Observation<T>> {
  const attempts = Math.max(1, o.attempts ?? 3);
  let pause = o.backoffMs ?? 250;
  let last = '';
  for (let i = 1; ; i++) {
    if (o.signal.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new Error(abortReason(o.signal));
    try {
      return { ok: true, value: await read(o.signal) };
    } catch (err) {
      if (o.signal.aborted) throw err;
      last = message(err);
      if (i >= attempts || (o.deadline !== undefined && Date.now() + pause >= o.deadline)) {
        const p = portErrorOf(err);
        return { ok: false, error: last, attempts: i, ...(p ? { fault: { system: p.system, kind: p.kind } } : {}) };
      }
    }
    await o.sleep(pause, o.signal);
    pause *= 2;
  }
}

/**
 * A signal for gathering evidence after a step's own work ended (its signal may be aborted by a
 * watchdog): it fires `marginMs` before the step's deadline, so gathering never outlives the step.
 */
export function evidenceSignal(deadline: number, marginMs = 500, cap = 15_000): AbortSignal {
  return AbortSignal.timeout(Math.max(1, Math.min(cap, deadline - Date.now() - marginMs)));
}

// A one-shot, in-process step runner after Kargo's promotion steps: each step returns
// succeeded / refused (a check said no, nothing changed) / failed (something broke); the runner
// checks the AbortSignal before each step, enforces the step's timeout, names the step in every
// error, records start/finish times and emits typed events.
import { causeOf, type Cause } from './model/cause';
import type { CheckResult } from './model/records';
import type { Clock, NotifyEvent, Ports } from './ports';

/** `inconclusive`: a verification could not observe (after retries) — neither passed nor failed. */
export type StepStatus = 'succeeded' | 'refused' | 'failed' | 'inconclusive';

export interface StepResult {
  status: StepStatus;
  /** One line for the transcript: what happened (a step that did not succeed says why in `cause`). */
  message?: string;
  /** Why the step did not succeed, as data (required by convention for refused/failed/inconclusive). */
  cause?: Cause;
  /** Checks this step ran (pre-validation, verification). */
  checks?: CheckResult[];
  /** Values for later steps and for readers of the events. */
  output?: Record<string, unknown>;
}

export type LogLevel = 'info' | 'warn' | 'error';

/** The events of running steps (the pipeline adds its own end: RunnerEvent in outcome.ts). */
export type RunnerEvent =
  | { type: 'step-started'; step: string; title: string; at: string }
  | { type: 'log'; step?: string; level: LogLevel; message: string; at: string }
  | {
      type: 'step-finished';
      step: string;
      title: string;
      status: StepStatus;
      message?: string;
      cause?: Cause;
      checks?: CheckResult[];
      /** The step's output (what later steps and readers of the events use). */
      output?: Record<string, unknown>;
      startedAt: string;
      finishedAt: string;
      durationMs: number;
    }
  | { type: 'notification'; kind: NotifyEvent['kind']; message: string; at: string }
  | import('./outcome').PullRequestEvent;

export type RunnerSink = (event: RunnerEvent) => void;

/** What a step may use: the ports it declared, a logger, the signal, the clock. */
export interface StepContext<N extends keyof Ports = keyof Ports> {
  ports: Pick<Ports, N>;
  signal: AbortSignal;
  clock: Clock;
  /** When the runner will abort the step (Date.now() epoch ms): evidence gathering stays within it. */
  deadline: number;
  log(message: string, level?: LogLevel): void;
  /** A typed event for the run's sink (a pull request opened, merged…). */
  emit(event: RunnerEvent): void;
}

export interface Step<S, N extends keyof Ports = keyof Ports> {
  /** Stable id, used in events, errors and records ("validate", "sync"). */
  name: string;
  /** Shown to people ("Pre-validate", "Wait for Argo CD"). */
  title: string;
  /** The ports this step needs; the runner hands it only those. */
  needs: readonly N[];
  /** Upper bound of the step's run time; the step is aborted and failed after it. */
  timeoutMs: number;
  run(state: S, ctx: StepContext<N>): Promise<StepResult>;
}

export interface StepReport {
  step: string;
  title: string;
  status: StepStatus;
  message?: string;
  cause?: Cause;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export interface RunResult {
  /** succeeded: every step succeeded; otherwise the first step that did not. */
  status: StepStatus | 'aborted';
  /** The step that did not succeed (or before which the run stopped). */
  step?: string;
  /** Its title, for people. */
  title?: string;
  message?: string;
  /** Why it did not succeed. */
  cause?: Cause;
  reports: StepReport[];
  checks: CheckResult[];
}

export interface RunOptions {
  ports: Ports;
  clock: Clock;
  signal?: AbortSignal;
  onEvent?: RunnerSink;
}

export class StepTimeoutError extends Error {
  override readonly name = 'StepTimeoutError';
}

/** Why the signal fired, as a sentence. */
export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  if (typeof r === 'string') return r;
  return 'cancelled';
}

function pick<N extends keyof Ports>(ports: Ports, needs: readonly N[]): Pick<Ports, N> {
  const out = {} as Pick<Ports, N>;
  for (const n of needs) out[n] = ports[n];
  return out;
}

export function iso(d: Date): string {
  return d.toISOString();
}

/**
 * Run steps in order until one does not succeed. Never throws: a throw inside a step becomes a
 * `failed` result naming the step.
 */
export async function runSteps<S>(steps: readonly Step<S, any>[], state: S, opts: RunOptions): Promise<RunResult> {
  const emit = opts.onEvent ?? (() => undefined);
  const reports: StepReport[] = [];
  const checks: CheckResult[] = [];
  for (const step of steps) {
    if (opts.signal?.aborted) {
      const message = `stopped before step "${step.name}": ${abortReason(opts.signal)}`;
      emit({ type: 'log', step: step.name, level: 'warn', message, at: iso(opts.clock.now()) });
      return { status: 'aborted', step: step.name, title: step.title, message, cause: { code: 'interrupted', text: abortReason(opts.signal) }, reports, checks };
    }
    const result = await runOne(step, state, opts, emit);
    reports.push(result.report);
    if (result.checks) checks.push(...result.checks);
    if (result.report.status !== 'succeeded') {
      const aborted = opts.signal?.aborted && result.report.status === 'failed';
      const cause = aborted ? { code: 'interrupted' as const, text: abortReason(opts.signal!) } : result.report.cause;
      return { status: aborted ? 'aborted' : result.report.status, step: step.name, title: step.title, message: result.report.message, cause, reports, checks };
    }
  }
  return { status: 'succeeded', reports, checks };
}

async function runOne<S>(step: Step<S, any>, state: S, opts: RunOptions, emit: RunnerSink): Promise<{ report: StepReport; checks?: CheckResult[] }> {
  const started = opts.clock.now();
  const t0 = performance.now();
  emit({ type: 'step-started', step: step.name, title: step.title, at: iso(started) });
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(opts.signal!.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new StepTimeoutError(`step "${step.name}" timed out after ${formatMs(step.timeoutMs)}`);
      controller.abort(err);
      reject(err);
    }, step.timeoutMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    const fire = () => reject(controller.signal.reason instanceof Error ? controller.signal.reason : new Error(abortReason(controller.signal)));
    if (controller.signal.aborted) fire();
    else controller.signal.addEventListener('abort', fire, { once: true });
  });
  const ctx: StepContext<any> = {
    ports: pick(opts.ports, step.needs),
    signal: controller.signal,
    clock: opts.clock,
    deadline: Date.now() + step.timeoutMs,
    log: (message, level = 'info') => emit({ type: 'log', step: step.name, level, message, at: iso(opts.clock.now()) }),
    emit,
  };
  let result: StepResult;
  try {
    result = await Promise.race([step.run(state, ctx), timedOut, aborted]);
  } catch (err) {
    const cause = causeOf(err);
    result = { status: 'failed', message: cause.text, cause };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
  // Keep unhandled rejections of the losers quiet.
  timedOut.catch(() => undefined);
  aborted.catch(() => undefined);
  if (result.status !== 'succeeded' && !result.cause) result = { ...result, cause: { code: result.status === 'refused' ? 'refused' : result.status === 'inconclusive' ? 'inconclusive' : 'error', text: result.message ?? result.status } };
  if (result.message === undefined && result.cause) result = { ...result, message: result.cause.text };
  const finished = opts.clock.now();
  const durationMs = Math.round(performance.now() - t0);
  const report: StepReport = { step: step.name, title: step.title, status: result.status, message: result.message, ...(result.cause ? { cause: result.cause } : {}), startedAt: iso(started), finishedAt: iso(finished), durationMs };
  emit({ type: 'step-finished', step: step.name, title: step.title, status: result.status, message: result.message, ...(result.cause ? { cause: result.cause } : {}), checks: result.checks, ...(result.output ? { output: result.output } : {}), startedAt: report.startedAt, finishedAt: report.finishedAt, durationMs });
  return { report, checks: result.checks };
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s} s` : `${s.toFixed(1)} s`;
}

/** A sleep that ends early (rejecting) on abort. The only timer the pipeline polls with. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error(abortReason(signal)));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason instanceof Error ? signal!.reason : new Error(abortReason(signal!)));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

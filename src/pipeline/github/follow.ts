// Following a GitHub Actions run: find the run a dispatch started, then report its progress.
// `reduce` is a pure state machine over polled data (run, jobs, pending deployments); the driver
// (`dispatchAndFollow` / `followRun`) polls through the GitHubPort with an injected interval,
// clock, sleep and AbortSignal, and emits typed events.
import type { GitHubPort, JobInfo, JobStepInfo, PendingDeploymentInfo, WorkflowRunInfo } from './port';

export type FollowPhase = 'finding' | 'queued' | 'waiting' | 'in_progress' | 'completed';

export type FollowEvent =
  | { type: 'dispatched'; workflow: string; ref: string; inputs: Record<string, string>; at: string }
  | { type: 'run-found'; run: WorkflowRunInfo }
  | { type: 'status'; phase: Exclude<FollowPhase, 'finding'>; run: WorkflowRunInfo }
  | { type: 'waiting-for-approval'; run: WorkflowRunInfo; pending: PendingDeploymentInfo[] }
  | { type: 'step'; job: string; step: JobStepInfo; state: 'started' | 'completed' }
  | { type: 'failed-step-log'; job: string; step?: string; log: string }
  | { type: 'cancel-requested'; run: WorkflowRunInfo }
  | { type: 'warning'; message: string }
  | { type: 'completed'; run: WorkflowRunInfo; conclusion: string };

export interface FollowState {
  phase: FollowPhase;
  run?: WorkflowRunInfo;
  /** `${job}#${step}` → last reported state. */
  steps: Record<string, 'started' | 'completed'>;
  /** Fingerprint of the last reported pending deployments (report again only when it changes). */
  pendingKey?: string;
}

export interface Observation {
  run: WorkflowRunInfo;
  jobs?: JobInfo[];
  pending?: PendingDeploymentInfo[];
}

export const initialState = (): FollowState => ({ phase: 'finding', steps: {} });

export function phaseOf(status: string): Exclude<FollowPhase, 'finding'> {
  if (status === 'completed') return 'completed';
  if (status === 'waiting') return 'waiting';
  if (status === 'in_progress') return 'in_progress';
  return 'queued'; // queued, pending, requested
}

/** The pure transition: the new state and what to report. */
export function reduce(state: FollowState, obs: Observation): { state: FollowState; events: FollowEvent[] } {
  const events: FollowEvent[] = [];
  const phase = phaseOf(obs.run.status);
  const next: FollowState = { ...state, steps: { ...state.steps }, run: obs.run, phase };
  // Order: found, the new phase, who must approve, steps, and last the completion.
  if (state.phase === 'finding') events.push({ type: 'run-found', run: obs.run });
  if (phase !== state.phase && phase !== 'completed') events.push({ type: 'status', phase, run: obs.run });
  // A waiting run with nothing pending has just been reviewed (the run and its pending deployments
  // are read one after the other): no new approval request, and the last one stays the one known.
  if (phase === 'waiting' && obs.pending?.length) {
    const key = JSON.stringify(obs.pending.map((p) => [p.environmentId, p.currentUserCanApprove, p.reviewers]));
    if (key !== state.pendingKey || state.phase !== 'waiting') events.push({ type: 'waiting-for-approval', run: obs.run, pending: obs.pending });
    next.pendingKey = key;
  }
  for (const job of obs.jobs ?? []) {
    for (const step of [...job.steps].sort((a, b) => a.number - b.number)) {
      const key = `${job.id}#${step.number}`;
      const now = step.status === 'completed' ? 'completed' : step.status === 'in_progress' ? 'started' : undefined;
      if (!now || next.steps[key] === now || next.steps[key] === 'completed') continue;
      next.steps[key] = now;
      events.push({ type: 'step', job: job.name, step, state: now });
    }
  }
  if (phase === 'completed' && state.phase !== 'completed') events.push({ type: 'completed', run: obs.run, conclusion: obs.run.conclusion ?? 'unknown' });
  return { state: next, events };
}

/** The run a dispatch started: the newest `workflow_dispatch` run on the branch, not seen before the dispatch, created at or after it (1 s tolerance: GitHub rounds to seconds). */
export function pickRun(runs: WorkflowRunInfo[], o: { knownIds: Set<number>; dispatchedAt: Date; branch: string }): WorkflowRunInfo | undefined {
  const after = o.dispatchedAt.getTime() - 1000;
  return runs
    .filter((r) => r.event === 'workflow_dispatch' && (!r.branch || r.branch === o.branch) && !o.knownIds.has(r.id) && Date.parse(r.createdAt) >= after)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id)[0];
}

export interface FollowOptions {
  port: GitHubPort;
  pollMs: number;
  clock: { now(): Date };
  /** Waits between polls; default a timer that stops on abort. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Stops following (the run goes on). */
  signal?: AbortSignal;
  /** Cancels the run on GitHub; following continues until GitHub reports it completed. */
  cancelSignal?: AbortSignal;
  onEvent: (e: FollowEvent) => void;
  /** Give up finding the dispatched run after this long (default 120 s). */
  findTimeoutMs?: number;
  /** Longest failed-step log passed on, in characters (the tail is kept; default 8000). */
  maxLogChars?: number;
  /** Longest pause while a run waits for approval (default 30 s; see nextPollMs). */
  waitingMaxMs?: number;
  /** Subscribes to "look now" (e.g. the editor just reviewed a run): ends the current pause; returns the unsubscribe. */
  wake?: (listener: () => void) => () => void;
}

/**
 * The pause before the next poll of a run. A run waiting for approval does not move until someone
 * reviews it, which takes minutes to hours: the pause doubles from pollMs with each poll that
 * still finds it waiting, up to waitingMaxMs (30 s: two requests per 30 s, 240 an hour, instead
 * of 3,600 at 2 s against GitHub's 5,000). Any other phase, or a change of phase, polls at pollMs.
 */
export function nextPollMs(o: Pick<FollowOptions, 'pollMs' | 'waitingMaxMs'>, phase: FollowPhase, pollsInPhase: number): number {
  if (phase !== 'waiting') return o.pollMs;
  const max = Math.max(o.pollMs, o.waitingMaxMs ?? 30_000);
  return Math.min(max, o.pollMs * 2 ** Math.min(Math.max(pollsInPhase - 1, 0), 20));
}

export interface FollowResult {
  run: WorkflowRunInfo;
  conclusion: string;
}

function timerSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Dispatch the workflow, find the run it started, follow it to completion. */
export async function dispatchAndFollow(o: FollowOptions & { workflowFile: string; ref: string; inputs: Record<string, string> }): Promise<FollowResult> {
  const signal = o.signal ?? new AbortController().signal;
  const sleep = o.sleep ?? timerSleep;
  const filter = { event: 'workflow_dispatch', branch: o.ref, perPage: 20 };
  const known = new Set((await o.port.listWorkflowRuns(o.workflowFile, filter, signal)).map((r) => r.id));
  const dispatchedAt = o.clock.now();
  await o.port.dispatchWorkflow(o.workflowFile, o.ref, o.inputs, signal);
  o.onEvent({ type: 'dispatched', workflow: o.workflowFile, ref: o.ref, inputs: o.inputs, at: dispatchedAt.toISOString() });
  const deadline = dispatchedAt.getTime() + (o.findTimeoutMs ?? 120_000);
  for (;;) {
    signal.throwIfAborted();
    const run = pickRun(await o.port.listWorkflowRuns(o.workflowFile, filter, signal), { knownIds: known, dispatchedAt, branch: o.ref });
    if (run) return followRun({ ...o, runId: run.id, firstRun: run });
    if (o.clock.now().getTime() > deadline) throw new Error(`the workflow ${o.workflowFile} was dispatched on ${o.ref} but no run appeared within ${Math.round((o.findTimeoutMs ?? 120_000) / 1000)} s`);
    await sleep(o.pollMs, signal);
  }
}

/** Follow a known run to completion. */
export async function followRun(o: FollowOptions & { runId: number; firstRun?: WorkflowRunInfo }): Promise<FollowResult> {
  const signal = o.signal ?? new AbortController().signal;
  const sleep = o.sleep ?? timerSleep;
  const port = o.port;
  let state = initialState();
  let cancelSent = false;
  let run = o.firstRun ?? (await port.getRun(o.runId, signal));
  let lastPhase: FollowPhase | undefined;
  let pollsInPhase = 0;
  let nap: AbortController | undefined;
  let woken = false;
  const unsubscribe = o.wake?.(() => {
    woken = true;
    nap?.abort(new Error('woken'));
  });
  try {
    for (;;) {
      signal.throwIfAborted();
      if (o.cancelSignal?.aborted && !cancelSent && run.status !== 'completed') {
        cancelSent = true;
        o.onEvent({ type: 'cancel-requested', run });
        try {
          await port.cancelRun(run.id, signal);
        } catch (err) {
          o.onEvent({ type: 'warning', message: `could not cancel run ${run.id}: ${err instanceof Error ? err.message : String(err)}` });
        }
        run = await port.getRun(run.id, signal);
      }
      const phase = phaseOf(run.status);
      const obs: Observation = { run };
      if (phase === 'waiting') obs.pending = await port.pendingDeployments(run.id, signal).catch((err: unknown) => warn(o, `pending deployments of run ${run.id}`, err, []));
      if (phase === 'in_progress' || phase === 'completed') obs.jobs = await port.listJobs(run.id, signal).catch((err: unknown) => warn(o, `jobs of run ${run.id}`, err, undefined));
      const r = reduce(state, obs);
      state = r.state;
      if (phase === 'completed') {
        // Logs of failed steps come before the final event.
        const done = r.events.filter((e) => e.type === 'completed');
        for (const e of r.events) if (e.type !== 'completed') o.onEvent(e);
        if (run.conclusion === 'failure') await emitFailedLogs(o, obs.jobs ?? [], signal);
        for (const e of done) o.onEvent(e);
        return { run, conclusion: run.conclusion ?? 'unknown' };
      }
      for (const e of r.events) o.onEvent(e);
      // A wake (the run was just reviewed) starts the pauses over, as a change of phase does.
      pollsInPhase = phase === lastPhase && !woken ? pollsInPhase + 1 : 1;
      lastPhase = phase;
      woken = false;
      nap = new AbortController();
      const signals = [signal, nap.signal, ...(o.cancelSignal && !cancelSent ? [o.cancelSignal] : [])];
      await sleep(nextPollMs(o, phase, pollsInPhase), AbortSignal.any(signals)).catch((err: unknown) => {
        if (signal.aborted) throw err;
      });
      run = await port.getRun(run.id, signal);
    }
  } finally {
    unsubscribe?.();
  }
}

function warn<T>(o: FollowOptions, what: string, err: unknown, fallback: T): T {
  o.onEvent({ type: 'warning', message: `could not read the ${what}: ${err instanceof Error ? err.message : String(err)}` });
  return fallback;
}

async function emitFailedLogs(o: FollowOptions, jobs: JobInfo[], signal: AbortSignal): Promise<void> {
  for (const job of jobs.filter((j) => j.conclusion === 'failure')) {
    const step = job.steps.find((s) => s.conclusion === 'failure');
    let log: string | undefined;
    try {
      log = await o.port.jobLog(job.id, signal);
    } catch (err) {
      warn(o, `log of job "${job.name}"`, err, undefined);
    }
    if (!log) continue;
    const max = o.maxLogChars ?? 8000;
    o.onEvent({ type: 'failed-step-log', job: job.name, step: step?.name, log: log.length > max ? `…${log.slice(-max)}` : log });
  }
}

/** One line per event, for the output channel and the CLI. */
export function describeFollowEvent(e: FollowEvent): string {
  switch (e.type) {
    case 'dispatched':
      return `dispatched ${e.workflow} on ${e.ref} (${Object.entries(e.inputs).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(', ')})`;
    case 'run-found':
      return `run #${e.run.runNumber ?? e.run.id}: ${e.run.htmlUrl}`;
    case 'status':
      return e.phase === 'queued' ? 'queued' : e.phase === 'waiting' ? 'waiting for approval' : 'in progress';
    case 'waiting-for-approval':
      return e.pending.map((p) => `waiting for approval of ${p.environment}${p.reviewers.length ? ` by ${p.reviewers.join(', ')}` : ''}${p.currentUserCanApprove ? ' (you may approve)' : ''}`).join('; ') || 'waiting for approval';
    case 'step':
      return `  ${e.state === 'completed' ? (e.step.conclusion === 'success' ? '✓' : e.step.conclusion === 'failure' ? '✗' : '–') : '…'} ${e.step.name}${e.state === 'completed' && e.step.conclusion && !['success', 'failure'].includes(e.step.conclusion) ? ` (${e.step.conclusion})` : ''}`;
    case 'failed-step-log':
      return `log of the failed step${e.step ? ` "${e.step}"` : ''} (${e.job}):\n${e.log}`;
    case 'cancel-requested':
      return `cancelling run ${e.run.id}…`;
    case 'warning':
      return `warning: ${e.message}`;
    case 'completed':
      return `completed: ${e.conclusion} — ${e.run.htmlUrl}`;
  }
}

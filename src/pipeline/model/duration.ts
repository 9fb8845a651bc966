// How long will a run take, and will it end before the deployment window closes? The estimate is
// the p90 of this service's recent runs in this environment (from the records' startedAt and
// finishedAt), with a default when there are none. Pure: no I/O.
import type { EnvironmentConfig } from '../config/types';
import type { CheckResult, DeploymentRecord } from './records';
import { windowState } from './window';

export const DEFAULT_RUN_SECONDS = 600;
const RECENT_RUNS = 20;

export interface RunEstimate {
  /** The estimated duration of a run, in seconds. */
  seconds: number;
  /** records: p90 of `runs` recent runs; default: none to learn from. */
  basis: 'records' | 'default';
  runs: number;
  percentile: 90;
  /** ISO: when a run started at `startedAt` would likely finish. */
  finishesAt: string;
  /** ISO: when the window closes next (undefined: it does not close within the horizon, or there is none). */
  windowClosesAt?: string;
  /** The configured margin (window.finishBy), when it is enforced. */
  marginMinutes?: number;
}

/** The p90 (nearest rank) of this service's last runs in this environment. */
export function estimateRunSeconds(records: readonly DeploymentRecord[], service: string, environment: string): Pick<RunEstimate, 'seconds' | 'basis' | 'runs' | 'percentile'> {
  const durations = records
    .filter((r) => r.service === service && r.environment === environment && r.finishedAt)
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt))
    .slice(0, RECENT_RUNS)
    .map((r) => (Date.parse(r.finishedAt!) - Date.parse(r.startedAt)) / 1000)
    .filter((d) => Number.isFinite(d) && d >= 0)
    .sort((a, b) => a - b);
  if (durations.length === 0) return { seconds: DEFAULT_RUN_SECONDS, basis: 'default', runs: 0, percentile: 90 };
  return { seconds: Math.ceil(durations[Math.ceil(0.9 * durations.length) - 1]), basis: 'records', runs: durations.length, percentile: 90 };
}

const minutes = (s: number) => (s < 60 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

/** The "finish-by" check: will a run started now end before the window closes (with the margin)? */
export function finishByCheck(env: EnvironmentConfig, now: Date, est: Pick<RunEstimate, 'seconds' | 'basis' | 'runs' | 'percentile'>, overridden: boolean): { check: CheckResult; estimate: RunEstimate } {
  const finishes = new Date(now.getTime() + est.seconds * 1000);
  const estimate: RunEstimate = { ...est, finishesAt: finishes.toISOString(), ...(env.finishBy ? { marginMinutes: env.finishBy.marginMinutes } : {}) };
  const basis = est.basis === 'records' ? `p90 of the last ${est.runs} run${est.runs === 1 ? '' : 's'} here` : 'no runs to learn from: the default';
  const head = `a run takes about ${minutes(est.seconds)} (${basis})`;
  const w = windowState(env.window, now);
  if (!env.window || !w.open) return { check: { name: 'finish-by', status: 'skipped', detail: `${head}; ${env.window ? 'the window is closed now' : 'no deployment window'}` }, estimate };
  if (!w.changesAt) return { check: { name: 'finish-by', status: 'passed', detail: `${head}; the window stays open` }, estimate };
  estimate.windowClosesAt = w.changesAt.toISOString();
  const margin = (env.finishBy?.marginMinutes ?? 0) * 60_000;
  const late = finishes.getTime() + margin > w.changesAt.getTime();
  if (!late) return { check: { name: 'finish-by', status: 'passed', detail: `${head}; it would end by ${finishes.toISOString()}, before the window closes (${w.summary})` }, estimate };
  const detail = `${head}: a run started now would likely end at ${finishes.toISOString()}${margin ? ` (+${env.finishBy!.marginMinutes} min margin)` : ''}, after the window closes (${w.summary})`;
  if (!env.finishBy) return { check: { name: 'finish-by', status: 'warning', detail: `${detail}; window.finishBy is off, so this is only a warning` }, estimate };
  if (overridden) return { check: { name: 'finish-by', status: 'warning', detail: `${detail}; the window is overridden` }, estimate };
  return { check: { name: 'finish-by', status: 'failed', detail: `${detail}. Deploy when the window opens again (gitops-deploy deploy … --at window-opens), or for an emergency pass --override-window with --reason "…".` }, estimate };
}

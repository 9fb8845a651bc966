// What a check is: a name written once, the phase it belongs to, the ports it needs, and a `run`
// that returns data — its verdict and what it learned — without touching the run's state. The step
// that runs a phase runs its checks concurrently and merges what they learned (Kargo's step output).
import { portErrorOf } from '../model/cause';
import type { CheckResult } from '../model/records';
import type { RunEstimate } from '../model/duration';
import type { WindowOverride } from '../model/override';
import type { Ports } from '../ports';
import type { StepContext } from '../runner';
import type { SignatureEvidence } from '../signatures';
import type { Resolved } from '../steps/state';
import type { AfterObservations, BeforeObservations } from './observations';

/**
 * - `before`: pre-deployment (nothing has changed yet; a failure refuses the run).
 * - `rollout`: waits for the rollout of the change to complete.
 * - `after`: verification of what runs (a failure rolls back; "could not observe" is inconclusive).
 */
export type CheckPhase = 'before' | 'rollout' | 'after';

/** What a check found out that later steps use; the step merges it into the run. */
export interface Learned {
  digest?: string;
  imagePushedAt?: string;
  signature?: SignatureEvidence;
  windowOverride?: WindowOverride;
  estimate?: RunEstimate;
  releaseLock?: () => Promise<void>;
}

/** A check's verdict: a CheckResult without its name (the check's name is written once, on the check). */
export type Verdict = Omit<CheckResult, 'name'> & { learned?: Learned };

/** What a check is given: the run (read only), the tag it judges, the instant, shared observations. */
export interface CheckInput<O> {
  run: Readonly<Resolved>;
  /** The tag judged: the deployed tag, or the previous one when a rollback is verified. */
  tag: string;
  now: Date;
  /** Reads shared by the checks of one phase (each made once, whoever asks first). */
  observed: O;
}

interface CheckBase<P extends CheckPhase, O, N extends keyof Ports> {
  /** Stable id: the check's name in records, events, --json and tests. */
  name: string;
  phase: P;
  /** The ports it uses; it is handed only those. */
  needs: readonly N[];
  /** Undefined: the check does not apply to this run (no row is written). */
  run(input: CheckInput<O>, ctx: StepContext<N>): Promise<Verdict | undefined>;
}

export interface BeforeCheck<N extends keyof Ports = keyof Ports> extends CheckBase<'before', BeforeObservations, N> {
  /** Runs alone after the others, and only when none of them failed (the lock: a refused run holds nothing). */
  last?: boolean;
}

export type AfterCheck<N extends keyof Ports = keyof Ports> = CheckBase<'rollout' | 'after', AfterObservations, N>;

export type Check = BeforeCheck<any> | AfterCheck<any>;

export const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export type Fault = NonNullable<CheckResult['fault']>;

/** `{ fault }` when an adapter said whose fault and what kind (a PortError), else nothing. */
export function faultOf(err: unknown): { fault?: Fault } {
  const p = portErrorOf(err);
  return p ? { fault: { system: p.system, kind: p.kind } } : {};
}

/** A verdict of a check that could not observe: neither passed nor failed (with the adapter's fault when known). */
export function couldNotObserve(what: string, error: string, evidence?: CheckResult['evidence'], fault?: Fault): Verdict {
  return { status: 'inconclusive', detail: `could not observe ${what}: ${error}`, ...(evidence?.length ? { evidence } : {}), ...(fault ? { fault } : {}) };
}

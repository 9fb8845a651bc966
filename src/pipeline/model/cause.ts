// Why a step did not succeed, as data: a machine code the core and the edges decide on, the
// sentence for people, and what was gathered. Text is made once (where the fact is known); nothing
// downstream parses it back.
import type { Evidence } from '../evidence';

/**
 * - `refused`: a check said no before anything changed.
 * - `check-failed`: a verification check observed a bad state (crash loop, DOWN, 5xx over the threshold).
 * - `inconclusive`: could not observe, after retries.
 * - `sync-failed`: Argo CD reported the sync of the revision as failed or the app as Degraded.
 * - `timeout`: a wait or a step ran out of time.
 * - `auth` / `not-found` / `conflict` / `transport`: an adapter's typed fault (PortError).
 * - `interrupted`: the run was cancelled or its process asked to stop.
 * - `error`: anything else that threw.
 */
/**
 * - `branch-protected`: origin's branch protection refused a direct push (use git.mode: pull-request).
 * - `pull-request-closed`: the run's pull request was closed without being merged.
 * - `pull-request-open`: the run stopped waiting for its pull request to be merged (it stays open).
 */
export type CauseCode = 'refused' | 'check-failed' | 'inconclusive' | 'sync-failed' | 'timeout' | 'auth' | 'not-found' | 'conflict' | 'transport' | 'interrupted' | 'error' | 'branch-protected' | 'pull-request-closed' | 'pull-request-open';

export interface Cause {
  code: CauseCode;
  /** One sentence (or a few lines for a refusal listing its checks), without the evidence. */
  text: string;
  /** Trying again unchanged may succeed (a timeout, a transport fault, a lost race). */
  retryable?: boolean;
  /** The system whose fault it was, when an adapter said so. */
  system?: FaultSystem;
  /** What the failing step gathered (its own field; the edges append the summaries). */
  evidence?: Evidence[];
}

/** The external systems behind the ports. */
export type FaultSystem = 'registry' | 'cluster' | 'argocd' | 'metrics' | 'github' | 'git';

/** The kinds of adapter fault the core tells apart. */
export type FaultKind = 'timeout' | 'auth' | 'not-found' | 'conflict' | 'transport';

/**
 * A typed fault thrown by an adapter (src/clients): which system, what kind, the HTTP status when
 * there was one. The core classifies errors by these fields, never by their wording.
 */
export class PortError extends Error {
  override readonly name = 'PortError';
  constructor(
    readonly system: FaultSystem,
    readonly kind: FaultKind,
    message: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const RETRYABLE: Record<FaultKind, boolean> = { timeout: true, transport: true, conflict: true, auth: false, 'not-found': false };

/** The cause of a thrown error: a PortError keeps its kind and system; a timeout is `timeout`. */
export function causeOf(err: unknown, fallbackText?: string): Cause {
  const text = fallbackText ?? (err instanceof Error ? err.message : String(err));
  if (err instanceof PortError) return { code: err.kind, text, system: err.system, retryable: RETRYABLE[err.kind] };
  if (err instanceof Error && (err.name === 'StepTimeoutError' || err.name === 'WaitTimeoutError' || err.name === 'TimeoutError')) return { code: 'timeout', text, retryable: true };
  if (err instanceof Error && err.name === 'AbortError') return { code: 'interrupted', text };
  return { code: 'error', text };
}

/** The first PortError in an error's cause chain (adapters may wrap). */
export function portErrorOf(err: unknown): PortError | undefined {
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) if (e instanceof PortError) return e;
  return undefined;
}

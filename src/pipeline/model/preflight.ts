// What the pre-flight learned about one system, as data (the text is made where it is shown).
import type { FaultKind } from './cause';

export type PreflightSystem = 'kubernetes' | 'argocd' | 'prometheus' | 'health';

export interface PreflightResult {
  system: PreflightSystem;
  /** What was checked: `deployment`, `permissions`, `application`, `query`, `route`. */
  check: string;
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  /** Where the credentials used come from (never a secret). */
  credentialSource?: string;
  /** What to do when it failed. */
  fix?: string;
  /** A failed call's typed cause: auth (refused, withheld or missing credentials), not-found, transport…, and the HTTP status when one came back. */
  fault?: { kind: FaultKind; httpStatus?: number };
}

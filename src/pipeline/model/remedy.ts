// What fixes a refused check, as data: each edge (the CLI, the editor) words it for where the user
// is — a flag in a terminal, a button or a command in the editor. The check's `detail` says what
// is wrong; its `fix` says what to do about it.
import type { OverrideReasonProblem } from './override';

export type Remedy =
  /** The deployment window is closed: deploy when it opens, or override it for an emergency. */
  | { kind: 'wait-for-window'; environment: string; opensAt?: string; opensAtLocal?: string; opensIn?: string }
  /** The environment (or a rollback, or an override) needs a change reason. */
  | { kind: 'give-reason'; environment: string; mode: 'deploy' | 'rollback'; forOverride?: boolean }
  /** The window override's own reason is missing or not acceptable. */
  | { kind: 'give-override-reason'; environment: string; problem: OverrideReasonProblem }
  /** The tag has not run (or not been verified) in the upstream environment. */
  | { kind: 'deploy-upstream-first'; service: string; upstream: string; tag: string }
  /** A rollback target must be a tag that ran in this environment. */
  | { kind: 'pick-rollback-target'; service: string; environment: string };

export type RemedyKind = Remedy['kind'];

// An emergency override of a closed deployment window: its own reason, distinct from the change's,
// checked the same way by the pipeline, the CLI and the editor. Facts only; each edge words them.

/** The shortest emergency justification accepted ("SEV1 INC-1" is 10). */
export const OVERRIDE_REASON_MIN = 10;
export const OVERRIDE_REASON_MAX = 500;

/** Why an override reason is not accepted. */
export type OverrideReasonProblem = 'missing' | 'too-short' | 'too-long' | 'multi-line' | 'same-as-reason';

/** Who overrode the window and why (the record's `windowOverride`, the commit trailers). */
export interface WindowOverride {
  reason: string;
  by: string;
}

const normal = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * The problem with an emergency justification, or undefined when it is acceptable: present, one
 * line, at least OVERRIDE_REASON_MIN characters, and not the change reason again (an override says
 * why the change cannot wait for the window, which the change reason does not).
 */
export function overrideReasonProblem(overrideReason: string | undefined, changeReason: string | undefined): OverrideReasonProblem | undefined {
  const v = overrideReason ?? '';
  if (v.trim().length === 0) return 'missing';
  if (/[\r\n]/.test(v)) return 'multi-line';
  if (v.trim().length < OVERRIDE_REASON_MIN) return 'too-short';
  if (v.length > OVERRIDE_REASON_MAX) return 'too-long';
  if (changeReason !== undefined && normal(v) === normal(changeReason)) return 'same-as-reason';
  return undefined;
}

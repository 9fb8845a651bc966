// The fixes of refused checks (src/pipeline/model/remedy.ts), worded for a terminal: flags and
// commands to type. The editor words the same facts as buttons and commands (src/providers/remedyText.ts).
import { OVERRIDE_REASON_MIN, type OverrideReasonProblem } from './pipeline/model/override';
import type { Remedy } from './pipeline/model/remedy';

const OVERRIDE_FLAGS = '--override-window --override-reason "why it cannot wait" (different from --reason)';

export function cliRemedy(r: Remedy): string {
  switch (r.kind) {
    case 'wait-for-window':
      return `deploy ${r.opensAtLocal ? `when the window opens (${r.opensAtLocal}, in ${r.opensIn})` : 'when the window opens'}, or for an emergency add ${OVERRIDE_FLAGS}`;
    case 'give-reason':
      return r.forOverride
        ? 'pass --reason "CHG-1234 what and why" as well as --override-reason'
        : r.mode === 'rollback'
          ? 'pass --reason "why" (recorded in the commit and the record)'
          : `pass --reason "CHG-1234 what and why" (${r.environment} requires one)`;
    case 'give-override-reason':
      return cliOverrideReasonProblem(r.problem);
    case 'deploy-upstream-first':
      return `deploy it to ${r.upstream} first: gitops-deploy deploy ${r.service} --env ${r.upstream} --tag ${r.tag}`;
    case 'pick-rollback-target':
      return `pick a tag that ran here from gitops-deploy records --env ${r.environment} --service ${r.service}, or deploy one with gitops-deploy deploy`;
  }
}

/** Why --override-reason is refused, and what to pass instead. */
export function cliOverrideReasonProblem(p: OverrideReasonProblem): string {
  switch (p) {
    case 'missing':
      return '--override-window needs --override-reason "why this cannot wait for the window" (recorded with the override in the commit and the record; different from --reason)';
    case 'too-short':
      return `--override-reason must say what the emergency is (at least ${OVERRIDE_REASON_MIN} characters), e.g. "SEV1 INC-123: payments failing"`;
    case 'too-long':
      return '--override-reason is too long (at most 500 characters)';
    case 'multi-line':
      return '--override-reason must be one line';
    case 'same-as-reason':
      return '--override-reason must differ from --reason: --reason says what changes, --override-reason why it cannot wait for the window';
  }
}

// The fixes of refused checks (src/pipeline/model/remedy.ts), worded for the editor: the buttons
// of the refusal dialog and the commands of the palette, never CLI flags (src/cliRemedy.ts words
// the same facts for a terminal). Pure: plain mocha tests it.
import { OVERRIDE_REASON_MIN, type OverrideReasonProblem } from '../pipeline/model/override';
import type { Remedy } from '../pipeline/model/remedy';

/** The refusal dialog's button that starts an emergency override (see src/commands/runFlow.ts). */
export const OVERRIDE_BUTTON = 'Override deployment window…';

export function editorRemedy(r: Remedy, o: { overrideOffered?: boolean } = {}): string {
  switch (r.kind) {
    case 'wait-for-window': {
      const when = r.opensAtLocal ? `Deploy when the window opens (${r.opensAtLocal}, in ${r.opensIn})` : 'Deploy when the window opens';
      return o.overrideOffered ? `${when}. Only for an emergency: "${OVERRIDE_BUTTON}" below, with a justification and the environment's name typed to confirm.` : `${when}.`;
    }
    case 'give-reason':
      return r.mode === 'rollback' ? 'Run Rollback again and give the reason when asked.' : `Run the command again and give a reason when asked (a change ticket and what/why; ${r.environment} requires one).`;
    case 'give-override-reason':
      return editorOverrideReasonProblem(r.problem);
    case 'deploy-upstream-first':
      return `Deploy ${r.service} ${r.tag} to ${r.upstream} first (Deploy Service to Environment, or Promote to Next Environment from ${r.upstream}'s upstream), and let it verify there.`;
    case 'pick-rollback-target':
      return `Pick a tag that ran in ${r.environment} (Show Deployment Records lists them), or use Deploy Service to Environment.`;
  }
}

/** The input box's validation message for an emergency justification. */
export function editorOverrideReasonProblem(p: OverrideReasonProblem): string {
  switch (p) {
    case 'missing':
      return 'Say what the emergency is and why it cannot wait for the window, e.g. "SEV1 INC-123: payments failing since 09:12".';
    case 'too-short':
      return `Describe the emergency (at least ${OVERRIDE_REASON_MIN} characters), e.g. "SEV1 INC-123: payments failing since 09:12".`;
    case 'too-long':
      return 'At most 500 characters.';
    case 'multi-line':
      return 'One line, please.';
    case 'same-as-reason':
      return 'This is the change reason again. Say why it cannot wait for the window: the incident, its impact, e.g. "SEV1 INC-123: payments failing".';
  }
}

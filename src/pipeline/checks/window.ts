// The environment's deployment window is open (production: closed 9:00–17:00 US Eastern on
// weekdays), or it is closed and an emergency override with its own justification is accepted.
import { formatWait } from '../model/format';
import { OVERRIDE_REASON_MIN, overrideReasonProblem, type OverrideReasonProblem } from '../model/override';
import { windowState } from '../model/window';
import type { BeforeCheck } from './check';

const OVERRIDE_PROBLEM: Record<OverrideReasonProblem, string> = {
  missing: 'no emergency justification was given',
  'too-short': `the emergency justification is shorter than ${OVERRIDE_REASON_MIN} characters`,
  'too-long': 'the emergency justification is too long',
  'multi-line': 'the emergency justification is more than one line',
  'same-as-reason': 'the emergency justification repeats the change reason instead of saying why it cannot wait',
};

export const window: BeforeCheck<never> = {
  name: 'window',
  phase: 'before',
  needs: [],
  async run({ run: s, now }) {
    if (s.alreadyRunning) return undefined; // nothing changes: a gate of a change does not apply
    const env = s.env!;
    const state = windowState(env.window, now);
    const at = { open: state.open, ...(state.opensAt ? { opensAt: state.opensAt.toISOString() } : {}), ...(state.closesAt ? { closesAt: state.closesAt.toISOString() } : {}) };
    if (state.open) return { status: 'passed', detail: state.summary, window: at };
    const when = state.changesAtLocal;
    const opensIn = state.changesAt ? formatWait(state.changesAt.getTime() - now.getTime()) : undefined;
    const closed = `${env.name} deployments are blocked now (${state.reason ?? 'deployment window'})${when ? `; the window opens ${when} (in ${opensIn}; it is ${state.localNow} now)` : ''}`;
    if (s.overrideWindow) {
      const problem = overrideReasonProblem(s.overrideReason, s.reason);
      if (!problem) return { status: 'warning', detail: `WINDOW OVERRIDE by ${s.actor}: ${closed}; emergency: "${s.overrideReason}"`, window: at, learned: { windowOverride: { reason: s.overrideReason!, by: s.actor } } };
      return { status: 'failed', detail: `${closed}; the override is refused: ${OVERRIDE_PROBLEM[problem]}.`, window: at, fix: { kind: 'give-override-reason', environment: env.name, problem } };
    }
    return {
      status: 'failed',
      detail: `${closed}.`,
      window: at,
      fix: { kind: 'wait-for-window', environment: env.name, ...(state.changesAt && when ? { opensAt: state.changesAt.toISOString(), opensAtLocal: when, opensIn: opensIn! } : {}) },
    };
  },
};

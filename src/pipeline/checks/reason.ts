// A reason is given where one is required: production, every rollback, every window override.
import type { BeforeCheck } from './check';

export const reason: BeforeCheck<never> = {
  name: 'reason',
  phase: 'before',
  needs: [],
  async run({ run: s }) {
    if (s.alreadyRunning) return undefined; // nothing changes: a gate of a change does not apply
    const env = s.env!;
    const has = !!s.reason && s.reason.trim().length > 0;
    const fix = (forOverride?: boolean) => ({ kind: 'give-reason' as const, environment: env.name, mode: s.mode, ...(forOverride ? { forOverride } : {}) });
    if (s.overrideWindow && !has) return { status: 'failed', detail: `a window override needs the change reason as well as the emergency justification.`, fix: fix(true) };
    if (s.mode === 'rollback' && !has) return { status: 'failed', detail: `a rollback needs a reason (recorded in the commit and the record).`, fix: fix() };
    if (env.requireReason && !has) return { status: 'failed', detail: `${env.name} requires a reason (a change ticket and what/why).`, fix: fix() };
    return has ? { status: 'passed', detail: s.reason!.trim() } : { status: 'skipped', detail: `not required in ${env.name}` };
  },
};

// A run started now ends before the window closes (estimated from this service's records here:
// p90 of its recent runs). Applies only where the environment has a window.
import { estimateRunSeconds, finishByCheck } from '../model/duration';
import { readRecords } from '../model/records';
import type { BeforeCheck } from './check';

export const finishBy: BeforeCheck<never> = {
  name: 'finish-by',
  phase: 'before',
  needs: [],
  async run({ run: s, now }) {
    if (s.alreadyRunning) return undefined; // nothing changes: a gate of a change does not apply
    const env = s.env!;
    if (!env.window) return undefined;
    const { records } = await readRecords([env.recordsDir]);
    const { check, estimate } = finishByCheck(env, now, estimateRunSeconds(records, s.service, env.name), s.overrideWindow && !!s.reason);
    const { name: _name, ...verdict } = check;
    return { ...verdict, learned: { estimate } };
  },
};

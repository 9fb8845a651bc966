// Step 2: every pre-deployment check runs (src/pipeline/checks, phase "before"); all failures are
// reported together, each with its fix.
import { checkText } from '../evidence';
import { runBeforeChecks } from '../checks/run';
import { CHECK_MARK } from '../model/format';
import type { Step } from '../runner';
import type { Resolved } from './state';

export const validateStep: Step<Resolved, 'registry' | 'git'> = {
  name: 'validate',
  title: 'Pre-validate',
  needs: ['registry', 'git'],
  timeoutMs: 120_000,
  async run(s, ctx) {
    const { results: checks, learned } = await runBeforeChecks(s, s.target.tag, ctx.clock.now(), ctx);
    Object.assign(s, learned);
    s.checks.push(...checks);
    for (const c of checks) ctx.log(`${CHECK_MARK[c.status]} ${c.name}: ${checkText(c)}`, c.status === 'failed' ? 'error' : c.status === 'warning' ? 'warn' : 'info');
    const failed = checks.filter((c) => c.status === 'failed');
    if (failed.length) {
      const list = failed.map((c) => `  - ${c.name}: ${c.detail}`).join('\n');
      const text = `${failed.length} pre-deployment check${failed.length === 1 ? '' : 's'} failed; nothing was changed:\n${list}`;
      return { status: 'refused', checks, message: text, cause: { code: 'refused', text } };
    }
    return { status: 'succeeded', checks, message: `${checks.length} checks passed${s.windowOverride ? '; WINDOW OVERRIDE' : ''}`, output: { digest: s.digest, ...(s.windowOverride ? { windowOverride: s.windowOverride } : {}) } };
  },
};

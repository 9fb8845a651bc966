// Step 4: the rollout completes, then every verification check runs (src/pipeline/checks, phases
// "rollout" and "after") against the tag: for the change, or for the previous tag after a rollback.
import { runAfterChecks } from '../checks/run';
import { checkText } from '../evidence';
import { CHECK_MARK } from '../model/format';
import type { CheckResult } from '../model/records';
import type { Step, StepResult } from '../runner';
import type { Resolved } from './state';

function prefixed(checks: CheckResult[], prefix: string): CheckResult[] {
  return prefix ? checks.map((c) => ({ ...c, name: `${prefix}${c.name}`, ...(c.evidenceFrom ? { evidenceFrom: `${prefix}${c.evidenceFrom}` } : {}) })) : checks;
}

/** The step's verdict from its checks: any failed → failed; else any inconclusive → inconclusive. */
function verdict(checks: CheckResult[], what: string): StepResult {
  const failed = checks.filter((c) => c.status === 'failed');
  if (failed.length) {
    const text = `${what} failed: ${failed.map((c) => `${c.name}: ${c.detail ?? 'failed'}`).join('; ')}`;
    return { status: 'failed', checks, message: text, cause: { code: 'check-failed', text, evidence: failed.flatMap((c) => c.evidence ?? []) } };
  }
  const unknown = checks.filter((c) => c.status === 'inconclusive');
  if (unknown.length) {
    const text = `${what} inconclusive: ${unknown.map((c) => `${c.name}: ${c.detail ?? 'could not observe'}`).join('; ')}`;
    return { status: 'inconclusive', checks, message: text, cause: { code: 'inconclusive', text, retryable: true } };
  }
  return { status: 'succeeded', checks, message: `${checks.filter((c) => c.status === 'passed').length} checks passed${checks.some((c) => c.status === 'warning') ? ' (with warnings)' : ''}` };
}

export function rolloutStep(name: string, title: string, prefix: string, tagOf: (s: Resolved) => string): Step<Resolved, 'cluster' | 'metrics'> {
  return {
    name,
    title,
    needs: ['cluster', 'metrics'],
    timeoutMs: 0,
    async run(s, ctx) {
      const checks = prefixed((await runAfterChecks('rollout', s, tagOf(s), ctx)).results, prefix);
      s.checks.push(...checks);
      // One check: its detail is the step's line and cause.
      const v = verdict(checks, 'the rollout');
      const line = checks[0]?.detail;
      return { ...v, message: line ?? v.message, ...(v.cause ? { cause: { ...v.cause, text: line ?? v.cause.text } } : {}) };
    },
  };
}

export function verifyStep(name: string, title: string, prefix: string, tagOf: (s: Resolved) => string): Step<Resolved, 'cluster' | 'metrics'> {
  return {
    name,
    title,
    needs: ['cluster', 'metrics'],
    timeoutMs: 120_000,
    async run(s, ctx) {
      const checks = prefixed((await runAfterChecks('after', s, tagOf(s), ctx)).results, prefix);
      s.checks.push(...checks);
      for (const c of checks) ctx.log(`${CHECK_MARK[c.status]} ${c.name}: ${checkText(c)}`, c.status === 'failed' ? 'error' : c.status === 'warning' || c.status === 'inconclusive' ? 'warn' : 'info');
      return verdict(checks, 'verification');
    },
  };
}

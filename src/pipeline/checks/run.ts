// Runs the checks of one phase concurrently, each with only the ports it declared, and merges what
// they learned. A check never writes the run's state; the step that calls this does, once.
import type { CheckResult } from '../model/records';
import type { Ports } from '../ports';
import type { StepContext } from '../runner';
import type { Resolved } from '../steps/state';
import { errText, faultOf, type AfterCheck, type BeforeCheck, type Check, type CheckPhase, type Learned, type Verdict } from './check';
import { afterObservations, beforeObservations } from './observations';
import { CHECKS } from './registry';

export interface PhaseResult {
  results: CheckResult[];
  learned: Learned;
}

function narrow<N extends keyof Ports>(ctx: StepContext<any>, needs: readonly N[]): StepContext<N> {
  const ports = {} as Pick<Ports, N>;
  for (const n of needs) ports[n] = (ctx.ports as Ports)[n];
  return { ...ctx, ports };
}

interface Judged {
  result?: CheckResult;
  learned?: Learned;
}

async function one(check: Check, input: any, ctx: StepContext<any>, phase: CheckPhase): Promise<Judged> {
  let v: Verdict | undefined;
  try {
    v = await check.run(input, narrow(ctx, check.needs));
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // A check that throws has not judged: before the change that refuses; after it, it could not observe.
    v = phase === 'before' ? { status: 'failed', detail: `check "${check.name}" could not run: ${errText(err)}`, ...faultOf(err) } : { status: 'inconclusive', detail: `could not observe (check "${check.name}" failed to run): ${errText(err)}`, ...faultOf(err) };
  }
  if (!v) return {};
  const { learned, ...rest } = v;
  return { result: { name: check.name, ...rest }, learned };
}

/** The results in registry order, and everything learned merged. */
function merge(judged: Judged[]): PhaseResult {
  return { results: judged.flatMap((j) => (j.result ? [j.result] : [])), learned: Object.assign({}, ...judged.map((j) => j.learned ?? {})) };
}

/** Checks that failed with the same evidence (one gathering) show it once: the later ones refer to the first. */
function shareEvidence(results: CheckResult[]): CheckResult[] {
  const seen = new Map<unknown, string>();
  return results.map((r) => {
    if (!r.evidence?.length) return r;
    const first = seen.get(r.evidence);
    if (first) return { ...r, evidence: undefined, evidenceFrom: first };
    seen.set(r.evidence, r.name);
    return r;
  });
}

/** The pre-deployment checks (the `last` ones only when no other failed). */
export async function runBeforeChecks(s: Readonly<Resolved>, tag: string, now: Date, ctx: StepContext<'registry' | 'git'>): Promise<PhaseResult> {
  const checks = CHECKS.filter((c): c is BeforeCheck => c.phase === 'before');
  const input = { run: s, tag, now, observed: beforeObservations(s, tag, ctx) };
  const judged = await Promise.all(checks.filter((c) => !c.last).map((c) => one(c, input, ctx, 'before')));
  for (const c of checks.filter((x) => x.last)) {
    if (judged.some((j) => j.result?.status === 'failed')) break;
    judged.push(await one(c, input, ctx, 'before'));
  }
  return merge(judged);
}

/** The checks of the rollout or the verification phase for `tag`. */
export async function runAfterChecks(phase: 'rollout' | 'after', s: Readonly<Resolved>, tag: string, ctx: StepContext<'cluster' | 'metrics'>): Promise<PhaseResult> {
  const checks = CHECKS.filter((c): c is AfterCheck => c.phase === phase);
  const input = { run: s, tag, now: ctx.clock.now(), observed: afterObservations(s, tag, ctx) };
  const { results, learned } = merge(await Promise.all(checks.map((c) => one(c, input, ctx, phase))));
  return { results: shareEvidence(results), learned };
}

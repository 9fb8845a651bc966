// Runs one check the way its step does: a resolved run, the check's own ports, shared observations.
import type { AfterCheck, BeforeCheck, Verdict } from '../../../src/pipeline/checks/check';
import { afterObservations, beforeObservations } from '../../../src/pipeline/checks/observations';
import { newState } from '../../../src/pipeline/deploy';
import type { Ports } from '../../../src/pipeline/ports';
import { runSteps, type StepContext } from '../../../src/pipeline/runner';
import { resolveStep } from '../../../src/pipeline/steps/resolve';
import { isResolved, type Resolved } from '../../../src/pipeline/steps/state';
import { depsOf, makeWorld, type World, type WorldOptions } from '../pipelineFakes';

export interface Target {
  service?: string;
  environment?: string;
  tag?: string;
  mode?: 'deploy' | 'rollback';
  reason?: string;
  overrideWindow?: boolean;
  overrideReason?: string;
  dryRun?: boolean;
}

/** A world and a run resolved in it (service, environment, tag, previous tag, config). */
export async function resolved(o: WorldOptions = {}, t: Target = {}): Promise<{ w: World; s: Resolved }> {
  const w = makeWorld(o);
  const deps = depsOf(w);
  const s = await newState(t.mode ?? 'deploy', { service: t.service ?? 'accounts', environment: t.environment ?? 'stag', tag: t.tag ?? '1.6.0', reason: t.reason, overrideWindow: t.overrideWindow, overrideReason: t.overrideReason, dryRun: t.dryRun }, deps);
  const r = await runSteps([resolveStep], s, { ports: w.ports, clock: w.clock });
  if (r.status !== 'succeeded' || !isResolved(s)) throw new Error(`resolve: ${r.message}`);
  return { w, s };
}

function context(w: World, needs: readonly (keyof Ports)[]): StepContext<any> {
  const ports = {} as Record<string, unknown>;
  for (const n of needs) ports[n] = (w.ports as unknown as Record<string, unknown>)[n];
  return { ports, signal: new AbortController().signal, clock: w.clock, deadline: Date.now() + 60_000, log: () => undefined, emit: () => undefined } as StepContext<any>;
}

/** Run a pre-deployment check with only the ports it declares. */
export async function runBefore(check: BeforeCheck<any>, w: World, s: Resolved, tag = s.target.tag): Promise<Verdict | undefined> {
  const all = context(w, ['registry', 'git']);
  return check.run({ run: s, tag, now: w.clock.now(), observed: beforeObservations(s, tag, all) }, context(w, check.needs));
}

/** Run a verification check (what runs is the cluster fake's current tag). */
export async function runAfter(check: AfterCheck<any>, w: World, s: Resolved, tag = s.target.tag): Promise<Verdict | undefined> {
  const all = context(w, ['cluster', 'metrics']);
  return check.run({ run: s, tag, now: w.clock.now(), observed: afterObservations(s, tag, all) }, context(w, check.needs));
}

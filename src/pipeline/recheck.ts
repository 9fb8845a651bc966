// Re-run only the verification against what runs now (after an inconclusive run held for a
// human): the Argo CD application, the rollout, the pods, health, smoke, the 5xx ratio, resources.
// Changes nothing and writes no record.
import { applicationName, environment, serviceConfig } from './config/load';
import { FileProblem, UserError } from './errors';
import { readImageTags } from './model/imageTags';
import type { CheckResult } from './model/records';
import { newState } from './deploy';
import { EXIT_CODES, type ExitCode, type PipelineDeps, type RunControl } from './outcome';
import { observe } from './observe';
import { describeApp, syncFailure } from './model/argo';
import { runSteps, type Step } from './runner';
import { rel, type Resolved } from './steps/state';
import { rolloutStep, verifyStep } from './steps/verify';

export type VerificationStatus = 'passed' | 'failed' | 'inconclusive';

export interface VerificationReport {
  service: string;
  environment: string;
  /** The tag in the environment's values file (what Argo CD deploys). */
  tag: string;
  application: string;
  status: VerificationStatus;
  exitCode: ExitCode;
  checks: CheckResult[];
  startedAt: string;
  finishedAt: string;
}

/** The Application is Synced and Healthy (any revision: this checks what runs, not one commit). */
const argoStep: Step<Resolved, 'argocd'> = {
  name: 'argocd',
  title: 'Argo CD application',
  needs: ['argocd'],
  timeoutMs: 60_000,
  async run(s, ctx) {
    const ns = s.target.env.argocd.namespace;
    const app = s.target.application;
    const read = await observe((signal) => ctx.ports.argocd.get(ns, app, signal), { signal: ctx.signal, sleep: s.settings.sleep, deadline: ctx.deadline - 1000 });
    let check: CheckResult;
    if (!read.ok) check = { name: 'argocd', status: 'inconclusive', detail: `could not observe Argo CD ${app}: ${read.error}` };
    else {
      const a = read.value;
      const failure = a.operationRevision ? syncFailure(a.operationRevision, a) : undefined;
      const good = a.syncStatus === 'Synced' && a.healthStatus === 'Healthy';
      check = { name: 'argocd', status: good ? 'passed' : 'failed', detail: failure ?? `${app}: ${describeApp(a)}` };
    }
    s.checks.push(check);
    return { status: check.status === 'passed' ? 'succeeded' : check.status === 'failed' ? 'failed' : 'inconclusive', message: check.detail, checks: [check] };
  },
};

export async function runVerification(request: { service: string; environment: string }, deps: PipelineDeps, control: RunControl = {}): Promise<VerificationReport> {
  const config = deps.config;
  const env = environment(config, request.environment);
  if (!env) throw new UserError(`unknown environment "${request.environment}"; environments: ${config.environments.map((e) => e.name).join(', ')}`);
  let tag: string | undefined;
  try {
    tag = (await readImageTags(env.valuesFile, config.tagPath)).entries.get(request.service)?.tag;
  } catch (err) {
    if (err instanceof FileProblem) throw new UserError(`${rel(config.root, env.valuesFile)}: ${err.message}`);
    throw err;
  }
  if (tag === undefined) throw new UserError(`unknown service "${request.service}" in ${env.name}: ${rel(config.root, env.valuesFile)} has no tag for it`);
  const state = await newState('deploy', { service: request.service, environment: env.name, tag }, deps);
  // What runs now is the target: the tag origin has, checked against itself.
  const s: Resolved = Object.assign(state, { target: { env, upstream: undefined, serviceConfig: serviceConfig(config, request.service), application: applicationName(env, request.service), tag, tagSource: 'origin', previousTag: tag, valuesRel: rel(config.root, env.valuesFile) } });
  const v = config.verification;
  const steps: Step<Resolved, any>[] = [argoStep, { ...rolloutStep('rollout', 'Wait for the rollout', '', () => tag), timeoutMs: v.rolloutTimeoutSeconds * 1000 + 30_000 }, verifyStep('verify', 'Verify', '', () => tag)];
  const clock = s.settings.clock;
  // Every step runs: the report says what could and could not be observed, all of it.
  for (const step of steps) {
    const r = await runSteps([step], s, { ports: deps.ports, clock, signal: control.signal, onEvent: control.onEvent });
    if (r.status === 'aborted') break;
    if (r.status === 'failed' && !s.checks.some((c) => c.name === step.name || (step.name === 'verify' && c.name === 'pods'))) {
      s.checks.push({ name: step.name, status: 'inconclusive', detail: r.message ?? 'the step did not finish' });
    }
  }
  const status: VerificationStatus = s.checks.some((c) => c.status === 'failed') ? 'failed' : s.checks.some((c) => c.status === 'inconclusive') || s.checks.length === 0 ? 'inconclusive' : 'passed';
  return {
    service: s.service,
    environment: env.name,
    tag,
    application: s.target.application,
    status,
    exitCode: status === 'passed' ? EXIT_CODES.ok : EXIT_CODES.needsHuman,
    checks: s.checks,
    startedAt: s.startedAt.toISOString(),
    finishedAt: clock.now().toISOString(),
  };
}

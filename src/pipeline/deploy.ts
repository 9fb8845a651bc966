// The deployment pipeline's public API: plan, deploy, roll back. The editor and the CLI both
// call these; everything external goes through the ports in deps.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { maskSecrets } from './mask';
import type { Ports } from './ports';
import { editValuesText } from './model/imageTags';
import type { CheckResult } from './model/records';
import {
  EXIT_CODES,
  type DeployRequest,
  type DeploymentPlan,
  type ExitCode,
  type OutcomeKind,
  type PipelineDeps,
  type PipelineOutcome,
  type RecordRef,
  type RollbackRequest,
  type RunControl,
  type Decision,
  type EventSink,
  renderCommand,
} from './outcome';
import { unifiedDiff } from './plan';
import { iso, runSteps, sleep as realSleep, type RunResult, type Step, type StepReport } from './runner';
import { commitStep, pushStep, syncStep, updateValuesStep, changeMessage } from './steps/execute';
import { argoNowStep, resumeStep, type ResumeAction } from './steps/resume';
import { newRunId } from './model/journal';
import { recordStep, type RecordPlan } from './steps/record';
import { resolveStep } from './steps/resolve';
import { rollbackCommitStep, rollbackPushStep, rollbackSyncStep, rollbackValuesStep, rollbackRolloutStep, rollbackVerifyStep } from './steps/rollback';
import { isResolved, oneLine, shortSha, type Resolved, type RunState } from './steps/state';
import { validateStep } from './steps/validate';
import { pullRequestPushStep, rollbackPullRequestStep } from './steps/pullRequest';
import { pullRequestBody } from './github/pullBody';
import { promotionBranch } from './github/pulls';
import { preflightStep } from './steps/preflight';
import { rolloutStep, verifyStep } from './steps/verify';

export type { DeployRequest, RollbackRequest, PipelineDeps, PipelineOutcome, DeploymentPlan, RunControl, OutcomeKind } from './outcome';
export type { StepReport } from './runner';
export type { PipelineEvent, EventSink } from './outcome';

const MARGIN_MS = 30_000;

/** The steps of a deployment, in order, with timeouts from the config (exported for benches). */
export function deploymentSteps(s: RunState): { before: Step<Resolved, any>[]; change: Step<Resolved, any>[]; rollback: Step<Resolved, any>[] } {
  const v = s.settings.config.verification;
  const syncMs = v.syncTimeoutSeconds * 1000 + MARGIN_MS;
  const rolloutMs = v.rolloutTimeoutSeconds * 1000 + MARGIN_MS;
  // pull-request mode: the push opens a pull request and waits for its merge (git.mergeTimeoutMinutes).
  const pr = isResolved(s) && s.target.env.git.mode === 'pull-request' ? s.target.env.git.mergeTimeoutMinutes * 60_000 + 4 * MARGIN_MS : undefined;
  const push = pr ? { ...pullRequestPushStep, timeoutMs: pr } : pushStep;
  const rollbackPush = pr ? { ...rollbackPullRequestStep, timeoutMs: pr } : rollbackPushStep;
  return {
    before: [validateStep, preflightStep],
    change: [updateValuesStep, commitStep, push, { ...syncStep, timeoutMs: syncMs }, { ...rolloutStep('rollout', 'Wait for the rollout', '', (x) => x.target.tag), timeoutMs: rolloutMs }, verifyStep('verify', 'Verify', '', (x) => x.target.tag)],
    // The rollback's sync may first have to wait for a stuck operation of the bad commit to end.
    rollback: [rollbackValuesStep, rollbackCommitStep, rollbackPush, { ...rollbackSyncStep, timeoutMs: 2 * v.syncTimeoutSeconds * 1000 + MARGIN_MS }, { ...rollbackRolloutStep, timeoutMs: rolloutMs }, rollbackVerifyStep],
  };
}

function deepMask<T>(value: T, env: Record<string, string | undefined>): T {
  if (typeof value === 'string') return maskSecrets(value, env) as unknown as T;
  if (Array.isArray(value)) return value.map((v) => deepMask(v, env)) as unknown as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = deepMask(v, env);
    return out as T;
  }
  return value;
}

/** Who acts, as the pipeline records it: the configured actor, GITHUB_ACTOR, git user.name, the OS user. */
export async function resolveActor(actor: string | undefined, env: Record<string, string | undefined>, git: Pick<Ports['git'], 'userName'>): Promise<string> {
  if (actor) return actor;
  if (env.GITHUB_ACTOR) return env.GITHUB_ACTOR;
  const name = await git.userName().catch(() => undefined);
  if (name) return name;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

export async function newState(mode: 'deploy' | 'rollback', req: { service: string; environment: string; tag?: string; reason?: string; overrideWindow?: boolean; overrideReason?: string; dryRun?: boolean; autoRollback?: boolean }, deps: PipelineDeps): Promise<RunState> {
  const env = deps.env ?? process.env;
  const clock = deps.clock ?? deps.ports.clock;
  return {
    mode,
    settings: {
      config: deps.config,
      clock,
      env,
      sleep: deps.sleep ?? realSleep,
      pollIntervalMs: deps.pollIntervalMs ?? 500,
      readKey: deps.readKey ?? ((f) => fs.readFile(f, 'utf8')),
    },
    service: req.service,
    environment: req.environment,
    requestedTag: req.tag,
    reason: req.reason?.trim() || undefined,
    overrideWindow: !!req.overrideWindow,
    overrideReason: req.overrideReason?.trim() || undefined,
    dryRun: !!req.dryRun,
    autoRollback: req.autoRollback !== false,
    actor: await resolveActor(deps.actor, env, deps.ports.git),
    startedAt: clock.now(),
    runId: newRunId(clock.now()),
    checks: [],
  };
}

function buildPlan(s: Resolved, wouldProceed: boolean, refusal?: string): DeploymentPlan {
  let diff = '';
  try {
    const before = s.valuesBefore;
    if (before === undefined) throw new Error('no text');
    diff = unifiedDiff(s.target.valuesRel, before, editValuesText(before, s.service, s.target.tag, s.target.env.pinDigest ? s.digest : undefined, s.settings.config.tagPath, s.target.valuesRel).text);
  } catch {
    diff = '';
  }
  return {
    wouldProceed,
    service: s.service,
    environment: s.environment,
    tag: s.target.tag,
    previousTag: s.target.previousTag,
    digest: s.digest,
    valuesFile: s.target.valuesRel,
    diff,
    commitMessage: changeMessage(s),
    application: s.target.application,
    checks: s.checks,
    preflight: s.preflight,
    refusal,
    ...(s.estimate ? { estimate: s.estimate } : {}),
    ...(s.windowOverride ? { windowOverride: s.windowOverride } : {}),
    ...(s.target.env.git.mode === 'pull-request' ? { pullRequest: { branch: promotionBranch(s.environment, s.service, s.target.tag), base: s.settings.config.git.branch, merge: s.target.env.git.merge, labels: s.target.env.git.labels, mergeTimeoutMinutes: s.target.env.git.mergeTimeoutMinutes } } : {}),
  };
}

interface Finish {
  kind: OutcomeKind;
  exitCode: ExitCode;
  message: string;
  plan?: DeploymentPlan;
  record?: RecordRef;
  manualFix?: string;
  rollbackCommand?: string;
  decision?: Decision;
}

/** The checks after the change that observed something, and those that could not (for a decision). */
function observation(s: Resolved, from: number): { observed: string[]; unobserved: CheckResult[] } {
  const after = s.checks.slice(from);
  return { observed: after.filter((c) => c.status === 'passed' || c.status === 'failed' || c.status === 'warning').map((c) => c.name), unobserved: after.filter((c) => c.status === 'inconclusive') };
}

function unobservedText(checks: CheckResult[]): string {
  return checks.map((c) => `${c.name}: ${oneLine(c.detail ?? 'could not observe')}`).join('; ');
}

/** The first step that did not succeed, its cause, and the first adapter fault among the checks. */
function failureOf(steps: StepReport[], checks: CheckResult[]): Pick<PipelineOutcome, 'failedStep' | 'cause' | 'fault'> {
  const bad = steps.find((r) => r.status !== 'succeeded');
  const fault = checks.find((c) => (c.status === 'failed' || c.status === 'inconclusive') && c.fault)?.fault;
  const cause = bad?.cause && { code: bad.cause.code, text: bad.cause.text, ...(bad.cause.retryable !== undefined ? { retryable: bad.cause.retryable } : {}), ...(bad.cause.system ? { system: bad.cause.system } : {}) };
  return { ...(bad ? { failedStep: bad.step } : {}), ...(cause ? { cause } : {}), ...(fault ? { fault } : {}) };
}

/** "Wait for Argo CD (sync): why" — a step that did not succeed, for people. */
function stepText(r: RunResult): string {
  const why = r.cause?.text ?? r.message ?? r.status;
  return r.step && r.title ? `${r.title} (${r.step}): ${why}` : why;
}

function manualFix(s: Resolved, failedAt: string | undefined, why: string | undefined): string {
  const cfg = s.settings.config;
  const vf = s.target.valuesRel;
  const app = s.target.application;
  const ns = s.target.env.argocd.namespace;
  const dep = s.target.serviceConfig.deployment;
  const lines = [`ROLLBACK FAILED — a human is needed.`, `${s.service} in ${s.environment}: ${s.target.tag} (commit ${shortSha(s.commit)}) failed verification: ${s.cause}.`, `The automatic rollback failed at ${failedAt ?? 'an unknown step'}: ${why ?? 'no detail'}.`, 'Do this now:'];
  const rpr = s.rollbackPullRequest;
  if (!s.rollbackPushed && rpr && rpr.state === 'open' && !rpr.merged) {
    lines.push(`  1. a human must merge rollback pull request #${rpr.number} (${s.service}: ${s.target.previousTag}): ${rpr.url}`);
    lines.push(`  2. watch it: kubectl get application ${app} -n ${ns}; kubectl rollout status deployment/${dep} -n ${s.target.env.namespace}`);
  } else if (s.rollbackPushed) {
    lines.push(`  1. origin already has the rollback commit ${s.rollbackCommit} (${s.service}: ${s.target.previousTag}); make Argo CD sync it: argocd app sync ${app} --revision ${s.rollbackCommit} (or the Argo CD UI)`);
    lines.push(`  2. watch it: kubectl get application ${app} -n ${ns}; kubectl rollout status deployment/${dep} -n ${s.target.env.namespace}`);
  } else if (s.target.env.git.mode === 'pull-request') {
    lines.push(`  1. set ${s.service} back to ${s.target.previousTag} in ${vf} on a branch and open a pull request into ${cfg.git.branch} (or: gitops-deploy fix ${s.service} --env ${s.environment})`);
    lines.push(`  2. merge it; watch it: kubectl get application ${app} -n ${ns}; kubectl rollout status deployment/${dep} -n ${s.target.env.namespace}`);
  } else {
    lines.push(`  1. set ${s.service} back to ${s.target.previousTag} in ${vf}`);
    lines.push(`  2. git commit -m "Rollback ${s.service} in ${s.environment}: ${s.target.tag} → ${s.target.previousTag}" -- ${vf}`);
    lines.push(`  3. git push ${cfg.git.remote} HEAD:${cfg.git.branch}`);
    lines.push(`  4. watch it: kubectl get application ${app} -n ${ns}; kubectl rollout status deployment/${dep} -n ${s.target.env.namespace}`);
  }
  return lines.join('\n');
}

function rollbackCommand(s: Resolved): string {
  return `gitops-deploy rollback ${s.service} --env ${s.environment} --to ${s.target.previousTag} --reason "undo interrupted deployment of ${s.target.tag}"`;
}

async function run(mode: 'deploy' | 'rollback', state: RunState, deps: PipelineDeps, control: RunControl, resume?: ResumeAction): Promise<PipelineOutcome> {
  const env = state.settings.env;
  const clock = state.settings.clock;
  const sink = control.onEvent;
  const emit: EventSink = (e) => sink?.(deepMask(e, env));
  const opts = { ports: deps.ports, clock, signal: control.signal, onEvent: emit };
  const reports: StepReport[] = [];
  const track = (r: RunResult) => {
    reports.push(...r.reports);
    return r;
  };
  let finish: Finish;
  const recordOut: { ref?: RecordRef; problem?: string } = {};
  try {
    // resolve (or, to finish an interrupted run, resume): from here on the run has its target.
    const first = track(await runSteps([resume ? resumeStep(resume) : resolveStep], state, opts));
    let pre = first;
    const steps = deploymentSteps(state); // after resolve: the timeouts of origin's policy
    if (first.status === 'succeeded' && isResolved(state) && !resume) pre = track(await runSteps(steps.before, state, opts));
    if (pre.status !== 'succeeded' || !isResolved(state)) {
      const message = pre.status === 'aborted' ? `interrupted before any change: ${pre.message}; nothing was changed` : pre.status === 'failed' ? `could not check the deployment (${stepText(pre)}); nothing was changed` : (pre.cause?.text ?? 'refused');
      const exitCode = state.usage ? EXIT_CODES.usage : EXIT_CODES.refused;
      finish = state.dryRun && !state.usage && isResolved(state) ? { kind: 'dry-run', exitCode, message: `dry run: would be refused — ${message}`, plan: buildPlan(state, false, message) } : { kind: 'refused', exitCode, message };
      return outcome(state, finish, reports, clock);
    }
    const s: Resolved = state;
    const writeRecord = async (plan: RecordPlan) => {
      // Written even after Ctrl-C: with its own signal, so an interrupted run still leaves its trace.
      track(await runSteps([recordStep(() => plan, recordOut)], s, { ports: deps.ports, clock, onEvent: emit }));
      return recordOut.ref;
    };
    const notify = async (kind: 'rolled-back' | 'rollback-failed' | 'failed' | 'succeeded' | 'inconclusive', message: string) => {
      emit({ type: 'notification', kind, message, at: iso(clock.now()) });
      try {
        await deps.ports.notifier.notify(deepMask({ kind, service: s.service, environment: s.environment, tag: s.target.tag, previousTag: s.target.previousTag, message, recordPath: recordOut.ref?.path, windowOverride: s.windowOverride }, env));
      } catch (err) {
        emit({ type: 'log', level: 'warn', message: `notification failed: ${err instanceof Error ? err.message : String(err)}`, at: iso(clock.now()) });
      }
    };
    async function rollBack(change: RunResult, rollbackSteps: Step<Resolved, any>[]): Promise<PipelineOutcome> {
      const failure = { failedStep: change.step, causeCode: change.cause?.code };
      const checksBeforeRollback = s.checks.length;
      const rb = track(await runSteps(rollbackSteps, s, opts));
      const rbWhy = oneLine(rb.cause?.text ?? rb.message ?? '');
      if (rb.status === 'inconclusive') {
        // The rollback is on origin; only its verification could not observe: never "ROLLBACK FAILED".
        const { unobserved } = observation(s, checksBeforeRollback);
        const what = unobservedText(unobserved);
        s.checks.push({ name: 'rollback', status: 'inconclusive', detail: `${s.target.previousTag} restored (commit ${shortSha(s.rollbackCommit)}); its verification could not observe ${what}` });
        const decision: Decision = { recheck: { command: 'verify', service: s.service, environment: s.environment }, observed: observation(s, checksBeforeRollback).observed, unobserved: unobserved.map((c) => c.name) };
        const message = `${s.service} ${s.target.tag} ${change.status === 'inconclusive' ? 'could not be verified' : 'failed'} in ${s.environment} (${s.causeStep}: ${s.cause}); rolled back to ${s.target.previousTag} (commit ${shortSha(s.rollbackCommit)}), but the rollback's verification was inconclusive — could not observe ${what}. Re-check with ${renderCommand(decision.recheck)}`;
        const ref = await writeRecord({ status: 'inconclusive', finishedAt: clock.now(), cause: `${s.causeStep} ${change.status === 'inconclusive' ? 'inconclusive' : 'failed'}: ${s.cause}`, ...failure, todo: `${s.target.previousTag} is back on origin (commit ${shortSha(s.rollbackCommit)}); confirm it runs well: ${renderCommand(decision.recheck)}` });
        await notify('inconclusive', message);
        return outcome(s, { kind: 'inconclusive', exitCode: EXIT_CODES.needsHuman, message, record: ref, decision }, reports, clock);
      }
      s.checks.push(
        rb.status === 'succeeded'
          ? { name: 'rollback', status: 'passed', detail: `${s.target.previousTag} restored (commit ${shortSha(s.rollbackCommit)}) and verified` }
          : { name: 'rollback', status: 'failed', failedStep: rb.step, detail: `the automatic rollback to ${s.target.previousTag} failed at ${rb.step}: ${rb.status === 'aborted' ? `interrupted: ${rbWhy}` : rbWhy}${s.rollbackPushed ? ` (the rollback commit ${shortSha(s.rollbackCommit)} is on origin)` : s.rollbackPullRequest?.state === 'open' ? ` (rollback pull request #${s.rollbackPullRequest.number} is open: ${s.rollbackPullRequest.url})` : ' (nothing of it reached origin)'}` },
      );
      if (rb.status === 'succeeded') {
        const ref = await writeRecord({ status: 'rolled-back', finishedAt: clock.now(), cause: `${s.causeStep} failed: ${s.cause}`, ...failure, todo: `${s.target.previousTag} is back in ${s.environment} and verified. Fix ${s.target.tag} (see the failed checks) before deploying it again.` });
        const message = `${s.service} ${s.target.tag} failed in ${s.environment} (${s.causeStep}: ${s.cause}); rolled back to ${s.target.previousTag} (commit ${shortSha(s.rollbackCommit)}) and verified${recordOut.problem ? `; ${recordOut.problem}` : ''}`;
        await notify('rolled-back', message);
        return outcome(s, { kind: 'rolled-back', exitCode: EXIT_CODES.rolledBack, message, record: ref }, reports, clock);
      }
      const fix = manualFix(s, rb.step, rb.status === 'aborted' ? `interrupted: ${rbWhy}` : rbWhy);
      const ref = await writeRecord({ status: 'failed', finishedAt: clock.now(), cause: `${s.causeStep} failed: ${s.cause}. The automatic rollback failed at ${rb.step}: ${rbWhy}`, ...failure, todo: fix });
      await notify('rollback-failed', fix);
      return outcome(s, { kind: 'failed-needs-human', exitCode: EXIT_CODES.needsHuman, message: fix, record: ref, manualFix: fix }, reports, clock);
    }

    if (s.dryRun) {
      const plan = buildPlan(s, true);
      finish = { kind: 'dry-run', exitCode: EXIT_CODES.ok, message: `dry run: would deploy ${s.service} ${s.target.previousTag} → ${s.target.tag} to ${s.environment}; nothing was changed`, plan };
      return outcome(s, finish, reports, clock);
    }

    const checksBeforeChange = s.checks.length;
    // Where the state machine is entered: from the change (a normal run), at the sync wait (resume
    // of a pushed run), at the rollback (of an interrupted run, or resuming an interrupted rollback),
    // or at the verification of what runs now (already running, accept).
    const verifyNow = [argoNowStep, ...steps.change.slice(4)];
    const interrupted = s.resume?.interrupted;
    if (interrupted && (resume === 'rollback' || interrupted.phase === 'rolling-back')) {
      if (resume === 'accept') {
        const text = `run ${interrupted.runId} was interrupted during its automatic rollback; accept it by finishing the rollback: gitops-deploy resume ${s.service} --env ${s.environment}`;
        return outcome(s, { kind: 'refused', exitCode: EXIT_CODES.refused, message: text }, reports, clock);
      }
      if (interrupted.phase === 'pushed') {
        s.cause = `the run was interrupted after pushing ${s.target.tag}; rolled back by ${s.actor}${s.reason ? `: ${s.reason}` : ''}`;
        s.causeStep = 'interrupted';
      }
      return await rollBack({ status: 'failed', step: 'interrupted', message: s.cause, cause: { code: 'interrupted', text: s.cause! }, reports: [] } as unknown as RunResult, interrupted.phase === 'rolling-back' ? steps.rollback.slice(3) : steps.rollback);
    }
    const changeSteps = resume === 'accept' || s.alreadyRunning ? verifyNow : resume === 'resume' ? steps.change.slice(s.pullRequest && !s.pushed ? 2 : 3) : steps.change;
    if (s.target.env.git.mode === 'pull-request' && !s.pullRequest) s.pullRequestBody = pullRequestBody(buildPlan(s, true), { mode, runId: s.runId, reason: s.reason, actor: s.actor, merge: s.target.env.git.merge, mergeTimeoutMinutes: s.target.env.git.mergeTimeoutMinutes });
    const change = track(await runSteps(changeSteps, s, opts));
    if (change.status === 'succeeded') {
      const status = mode === 'rollback' ? 'rollback' : 'succeeded';
      const ref = await writeRecord({ status, finishedAt: clock.now() });
      const what = s.alreadyRunning ? `${s.service} ${s.target.tag} already runs in ${s.environment}: verified, nothing pushed` : `${mode === 'rollback' ? 'rolled back' : 'deployed'} ${s.service} ${s.target.previousTag} → ${s.target.tag} in ${s.environment} (commit ${shortSha(s.commit)}) and verified${resume === 'accept' ? ` — interrupted run ${s.runId} accepted` : resume ? ` — interrupted run ${s.runId} finished` : ''}`;
      const message = `${what}${recordOut.problem ? `; ${recordOut.problem}` : ''}`;
      await notify('succeeded', message);
      return outcome(s, { kind: 'deployed', exitCode: EXIT_CODES.ok, message, record: ref }, reports, clock);
    }
    if (resume === 'accept' && change.status !== 'aborted') {
      const text = `not accepted: ${stepText(change)}. Nothing was recorded; roll it back with gitops-deploy resume ${s.service} --env ${s.environment} --rollback, or continue it with gitops-deploy resume ${s.service} --env ${s.environment}`;
      return outcome(s, { kind: 'refused', exitCode: EXIT_CODES.refused, message: text }, reports, clock);
    }
    if (s.alreadyRunning && change.status !== 'aborted') {
      // Nothing of this run is on origin: there is nothing to roll back, a human looks.
      const why = stepText(change);
      const ref = await writeRecord({ status: change.status === 'inconclusive' ? 'inconclusive' : 'failed', finishedAt: clock.now(), cause: `${s.target.tag} already runs but its verification ${change.status === 'inconclusive' ? 'was inconclusive' : 'failed'}: ${why}`, failedStep: change.step, causeCode: change.cause?.code, todo: 'Nothing was pushed by this run. Look at the evidence; fix forward or roll back to an earlier tag.' });
      const message = `${s.service} ${s.target.tag} already runs in ${s.environment} but ${why}; nothing was pushed`;
      await notify('failed', message);
      return outcome(s, { kind: 'failed-needs-human', exitCode: EXIT_CODES.needsHuman, message, record: ref }, reports, clock);
    }

    if (!s.pushed && s.pullRequest && !s.pullRequest.merged) {
      // pull-request mode: the change is on its own branch; the deploy branch was not changed by this run.
      const pr = s.pullRequest;
      const code = change.cause?.code;
      if (code === 'pull-request-closed') {
        const message = `pull request #${pr.number} was closed without merging; nothing was deployed: ${pr.url}`;
        const ref = await writeRecord({ status: 'failed', finishedAt: clock.now(), cause: message, failedStep: change.step, causeCode: 'pull-request-closed', todo: 'Nothing was deployed. Deploy again when the change is wanted (a new pull request is opened).' });
        return outcome(s, { kind: 'refused', exitCode: EXIT_CODES.refused, message: `${message}${recordOut.problem ? `; ${recordOut.problem}` : ''}`, record: ref }, reports, clock);
      }
      const open = `pull request #${pr.number} is still open (${pr.url})`;
      const why = change.status === 'aborted' ? `interrupted while waiting for pull request #${pr.number} to be merged: ${change.message}` : code === 'pull-request-open' ? (change.cause?.text ?? open) : stepText(change);
      const todo = `Nothing is deployed until ${open} is merged. Merge it and check with gitops-deploy verify ${s.service} --env ${s.environment}, or close it to drop the change.`;
      const ref = await writeRecord({ status: 'failed', finishedAt: clock.now(), cause: why, failedStep: change.step, causeCode: change.status === 'aborted' ? 'interrupted' : (code ?? 'error'), todo });
      const message = `${why}. ${todo}${recordOut.problem ? `; ${recordOut.problem}` : ''}`;
      if (change.status !== 'aborted') await notify('failed', message);
      return outcome(s, { kind: 'failed-needs-human', exitCode: code === 'pull-request-open' ? EXIT_CODES.pullRequestOpen : EXIT_CODES.needsHuman, message, record: ref }, reports, clock);
    }

    if (!s.pushed) {
      // Nothing reached origin, and the user's checkout was never touched: nothing to undo.
      if (change.status === 'aborted') {
        return outcome(s, { kind: 'refused', exitCode: EXIT_CODES.refused, message: `interrupted at ${change.step} before anything was pushed: ${change.message}; nothing changed on origin or in your checkout` }, reports, clock);
      }
      if (change.cause?.code === 'branch-protected') {
        // origin refuses every direct push to the branch, a record's too: nothing changed, nothing to record.
        return outcome(s, { kind: 'refused', exitCode: EXIT_CODES.refused, message: change.cause.text }, reports, clock);
      }
      const refused = change.status === 'refused';
      const why = refused ? (change.cause?.text ?? '') : stepText(change);
      const ref = await writeRecord({ status: 'failed', finishedAt: clock.now(), cause: why, failedStep: change.step, causeCode: change.cause?.code, todo: refused ? 'Nothing reached origin. Re-run the deployment on top of the current state.' : `Nothing reached origin. Fix the cause and re-run.` });
      const message = `${why}${recordOut.problem ? `; ${recordOut.problem}` : ''}`;
      if (!refused) await notify('failed', message);
      return outcome(s, { kind: refused ? 'refused' : 'failed-needs-human', exitCode: refused ? EXIT_CODES.refused : EXIT_CODES.needsHuman, message, record: ref }, reports, clock);
    }

    if (change.status === 'aborted') {
      const message = `interrupted at ${change.step}: ${s.service} ${s.target.tag} is pushed (commit ${shortSha(s.commit)}) but not verified; no automatic rollback was done. To roll back: ${rollbackCommand(s)}`;
      const ref = await writeRecord({ status: 'failed', finishedAt: clock.now(), cause: `interrupted during ${change.step}`, failedStep: change.step, causeCode: 'interrupted', todo: `Check the application; to roll back run: ${rollbackCommand(s)}` });
      return outcome(s, { kind: 'failed-needs-human', exitCode: EXIT_CODES.needsHuman, message, record: ref, rollbackCommand: rollbackCommand(s) }, reports, clock);
    }

    const policy = s.settings.config.verification.onInconclusive;
    if (change.status === 'inconclusive' && (policy === 'hold' || s.autoRollback === false)) {
      // Could not observe is not failed: nothing is rolled back blindly; a human decides.
      const { observed, unobserved } = observation(s, checksBeforeChange);
      const decision: Decision = {
        recheck: { command: 'verify', service: s.service, environment: s.environment },
        rollback: { command: 'rollback', service: s.service, environment: s.environment, to: s.target.previousTag, reason: `verification of ${s.target.tag} was inconclusive` },
        observed,
        unobserved: unobserved.map((c) => c.name),
      };
      const what = unobservedText(unobserved);
      const message = `${s.service} ${s.target.tag} is pushed to ${s.environment} (commit ${shortSha(s.commit)}) but its verification was inconclusive — could not observe ${what}. Nothing was rolled back (verification.onInconclusive: ${s.autoRollback === false ? 'no automatic rollback in this run' : 'hold'}). Decide: re-check with ${renderCommand(decision.recheck)}, or roll back with ${renderCommand(decision.rollback!)}`;
      const ref = await writeRecord({ status: 'inconclusive', finishedAt: clock.now(), cause: `${change.step} inconclusive: ${what}`, failedStep: change.step, causeCode: 'inconclusive', todo: `A human decides. Re-check: ${renderCommand(decision.recheck)} · Roll back: ${renderCommand(decision.rollback!)}` });
      await notify('inconclusive', message);
      return outcome(s, { kind: 'inconclusive', exitCode: EXIT_CODES.needsHuman, message, record: ref, decision }, reports, clock);
    }

    // Pushed, then the sync wait or verification failed (or could not observe, with onInconclusive: rollback): roll back automatically.
    s.cause = change.status === 'inconclusive' ? `could not observe (verification.onInconclusive: rollback): ${unobservedText(observation(s, checksBeforeChange).unobserved)}` : (change.cause?.text ?? 'verification failed');
    s.causeStep = change.step;
    const failure = { failedStep: change.step, causeCode: change.cause?.code };
    if (s.autoRollback === false) {
      // The manual fix of a failed rollback: rolling "back" would re-deploy the broken tag.
      const todo = `${s.service} ${s.target.tag} is pushed (commit ${shortSha(s.commit)}) but ${change.step} failed: ${s.cause}. No automatic rollback (this run was the manual fix). Look at the evidence, then Retry sync or fix forward.`;
      const ref = await writeRecord({ status: 'failed', finishedAt: clock.now(), cause: `${s.causeStep} failed: ${s.cause}`, ...failure, todo });
      await notify('failed', todo);
      return outcome(s, { kind: 'failed-needs-human', exitCode: EXIT_CODES.needsHuman, message: todo, record: ref }, reports, clock);
    }
    emit({ type: 'log', level: 'warn', message: `${change.step} failed; rolling back ${s.service} in ${s.environment} to ${s.target.previousTag} (the tag origin had, verified, before this run)`, at: iso(clock.now()) });
    return await rollBack(change, steps.rollback);
  } finally {
    await state.releaseLock?.().catch(() => undefined);
    state.releaseLock = undefined;
  }

  function outcome(st: RunState, f: Finish, steps: StepReport[], c: typeof clock): PipelineOutcome {
    const o: PipelineOutcome = deepMask(
      {
        kind: f.kind,
        exitCode: f.exitCode,
        message: f.message,
        mode,
        service: st.service,
        environment: st.environment,
        tag: st.target?.tag ?? st.requestedTag,
        previousTag: st.target?.previousTag,
        digest: st.digest,
        commit: st.pushed ? st.commit : undefined,
        rollbackCommit: st.rollbackPushed ? st.rollbackCommit : undefined,
        ...(st.pullRequest ? { pullRequest: st.pullRequest } : {}),
        ...(st.rollbackPullRequest ? { rollbackPullRequest: st.rollbackPullRequest } : {}),
        record: f.record,
        checks: st.checks as CheckResult[],
        steps,
        plan: f.plan,
        manualFix: f.manualFix,
        rollbackCommand: f.rollbackCommand,
        decision: f.decision,
        preflight: st.preflight,
        windowOverride: st.windowOverride,
        estimate: st.estimate,
        ...failureOf(steps, st.checks),
        runId: st.runId,
        startedAt: iso(st.startedAt),
        finishedAt: iso(c.now()),
      },
      env,
    );
    emit({ type: 'pipeline-finished', outcome: o, at: o.finishedAt });
    return o;
  }
}

/** Deploy a tag (default: upstream's current tag) to an environment, verify it, roll back on failure. */
export async function runDeployment(request: DeployRequest, deps: PipelineDeps, control: RunControl = {}): Promise<PipelineOutcome> {
  const s = await newState('deploy', request, deps);
  return run('deploy', s, deps, control);
}

/**
 * Finish a deployment of a service that was interrupted (found in origin's journal: pushed, no
 * record): `resume` continues at the sync wait (rolling back if verification fails), `rollback`
 * goes back to the tag before it, `accept` records it as succeeded after verifying it now.
 */
export async function runResume(request: { service: string; environment: string; action: ResumeAction; reason?: string; dryRun?: boolean }, deps: PipelineDeps, control: RunControl = {}): Promise<PipelineOutcome> {
  const s = await newState('deploy', { service: request.service, environment: request.environment, reason: request.reason, dryRun: request.dryRun }, deps);
  return run('deploy', s, deps, control, request.action);
}

/** Roll a service back to an earlier tag (default: the last succeeded record's tag before the current one). */
export async function runRollback(request: RollbackRequest, deps: PipelineDeps, control: RunControl = {}): Promise<PipelineOutcome> {
  const s = await newState('rollback', { ...request, tag: request.to }, deps);
  return run('rollback', s, deps, control);
}

/**
 * Everything up to the first change, then the plan: the one-line diff, the commit message, the
 * checks. Changes nothing. `plan` is undefined only when the request itself is invalid (see message).
 */
export async function planDeployment(request: DeployRequest, deps: PipelineDeps, control: RunControl = {}): Promise<{ plan?: DeploymentPlan; outcome: PipelineOutcome }> {
  const outcome = await runDeployment({ ...request, dryRun: true }, deps, control);
  return { plan: outcome.plan, outcome };
}

export async function planRollback(request: RollbackRequest, deps: PipelineDeps, control: RunControl = {}): Promise<{ plan?: DeploymentPlan; outcome: PipelineOutcome }> {
  const outcome = await runRollback({ ...request, dryRun: true }, deps, control);
  return { plan: outcome.plan, outcome };
}

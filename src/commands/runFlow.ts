// What the deploy, promote and rollback commands share: reading the target from a tree node or a
// CodeLens, asking the reason, showing the plan for approval, and running. No pipeline logic: the
// plan and every check come from the pipeline.
import type { EnvironmentState, ServiceState } from '../pipeline/model/repoState';
import type { DeploymentPlan } from '../pipeline/outcome';
import { errorMessage } from '../pipeline/errors';
import { shortWhen } from '../pipeline/model/window';
import type { PipelineOutcome } from '../pipeline/outcome';
import type { LoadedState, PipelineHost, RunMode, RunRequest } from '../providers/pipelineHost';
import { overrideReasonProblem } from '../pipeline/model/override';
import type { Choice } from '../providers/prompter';
import { editorOverrideReasonProblem, OVERRIDE_BUTTON } from '../providers/remedyText';
import { planAfterRun, planText } from '../providers/transcript';

/** A command's argument: a service node of the tree, a CodeLens target, or nothing (palette). */
export type CommandTarget = { kind: 'service'; service: ServiceState; env: EnvironmentState } | { service: string; environment: string } | undefined;

export function targetOf(arg: unknown): { service?: string; environment?: string } {
  if (!arg || typeof arg !== 'object') return {};
  const a = arg as Record<string, any>;
  if (a.kind === 'service' && a.service && typeof a.service === 'object') return { service: a.service.service, environment: a.service.environment };
  if (typeof a.service === 'string') return { service: a.service, environment: typeof a.environment === 'string' ? a.environment : undefined };
  return {};
}

/** The reason, validated as you type (required where the environment requires one, and for rollbacks). */
export async function askReason(host: PipelineHost, state: LoadedState, o: { mode: RunMode; service: string; environment: string; title: string; step?: number; totalSteps?: number; value?: string }): Promise<string | undefined> {
  const env = state.environments.find((e) => e.config.name === o.environment);
  const required = o.mode === 'rollback' || !!env?.config.requireReason;
  const answer = await host.prompter.input({
    title: o.title,
    step: o.step,
    totalSteps: o.totalSteps,
    prompt: required
      ? `${o.mode === 'rollback' ? 'Why roll back?' : `${o.environment} requires a reason:`} a change ticket and what/why (recorded in the commit and the deployment record)`
      : 'Reason (optional): recorded in the commit and the deployment record',
    placeholder: 'CHG-1234 what and why',
    value: o.value,
    validate: (v) => {
      if (required && v.trim().length === 0) return o.mode === 'rollback' ? 'A rollback needs a reason.' : `${o.environment} requires a reason (e.g. a change ticket).`;
      if (/[\r\n]/.test(v)) return 'One line, please.';
      if (v.length > 500) return `At most 500 characters (${v.length}).`;
      return undefined;
    },
  });
  if (answer === undefined) return undefined;
  return answer.trim();
}

/** The refusal dialog's buttons, by id (the schedule button's label names when the window opens). */
export const REFUSAL_BUTTONS = {
  cancel: { id: 'cancel', label: 'Cancel' },
  schedule: { id: 'schedule', label: 'Schedule for when the window opens' },
  override: { id: 'override', label: OVERRIDE_BUTTON },
  plan: { id: 'plan', label: 'Show plan' },
} as const satisfies Record<string, Choice>;
export type RefusalChoice = (typeof REFUSAL_BUTTONS)[keyof typeof REFUSAL_BUTTONS]['id'];

/** The emergency justification, asked in an empty box: what it is, and never the change reason again. */
export async function askOverrideReason(host: PipelineHost, req: RunRequest): Promise<string | undefined> {
  const answer = await host.prompter.input({
    title: `Emergency override of ${req.environment}'s deployment window: why can this not wait?`,
    prompt: `The emergency: the incident and its impact, and why ${req.service} cannot wait until the window opens. Recorded with your name in the commit, the record, the notification and the GitHub deployment. Not the change reason${req.reason ? ` ("${req.reason}")` : ''}.`,
    value: '',
    placeholder: 'e.g. SEV1 INC-123: payments failing since 09:12, this release fixes it',
    validate: (v) => {
      const problem = overrideReasonProblem(v, req.reason);
      return problem ? editorOverrideReasonProblem(problem) : undefined;
    },
  });
  return answer === undefined ? undefined : answer.trim();
}

/** The typed confirmation of a window override: the environment's name, as GitHub asks before destructive actions. */
export async function confirmOverride(host: PipelineHost, environment: string, title: string): Promise<boolean> {
  const typed = await host.prompter.input({
    title,
    prompt: `Type ${environment} to deploy into a blocked window. The plan beside shows WINDOW OVERRIDE.`,
    value: '',
    placeholder: environment,
    validate: (v) => (v.trim() === environment ? undefined : `Type ${environment} to confirm the override, or press Escape to cancel.`),
  });
  return typed?.trim() === environment;
}

/** When a window-only refusal's window opens (the window check's fix), for the Schedule button. */
export function windowOpening(plan: DeploymentPlan, timeZone: string | undefined, now: Date): { at: Date; label: string } | undefined {
  const fix = plan.checks.find((c) => c.name === 'window' && c.status === 'failed')?.fix;
  if (fix?.kind !== 'wait-for-window' || !fix.opensAt) return undefined;
  const at = new Date(fix.opensAt);
  return { at, label: `Schedule for ${timeZone ? shortWhen(at, timeZone, now) : fix.opensAtLocal ?? fix.opensAt}` };
}

/** "Schedule for …" in the refusal dialog: the same schedule as `deploy --at window-opens`, committed and pushed. */
async function scheduleFromRefusal(host: PipelineHost, state: LoadedState, req: RunRequest, plan: DeploymentPlan, opening: { at: Date }, doc: string, markdown: string): Promise<void> {
  const reason = req.reason?.trim() || (await askReason(host, state, { mode: 'deploy', service: req.service, environment: req.environment, title: `Schedule ${req.service} ${plan.tag} for ${req.environment}: reason` }));
  if (!reason) return;
  try {
    const s = await host.schedule(state.config, plan, reason, opening.at);
    host.transcript.append(['', `○ Scheduled ${s.service} ${s.previousTag} → ${s.tag} in ${s.environment} not before ${s.notBefore} (${s.file}); every check runs again then.`]);
    await host.documents.updatePlan(doc, planAfterRun(markdown, undefined, `○ Scheduled for ${s.notBefore} (${s.file}); cancel it from the tree`));
    void host.prompter.notify('info', `GitOps Deploy: scheduled ${s.service} ${s.previousTag} → ${s.tag} in ${s.environment} for when the window opens (${s.notBefore}). Cancel it from the tree.`, []);
  } catch (err) {
    void host.prompter.notify('error', `GitOps Deploy: could not schedule: ${errorMessage(err)}`, []);
  }
}

/**
 * Plan (the pipeline's pre-validation), show it, and run on approval. A refused check shows why and
 * its fix once, and offers nothing that bypasses it — except, when the window is the only refusal,
 * an explicit override that is never the default: Cancel is focused, the emergency justification
 * starts empty and must differ from the change reason, the plan is checked again (it then says
 * WINDOW OVERRIDE) and the environment's name must be typed to run it.
 */
export async function planAndRun(host: PipelineHost, state: LoadedState, mode: RunMode, request: RunRequest): Promise<PipelineOutcome | undefined> {
  let req = request;
  for (;;) {
    const result = await host.plan(state.config, mode, req);
    if (!result) return undefined;
    const { plan, outcome } = result;
    if (!plan) {
      host.transcript.append(['', `✗ ${mode === 'rollback' ? 'Rollback' : 'Deployment'} of ${req.service} to ${req.environment} cannot be planned:`, ...outcome.message.split('\n').map((l) => `  ${l}`)]);
      await host.prompter.confirm('warning', `Cannot ${mode === 'rollback' ? 'roll back' : 'deploy'} ${req.service} in ${req.environment}`, outcome.message, []);
      return outcome;
    }
    const p = planText(plan, { mode, reason: req.reason, autoRollback: req.autoRollback });
    const doc = `${mode === 'rollback' ? 'Rollback' : 'Plan'} ${plan.service} ${plan.environment} ${plan.previousTag} to ${plan.tag}`;
    await host.documents.showPlan(doc, p.markdown);
    if (p.refusals.length) {
      host.transcript.append(['', `✗ ${p.title}`, ...p.detail.split('\n').map((l) => `  ${l}`)]);
      // Only the window said no: offer to schedule for when it opens (never the default), or an emergency override.
      const zone = state.environments.find((e) => e.config.name === req.environment)?.config.window?.timeZone;
      const opening = p.onlyWindow && mode === 'deploy' && !req.overrideWindow ? windowOpening(plan, zone, new Date()) : undefined;
      const buttons = [REFUSAL_BUTTONS.cancel, ...(opening ? [{ ...REFUSAL_BUTTONS.schedule, label: opening.label }] : []), ...(p.onlyWindow ? [REFUSAL_BUTTONS.override] : []), REFUSAL_BUTTONS.plan];
      const choice = await host.prompter.choose<RefusalChoice>('warning', p.title, p.detail, buttons, { focused: 'cancel', dismiss: 'plan' });
      if (choice === 'plan') await host.documents.focusPlan(doc, p.markdown);
      if (choice === 'schedule' && opening) {
        await scheduleFromRefusal(host, state, req, plan, opening, doc, p.markdown);
        return outcome;
      }
      if (choice !== 'override' || !p.onlyWindow) return outcome;
      const emergency = await askOverrideReason(host, req);
      if (!emergency) return outcome;
      req = { ...req, overrideWindow: true, overrideReason: emergency };
      continue; // checked again with the override: the plan now says WINDOW OVERRIDE
    }
    const approved = p.override
      ? await confirmOverride(host, plan.environment, p.title)
      : (await host.prompter.confirm('info', p.title, p.detail, [mode === 'rollback' ? 'Roll back' : 'Deploy'])) !== undefined; // its one button, or Cancel
    if (!approved) {
      await host.documents.updatePlan(doc, planAfterRun(p.markdown, undefined, `○ Not approved: ${p.title.replace(/\?$/, '')} — nothing was changed`));
      return undefined;
    }
    // Run exactly the approved tag, even if upstream moved since.
    const out = await host.run(state.config, mode, { ...req, tag: plan.tag });
    await host.documents.updatePlan(doc, planAfterRun(p.markdown, out, `${p.title.replace(/\?$/, '')} — approved; see the GitOps Deploy output for how it ended`));
    return out;
  }
}

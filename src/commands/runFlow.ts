// What the deploy, promote and rollback commands share: reading the target from a tree node or a
// CodeLens, asking the reason, showing the plan for approval, and running. No pipeline logic: the
// plan and every check come from the pipeline.
import type { EnvironmentState, ServiceState } from '../pipeline/model/repoState';
import type { PipelineOutcome } from '../pipeline/outcome';
import type { LoadedState, PipelineHost, RunMode, RunRequest } from '../providers/pipelineHost';
import { planText } from '../providers/transcript';

/** A command's argument: a service node of the tree, a CodeLens target, or nothing (palette). */
export type CommandTarget = { kind: 'service'; service: ServiceState; env: EnvironmentState } | { service: string; environment: string } | undefined;

export function targetOf(arg: unknown): { service?: string; environment?: string } {
  if (!arg || typeof arg !== 'object') return {};
  const a = arg as Record<string, any>;
  if (a.kind === 'service' && a.service && typeof a.service === 'object') return { service: a.service.service, environment: a.service.environment };
  if (typeof a.service === 'string') return { service: a.service, environment: typeof a.environment === 'string' ? a.environment : undefined };
  return {};
}

export const OVERRIDE_WINDOW = 'Override deployment window…';

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

/**
 * Plan (the pipeline's pre-validation), show it, and run on approval. A refused check shows why and
 * the fix and offers nothing that bypasses it — except, when the window is the only refusal, an
 * explicit override that asks for the emergency and passes `overrideWindow`.
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
    const p = planText(plan, { mode, reason: req.reason, overrideWindow: req.overrideWindow });
    await host.showPlan(`${mode === 'rollback' ? 'Rollback' : 'Plan'} ${plan.service} ${plan.environment} ${plan.previousTag} to ${plan.tag}`, p.markdown);
    if (p.refusals.length) {
      host.transcript.append(['', `✗ ${p.title}`, ...p.detail.split('\n').map((l) => `  ${l}`)]);
      const choice = await host.prompter.confirm('warning', p.title, p.detail, p.onlyWindow ? [OVERRIDE_WINDOW] : []);
      if (choice !== OVERRIDE_WINDOW) return outcome;
      const emergency = await host.prompter.input({
        title: `Emergency: override the ${req.environment} deployment window`,
        prompt: `Why can this not wait until the window opens? Recorded with the override in the commit and the record.`,
        value: req.reason,
        placeholder: 'SEV1 INC-123: payments failing, fix in this release',
        validate: (v) => (v.trim().length < 10 ? 'Describe the emergency (at least 10 characters), e.g. "SEV1 INC-123: payments failing".' : /[\r\n]/.test(v) ? 'One line, please.' : undefined),
      });
      if (!emergency) return outcome;
      req = { ...req, reason: emergency.trim(), overrideWindow: true };
      continue;
    }
    const approve = mode === 'rollback' ? 'Roll back' : 'Deploy';
    const choice = await host.prompter.confirm(req.overrideWindow ? 'warning' : 'info', p.title, p.detail, [approve]);
    if (choice !== approve) return undefined;
    // Run exactly the approved tag, even if upstream moved since.
    return host.run(state.config, mode, { ...req, tag: plan.tag });
  }
}

import * as vscode from 'vscode';
import type { PipelineHost } from '../providers/pipelineHost';
import type { CommandContext } from './context';
import { environmentItems, rollbackItems, serviceItems } from '../providers/pickItems';
import { askReason, planAndRun, targetOf } from './runFlow';

/**
 * Rollback: the tag to go back to (default: the last succeeded one before the current) → reason →
 * plan → approve → run. An argument with `to` (and `reason`) — an inconclusive run's decision —
 * skips the tag picker and prefills the reason (still confirmed by the person).
 */
export function registerRollback(_ctx: CommandContext, host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.rollback', async (arg?: unknown) => {
    if (!host.trusted('Rollback')) return undefined;
    const state = await host.state();
    if (!state) return undefined;
    const t = targetOf(arg);
    const service = t.service ?? (await host.prompter.pick(serviceItems(state), { title: 'Rollback: which service?' }))?.service;
    if (!service) return undefined;
    const environment = t.environment ?? (await host.prompter.pick(environmentItems(state, service), { title: `Roll back ${service}: in which environment?` }))?.environment;
    if (!environment) return undefined;
    const svc = state.environments.find((e) => e.config.name === environment)?.services.find((s) => s.service === service);
    if (!svc) {
      void host.prompter.notify('warning', `${service} is not deployed in ${environment}.`, []);
      return undefined;
    }
    const items = rollbackItems(svc, state.records, new Date());
    const given = rollbackArg(arg);
    if (items.length === 0 && !given.to) {
      void host.prompter.notify('warning', `No earlier successful deployment of ${service} in ${environment} to roll back to (no records in ${environment}'s records folder besides ${svc.tag}). Use "Deploy Service to Environment" with an explicit tag.`, []);
      return undefined;
    }
    const chosen = given.to ? (items.find((i) => i.tag === given.to) ?? { tag: given.to }) : await host.prompter.pick(items, { title: `Roll back ${service} in ${environment} (now ${svc.tag}) to…`, placeholder: 'Earlier deployments of this service here, newest first' });
    if (!chosen) return undefined;
    const reason = await askReason(host, state, { mode: 'rollback', service, environment, title: `Roll back ${service} in ${environment}: ${svc.tag} → ${chosen.tag}: reason`, value: given.reason });
    if (!reason) return undefined;
    return planAndRun(host, state, 'rollback', { service, environment, tag: chosen.tag, reason });
  });
}

/** `to` and `reason` of a command argument ({service, environment, to, reason}), when it has them. */
function rollbackArg(arg: unknown): { to?: string; reason?: string } {
  if (!arg || typeof arg !== 'object') return {};
  const a = arg as Record<string, unknown>;
  return { to: typeof a.to === 'string' && a.to ? a.to : undefined, reason: typeof a.reason === 'string' ? a.reason : undefined };
}

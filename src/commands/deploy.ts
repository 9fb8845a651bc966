import * as vscode from 'vscode';
import type { PipelineHost } from '../providers/pipelineHost';
import type { CommandContext } from './context';
import { environmentItems, serviceItems } from '../providers/pickItems';
import { pickTag } from './pickTag';
import { askReason, planAndRun, targetOf } from './runFlow';

/** Deploy Service to Environment: service → environment → tag → reason → plan → approve → run. */
export function registerDeploy(_ctx: CommandContext, host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.deploy', async (arg?: unknown) => {
    if (!host.trusted('Deploy Service to Environment')) return undefined;
    const state = await host.state();
    if (!state) return undefined;
    const target = targetOf(arg);
    const total = 4;
    const service = target.service ?? (await host.prompter.pick(serviceItems(state), { title: 'Deploy: which service?', step: 1, totalSteps: total }))?.service;
    if (!service) return undefined;
    const environment = target.environment ?? (await host.prompter.pick(environmentItems(state, service), { title: `Deploy ${service}: to which environment?`, step: 2, totalSteps: total }))?.environment;
    if (!environment) return undefined;
    const tag = await pickTag(host, state, service, environment, { step: 3, totalSteps: total });
    if (!tag) return undefined;
    const reason = await askReason(host, state, { mode: 'deploy', service, environment, title: `Deploy ${service} ${tag} to ${environment}: reason`, step: 4, totalSteps: total });
    if (reason === undefined) return undefined;
    return planAndRun(host, state, 'deploy', { service, environment, tag, reason: reason || undefined });
  });
}

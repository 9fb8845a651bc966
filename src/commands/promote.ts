import * as vscode from 'vscode';
import type { PipelineHost, LoadedState } from '../providers/pipelineHost';
import type { CommandContext } from './context';
import { promotionItems, serviceItems, type EnvironmentItem } from '../providers/pickItems';
import { askReason, planAndRun, targetOf } from './runFlow';

/** Promote a service into `target` with upstream's tag: reason → plan → approve → run. */
async function promote(host: PipelineHost, state: LoadedState, service: string, target: string) {
  const env = state.environments.find((e) => e.config.name === target);
  if (!env?.upstream) {
    void host.prompter.notify('warning', `${target} is the first environment: there is nothing to promote from. Use "Deploy Service to Environment" with a tag.`, []);
    return undefined;
  }
  const up = state.environments.find((e) => e.config.name === env.upstream);
  const upTag = up?.services.find((s) => s.service === service)?.tag;
  const reason = await askReason(host, state, { mode: 'deploy', service, environment: target, title: `Promote ${service}${upTag ? ` ${upTag}` : ''} from ${env.upstream} to ${target}: reason` });
  if (reason === undefined) return undefined;
  // No tag: the pipeline resolves upstream's current tag and the plan shows it; the run uses the approved one.
  return planAndRun(host, state, 'deploy', { service, environment: target, reason: reason || undefined });
}

export function registerPromote(_ctx: CommandContext, host: PipelineHost): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('gitopsDeploy.promoteToProduction', async (arg?: unknown) => {
      if (!host.trusted('Promote to Production')) return undefined;
      const state = await host.state();
      if (!state) return undefined;
      const last = state.environments[state.environments.length - 1]?.config.name;
      if (!last) return undefined;
      const service = targetOf(arg).service ?? (await host.prompter.pick(promotionItems(state, last), { title: `Promote to ${last}: which service?`, placeholder: `${state.environments[state.environments.length - 2]?.config.name ?? 'upstream'}'s tag goes to ${last}` }))?.service;
      if (!service) return undefined;
      return promote(host, state, service, last);
    }),
    vscode.commands.registerCommand('gitopsDeploy.promote', async (arg?: unknown) => {
      if (!host.trusted('Promote to Next Environment')) return undefined;
      const state = await host.state();
      if (!state) return undefined;
      const t = targetOf(arg);
      const service = t.service ?? (await host.prompter.pick(serviceItems(state), { title: 'Promote: which service?' }))?.service;
      if (!service) return undefined;
      let target: string | undefined;
      if (t.environment) {
        const i = state.environments.findIndex((e) => e.config.name === t.environment);
        target = state.environments[i + 1]?.config.name;
        if (!target) {
          void host.prompter.notify('warning', `${t.environment} is the last environment: there is no next one to promote ${service} to.`, []);
          return undefined;
        }
      } else {
        const items: EnvironmentItem[] = state.environments.slice(1).map((e) => {
          const s = e.services.find((x) => x.service === service);
          return { label: `${e.upstream} → ${e.config.name}`, description: s ? (s.upstream ? `${s.tag} → ${s.upstream.tag}` : `${s.tag} (in step)`) : 'not deployed here', detail: e.config.window ? e.window.summary : undefined, environment: e.config.name };
        });
        target = (await host.prompter.pick(items, { title: `Promote ${service}: to which environment?` }))?.environment;
      }
      if (!target) return undefined;
      return promote(host, state, service, target);
    }),
  ];
}

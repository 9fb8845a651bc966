import * as vscode from 'vscode';
import type { PipelineHost } from '../providers/pipelineHost';
import { troubleshootTarget } from './troubleshootFlow';

/**
 * Re-check Verification: after an inconclusive run (its notification's "Re-check"), verify again
 * what runs now — Argo CD, the rollout, pods, health, the metrics — changing nothing.
 */
export function registerRecheck(host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.recheck', async (arg?: unknown) => {
    if (!host.trusted('Re-check verification')) return undefined;
    const state = await host.state();
    if (!state) return undefined;
    const t = await troubleshootTarget(host, state, arg, 'Re-check');
    if (!t) return undefined;
    return host.recheck(state.config, t);
  });
}

/** Forget Trusted Hosts: the remembered answers to "The repository asks to send your … to <host>" are cleared. */
export function registerForgetTrustedHosts(host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.forgetTrustedHosts', async () => {
    const hosts = await host.hostTrust.forget();
    void host.prompter.notify('info', hosts.length ? `GitOps Deploy: forgot your answers for ${hosts.join(', ')}; you will be asked again before a token is sent there.` : 'GitOps Deploy: no remembered answers about repository-named hosts.', []);
    return hosts;
  });
}

import * as vscode from 'vscode';
import type { PipelineHost } from '../providers/pipelineHost';
import { troubleshootTarget } from './troubleshootFlow';

/**
 * Retry Sync: a hard refresh of the service's Argo CD application, a sync of origin's head when it
 * is out of sync or its last sync failed, then Synced and Healthy — with progress and the transcript.
 */
export function registerRetrySync(host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.retrySync', async (arg?: unknown) => {
    if (!host.trusted('Retry sync')) return undefined;
    const state = await host.state();
    if (!state) return undefined;
    const t = await troubleshootTarget(host, state, arg, 'Retry sync');
    if (!t) return undefined;
    return host.retrySync(state.config, t);
  });
}

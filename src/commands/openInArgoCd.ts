import * as vscode from 'vscode';
import { errorMessage } from '../pipeline/errors';
import { argoCdLink } from '../pipeline/troubleshoot';
import type { PipelineHost } from '../providers/pipelineHost';
import { troubleshootTarget } from './troubleshootFlow';

/** Open in Argo CD: the service's application in the Argo CD UI (`argocd.url` of its environment). */
export function registerOpenInArgoCd(host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.openInArgoCd', async (arg?: unknown) => {
    const state = await host.state();
    if (!state) return undefined;
    const t = await troubleshootTarget(host, state, arg, 'Open in Argo CD');
    if (!t) return undefined;
    let link: string;
    try {
      link = argoCdLink({ config: state.config, environment: t.environment, service: t.service });
    } catch (err) {
      // No URL configured: say which key to set, and open the configuration.
      void host.prompter.notify('error', `GitOps Deploy: ${errorMessage(err)}`, ['Open configuration']).then((a) => {
        if (a) void vscode.commands.executeCommand('gitopsDeploy.openConfig');
      });
      return undefined;
    }
    await vscode.env.openExternal(vscode.Uri.parse(link));
    return link;
  });
}

import * as vscode from 'vscode';
import { serviceEvents } from '../pipeline/troubleshoot';
import type { PipelineHost } from '../providers/pipelineHost';
import { showReport } from './troubleshootFlow';

/**
 * Show Events: the Deployment's conditions and the events of it and its pods, as captured when the
 * last deployment failed and live, as a read-only document.
 */
export function registerShowEvents(host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.showEvents', (arg?: unknown) =>
    showReport(host, arg, { verb: 'Show events', title: (t) => `Events of ${t.service} in ${t.environment}`, read: (t, ports, opts) => serviceEvents(t, ports, opts) }),
  );
}

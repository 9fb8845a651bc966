import * as vscode from 'vscode';
import { serviceLogs } from '../pipeline/troubleshoot';
import type { PipelineHost } from '../providers/pipelineHost';
import { showReport } from './troubleshootFlow';

/**
 * Show Logs: what the failing container wrote when the last deployment failed (kept in its record),
 * then the live pods' logs (the previous container's too after a restart), as a read-only document.
 */
export function registerShowLogs(host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.showLogs', (arg?: unknown) =>
    showReport(host, arg, { verb: 'Show logs', title: (t) => `Logs of ${t.service} in ${t.environment}`, read: (t, ports, opts) => serviceLogs(t, ports, opts) }),
  );
}

import * as vscode from 'vscode';
import type { PipelineHost } from '../providers/pipelineHost';

/** Show the "GitOps Deploy" output channel (the status-bar item and notifications link here). */
export function registerShowOutput(host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.showOutput', () => host.transcript.show(false));
}

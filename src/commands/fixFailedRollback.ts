import { notifyChoice } from '../providers/prompter';
import * as vscode from 'vscode';
import { manualFixFor, rollbackFailed } from '../pipeline/troubleshoot';
import type { PipelineHost } from '../providers/pipelineHost';
import { askReason, planAndRun } from './runFlow';
import { troubleshootTarget } from './troubleshootFlow';

/**
 * Fix Failed Rollback: when the automatic rollback of the last deployment failed, put the previous
 * tag back — the rollback flow with the reason prefilled, the window overridden (it is repairing a
 * broken environment) and no automatic rollback of the fix — or, when origin already has the
 * rollback commit, retry the sync.
 */
export function registerFixFailedRollback(host: PipelineHost): vscode.Disposable {
  return vscode.commands.registerCommand('gitopsDeploy.fixFailedRollback', async (arg?: unknown) => {
    if (!host.trusted('Fix failed rollback')) return undefined;
    const state = await host.state();
    if (!state) return undefined;
    const t = await troubleshootTarget(host, state, arg, 'Fix failed rollback');
    if (!t) return undefined;
    const last = state.records.find((r) => r.service === t.service && r.environment === t.environment);
    const fix = last && manualFixFor(last);
    if (!last || !fix) {
      const what = !last
        ? `there is no record of ${t.service} in ${t.environment}`
        : `the last deployment of ${t.service} in ${t.environment} (${last.tag}, ${last.startedAt}) ${rollbackFailed(last) ? 'names no previous tag to restore' : `is ${last.status}, not a failed automatic rollback`}`;
      const actions = [
        { id: 'gitopsDeploy.rollback', label: 'Rollback' },
        { id: 'gitopsDeploy.retrySync', label: 'Retry sync' },
      ] as const;
      void notifyChoice(host.prompter, 'info', `Nothing to fix: ${what}. To go back to an earlier tag use Rollback; to make Argo CD sync origin again use Retry sync.`, actions).then((command) => {
        if (command) void vscode.commands.executeCommand(command, t);
      });
      return undefined;
    }
    if (fix.onlySync) {
      return host.retrySync(state.config, t, { why: `Manual fix: origin already has the rollback commit ${last.rollbackCommit} (${t.service} ${fix.to}); retrying the sync.` });
    }
    const reason = await askReason(host, state, { mode: 'rollback', service: t.service, environment: t.environment, title: `Fix ${t.service} in ${t.environment}: restore ${fix.to} (replacing ${fix.from}): reason`, value: fix.reason });
    if (!reason) return undefined;
    return planAndRun(host, state, 'rollback', { service: t.service, environment: t.environment, tag: fix.to, reason, overrideWindow: true, overrideReason: fix.overrideReason, autoRollback: false });
  });
}

// Resume / Roll Back / Accept an interrupted deployment (a tree node, or picked from the unfinished
// runs): the same pipeline as `gitops-deploy resume`, with the transcript, progress and a record.
import * as vscode from 'vscode';
import type { PipelineHost } from '../providers/pipelineHost';
import type { InterruptedNodeData, UnfinishedRunNodes } from '../providers/unfinishedRuns';
import type { ResumeAction } from '../pipeline/steps/resume';

const TITLE: Record<ResumeAction, string> = { resume: 'Resume', rollback: 'Roll Back', accept: 'Accept' };

async function target(host: PipelineHost, nodes: UnfinishedRunNodes, arg: unknown, action: ResumeAction): Promise<InterruptedNodeData | undefined> {
  const data = (arg as { data?: InterruptedNodeData } | undefined)?.data;
  if (data?.kind === 'interrupted') return data;
  const list = nodes.current.flatMap((u) => (u.state.kind === 'interrupted' ? [{ kind: 'interrupted' as const, environment: u.environment, service: u.service, runId: u.state.runId, phase: u.state.phase, from: u.state.change.from, to: u.state.change.to }] : []));
  if (!list.length) {
    void host.prompter.notify('info', 'GitOps Deploy: no interrupted deployment on origin (every run has its record).', []);
    return undefined;
  }
  const picked = await host.prompter.pick(list.map((d) => ({ label: `${d.service} in ${d.environment}: ${d.from} → ${d.to}`, description: `run ${d.runId}`, data: d })), { title: `${TITLE[action]} an interrupted deployment`, placeholder: 'Which one?' });
  return picked?.data;
}

export function registerResumeInterrupted(host: PipelineHost, nodes: UnfinishedRunNodes): vscode.Disposable[] {
  const run = (action: ResumeAction) => async (arg?: unknown) => {
    if (!host.trusted(`${TITLE[action]} interrupted deployment`)) return undefined;
    const d = await target(host, nodes, arg, action);
    if (!d) return undefined;
    const state = await host.state();
    if (!state) return undefined;
    const what = `${d.service} ${d.from} → ${d.to} in ${d.environment}`;
    let reason: string | undefined;
    if (action !== 'resume') {
      reason = await host.prompter.input({ title: `${TITLE[action]} the interrupted deployment of ${what}`, prompt: 'Why (recorded in the record)?', placeholder: action === 'accept' ? 'CHG-123 checked the dashboards' : 'CHG-123 not today' });
      if (reason === undefined || !reason.trim()) return undefined;
    }
    const detail =
      action === 'resume'
        ? d.phase === 'rolling-back'
          ? `Its automatic rollback to ${d.from} is on origin but was never verified. Resuming waits for Argo CD and verifies it.`
          : `${d.to} is on origin but was never verified. Resuming waits for Argo CD, verifies it, and rolls back to ${d.from} automatically if verification fails.`
        : action === 'rollback'
          ? `${d.from} goes back on origin (a commit built on origin's head), Argo CD syncs it and it is verified.`
          : `What runs now is verified (Argo CD Synced and Healthy, the rollout, the checks); if it passes, the run is recorded as succeeded. Nothing is pushed.`;
    const ok = await host.prompter.choose('warning', `${TITLE[action]} the interrupted deployment of ${what}?`, `${detail} Run ${d.runId}; the record says interrupted: true.`, [{ id: 'go', label: TITLE[action] }, { id: 'cancel', label: 'Cancel' }], { focused: 'go', dismiss: 'cancel' });
    if (ok !== 'go') return undefined;
    const outcome = await host.run(state.config, 'deploy', { service: d.service, environment: d.environment, reason: reason?.trim(), resume: action });
    await nodes.reload();
    return outcome;
  };
  return (['resume', 'rollback', 'accept'] as const).map((a) => vscode.commands.registerCommand(`gitopsDeploy.${a}Interrupted`, run(a)));
}

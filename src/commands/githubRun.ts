// Run a deployment, promotion or rollback in GitHub Actions (setting gitopsDeploy.executor =
// github-actions): dispatch the generated workflow, find the run, follow it in the output channel,
// the status bar and the tree; offer Approve/Reject when it waits on a protected environment the
// user may review; Cancel cancels the run. The deploy/promote/rollback commands call
// runViaGitHubActions(ctx, inputs).
import * as vscode from 'vscode';
import { dispatchAndFollow, describeFollowEvent, type FollowEvent, type FollowResult } from '../pipeline/github/follow';
import type { PendingDeploymentInfo, WorkflowRunInfo } from '../pipeline/github/port';
import { dispatchInputs, WORKFLOW_FILE, WORKFLOW_PATH, type WorkflowInputs } from '../pipeline/github/workflow';
import { GitHubRuns, type RunView } from '../providers/githubRuns';
import type { CommandContext } from './context';

/** The few prompts the GitHub flows show; tests replace them. */
export interface GitHubPrompter {
  notify(severity: 'info' | 'warning' | 'error', message: string, actions: readonly string[]): Promise<string | undefined>;
  input(o: { title: string; prompt: string; value?: string }): Promise<string | undefined>;
}

export const windowGitHubPrompter: GitHubPrompter = {
  notify: async (severity, message, actions) => {
    const show = severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return show(message, ...actions);
  },
  input: async (o) => vscode.window.showInputBox({ title: o.title, prompt: o.prompt, value: o.value, ignoreFocusOut: true }),
};

/** The editor's GitHub services, one per activation (kept off module state: keyed by the extension context). */
const services = new WeakMap<vscode.ExtensionContext, { runs: GitHubRuns; prompter: () => GitHubPrompter; pollMs: number }>();

export function bindGitHub(ctx: CommandContext, runs: GitHubRuns, prompter: () => GitHubPrompter, pollMs = 2000): void {
  services.set(ctx.extension, { runs, prompter, pollMs });
}

export function gitHubOf(ctx: CommandContext): { runs: GitHubRuns; prompter: () => GitHubPrompter; pollMs: number } {
  const s = services.get(ctx.extension);
  if (!s) throw new Error('GitHub services are not registered');
  return s;
}

export type GitHubRunInputs = Omit<WorkflowInputs, 'image_tag'> & { tag?: string };

/** The runs being followed: a review from the editor wakes them, so they see it at once. */
const followers = new Set<() => void>();
const wakeFollowers = (listener: () => void): (() => void) => {
  followers.add(listener);
  return () => followers.delete(listener);
};

/** Reviews a waiting run (approve or reject) for every environment the user may review. */
export async function reviewRun(ctx: CommandContext, runId: number, state: 'approved' | 'rejected', comment: string): Promise<PendingDeploymentInfo[] | undefined> {
  const { runs, prompter } = gitHubOf(ctx);
  const p = await runs.port(true);
  if (!p) return undefined;
  const pending = (await p.port.pendingDeployments(runId)).filter((x) => x.currentUserCanApprove);
  if (!pending.length) {
    void prompter().notify('warning', `Run ${runId} is not waiting for a review you can give.`, []);
    return [];
  }
  await p.port.reviewPendingDeployments(runId, pending.map((x) => x.environmentId), state, comment);
  for (const wake of followers) wake();
  runs.append(`${state === 'approved' ? 'approved' : 'rejected'} run ${runId} (${pending.map((x) => x.environment).join(', ')})${comment ? `: ${comment}` : ''}`);
  ctx.log.info(`GitHub: ${state} run ${runId}`);
  void runs.refresh();
  return pending;
}

async function offerReview(ctx: CommandContext, run: WorkflowRunInfo, pending: PendingDeploymentInfo[]): Promise<void> {
  const { prompter } = gitHubOf(ctx);
  const envs = pending.filter((p) => p.currentUserCanApprove).map((p) => p.environment);
  if (!envs.length) return;
  const choice = await prompter().notify('info', `GitHub Actions run #${run.runNumber ?? run.id} waits for approval to deploy to ${envs.join(', ')}.`, ['Approve', 'Reject', 'Open run']);
  if (choice === 'Open run') await vscode.env.openExternal(vscode.Uri.parse(run.htmlUrl));
  if (choice !== 'Approve' && choice !== 'Reject') return;
  const state = choice === 'Approve' ? 'approved' : 'rejected';
  const comment = await prompter().input({ title: `${choice} run #${run.runNumber ?? run.id}`, prompt: 'Comment (recorded with the review on GitHub)', value: '' });
  if (comment === undefined) return;
  try {
    await reviewRun(ctx, run.id, state, comment);
  } catch (err) {
    void prompter().notify('error', gitHubOf(ctx).runs.mask(`Could not ${choice.toLowerCase()} the run: ${err instanceof Error ? err.message : String(err)}`), []);
  }
}

/** Dispatch the deployment workflow with these inputs and follow the run to its end. */
export async function runViaGitHubActions(ctx: CommandContext, inputs: GitHubRunInputs): Promise<FollowResult | undefined> {
  const { runs, prompter, pollMs } = gitHubOf(ctx);
  const p = await runs.port(true);
  if (!p) return undefined;
  const ref = p.config.git.branch;
  const out = runs.output;
  out.show(true);
  runs.append('');
  runs.append(`▶ ${inputs.operation} ${inputs.service}${inputs.tag ? ` ${inputs.tag}` : ''} to ${inputs.environment} in GitHub Actions (${WORKFLOW_PATH} on ${ref})`);
  let view: RunView | undefined;
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `GitHub Actions: ${inputs.operation} ${inputs.service} to ${inputs.environment}`, cancellable: true }, async (progress, token) => {
      const cancel = new AbortController();
      const stop = new AbortController();
      token.onCancellationRequested(() => cancel.abort(new Error('cancelled by the user')));
      const onEvent = (e: FollowEvent) => {
        runs.append(describeFollowEvent(e));
        if (e.type === 'run-found' || e.type === 'status' || e.type === 'waiting-for-approval' || e.type === 'completed') {
          const run = e.run;
          const phase = e.type === 'status' ? e.phase : e.type === 'completed' ? 'completed' : e.type === 'waiting-for-approval' ? 'waiting' : (view?.phase ?? 'queued');
          view = { run, environment: inputs.environment, service: inputs.service, phase, pending: e.type === 'waiting-for-approval' ? e.pending : phase === 'waiting' ? (view?.pending ?? []) : [] };
          runs.track(view);
          progress.report({ message: describeFollowEvent(e).split('\n')[0] });
        }
        if (e.type === 'waiting-for-approval') void offerReview(ctx, e.run, e.pending);
      };
      return dispatchAndFollow({ port: p.port, workflowFile: WORKFLOW_FILE, ref, inputs: dispatchInputs({ ...inputs, image_tag: inputs.tag }), pollMs, clock: { now: () => new Date() }, signal: stop.signal, cancelSignal: cancel.signal, wake: wakeFollowers, onEvent });
    });
    await ctx.model.refresh();
    const record = ctx.model.current?.records.find((r) => String(r.workflowRun?.id) === String(result.run.id));
    runs.append(record ? `record: ${record.file}` : `the run's record is on ${ref} in origin (pull to see it)`);
    const ok = result.conclusion === 'success';
    void prompter().notify(ok ? 'info' : result.conclusion === 'cancelled' ? 'warning' : 'error', `GitHub Actions: ${inputs.operation} ${inputs.service} to ${inputs.environment}: ${result.conclusion}.`, ['Open run']).then((a) => (a ? vscode.env.openExternal(vscode.Uri.parse(result.run.htmlUrl)) : undefined));
    void runs.refresh();
    return result;
  } catch (err) {
    const msg = runs.mask(err instanceof Error ? err.message : String(err));
    runs.append(`✗ ${msg}`);
    void prompter().notify('error', `GitHub Actions: ${msg}`, []);
    return undefined;
  }
}

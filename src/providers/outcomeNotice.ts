// The end of a run, for people: one notification with the outcome and the next steps as buttons,
// chosen by id (troubleshooting, the fix, the inconclusive run's decision, credentials), the rest
// behind "More…".
import * as vscode from 'vscode';
import type { GitOpsConfig } from '../pipeline/config/types';
import { environment } from '../pipeline/config/load';
import type { PipelineOutcome } from '../pipeline/outcome';
import { CREDENTIAL_FIX, credentialAction, credentialKind } from './credentialsParse';
import { notifyChoice, type Prompter } from './prompter';
import { ACTION, decisionCommand, outcomeNotification, troubleshootActions, type ActionId } from './transcript';
import type { TranscriptChannel } from './transcriptChannel';

/** A service in an environment: what the troubleshooting commands take (from the tree or a notification). */
export interface ServiceTarget {
  service: string;
  environment: string;
}

export interface OutcomeUi {
  prompter: Prompter;
  transcript: TranscriptChannel;
}

/** The command each troubleshooting action runs, by the action's id. */
const TROUBLESHOOT_COMMANDS: Partial<Record<ActionId, string>> = {
  logs: 'gitopsDeploy.showLogs',
  events: 'gitopsDeploy.showEvents',
  'retry-sync': 'gitopsDeploy.retrySync',
  argocd: 'gitopsDeploy.openInArgoCd',
  'fix-rollback': 'gitopsDeploy.fixFailedRollback',
};

/**
 * The end-of-run notification (not awaited: it stays until dismissed). After a failure that
 * changed something it offers the troubleshooting commands, the fix first when the automatic
 * rollback failed; what does not fit as a button is behind "More…".
 */
export function announceOutcome(o: PipelineOutcome, config: GitOpsConfig, ui: OutcomeUi, open?: { pullRequest: { text: string; url: string } }): void {
  const n = outcomeNotification(o);
  const kind = credentialKind(o);
  let actions = [...n.actions];
  let text = n.text;
  const credential = kind && o.kind !== 'deployed' && o.kind !== 'rolled-back' ? credentialAction(kind) : undefined;
  if (credential) text += ` — ${CREDENTIAL_FIX[kind!].hint}`;
  const troubleshoot = troubleshootActions(o, { argoCd: !!environment(config, o.environment)?.argocd.url, extra: credential ? [credential] : [] });
  if (troubleshoot) actions = troubleshoot.buttons;
  else if (credential) actions.push(credential);
  // A pull request of the run still waits for a human (an automatic rollback's): said first, with its button.
  if (open) {
    text = `${open.pullRequest.text} ${text}`;
    actions = [ACTION.pullRequest, ...actions];
  }
  const target = { service: o.service, environment: o.environment };
  void notifyChoice(ui.prompter, open && n.severity === 'info' ? 'warning' : n.severity, text, actions).then(async (a) => {
    if (a === 'pull-request' && open) {
      await vscode.env.openExternal(vscode.Uri.parse(open.pullRequest.url));
      return;
    }
    if (a === 'more' && troubleshoot) a = (await ui.prompter.pick(troubleshoot.more.map((x) => ({ label: x.label, id: x.id })), { title: `${o.service} in ${o.environment}: ${o.kind === 'rolled-back' ? 'rolled back' : 'needs a human'}`, placeholder: 'What next?' }))?.id;
    await act(ui, a, o, target);
  });
}

/** What a chosen action does, by its id. */
export async function act(ui: OutcomeUi, action: ActionId | undefined, o?: PipelineOutcome, target?: ServiceTarget): Promise<void> {
  if (!action) return;
  if (action === 'recheck' || action === 'rollback') {
    // The inconclusive run's decision, chosen by id: the command and its argument come from outcome.decision.
    const d = o?.decision && decisionCommand(action, o.decision);
    if (d) await vscode.commands.executeCommand(d.command, d.arg);
    return;
  }
  const command = TROUBLESHOOT_COMMANDS[action];
  if (target && command) await vscode.commands.executeCommand(command, target);
  else if (action === 'record' && o?.record) await vscode.window.showTextDocument(vscode.Uri.file(o.record.absolutePath), { preview: false });
  else if (action === 'output') ui.transcript.show(false);
  else if (action === 'aws') await vscode.commands.executeCommand('gitopsDeploy.selectAwsProfile');
  else if (action === 'kube') await vscode.commands.executeCommand('gitopsDeploy.selectKubeContext');
  else if (action === 'github') await vscode.authentication.getSession('github', ['repo', 'workflow'], { createIfNone: true });
}

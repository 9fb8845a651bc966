// What every command says when the workspace holds no GitOps repository: the commands are in the
// palette everywhere (so a newcomer finds them), and run elsewhere they say what is missing and
// offer the two ways out.
import * as vscode from 'vscode';
import { NO_REPO_MESSAGE } from './noRepoText';

export { NO_REPO_MESSAGE };

/** The actions offered with NO_REPO_MESSAGE, each with the command it runs. */
export const NO_REPO_ACTIONS: readonly { title: string; command: string }[] = [
  { title: 'Open Folder…', command: 'vscode.openFolder' },
  { title: 'Create Configuration', command: 'gitopsDeploy.createConfig' },
];

type Notify = (severity: 'error', message: string, actions: readonly string[]) => Thenable<string | undefined> | Promise<string | undefined>;

/** Shows NO_REPO_MESSAGE through `notify` (the editor's, or a test prompter) and runs the chosen action. */
export async function explainNoRepo(notify: Notify): Promise<void> {
  const chosen = await notify('error', `GitOps Deploy: ${NO_REPO_MESSAGE}`, NO_REPO_ACTIONS.map((a) => a.title));
  const action = NO_REPO_ACTIONS.find((a) => a.title === chosen);
  if (action) await vscode.commands.executeCommand(action.command);
}

/** The editor's notification, for commands without a prompter. */
export const windowNotify: Notify = (_severity, message, actions) => vscode.window.showErrorMessage(message, ...actions);

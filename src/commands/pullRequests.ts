// Open / Merge a promotion pull request (the tree's nodes under an environment in pull-request
// mode, or the status bar while a run waits for one). Merge asks first (a modal naming the pull
// request, the service, the tag and the environment) and merges at the head the node shows; a
// merge the branch rules refuse is a warning saying what is missing (a review, the checks).
import * as vscode from 'vscode';
import { errorMessage } from '../pipeline/errors';
import { parsePromotionBranch, type PullRequestInfo } from '../pipeline/github/pulls';
import { notifyChoice, type Prompter } from '../providers/prompter';
import { mergeQuestion, mergeRefusedText } from '../providers/pullRequestText';
import type { PullRequestNodeData, PullRequestNodes } from '../providers/pullRequests';

function nodeData(arg: unknown): PullRequestNodeData | undefined {
  const data = (arg as { data?: PullRequestNodeData } | undefined)?.data;
  return data?.kind === 'pull-request' ? data : undefined;
}

/** The pull request to act on: the node's, else one picked from the open ones. */
async function target(nodes: PullRequestNodes, prompter: Prompter, arg: unknown, verb: string): Promise<PullRequestNodeData | undefined> {
  const data = nodeData(arg);
  if (data) return data;
  const open = nodes.current;
  if (!open.length) {
    void prompter.notify('info', 'GitOps Deploy: no open promotion pull request (branches gitops-deploy/…).', []);
    return undefined;
  }
  const picked = await prompter.pick(
    open.map((pr: PullRequestInfo) => ({ label: `#${pr.number} ${pr.title}`, description: pr.headRef, pr })),
    { title: `${verb} a promotion pull request`, placeholder: 'Which one?' },
  );
  if (!picked) return undefined;
  const environment = parsePromotionBranch(picked.pr.headRef)?.environment ?? '';
  return { kind: 'pull-request', environment, pr: picked.pr };
}

export function registerPullRequests(nodes: PullRequestNodes, prompter: () => Prompter): vscode.Disposable[] {
  const open = vscode.commands.registerCommand('gitopsDeploy.openPullRequest', async (arg?: unknown) => {
    const url = (arg as { url?: string } | undefined)?.url ?? (await target(nodes, prompter(), arg, 'Open'))?.pr.htmlUrl;
    if (url) await vscode.env.openExternal(vscode.Uri.parse(url));
  });

  const merge = vscode.commands.registerCommand('gitopsDeploy.mergePullRequest', async (arg?: unknown) => {
    if (!vscode.workspace.isTrusted) {
      void prompter().notify('error', 'GitOps Deploy: "Merge Pull Request" deploys, so it needs a trusted workspace. Trust this folder first (Workspaces: Manage Workspace Trust).', []);
      return undefined;
    }
    const d = await target(nodes, prompter(), arg, 'Merge');
    if (!d) return undefined;
    const run = nodes.runView(d.pr.number);
    const q = mergeQuestion(d.pr, d.environment, run);
    const ok = await prompter().choose('warning', q.message, q.detail, [{ id: 'merge', label: 'Merge' }, { id: 'cancel', label: 'Cancel' }], { focused: 'merge', dismiss: 'cancel' });
    if (ok !== 'merge') return undefined;
    const port = await nodes.port();
    if (!port) return undefined;
    try {
      const result = await port.merge(d.pr.number, d.pr.headSha);
      if (result.merged) {
        void prompter().notify('info', `Merged pull request #${d.pr.number} into ${d.pr.baseRef} as ${result.sha.slice(0, 7)}.${run ? ' The run waiting for it goes on.' : ''}`, []);
      } else {
        void notifyChoice(prompter(), 'warning', `GitOps Deploy: ${mergeRefusedText(d.pr, result.refusal, result.message)}`, [{ id: 'open', label: 'Open Pull Request' }]).then((a) => {
          if (a === 'open') void vscode.env.openExternal(vscode.Uri.parse(d.pr.htmlUrl));
        });
      }
      return result;
    } catch (err) {
      void prompter().notify('warning', `GitOps Deploy: could not merge pull request #${d.pr.number}: ${errorMessage(err).split('\n')[0]}`, []);
      return undefined;
    } finally {
      await nodes.reload();
    }
  });
  // Refresh (the view's button, the palette) re-reads the pull requests too, however recently they were read.
  const reload = vscode.commands.registerCommand(RELOAD_PULL_REQUESTS, () => nodes.reload());
  return [open, merge, reload];
}

/** Internal (not in the palette): re-read the open pull requests now. */
export const RELOAD_PULL_REQUESTS = 'gitopsDeploy.pullRequests.reload';

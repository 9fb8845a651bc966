// Composition root: create the shared objects, register every command and view synchronously,
// then load the repository in the background. No SDK is imported here (they load per step).
import * as vscode from 'vscode';
import { registerCancelScheduled } from './commands/cancelScheduled';
import { registerCreateConfig } from './commands/createConfig';
import { registerDeploy } from './commands/deploy';
import { registerFixFailedRollback } from './commands/fixFailedRollback';
import { registerPromote } from './commands/promote';
import { registerRollback } from './commands/rollback';
import { registerShowOutput } from './commands/runShowOutput';
import type { CommandContext } from './commands/context';
import { runViaGitHubActions } from './commands/githubRun';
import { registerGitHub, type GitHubApi } from './commands/githubRunCommands';
import { registerExportEvidence } from './commands/exportEvidence';
import { registerOpenConfig } from './commands/openConfig';
import { registerOpenInArgoCd } from './commands/openInArgoCd';
import { registerPauseFollowing } from './commands/pauseFollowing';
import { registerPending } from './commands/pending';
import { registerRefresh } from './commands/refresh';
import { registerForgetTrustedHosts, registerRecheck } from './commands/recheck';
import { registerRetrySync } from './commands/retrySync';
import { registerResumeInterrupted } from './commands/resumeInterrupted';
import { UnfinishedRunNodes } from './providers/unfinishedRuns';
import { PullRequestNodes } from './providers/pullRequests';
import { pullRequestAccessor, pullRequestPortFactory } from './providers/pullRequestAccess';
import { registerPullRequests } from './commands/pullRequests';
import { unfinishedRuns } from './pipeline/journal';
import { GitCli } from './clients/git';
import { registerShowEvents } from './commands/showEvents';
import { registerShowLog } from './commands/showLog';
import { registerShowLogs } from './commands/showLogs';
import { registerShowRecords } from './commands/showRecords';
import { ValuesCodeLens } from './providers/codeLens';
import { registerCredentials } from './providers/credentials';
import { EnvironmentsTree, type TreeNode } from './providers/environmentsTree';
import { escapingLog } from './providers/escapingLog';
import { FollowScheduleNodes, registryInspector } from './providers/followScheduleTree';
import { PipelineHost } from './providers/pipelineHost';
import type { Prompter } from './providers/prompter';
import { RunStatusBar } from './providers/statusBar';
import { TranscriptChannel } from './providers/transcriptChannel';
import { WorkspaceModel } from './providers/workspaceModel';

/** What activate() returns: used by the e2e tests and by other extensions. */
export interface GitOpsDeployApi {
  tree: { getChildren(element?: TreeNode): Promise<TreeNode[]>; getTreeItem(node: TreeNode): vscode.TreeItem };
  onDidRefresh: vscode.Event<void>;
  refresh(): Promise<void>;
  /** GitHub runs and prompts (tests). */
  github: GitHubApi;
  /** The deployment commands' seams for tests: answer their prompts, read their transcript. */
  flows: {
    setPrompter(p: Prompter): vscode.Disposable;
    transcript(): string;
    onDidAppendTranscript: vscode.Event<string[]>;
    /** The "GitOps Deploy (log)" channel's file (a LogOutputChannel writes to the extension's log folder). */
    logFile(): vscode.Uri;
  };
}

export function activate(context: vscode.ExtensionContext): GitOpsDeployApi {
  const log = escapingLog(vscode.window.createOutputChannel('GitOps Deploy (log)', { log: true }));
  const model = new WorkspaceModel(log);
  const tree = new EnvironmentsTree(model);
  context.subscriptions.push(log, model, tree);

  const view = vscode.window.createTreeView('gitopsDeploy.environments', { treeDataProvider: tree });
  // Two title actions (deploy, promote to production) and the "…" menu leave room for "GITOPS DEPLOY:
  // ENVIRONMENTS" in a default-width (300 px) side bar; records and refresh are in the menu (the e2e measures it).
  context.subscriptions.push(view);

  const ctx: CommandContext = { extension: context, model, tree, log };
  const github = registerGitHub(ctx);
  context.subscriptions.push(
    registerRefresh(ctx),
    registerShowLog(ctx),
    registerCreateConfig(ctx),
    registerOpenConfig(ctx),
    ...github.disposables,
    registerShowRecords(ctx),
    registerExportEvidence(ctx),
    ...registerPending(),
  );

  const transcript = new TranscriptChannel();
  const status = new RunStatusBar();
  const host = new PipelineHost(model, log, transcript, status, context.globalState);
  host.remote = async (mode, req) => {
    await runViaGitHubActions(ctx, { operation: mode, service: req.service, environment: req.environment, tag: req.tag, reason: req.reason ?? '' });
  };
  context.subscriptions.push(transcript, status, host);
  context.subscriptions.push(
    registerDeploy(ctx, host),
    ...registerPromote(ctx, host),
    registerRollback(ctx, host),
    registerShowOutput(host),
    registerShowLogs(host),
    registerShowEvents(host),
    registerOpenInArgoCd(host),
    registerRetrySync(host),
    registerRecheck(host),
    registerForgetTrustedHosts(host),
    registerFixFailedRollback(host),
    ...registerCredentials(ctx, () => host.prompter),
    ...ValuesCodeLens.register(model),
  );

  // Dev follows main, scheduled promotions: nodes under each environment, Cancel and Pause/Resume.
  // Each following service's newest candidate is read from the registry with the editor's credentials.
  const followSchedule = new FollowScheduleNodes(model, log, undefined, registryInspector((config) => host.deps(config).ports));
  const reload = async () => {
    await model.refresh();
    await followSchedule.reload();
  };
  context.subscriptions.push(followSchedule, tree.contribute(followSchedule), registerCancelScheduled(host, reload), ...registerPauseFollowing(host, reload), host.onDidSchedule(() => void reload()));

  // Unfinished deployments from origin's journal (interrupted, or running elsewhere), with Resume / Roll Back / Accept.
  let fetchedAt = 0;
  const unfinished = new UnfinishedRunNodes(model, log, async (config) => {
    const git = new GitCli({ root: config.root, remote: config.git.remote, branch: config.git.branch });
    // A fetch at most every 30 s (a refresh after each file change must not hammer origin).
    if (Date.now() - fetchedAt > 30_000) {
      fetchedAt = Date.now();
      await git.fetch().catch((err: unknown) => log.warn(`git fetch: ${err instanceof Error ? err.message : String(err)}`));
    }
    return unfinishedRuns(git, config, `refs/remotes/${config.git.remote}/${config.git.branch}`, new Date());
  });
  context.subscriptions.push(unfinished, tree.contribute(unfinished), ...registerResumeInterrupted(host, unfinished), host.onDidFinish(() => {
    fetchedAt = 0;
    void unfinished.reload();
  }));

  // Pull-request mode: the open promotion pull requests under each environment (Open / Merge), kept
  // current by the runs' pull request events; the GitHub SDK loads only when there is something to list.
  const pulls = new PullRequestNodes(model, log, pullRequestAccessor(pullRequestPortFactory, context.globalState));
  context.subscriptions.push(pulls, tree.contribute(pulls), ...registerPullRequests(pulls, () => host.prompter), host.onDidEvent((e) => pulls.onPipelineEvent(e)), host.onDidEnd(() => pulls.onRunEnded()));

  // Load after registration; the tree asks for it too, whichever comes first shares the load.
  void model.refresh();

  return {
    tree,
    onDidRefresh: tree.onDidRefresh,
    github: github.api,
    refresh: async () => {
      await model.refresh();
    },
    flows: {
      setPrompter: (p) => host.setPrompter(p),
      transcript: () => transcript.text(),
      onDidAppendTranscript: transcript.onDidAppend,
      logFile: () => vscode.Uri.joinPath(context.logUri, `${log.name}.log`),
    },
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions.
}

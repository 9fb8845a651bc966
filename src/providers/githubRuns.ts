// GitHub in the editor: the token (the signed-in GitHub account, or GITHUB_TOKEN when set, as in
// the sandbox), the port, the runs being followed (shown in the tree, the status bar and an
// output channel), and a lazily polled cache of waiting/running workflow runs and of each
// service's last GitHub deployment status for the tree. Polls only when the executor is
// github-actions or GitHub is configured, never blocks the tree's render.
import { escapeControl } from '../pipeline/terminal';
import * as vscode from 'vscode';
import { explainNoRepo, windowNotify } from './noRepo';
import { describeRateLimit, gitHubPortFor } from '../clients/githubActions';
import type { GitOpsConfig } from '../pipeline/config/types';
import { WORKFLOW_FILE } from '../pipeline/github/workflow';
import type { FollowPhase } from '../pipeline/github/follow';
import type { DeploymentStatusInfo, GitHubPort, PendingDeploymentInfo, WorkflowRunInfo } from '../pipeline/github/port';
import { maskSecrets } from '../pipeline/mask';
import type { TreeContributor, TreeNode } from './environmentsTree';
import { Disposable } from './lifecycle';
import type { WorkspaceModel } from './workspaceModel';

export const SETTING_EXECUTOR = 'executor';
export type Executor = 'local' | 'github-actions';

export function executorSetting(): Executor {
  return vscode.workspace.getConfiguration('gitopsDeploy').get<string>(SETTING_EXECUTOR) === 'github-actions' ? 'github-actions' : 'local';
}

/** A run the editor knows about (dispatched here, or found by polling). */
export interface RunView {
  run: WorkflowRunInfo;
  environment: string;
  service?: string;
  phase: FollowPhase;
  pending: PendingDeploymentInfo[];
}

/** The data of a "Waiting for approval" / "Running" tree node (arguments of approveRun/rejectRun). */
export interface RunNodeData {
  runId: number;
  environment: string;
  url: string;
}

export type TokenSource = (interactive: boolean) => Promise<string | undefined>;

/** GITHUB_TOKEN from the environment (the sandbox sets it), else the VS Code GitHub session. */
export const defaultTokenSource: TokenSource = async (interactive) => {
  if (process.env.GITHUB_TOKEN) return process.env.GITHUB_TOKEN;
  const session = await vscode.authentication.getSession('github', ['repo', 'workflow'], interactive ? { createIfNone: true } : { silent: true });
  return session?.accessToken;
};

const ICON: Record<string, string> = { waiting: 'watch', queued: 'clock', in_progress: 'sync~spin' };
const STALE_MS = 30_000;

export class GitHubRuns extends Disposable implements TreeContributor {
  readonly output = this.register(vscode.window.createOutputChannel('GitOps Deploy: GitHub Actions'));
  private readonly statusItem = this.register(vscode.window.createStatusBarItem('gitopsDeploy.githubRun', vscode.StatusBarAlignment.Left, 49));
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private readonly runs = new Map<number, RunView>();
  private readonly deployments = new Map<string, DeploymentStatusInfo & { tag?: string }>();
  private polled = 0;
  private polling: Promise<void> | undefined;
  private token: string | undefined;
  private readonly lines: string[] = [];

  constructor(
    private readonly model: WorkspaceModel,
    private readonly log: vscode.LogOutputChannel,
    private readonly tokens: TokenSource = defaultTokenSource,
    private readonly now: () => number = () => Date.now(),
  ) {
    super();
    this.statusItem.name = 'GitOps Deploy: GitHub Actions run';
    this.register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('gitopsDeploy.executor') && this.changed.fire()));
    // A refresh of the repository (Refresh, a file change) makes the GitHub cache stale too.
    this.register(model.onDidChange(() => (this.polled = 0)));
  }

  /** Masks the token and secrets before anything is shown. */
  mask(text: string): string {
    return maskSecrets(text, { ...process.env, GITHUB_TOKEN: this.token ?? process.env.GITHUB_TOKEN });
  }

  append(line: string): void {
    // Run logs and messages are someone else's text: secrets masked, control characters escaped.
    const masked = escapeControl(this.mask(line));
    this.output.appendLine(masked);
    this.lines.push(masked);
    if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 2000);
  }

  /** What the output channel shows (the last 2000 lines), for tests. */
  transcript(): string {
    return this.lines.join('\n');
  }

  /** The port for the repository's GitHub, or undefined (with the reason logged) when it is not configured or no token. */
  async port(interactive: boolean): Promise<{ port: GitHubPort; config: GitOpsConfig } | undefined> {
    const state = await this.model.get();
    const config = state?.config;
    if (!state) {
      if (interactive) void explainNoRepo(windowNotify);
      return undefined;
    }
    if (!config?.github.owner || !config.github.repo) {
      if (interactive) void vscode.window.showErrorMessage('GitOps Deploy: set github.owner and github.repo in .gitops-deploy.yaml to use GitHub.');
      return undefined;
    }
    let token: string | undefined;
    try {
      token = await this.tokens(interactive);
    } catch (err) {
      this.log.warn(`GitHub sign-in failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!token) {
      if (interactive) void vscode.window.showErrorMessage('GitOps Deploy: sign in to GitHub (Accounts menu) to use GitHub Actions.');
      return undefined;
    }
    this.token = token;
    const port = gitHubPortFor(config.github, token, undefined, { onRateLimit: (e) => this.append(describeRateLimit(e)) });
    return port && { port, config };
  }

  /** Whether the tree should show GitHub data. */
  private enabled(): boolean {
    const gh = this.model.current?.config?.github;
    return executorSetting() === 'github-actions' || !!(gh?.owner && gh.repo && process.env.GITHUB_TOKEN);
  }

  track(view: RunView): void {
    if (view.phase === 'completed') this.runs.delete(view.run.id);
    else this.runs.set(view.run.id, view);
    this.showStatus(view);
    this.changed.fire();
  }

  runView(runId: number): RunView | undefined {
    return this.runs.get(runId);
  }

  private showStatus(v: RunView): void {
    const label = v.phase === 'waiting' ? 'waiting for approval' : v.phase === 'in_progress' ? 'running' : v.phase === 'completed' ? (v.run.conclusion ?? 'done') : v.phase;
    const icon = v.phase === 'completed' ? (v.run.conclusion === 'success' ? '$(pass)' : '$(error)') : v.phase === 'waiting' ? '$(watch)' : '$(sync~spin)';
    this.statusItem.text = `${icon} ${v.service ?? 'GitHub'} → ${v.environment}: ${label}`;
    this.statusItem.tooltip = `GitHub Actions run #${v.run.runNumber ?? v.run.id}: ${v.run.htmlUrl}`;
    this.statusItem.command = { command: 'vscode.open', title: 'Open the run', arguments: [vscode.Uri.parse(v.run.htmlUrl)] };
    this.statusItem.show();
  }

  environmentChildren(environment: string): TreeNode[] {
    this.ensureFresh();
    return [...this.runs.values()]
      .filter((v) => v.environment === environment)
      .map((v): TreeNode => {
        const approvable = v.phase === 'waiting' && v.pending.some((p) => p.currentUserCanApprove);
        const who = v.pending.flatMap((p) => p.reviewers);
        const data: RunNodeData = { runId: v.run.id, environment, url: v.run.htmlUrl };
        return {
          kind: 'contributed',
          id: `github-run/${v.run.id}`,
          label: `${v.phase === 'waiting' ? 'Waiting for approval' : 'Running'}: ${v.run.name ?? 'workflow'} #${v.run.runNumber ?? v.run.id}`,
          description: [v.service, who.length ? `reviewers: ${who.join(', ')}` : undefined].filter(Boolean).join(' · '),
          tooltip: `${v.run.htmlUrl}${approvable ? '\nYou may approve or reject it.' : ''}`,
          icon: ICON[v.phase] ?? 'play-circle',
          contextValue: ['githubRun', v.phase === 'waiting' ? 'waiting' : 'running', approvable ? 'approvable' : ''].filter(Boolean).join(' '),
          data,
        };
      });
  }

  serviceDecoration(environment: string, service: string): { description?: string; tooltip?: string } | undefined {
    this.ensureFresh();
    const d = this.deployments.get(`${environment}/${service}`);
    if (!d) return undefined;
    return { description: `GitHub: ${d.state}`, tooltip: `Last GitHub deployment: ${d.state}${d.description ? ` — ${d.description}` : ''} (${d.createdAt})${d.logUrl ? `\n${d.logUrl}` : ''}` };
  }

  /** Starts a background poll when the cache is stale; never awaited by the tree. */
  ensureFresh(): void {
    if (this.polling || !this.enabled() || this.now() - this.polled < STALE_MS) return;
    this.polled = this.now();
    this.polling = this.poll()
      .catch((err: unknown) => this.log.warn(this.mask(`GitHub poll failed: ${err instanceof Error ? err.message : String(err)}`)))
      .finally(() => {
        this.polling = undefined;
        this.changed.fire();
      });
  }

  /** Re-read now (Refresh, after a run). */
  async refresh(): Promise<void> {
    this.polled = 0;
    this.ensureFresh();
    await this.polling;
  }

  private async poll(): Promise<void> {
    const p = await this.port(false);
    if (!p) return;
    const runs = await p.port.listWorkflowRuns(WORKFLOW_FILE, { event: 'workflow_dispatch', perPage: 20 });
    const seen = new Set<number>();
    for (const run of runs.filter((r) => r.status !== 'completed')) {
      seen.add(run.id);
      const known = this.runs.get(run.id);
      const pending = run.status === 'waiting' ? await p.port.pendingDeployments(run.id) : [];
      const environment = known?.environment ?? pending[0]?.environment;
      if (!environment) continue;
      this.runs.set(run.id, { run, environment, service: known?.service, phase: run.status === 'waiting' ? 'waiting' : run.status === 'in_progress' ? 'in_progress' : 'queued', pending });
    }
    for (const id of [...this.runs.keys()]) if (!seen.has(id) && runs.some((r) => r.id === id)) this.runs.delete(id);
    const deployments = await p.port.listDeployments({ perPage: 50 });
    const newest = new Map<string, number>();
    for (const d of deployments) {
      const service = (d.payload as { service?: string } | undefined)?.service;
      if (service && !newest.has(`${d.environment}/${service}`)) newest.set(`${d.environment}/${service}`, d.id);
    }
    for (const [key, id] of [...newest].slice(0, 30)) {
      const [latest] = await p.port.listDeploymentStatuses(id);
      if (latest) this.deployments.set(key, latest);
    }
  }
}

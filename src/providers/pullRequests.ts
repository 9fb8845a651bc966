// Pull-request mode in the tree: under an environment, a node per open promotion pull request
// (branches `gitops-deploy/{env}/…`) with Open and Merge; a run's pull request events make the
// description precise (what it waits for) and re-read the list. Read after each refresh of the
// repository and on every pull request event, never blocking the tree; a listing that fails (no
// token, an untrusted host, GitHub down) is one explanatory node, never a popup.
import * as vscode from 'vscode';
import type { GitOpsConfig } from '../pipeline/config/types';
import { errorMessage } from '../pipeline/errors';
import type { PullRequestInfo, PullRequestPort } from '../pipeline/github/pulls';
import type { PipelineEvent, PullRequestEvent } from '../pipeline/outcome';
import type { TreeContributor, TreeNode } from './environmentsTree';
import { Disposable } from './lifecycle';
import { listingProblemText, promotionOfBranch, pullRequestDescription, pullRequestLabel, pullRequestNeedsSomeone, pullRequestTooltip, type PullRequestRunView } from './pullRequestText';
import type { WorkspaceModel } from './workspaceModel';

/** The data of a pull request node (the argument of the Open / Merge commands). */
export interface PullRequestNodeData {
  kind: 'pull-request';
  environment: string;
  pr: PullRequestInfo;
}

/** Why the list could not be read, or the port to read it with. */
export type PullRequestAccess =
  | { port: PullRequestPort }
  /** Shown (one node) only under the environments in pull-request mode. */
  | { problem: 'no-token' | 'untrusted-host' | 'no-repository'; detail?: string };

/** Gets the port for the repository's GitHub (the token without prompting), or why not. */
export type PullRequestAccessor = (config: GitOpsConfig, opts: { interactive: boolean }) => Promise<PullRequestAccess>;

/** Re-reads at most this often on repository refreshes (a file change refreshes the model). */
const STALE_MS = 5_000;

const PREFIX = 'gitops-deploy/';

export class PullRequestNodes extends Disposable implements TreeContributor {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  /** Fires after each read (tests wait on it). */
  private readonly readDone = this.register(new vscode.EventEmitter<readonly PullRequestInfo[]>());
  readonly onDidRead = this.readDone.event;
  private pulls: PullRequestInfo[] = [];
  private problem: { label: string; detail: string } | undefined;
  /** What the runs of this editor said about their pull requests, by number. */
  private readonly runs = new Map<number, PullRequestRunView & { environment: string }>();
  private generation = 0;
  private readAt = 0;

  constructor(
    private readonly model: WorkspaceModel,
    private readonly log: vscode.LogOutputChannel,
    private readonly access: PullRequestAccessor,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
    this.register(model.onDidChange(() => void this.reload({ ifStale: true })));
  }

  get current(): readonly PullRequestInfo[] {
    return this.pulls;
  }

  /** What a run of this editor said about a pull request, while it waits for it. */
  runView(number: number): PullRequestRunView | undefined {
    return this.runs.get(number);
  }

  /** The port (for Merge), or undefined with the reason shown as a warning. */
  async port(): Promise<PullRequestPort | undefined> {
    const config = this.model.current?.config;
    if (!config) return undefined;
    const a = await this.access(config, { interactive: true });
    if ('port' in a) return a.port;
    void vscode.window.showWarningMessage(`GitOps Deploy: ${listingProblemText(a.problem, a.detail).detail}`);
    return undefined;
  }

  /** A run's pipeline event: a pull request event updates what is known and re-reads the list. */
  onPipelineEvent(e: PipelineEvent): void {
    if (e.type === 'pull-request') this.onPullRequest(e);
    else if (e.type === 'pipeline-finished') this.onRunEnded();
  }

  /** No run of this editor waits for a pull request any more. */
  onRunEnded(): void {
    if (!this.runs.size) return;
    this.runs.clear();
    this.changed.fire();
    void this.reload();
  }

  private onPullRequest(e: PullRequestEvent): void {
    if (e.phase === 'merged' || e.phase === 'closed') this.runs.delete(e.pr.number);
    else this.runs.set(e.pr.number, { environment: e.environment, purpose: e.purpose, waitingFor: e.phase === 'waiting-for-merge' ? e.waitingFor : this.runs.get(e.pr.number)?.waitingFor });
    // The event carries the pull request as GitHub returned it: show it at once, then re-read.
    const i = this.pulls.findIndex((p) => p.number === e.pr.number);
    if (e.pr.state === 'open') {
      if (i >= 0) this.pulls[i] = e.pr;
      else this.pulls.push(e.pr);
    } else if (i >= 0) this.pulls.splice(i, 1);
    this.changed.fire();
    void this.reload();
  }

  /** Which environments ask for pull requests (mode pull-request); others show theirs only when GitHub is readable. */
  private prEnvironments(config: GitOpsConfig): Set<string> {
    return new Set(config.environments.filter((e) => e.git?.mode === 'pull-request').map((e) => e.name));
  }

  async reload(opts: { ifStale?: boolean } = {}): Promise<void> {
    if (opts.ifStale && Date.now() - this.readAt < STALE_MS) return;
    this.readAt = Date.now();
    const generation = ++this.generation;
    const state = this.model.current;
    const config = state?.config;
    if (!config || state.configProblem) {
      this.pulls = [];
      this.problem = undefined;
      this.changed.fire();
      return;
    }
    const wanted = this.prEnvironments(config);
    let pulls: PullRequestInfo[] = [];
    let problem: { label: string; detail: string } | undefined;
    try {
      const a = await this.access(config, { interactive: false });
      if ('port' in a) pulls = await a.port.listOpen(PREFIX);
      else if (wanted.size) problem = listingProblemText(a.problem, a.detail);
    } catch (err) {
      const msg = errorMessage(err);
      this.log.warn(`could not list the open pull requests: ${msg}`);
      if (wanted.size) problem = listingProblemText('failed', msg.split('\n')[0]);
      else pulls = this.pulls; // nobody asked: keep what was known, say nothing
    }
    if (generation !== this.generation) return;
    this.pulls = pulls.filter((p) => p.state === 'open' && !p.merged).sort((a, b) => a.number - b.number);
    this.problem = problem;
    this.changed.fire();
    this.readDone.fire(this.pulls);
  }

  environmentChildren(environment: string): TreeNode[] {
    const config = this.model.current?.config;
    const prMode = !!config && this.prEnvironments(config).has(environment);
    if (this.problem && prMode) {
      return [{ kind: 'contributed', id: `pulls/${environment}/problem`, label: this.problem.label, description: 'pull-request mode', tooltip: this.problem.detail, icon: 'warning', contextValue: 'pullRequestProblem' }];
    }
    const now = this.now();
    return this.pulls
      .filter((p) => promotionOfBranch(p.headRef, environment))
      .map((pr): TreeNode => {
        const run = this.runs.get(pr.number);
        const data: PullRequestNodeData = { kind: 'pull-request', environment, pr };
        const needs = pullRequestNeedsSomeone(pr, run);
        return {
          kind: 'contributed',
          id: `pulls/${environment}/${pr.number}`,
          label: pullRequestLabel(pr, environment),
          description: pullRequestDescription(pr, run),
          tooltip: pullRequestTooltip(pr, environment, now, run),
          icon: pr.autoMerge ? 'git-merge' : 'git-pull-request',
          color: needs ? 'list.warningForeground' : pr.mergeableState === 'clean' ? 'charts.green' : undefined,
          contextValue: 'pullRequest',
          data,
        };
      });
  }
}

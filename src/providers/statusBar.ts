import * as vscode from 'vscode';
import type { PullRequestEvent } from '../pipeline/outcome';
import { Disposable } from './lifecycle';
import { pullRequestStatus } from './pullRequestText';

/**
 * While a pipeline runs: "$(sync~spin) accounts → prod: Wait for Argo CD"; click to see the output.
 * While it waits for its pull request: "$(git-pull-request) accounts → prod: waiting for PR #12
 * review"; click to open the pull request (until it is merged or closed, or the run ends).
 */
export class RunStatusBar extends Disposable {
  private item: vscode.StatusBarItem | undefined;
  private what = '';
  private title = '';
  private pull: ReturnType<typeof pullRequestStatus>;

  private ensure(): vscode.StatusBarItem {
    if (!this.item) {
      this.item = this.register(vscode.window.createStatusBarItem('gitopsDeploy.run', vscode.StatusBarAlignment.Left, 50));
      this.item.name = 'GitOps Deploy: running pipeline';
    }
    return this.item;
  }

  /** What it shows now (tests). */
  get text(): string | undefined {
    return this.item?.text;
  }

  start(mode: 'deploy' | 'rollback', service: string, environment: string): void {
    this.what = `${service} ${mode === 'rollback' ? '↩' : '→'} ${environment}`;
    this.pull = undefined;
    this.step('starting');
  }

  step(title: string): void {
    this.title = title;
    this.render();
  }

  /** A pull request event of the run: shown until it is merged or closed. */
  pullRequest(e: PullRequestEvent): void {
    this.pull = pullRequestStatus(e);
    this.render();
  }

  private render(): void {
    const item = this.ensure();
    if (this.pull) {
      item.text = this.pull.text;
      item.tooltip = this.pull.tooltip;
      item.command = { command: 'gitopsDeploy.openPullRequest', title: 'Open the pull request', arguments: [{ url: this.pull.url }] };
    } else {
      item.text = `$(sync~spin) ${this.what}: ${this.title}`;
      item.tooltip = `GitOps Deploy is running: ${this.what} — ${this.title}. Click to show the output.`;
      item.command = 'gitopsDeploy.showOutput';
    }
    item.show();
  }

  done(): void {
    this.pull = undefined;
    this.item?.hide();
  }
}

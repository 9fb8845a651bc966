import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

/** While a pipeline runs: "$(sync~spin) accounts → prod: Wait for Argo CD"; click to see the output. */
export class RunStatusBar extends Disposable {
  private item: vscode.StatusBarItem | undefined;
  private what = '';

  private ensure(): vscode.StatusBarItem {
    if (!this.item) {
      this.item = this.register(vscode.window.createStatusBarItem('gitopsDeploy.run', vscode.StatusBarAlignment.Left, 50));
      this.item.name = 'GitOps Deploy: running pipeline';
      this.item.command = 'gitopsDeploy.showOutput';
    }
    return this.item;
  }

  start(mode: 'deploy' | 'rollback', service: string, environment: string): void {
    this.what = `${service} ${mode === 'rollback' ? '↩' : '→'} ${environment}`;
    this.step('starting');
  }

  step(title: string): void {
    const item = this.ensure();
    item.text = `$(sync~spin) ${this.what}: ${title}`;
    item.tooltip = `GitOps Deploy is running: ${this.what} — ${title}. Click to show the output.`;
    item.show();
  }

  done(): void {
    this.item?.hide();
  }
}

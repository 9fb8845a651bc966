import * as vscode from 'vscode';
import { relativeTime } from '../pipeline/model/format';
import { windowBrief } from '../pipeline/model/window';
import {
  contextValue,
  environmentTokens,
  relativeToRoot,
  serviceTokens,
  type EnvironmentState,
  type RepoState,
  type ServiceState,
} from '../pipeline/model/repoState';
import type { LoadedRecord } from '../pipeline/model/records';
import { failureCause, rollbackFailed } from '../pipeline/troubleshoot';
import { Disposable } from './lifecycle';
import { environmentPullRequestMode } from './pullRequestText';
import type { WorkspaceModel } from './workspaceModel';

export type TreeNode =
  | { kind: 'environment'; env: EnvironmentState; state: RepoState }
  | { kind: 'service'; service: ServiceState; env: EnvironmentState; state: RepoState }
  | { kind: 'detail'; id: string; label: string; description?: string; icon: string; tooltip?: string; command?: vscode.Command }
  | { kind: 'message'; id: string; label: string; detail?: string; icon: string; command?: vscode.Command }
  | { kind: 'contributed'; id: string; label: string; description?: string; tooltip?: string; icon: string; color?: string; contextValue: string; data?: unknown };

/** Adds nodes under environments and decorations on services (e.g. GitHub runs and deployments); read from caches, never blocking. */
export interface TreeContributor {
  readonly onDidChange: vscode.Event<void>;
  environmentChildren?(environment: string): TreeNode[];
  serviceDecoration?(environment: string, service: string): { description?: string; tooltip?: string } | undefined;
}

const STATUS_ICON: Record<string, [string, string | undefined]> = {
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  'rolled-back': ['history', 'list.warningForeground'],
  rollback: ['discard', 'list.warningForeground'],
};

/** The short marker of a service whose last deployment failed, until the next successful one. */
export function failureMarker(r: LoadedRecord | undefined): string | undefined {
  if (!r) return undefined;
  if (r.status === 'rolled-back') return '↩ rolled back';
  if (r.status === 'failed') return rollbackFailed(r) ? '✗ rollback failed' : '✗ failed';
  return undefined;
}

function recordLine(r: LoadedRecord, now: Date): string {
  const who = r.actor ? ` by ${r.actor}` : '';
  return `${r.status} ${r.previousTag ? `${r.previousTag} → ` : ''}${r.tag}${who}, ${relativeTime(r.startedAt, now)}`;
}

/** Environments (promotion order) → services → tag, drift, last deployment. */
export class EnvironmentsTree extends Disposable implements vscode.TreeDataProvider<TreeNode> {
  private readonly emitter = this.register(new vscode.EventEmitter<TreeNode | undefined | void>());
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly refreshed = this.register(new vscode.EventEmitter<void>());
  /** Fires after the tree has new data (tests wait on it). */
  readonly onDidRefresh = this.refreshed.event;

  private readonly contributors: TreeContributor[] = [];

  contribute(c: TreeContributor): vscode.Disposable {
    this.contributors.push(c);
    const sub = c.onDidChange(() => this.emitter.fire());
    return { dispose: () => { sub.dispose(); this.contributors.splice(this.contributors.indexOf(c), 1); } };
  }

  constructor(
    private readonly model: WorkspaceModel,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
    this.register(
      model.onDidChange(() => {
        this.emitter.fire();
        this.refreshed.fire();
      }),
    );
    // "opens 17:00 ET (in 3 h)" counts down: redraw each minute while an environment waits to open.
    const tick = setInterval(() => {
      if (model.current?.environments.some((e) => e.window.opensAt)) this.emitter.fire();
    }, 60_000);
    tick.unref?.();
    this.register({ dispose: () => clearInterval(tick) });
  }

  async getChildren(element?: TreeNode): Promise<TreeNode[]> {
    if (!element) {
      const state = await this.model.get();
      if (!state) return []; // the welcome view explains what is expected
      if (state.configProblem) {
        return [{ kind: 'message', id: 'config-problem', label: 'Invalid .gitops-deploy.yaml', detail: state.configProblem, icon: 'error', command: { command: 'gitopsDeploy.openConfig', title: 'Open configuration' } }];
      }
      const nodes: TreeNode[] = state.environments.map((env) => ({ kind: 'environment', env, state }));
      if (state.futureRecords.length) {
        const n = state.futureRecords.length;
        nodes.push({ kind: 'message', id: 'future-records', label: `${n} record${n === 1 ? '' : 's'} dated in the future (not taken as the latest)`, detail: state.futureRecords.map((r) => `${relativeToRoot(state.root, r.file)}: ${r.startedAt}`).join('\n'), icon: 'warning', command: openFile(state.futureRecords[0].file) });
      }
      if (state.recordProblems.length) {
        const n = state.recordProblems.length;
        nodes.push({ kind: 'message', id: 'record-problems', label: `${n} malformed record${n === 1 ? '' : 's'} skipped`, detail: state.recordProblems.map((p) => `${relativeToRoot(state.root, p.file)}: ${p.message}`).join('\n'), icon: 'warning', command: { command: 'gitopsDeploy.showLog', title: 'Show log' } });
      }
      return nodes;
    }
    if (element.kind === 'environment') {
      const { env, state } = element;
      if (env.problem) {
        return [{ kind: 'message', id: `${env.config.name}/problem`, label: 'Cannot read the values file', detail: env.problem, icon: 'error', command: openFile(env.config.valuesFile) }];
      }
      if (env.services.length === 0) {
        return [{ kind: 'message', id: `${env.config.name}/empty`, label: 'No services in the values file', detail: relativeToRoot(state.root, env.config.valuesFile), icon: 'info', command: openFile(env.config.valuesFile) }];
      }
      const extra = this.contributors.flatMap((c) => c.environmentChildren?.(env.config.name) ?? []);
      return [...extra, ...env.services.map((service): TreeNode => ({ kind: 'service', service, env, state }))];
    }
    if (element.kind === 'service') return this.serviceDetails(element);
    return [];
  }

  private serviceDetails(node: Extract<TreeNode, { kind: 'service' }>): TreeNode[] {
    const { service: s, env } = node;
    const id = `${s.environment}/${s.service}`;
    const now = this.now();
    const out: TreeNode[] = [
      { kind: 'detail', id: `${id}/tag`, label: `tag ${s.tag}`, description: `${relativeToRoot(node.state.root, env.config.valuesFile)}:${s.entry.line}`, icon: 'tag', command: openFile(env.config.valuesFile, s.entry.line) },
    ];
    if (s.upstream) {
      out.push({ kind: 'detail', id: `${id}/drift`, label: `${s.upstream.environment} has ${s.upstream.tag}`, description: 'not promoted yet', icon: 'arrow-circle-up' });
    } else if (env.upstream) {
      out.push({ kind: 'detail', id: `${id}/drift`, label: `in step with ${env.upstream}`, icon: 'check' });
    }
    if (s.lastRecord) {
      out.push({ kind: 'detail', id: `${id}/last`, label: `last: ${recordLine(s.lastRecord, now)}`, description: s.lastRecord.reason, icon: STATUS_ICON[s.lastRecord.status]?.[0] ?? 'circle-outline', tooltip: s.lastRecord.file, command: openFile(s.lastRecord.file) });
    } else {
      out.push({ kind: 'detail', id: `${id}/last`, label: 'no deployment records', icon: 'circle-outline' });
    }
    return out;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'environment':
        return this.environmentItem(node.env, node.state);
      case 'service':
        return this.serviceItem(node.service, node.env);
      case 'detail': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = node.description;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.tooltip;
        item.command = node.command;
        item.contextValue = 'detail';
        return item;
      }
      case 'contributed': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        Object.assign(item, { id: node.id, description: node.description, tooltip: node.tooltip, iconPath: new vscode.ThemeIcon(node.icon, node.color ? new vscode.ThemeColor(node.color) : undefined), contextValue: node.contextValue });
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = node.detail?.split('\n')[0];
        item.tooltip = node.detail;
        item.iconPath = new vscode.ThemeIcon(node.icon, node.icon === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
        item.command = node.command;
        item.contextValue = 'message';
        return item;
      }
    }
  }

  private environmentItem(env: EnvironmentState, state: RepoState): vscode.TreeItem {
    const name = env.config.name;
    const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `env/${name}`;
    const drifted = env.services.filter((s) => s.upstream).length;
    const services = `${env.services.length} service${env.services.length === 1 ? '' : 's'}${drifted ? ` · ${drifted} behind ${env.upstream}` : ''}`;
    // A default-width side bar has room for one fact: the window's next change where a window
    // restricts deployments (each service row shows its own drift), else the services and their drift.
    item.description = env.window.timeZone ? windowBrief(env.window, this.now()) : services;
    const prMode = env.config.git?.mode === 'pull-request';
    if (prMode) item.description = `${item.description} · pull-request mode`;
    item.iconPath = env.problem
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
      : !env.window.open
        ? new vscode.ThemeIcon('lock', new vscode.ThemeColor('list.warningForeground'))
        : new vscode.ThemeIcon(env.config.window ? 'unlock' : 'server-environment');
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${name}**${env.upstream ? ` — promoted from ${env.upstream}` : ''}\n\n`);
    md.appendMarkdown(`Values: \`${relativeToRoot(state.root, env.config.valuesFile)}\`  \nNamespace: \`${env.config.namespace}\`\n\n`);
    md.appendMarkdown(`${services}\n\n`);
    md.appendMarkdown(`Deployment window: ${env.window.summary}${env.config.window ? ` (${env.config.window.timeZone})` : ''}\n\n`);
    if (env.config.requireReason) md.appendMarkdown('A reason is required to deploy here.\n\n');
    if (prMode) {
      md.appendMarkdown('$(git-pull-request) ');
      md.appendText(environmentPullRequestMode(env.config.git.merge, env.config.git.labels));
      md.appendMarkdown('\n\n');
    }
    if (env.problem) md.appendMarkdown(`$(error) ${env.problem}`);
    item.tooltip = md;
    item.contextValue = contextValue(environmentTokens(env));
    return item;
  }

  private serviceItem(s: ServiceState, env: EnvironmentState): vscode.TreeItem {
    const item = new vscode.TreeItem(s.service, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `svc/${s.environment}/${s.service}`;
    const bits = [s.tag];
    const marker = failureMarker(s.lastRecord);
    // One fact after the tag, to fit a default-width side bar: a failure first; the drift is then in the tooltip and the details.
    if (marker) bits.push(marker);
    else if (s.upstream) bits.push(`${s.upstream.environment} has ${s.upstream.tag}`);
    item.description = bits.join(' · ');
    const status = s.lastRecord?.status;
    if (status === 'failed' || status === 'rolled-back') {
      const [icon, color] = STATUS_ICON[status];
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    } else if (s.upstream) {
      item.iconPath = new vscode.ThemeIcon('arrow-circle-up', new vscode.ThemeColor('charts.blue'));
    } else {
      item.iconPath = new vscode.ThemeIcon('package');
    }
    const now = this.now();
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${s.service}** in **${s.environment}**: \`${s.tag}\`\n\n`);
    if (s.upstream) md.appendMarkdown(`$(arrow-circle-up) ${s.upstream.environment} has \`${s.upstream.tag}\`: not promoted yet\n\n`);
    else if (env.upstream) md.appendMarkdown(`$(check) same tag as ${env.upstream}\n\n`);
    if (s.lastRecord) {
      md.appendMarkdown(`Last deployment: ${recordLine(s.lastRecord, now)}`);
      if (s.lastRecord.reason) md.appendText(` — ${s.lastRecord.reason}`);
      md.appendMarkdown('\n\n');
      if (marker) failureTooltip(md, s.lastRecord, now);
    } else md.appendMarkdown('No deployment records yet.\n\n');
    if (!env.window.open) md.appendMarkdown(`$(lock) ${s.environment}: ${env.window.summary}\n\n`);
    for (const d of this.contributors.map((c) => c.serviceDecoration?.(s.environment, s.service))) {
      if (d?.description) item.description = `${String(item.description)} · ${d.description}`;
      if (d?.tooltip) md.appendText(`\n\n${d.tooltip}`);
    }
    item.tooltip = md;
    item.contextValue = contextValue(serviceTokens(s));
    return item;
  }
}

/** Why the last deployment failed (record content is untrusted: appended as text) and what to do next. */
function failureTooltip(md: vscode.MarkdownString, r: LoadedRecord, now: Date): void {
  const head = r.status === 'rolled-back' ? `$(history) **${r.tag} failed and was rolled back**` : rollbackFailed(r) ? `$(error) **${r.tag} failed and its automatic rollback failed too**` : `$(error) **${r.tag} failed**`;
  md.appendMarkdown(`${head} — `);
  md.appendText(`${r.startedAt}${r.actor ? ` by ${r.actor}` : ''} (${relativeTime(r.startedAt, now)})`);
  md.appendMarkdown('\n\nCause: ');
  md.appendText(failureCause(r));
  md.appendMarkdown('\n\n');
  if (rollbackFailed(r) && r.previousTag) {
    md.appendMarkdown('Right-click → Fix Failed Rollback restores ');
    md.appendText(r.previousTag);
    md.appendMarkdown('.\n\n');
  }
  md.appendMarkdown('Right-click for logs, events, Argo CD, retry sync.\n\n');
}

function openFile(file: string, line?: number): vscode.Command {
  const args: unknown[] = [vscode.Uri.file(file)];
  if (line) args.push({ selection: new vscode.Range(line - 1, 0, line - 1, 0) });
  return { command: 'vscode.open', title: 'Open', arguments: args };
}

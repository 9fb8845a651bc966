import * as vscode from 'vscode';
import type { RecordsFilters } from '../pipeline/model/recordsQuery';
import { RecordsPanels } from '../providers/recordsPanel';
import { VIEW_TYPE, type ProbeAction } from '../providers/recordsProtocol';
import type { CommandContext } from './context';

/** The tree node a "Show records" menu passes: environment → that environment, service → env + service. */
export function presetFor(node: unknown): RecordsFilters | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const n = node as { kind?: unknown; env?: { config?: { name?: unknown } }; service?: { service?: unknown; environment?: unknown } };
  if (n.kind === 'environment' && typeof n.env?.config?.name === 'string') return { environment: n.env.config.name };
  if (n.kind === 'service' && typeof n.service?.service === 'string' && typeof n.service.environment === 'string') {
    return { environment: n.service.environment, service: n.service.service };
  }
  return undefined;
}

/** gitopsDeploy.showRecords, the panel's serializer and (in extension tests only) a probe command. */
export function registerShowRecords(ctx: CommandContext): vscode.Disposable {
  const panels = new RecordsPanels(ctx.extension.extensionUri, ctx.model, ctx.log);
  const disposables: vscode.Disposable[] = [
    panels,
    vscode.commands.registerCommand('gitopsDeploy.showRecords', (node?: unknown) => panels.show(presetFor(node))),
  ];
  // Hosts without webviews (the unit tests' fake vscode) have no serializer registry.
  if (typeof vscode.window.registerWebviewPanelSerializer === 'function') {
    disposables.push(vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, panels.serializer()));
  }
  if (ctx.extension.extensionMode === (vscode.ExtensionMode?.Test ?? 3)) {
    // The e2e tests read the webview's DOM through this (not contributed: not in the palette).
    disposables.push(vscode.commands.registerCommand('gitopsDeploy.records.testProbe', (action?: ProbeAction) => panels.probe(action)));
  }
  return { dispose: () => disposables.reverse().forEach((d) => d.dispose()) };
}

// What the troubleshooting commands (Show Logs, Show Events, Open in Argo CD, Retry Sync, Fix Failed
// Rollback) share: the service and environment from a tree node, a notification's {service,
// environment}, or the pickers; and reading a report from the cluster behind a progress notification.
// The reports themselves come from src/pipeline/troubleshoot.ts, as for the CLI.
import * as vscode from 'vscode';
import { lastFailure, reportText, type Report, type Target } from '../pipeline/troubleshoot';
import type { Ports } from '../pipeline/ports';
import type { LoadedRecord } from '../pipeline/model/records';
import type { LoadedState, PipelineHost, ServiceTarget } from '../providers/pipelineHost';
import { environmentItems, serviceItems } from '../providers/pickItems';
import { targetOf } from './runFlow';

/** The service and environment to troubleshoot: from the argument, else asked (`verb`: "Show logs"). */
export async function troubleshootTarget(host: PipelineHost, state: LoadedState, arg: unknown, verb: string): Promise<ServiceTarget | undefined> {
  const t = targetOf(arg);
  const service = t.service ?? (await host.prompter.pick(serviceItems(state), { title: `${verb}: which service?`, step: 1, totalSteps: 2 }))?.service;
  if (!service) return undefined;
  const environment = t.environment ?? (await host.prompter.pick(environmentItems(state, service), { title: `${verb} of ${service}: in which environment?`, step: 2, totalSteps: 2 }))?.environment;
  if (!environment) return undefined;
  const env = state.environments.find((e) => e.config.name === environment);
  if (!env) {
    void host.prompter.notify('error', `GitOps Deploy: unknown environment "${environment}" (environments: ${state.environments.map((e) => e.config.name).join(', ')}).`, []);
    return undefined;
  }
  if (!env.problem && !env.services.some((s) => s.service === service)) {
    void host.prompter.notify('warning', `${service} is not deployed in ${environment} (its values file has ${env.services.map((s) => s.service).join(', ') || 'no services'}).`, []);
    return undefined;
  }
  return { service, environment };
}

/**
 * Logs or events of a service as a read-only document: read behind a cancellable progress
 * notification, the evidence captured when its last deployment failed first (from that record).
 */
export async function showReport(
  host: PipelineHost,
  arg: unknown,
  o: { verb: string; title: (t: ServiceTarget) => string; read: (t: Target, ports: Ports, opts: { record?: LoadedRecord; signal: AbortSignal }) => Promise<Report> },
): Promise<vscode.TextDocument | undefined> {
  if (!host.trusted(o.verb)) return undefined;
  const state = await host.state();
  if (!state) return undefined;
  const t = await troubleshootTarget(host, state, arg, o.verb);
  if (!t) return undefined;
  const record = lastFailure(state.records, t.environment, t.service);
  try {
    const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${o.title(t)}…`, cancellable: true }, async (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort(new Error('cancelled by the user')));
      const ports = host.deps(state.config).ports;
      return o.read({ config: state.config, environment: t.environment, service: t.service }, ports, { record, signal: controller.signal });
    });
    return await host.documents.showReport(`${o.title(t)}`, reportText(report));
  } catch (err) {
    host.showError(err);
    return undefined;
  }
}

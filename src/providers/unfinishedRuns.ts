// Unfinished deployments under each environment: a run that pushed and never wrote its record
// (killed, crashed, a lost CI runner), found from origin's journal, with Resume / Roll back /
// Accept; and a deployment running elsewhere (its lease on origin). Read after each refresh of
// the repository, never blocking the tree.
import * as vscode from 'vscode';
import type { GitOpsConfig } from '../pipeline/config/types';
import type { UnfinishedRun } from '../pipeline/journal';
import { relativeTime, shortSha } from '../pipeline/model/format';
import type { TreeContributor, TreeNode } from './environmentsTree';
import { Disposable } from './lifecycle';
import type { WorkspaceModel } from './workspaceModel';

/** The data of an "Interrupted" node (the argument of the resume / rollback / accept commands). */
export interface InterruptedNodeData {
  kind: 'interrupted';
  environment: string;
  service: string;
  runId: string;
  phase: 'pushed' | 'rolling-back';
  from: string;
  to: string;
}

export type UnfinishedReader = (config: GitOpsConfig) => Promise<UnfinishedRun[]>;

export class UnfinishedRunNodes extends Disposable implements TreeContributor {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  /** Fires after each read (tests wait on it). */
  private readonly readDone = this.register(new vscode.EventEmitter<UnfinishedRun[]>());
  readonly onDidRead = this.readDone.event;
  private runs: UnfinishedRun[] = [];
  private generation = 0;

  constructor(
    private readonly model: WorkspaceModel,
    private readonly log: vscode.LogOutputChannel,
    private readonly read: UnfinishedReader,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
    this.register(model.onDidChange(() => void this.reload()));
    void this.reload();
  }

  get current(): readonly UnfinishedRun[] {
    return this.runs;
  }

  async reload(): Promise<void> {
    const generation = ++this.generation;
    const state = this.model.current;
    if (!state?.config || state.configProblem) {
      this.runs = [];
      this.changed.fire();
      return;
    }
    try {
      const runs = await this.read(state.config);
      if (generation !== this.generation) return;
      this.runs = runs;
    } catch (err) {
      this.log.warn(`could not read unfinished deployments from origin: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.changed.fire();
    this.readDone.fire(this.runs);
  }

  environmentChildren(environment: string): TreeNode[] {
    const now = this.now();
    return this.runs
      .filter((u) => u.environment === environment)
      .map((u): TreeNode => {
        const st = u.state;
        if (st.kind === 'running') {
          return { kind: 'contributed', id: `unfinished/${environment}/${u.service}`, label: `Deploying: ${u.service}${st.lease.tag ? ` → ${st.lease.tag}` : ''}`, description: `by ${st.lease.holder} on ${st.lease.host}, ${relativeTime(st.lease.startedAt, now)}`, tooltip: `Run ${st.runId} holds the lease on origin until ${st.lease.expiresAt}. Another deployment of ${u.service} in ${environment} waits for it.`, icon: 'sync~spin', contextValue: 'runningElsewhere' };
        }
        const c = st.change;
        const data: InterruptedNodeData = { kind: 'interrupted', environment, service: u.service, runId: st.runId, phase: st.phase, from: c.from, to: c.to };
        const what = st.phase === 'rolling-back' ? `its automatic rollback to ${c.from} is on origin (${shortSha(st.rollback?.commit)}), never verified` : `${c.to} is on origin (${shortSha(c.commit)}), never verified`;
        return {
          kind: 'contributed',
          id: `unfinished/${environment}/${u.service}`,
          label: `Interrupted: ${u.service} ${c.from} → ${c.to}`,
          description: `${st.phase === 'rolling-back' ? 'rolling back' : 'pushed'}, no record · by ${c.actor ?? 'unknown'}, ${relativeTime(c.date, now)}`,
          tooltip: `Run ${st.runId} was interrupted (killed, crashed, or its CI runner was lost): ${what}, and no record was written.\n\nResume continues it (wait for Argo CD, verify, roll back automatically if it fails); Roll Back puts ${c.from} back; Accept verifies what runs now and records it as succeeded. Every other deployment of ${u.service} in ${environment} is refused until then.`,
          icon: 'warning',
          contextValue: 'interruptedRun',
          data,
        };
      });
  }

  serviceDecoration(environment: string, service: string): { description?: string; tooltip?: string } | undefined {
    const u = this.runs.find((x) => x.environment === environment && x.service === service);
    if (!u) return undefined;
    return u.state.kind === 'running' ? { description: '⟳ deploying elsewhere' } : { description: '⚠ interrupted', tooltip: `An interrupted deployment (run ${u.state.runId}) has no record: resume, roll back or accept it.` };
  }
}

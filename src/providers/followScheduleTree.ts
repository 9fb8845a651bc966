// Tree nodes for "dev follows main" and scheduled promotions, under each environment: what each
// following service follows (or that it is paused, by whom), and every pending scheduled promotion
// with a countdown. Read from the repository's files on each refresh; the countdown ticks every 30 s.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GitOpsConfig } from '../pipeline/config/types';
import { describeMatch, FOLLOWER, subscribedServices } from '../pipeline/follow/follow';
import { readPause, type PauseMarker } from '../pipeline/follow/pause';
import type { FollowSubscription } from '../pipeline/model/subscriptions';
import type { LoadedRecord } from '../pipeline/model/records';
import { countdown, isPending, listSchedules, type LoadedSchedule } from '../pipeline/schedule/schedule';
import type { TreeContributor, TreeNode } from './environmentsTree';
import { Disposable } from './lifecycle';
import type { WorkspaceModel } from './workspaceModel';

export interface FollowNodeData {
  kind: 'follow';
  environment: string;
  service: string;
  paused: boolean;
}

export interface ScheduleNodeData {
  kind: 'schedule';
  environment: string;
  id: string;
  file: string;
  service: string;
  tag: string;
  previousTag: string;
  notBefore: string;
}

interface FollowView {
  sub: FollowSubscription;
  service: string;
  tag?: string;
  pause?: PauseMarker;
  /** The follower's last deployment here that failed (not retried automatically). */
  failed?: LoadedRecord;
}

const TICK_MS = 30_000;

export class FollowScheduleNodes extends Disposable implements TreeContributor {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private schedules: LoadedSchedule[] = [];
  private follows: FollowView[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly model: WorkspaceModel, private readonly log: vscode.LogOutputChannel, private readonly now: () => Date = () => new Date()) {
    super();
    this.register(model.onDidChange(() => void this.reload()));
    this.register({ dispose: () => clearInterval(this.timer) });
    void this.reload();
  }

  /** Re-read schedules and pause markers (after a refresh of the repository). */
  async reload(): Promise<void> {
    const state = this.model.current;
    const config: GitOpsConfig | undefined = state?.config;
    if (!config || state?.configProblem) {
      this.schedules = [];
      this.follows = [];
      this.changed.fire();
      return;
    }
    try {
      this.schedules = (await listSchedules(config)).schedules.filter(isPending);
      const follows: FollowView[] = [];
      for (const sub of config.follow) {
        for (const { service, tag } of await subscribedServices(config, sub).catch(() => [])) {
          const failed = tag === undefined ? undefined : state?.records.find((r) => r.environment === sub.environment && r.service === service && r.actor === FOLLOWER && (r.status === 'rolled-back' || (r.status === 'failed' && !!r.commit)));
          follows.push({ sub, service, tag, pause: await readPause(config, sub.environment, service), failed });
        }
      }
      this.follows = follows;
    } catch (err) {
      this.log.warn(`could not read scheduled promotions / follow state: ${err instanceof Error ? err.message : String(err)}`);
    }
    clearInterval(this.timer);
    this.timer = this.schedules.length ? setInterval(() => this.changed.fire(), TICK_MS) : undefined;
    this.changed.fire();
  }

  environmentChildren(environment: string): TreeNode[] {
    const now = this.now();
    const nodes: TreeNode[] = [];
    for (const s of this.schedules.filter((x) => x.environment === environment)) {
      const data: ScheduleNodeData = { kind: 'schedule', environment, id: s.id, file: s.file, service: s.service, tag: s.tag, previousTag: s.previousTag, notBefore: s.notBefore };
      nodes.push({
        kind: 'contributed',
        id: `schedule/${environment}/${s.id}`,
        label: `Scheduled: ${s.service} ${s.previousTag} → ${s.tag}`,
        description: `${countdown(s.notBefore, now)} · by ${s.actor}`,
        tooltip: `Not before ${s.notBefore}\nReason: ${s.reason}\nScheduled by ${s.actor} at ${s.createdAt}\n${s.file}\nRuns with \`gitops-deploy scheduled run\` (the follow workflow runs it on its schedule); every check is re-run then.`,
        icon: 'watch',
        contextValue: 'scheduledPromotion cancellable',
        data,
      });
    }
    for (const f of this.follows.filter((x) => x.sub.environment === environment)) {
      const data: FollowNodeData = { kind: 'follow', environment, service: f.service, paused: !!f.pause };
      const what = describeMatch(f.sub);
      const description = f.pause ? `⏸ paused by ${f.pause.by}${f.pause.reason ? `: ${f.pause.reason}` : ''}` : f.failed ? `${what} · ${f.failed.tag} failed before, not retried` : what;
      nodes.push({
        kind: 'contributed',
        id: `follow/${environment}/${f.service}`,
        label: `${f.service} follows ${f.sub.match.kind === 'tags' ? 'builds' : f.sub.match.kind === 'semver' ? 'versions' : 'the newest tag'}`,
        description,
        tooltip: [
          `${f.service} in ${environment} is deployed by \`gitops-deploy follow\` when a newer image matches ${what}${f.sub.minAgeMs ? ` and is at least ${Math.round(f.sub.minAgeMs / 60_000)} min old` : ''}.`,
          `Runs ${f.tag ?? 'nothing'} now.`,
          f.pause ? `Paused by ${f.pause.by}${f.pause.at ? ` at ${f.pause.at}` : ''}${f.pause.reason ? `: ${f.pause.reason}` : ''} (docs/deployments/follow/${environment}/${f.service}.yaml).` : undefined,
          f.failed ? `${f.failed.tag} ${f.failed.status} (${path.basename(f.failed.file)}); the follower will not deploy it again.` : undefined,
        ].filter(Boolean).join('\n'),
        icon: f.pause ? 'debug-pause' : 'sync',
        contextValue: `followState ${f.pause ? 'paused' : 'following'}`,
        data,
      });
    }
    return nodes;
  }
}

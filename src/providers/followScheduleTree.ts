// Tree nodes for "dev follows main" and scheduled promotions, under each environment: what each
// following service follows (or that it is paused, by whom), and every pending scheduled promotion
// with a countdown. Read from the repository's files on each refresh; the countdown ticks every 30 s.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GitOpsConfig } from '../pipeline/config/types';
import { describeMatch, FOLLOWER, inspectService, subscribedServices, type Inspection } from '../pipeline/follow/follow';
import type { Ports } from '../pipeline/ports';
import { followVerdict, type FollowVerdict } from '../pipeline/follow/verdict';
import { readPause, type PauseMarker } from '../pipeline/follow/pause';
import type { FollowSubscription } from '../pipeline/model/subscriptions';
import type { LoadedRecord } from '../pipeline/model/records';
import { countdown, isPending, listSchedules, type LoadedSchedule } from '../pipeline/schedule/schedule';
import type { TreeContributor, TreeNode } from './environmentsTree';
import { followDescription, followTooltipLines } from './followNodeText';
import { Disposable } from './lifecycle';
import type { WorkspaceModel } from './workspaceModel';

export interface FollowNodeData {
  kind: 'follow';
  environment: string;
  service: string;
  paused: boolean;
  /** The newest candidate and why it is (not) deployed; absent until the registry has been read. */
  verdict?: FollowVerdict;
}

/** Reads the registry for one following service (inspectService with the editor's ports). */
export type FollowInspector = (config: GitOpsConfig, sub: FollowSubscription, service: string, currentTag: string | undefined) => Promise<Inspection>;

/** An inspector with the editor's ports (one set per loaded configuration). */
export function registryInspector(portsFor: (config: GitOpsConfig) => Pick<Ports, 'registry' | 'clock'>): FollowInspector {
  const cache = new WeakMap<GitOpsConfig, Pick<Ports, 'registry' | 'clock'>>();
  return (config, sub, service, tag) => {
    const ports = cache.get(config) ?? cache.set(config, portsFor(config)).get(config)!;
    return inspectService({ config, ports }, sub, service, tag);
  };
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
  verdict?: FollowVerdict;
}

const TICK_MS = 30_000;

export class FollowScheduleNodes extends Disposable implements TreeContributor {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private schedules: LoadedSchedule[] = [];
  private follows: FollowView[] = [];
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(private readonly model: WorkspaceModel, private readonly log: vscode.LogOutputChannel, private readonly now: () => Date = () => new Date(), private readonly inspect?: FollowInspector) {
    super();
    this.register(model.onDidChange(() => void this.reload()));
    this.register({ dispose: () => clearInterval(this.timer) });
    void this.reload();
  }

  /** Re-read schedules and pause markers (after a refresh of the repository). */
  async reload(): Promise<void> {
    const generation = ++this.generation;
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
      const before = this.follows;
      for (const sub of config.follow) {
        for (const { service, tag } of await subscribedServices(config, sub).catch(() => [])) {
          const failed = tag === undefined ? undefined : state?.records.find((r) => r.environment === sub.environment && r.service === service && r.actor === FOLLOWER && (r.status === 'rolled-back' || (r.status === 'failed' && !!r.commit)));
          const pause = await readPause(config, sub.environment, service);
          // The last verdict stays shown until the registry is read again (unless the pause changed or the tag moved).
          const last = before.find((x) => x.sub.environment === sub.environment && x.service === service && x.tag === tag && !!x.pause === !!pause);
          follows.push({ sub, service, tag, pause, failed, verdict: last?.verdict });
        }
      }
      this.follows = follows;
    } catch (err) {
      this.log.warn(`could not read scheduled promotions / follow state: ${err instanceof Error ? err.message : String(err)}`);
    }
    clearInterval(this.timer);
    this.timer = this.schedules.length ? setInterval(() => this.changed.fire(), TICK_MS) : undefined;
    this.changed.fire();
    if (this.inspect && this.follows.length) void this.inspectAll(config, this.follows, generation);
  }

  /** The newest candidate of each following service, from the registry (after the nodes are shown). */
  private async inspectAll(config: GitOpsConfig, follows: FollowView[], generation: number): Promise<void> {
    for (const f of follows) {
      try {
        const ins = await this.inspect!(config, f.sub, f.service, f.tag);
        f.verdict = followVerdict(f.pause, ins);
      } catch (err) {
        f.verdict = f.pause ? { state: 'paused', pause: f.pause } : { state: 'unknown', detail: err instanceof Error ? err.message : String(err) };
      }
      if (generation !== this.generation) return;
    }
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
      const data: FollowNodeData = { kind: 'follow', environment, service: f.service, paused: !!f.pause, ...(f.verdict ? { verdict: f.verdict } : {}) };
      const what = describeMatch(f.sub);
      const description = f.verdict ? followDescription(what, f.verdict, now) : f.pause ? `⏸ paused by ${f.pause.by}${f.pause.reason ? `: ${f.pause.reason}` : ''}` : f.failed ? `${what} · ${f.failed.tag} failed before, not retried` : what;
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
          ...(f.verdict ? followTooltipLines(f.verdict, now) : []),
        ].filter(Boolean).join('\n'),
        icon: f.pause ? 'debug-pause' : 'sync',
        contextValue: `followState ${f.pause ? 'paused' : 'following'}`,
        data,
      });
    }
    return nodes;
  }
}

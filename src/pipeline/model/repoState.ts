import * as path from 'node:path';
import { downstreamOf, loadConfig, upstreamOf } from '../config/load';
import type { EnvironmentConfig, GitOpsConfig } from '../config/types';
import { FileProblem, errorMessage } from '../errors';
import { rollbackFailed } from './records';
import { readImageTags, type TagEntry } from './imageTags';
import { readRecords, type LoadedRecord, type RecordProblem } from './records';
import { windowState, type WindowState } from './window';

export interface ServiceState {
  service: string;
  environment: string;
  tag: string;
  entry: TagEntry;
  /** The upstream environment's tag, when it differs from this one. */
  upstream?: { environment: string; tag: string };
  /** The next environment, when there is one. */
  downstream?: string;
  lastRecord?: LoadedRecord;
  /** A succeeded record of an earlier tag exists to roll back to. */
  rollbackTarget?: LoadedRecord;
}

export interface EnvironmentState {
  config: EnvironmentConfig;
  upstream?: string;
  services: ServiceState[];
  window: WindowState;
  /** The values file could not be read: shown instead of services. */
  problem?: string;
}

export interface RepoState {
  root: string;
  config?: GitOpsConfig;
  /** The config is invalid: one clear message, shown in the tree. */
  configProblem?: string;
  environments: EnvironmentState[];
  records: LoadedRecord[];
  recordProblems: RecordProblem[];
  /**
   * Records that say they started in the future (beyond FUTURE_SKEW_MS of now): shown as a
   * warning, never taken as a service's last deployment or as a rollback target.
   */
  futureRecords: LoadedRecord[];
}

/** How far ahead of this machine's clock a record may be dated before it counts as future-dated. */
export const FUTURE_SKEW_MS = 5 * 60_000;

function describe(err: unknown, root: string): string {
  if (err instanceof FileProblem) return `${err.where(root)}: ${err.message}`;
  return errorMessage(err);
}

/** Everything the tree shows, read from the repository at one instant. */
export async function loadRepoState(root: string, now: Date): Promise<RepoState> {
  let config: GitOpsConfig;
  try {
    config = await loadConfig(root);
  } catch (err) {
    return { root, configProblem: describe(err, root), environments: [], records: [], recordProblems: [], futureRecords: [] };
  }
  return buildRepoState(config, now);
}

export async function buildRepoState(config: GitOpsConfig, now: Date): Promise<RepoState> {
  const root = config.root;
  const [tagResults, recordResult] = await Promise.all([
    Promise.all(config.environments.map((e) => readImageTags(e.valuesFile, config.tagPath).then((t) => ({ tags: t.entries }), (err) => ({ problem: describe(err, root) })))),
    readRecords(config.environments.map((e) => e.recordsDir)),
  ]);
  const { records, problems } = recordResult;
  // Index records per (service, environment), newest first (records are sorted already).
  const byKey = new Map<string, LoadedRecord[]>();
  const futureRecords: LoadedRecord[] = [];
  const horizon = now.getTime() + FUTURE_SKEW_MS;
  for (const r of records) {
    if (Date.parse(r.startedAt) > horizon) {
      futureRecords.push(r);
      continue;
    }
    const k = `${r.environment}\u0000${r.service}`;
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(r);
  }
  const environments: EnvironmentState[] = config.environments.map((env, i) => {
    const result = tagResults[i];
    const up = upstreamOf(config, env.name);
    const down = downstreamOf(config, env.name);
    const upTags = up ? (tagResults[i - 1] as { tags?: Map<string, TagEntry> }).tags : undefined;
    const state: EnvironmentState = { config: env, upstream: up?.name, services: [], window: windowState(env.window, now) };
    if ('problem' in result) {
      state.problem = result.problem;
      return state;
    }
    for (const entry of result.tags.values()) {
      const history = byKey.get(`${env.name}\u0000${entry.service}`) ?? [];
      const upTag = upTags?.get(entry.service)?.tag;
      state.services.push({
        service: entry.service,
        environment: env.name,
        tag: entry.tag,
        entry,
        upstream: up && upTag !== undefined && upTag !== entry.tag ? { environment: up.name, tag: upTag } : undefined,
        downstream: down?.name,
        lastRecord: history[0],
        rollbackTarget: history.find((r) => r.status === 'succeeded' && r.tag !== entry.tag),
      });
    }
    return state;
  });
  return { root, config, environments, records, recordProblems: problems, futureRecords };
}

/** Tokens describing a service node's state; menus match them with word-bounded regexes. */
export function serviceTokens(s: ServiceState): string[] {
  const tokens = ['service'];
  if (s.downstream) tokens.push('promotable');
  if (s.rollbackTarget) tokens.push('rollbackable');
  if (s.upstream) tokens.push('drifted');
  if (s.lastRecord?.status === 'failed') tokens.push('failed');
  if (s.lastRecord?.status === 'rolled-back') tokens.push('rolledBack');
  // Its automatic rollback failed too: "Fix failed rollback" restores the previous tag.
  if (s.lastRecord && rollbackFailed(s.lastRecord)) tokens.push('rollbackFailed');
  return tokens;
}

export function environmentTokens(e: EnvironmentState): string[] {
  const tokens = ['environment'];
  tokens.push(e.window.open ? 'windowOpen' : 'windowBlocked');
  if (e.problem) tokens.push('problem');
  return tokens;
}

/** A TreeItem contextValue from state tokens: "service promotable rollbackable". */
export function contextValue(tokens: readonly string[]): string {
  return [...new Set(tokens)].join(' ');
}

export function relativeToRoot(root: string, file: string): string {
  return path.relative(root, file) || file;
}

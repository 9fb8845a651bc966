// Quick-pick items built from the repository state: pure functions (no `vscode` at run time), so
// plain mocha tests check their labels and descriptions. The items are structurally
// vscode.QuickPickItem; `kind: -1` is QuickPickItemKind.Separator.
import { relativeTime } from '../pipeline/model/format';
import type { LoadedRecord } from '../pipeline/model/records';
import type { EnvironmentState, RepoState, ServiceState } from '../pipeline/model/repoState';
import { tagProblem } from '../pipeline/model/tags';

export interface PickItem {
  label: string;
  description?: string;
  detail?: string;
  /** QuickPickItemKind.Separator (-1) for section headers. */
  kind?: -1;
  picked?: boolean;
  alwaysShow?: boolean;
}

export interface ServiceItem extends PickItem {
  service: string;
}
export interface EnvironmentItem extends PickItem {
  environment: string;
}
export interface TagItem extends PickItem {
  tag: string;
  /** Why a typed tag cannot be used (shown, and accepting it is refused). */
  problem?: string;
}

const SEPARATOR = -1 as const;

export function separator(label: string): PickItem & { tag: ''; service: ''; environment: '' } {
  return { label, kind: SEPARATOR, tag: '', service: '', environment: '' };
}

function serviceIn(env: EnvironmentState, service: string): ServiceState | undefined {
  return env.services.find((s) => s.service === service);
}

/** Every service of the repository, with its tag in each environment and where it drifts. */
export function serviceItems(state: RepoState): ServiceItem[] {
  const names: string[] = [];
  for (const env of state.environments) for (const s of env.services) if (!names.includes(s.service)) names.push(s.service);
  return names.map((service) => {
    const tags = state.environments.map((env) => {
      const s = serviceIn(env, service);
      return `${env.config.name} ${s ? s.tag : '—'}`;
    });
    const drift = state.environments.flatMap((env) => {
      const s = serviceIn(env, service);
      return s?.upstream ? [`${env.config.name} is behind ${s.upstream.environment} (${s.upstream.tag})`] : [];
    });
    return { label: service, description: tags.join(' · '), detail: drift.length ? `$(arrow-circle-up) ${drift.join('; ')}` : '$(check) in step across environments', service };
  });
}

/** The environments a service can be deployed to, with its current tag, drift and the window. */
export function environmentItems(state: RepoState, service: string): EnvironmentItem[] {
  return state.environments.map((env) => {
    const s = serviceIn(env, service);
    const bits: string[] = [];
    if (s?.upstream) bits.push(`$(arrow-circle-up) ${s.upstream.environment} has ${s.upstream.tag}`);
    else if (s && env.upstream) bits.push(`$(check) same as ${env.upstream}`);
    if (env.config.window) bits.push(`${env.window.open ? '$(unlock)' : '$(lock)'} ${env.window.summary}`);
    if (env.config.requireReason) bits.push('reason required');
    return {
      label: env.config.name,
      description: s ? `${service} ${s.tag}` : `${service} is not in this environment`,
      detail: bits.join(' · ') || undefined,
      environment: env.config.name,
    };
  });
}

/** Services to promote into `target` (e.g. prod): upstream's tag → target's tag; drifted first. */
export function promotionItems(state: RepoState, target: string): ServiceItem[] {
  const env = state.environments.find((e) => e.config.name === target);
  if (!env) return [];
  const items = env.services.map((s) => {
    const ready = s.upstream !== undefined;
    return {
      label: s.service,
      description: ready ? `${s.tag} → ${s.upstream!.tag}` : `${s.tag} (same as ${env.upstream ?? 'upstream'})`,
      detail: ready ? `$(arrow-circle-up) ${s.upstream!.environment} runs ${s.upstream!.tag}; ${target} runs ${s.tag}` : `$(check) ${target} already runs ${env.upstream ?? 'upstream'}'s tag`,
      service: s.service,
      ready,
    };
  });
  return items.sort((a, b) => Number(b.ready) - Number(a.ready)).map(({ ready: _ready, ...item }) => item);
}

function recordDescription(r: LoadedRecord, now: Date): string {
  return `${r.status}${r.actor ? ` by ${r.actor}` : ''}, ${relativeTime(r.startedAt, now)}`;
}

export interface TagCandidates {
  service: string;
  environment: string;
  /** The service's tag in this environment now. */
  current?: string;
  /** The upstream environment and its tag (the default). */
  upstream?: { environment: string; tag: string };
  /** Records (newest first) of this service, any environment. */
  records: readonly LoadedRecord[];
  /** Registry tags, newest first; 'loading' while they load; an error message when they failed. */
  registry?: { tag: string; pushedAt?: Date }[] | 'loading' | { error: string };
  now: Date;
}

/**
 * The tag candidates: upstream's current tag first (the default), then recent records, then the
 * registry's tags newest first (loaded lazily; a failure is an item, not an error). Each tag once.
 */
export function tagItems(c: TagCandidates): TagItem[] {
  const out: TagItem[] = [];
  const seen = new Set<string>();
  const add = (item: TagItem) => {
    if (seen.has(item.tag)) return;
    seen.add(item.tag);
    out.push(item);
  };
  if (c.upstream) {
    add({ label: c.upstream.tag, description: `$(arrow-circle-up) ${c.upstream.environment} runs it — default`, detail: c.current ? `${c.environment} runs ${c.current}` : undefined, tag: c.upstream.tag, picked: true });
  }
  const recent = c.records.filter((r) => r.service === c.service && r.tag !== c.current && (r.status === 'succeeded' || r.status === 'rollback')).slice(0, 8);
  const recordItems = recent.filter((r) => !seen.has(r.tag));
  if (recordItems.length) {
    out.push(separator('recent deployments') as TagItem);
    for (const r of recordItems) add({ label: r.tag, description: `${r.environment}: ${recordDescription(r, c.now)}`, detail: r.reason, tag: r.tag });
  }
  const reg = c.registry;
  if (reg === 'loading') {
    out.push(separator('registry') as TagItem);
    out.push({ label: '$(loading~spin) loading tags from the registry…', tag: '', alwaysShow: true });
  } else if (reg && 'error' in reg) {
    out.push(separator('registry') as TagItem);
    out.push({ label: '$(warning) could not list the registry\'s tags', detail: reg.error, tag: '', alwaysShow: true });
  } else if (reg) {
    const fresh = reg.filter((t) => !seen.has(t.tag) && t.tag !== c.current);
    if (fresh.length) {
      out.push(separator('registry, newest first') as TagItem);
      for (const t of fresh) add({ label: t.tag, description: t.pushedAt ? `pushed ${relativeTime(t.pushedAt.toISOString(), c.now)}` : undefined, tag: t.tag });
    }
  }
  return out;
}

/** The item for a tag typed into the picker: usable, or with the reason it is not a valid OCI tag. */
export function typedTagItem(value: string): TagItem | undefined {
  const tag = value.trim();
  if (!tag) return undefined;
  const problem = tagProblem(tag);
  return problem ? { label: `$(error) ${tag}`, description: 'not a valid tag', detail: problem, tag, problem, alwaysShow: true } : { label: tag, description: 'the tag you typed', tag, alwaysShow: true };
}

/**
 * Tags to roll back to, from this environment's records: the default (the last succeeded tag
 * before the current one) first, then every other earlier tag once, with who and when.
 */
export function rollbackItems(service: ServiceState, records: readonly LoadedRecord[], now: Date): TagItem[] {
  const mine = records.filter((r) => r.service === service.service && r.environment === service.environment && r.tag !== service.tag && (r.status === 'succeeded' || r.status === 'rollback'));
  const out: TagItem[] = [];
  const seen = new Set<string>();
  const first = service.rollbackTarget;
  if (first) {
    seen.add(first.tag);
    out.push({ label: first.tag, description: `${recordDescription(first, now)} — default`, detail: first.reason, tag: first.tag, picked: true });
  }
  for (const r of mine) {
    if (seen.has(r.tag)) continue;
    seen.add(r.tag);
    out.push({ label: r.tag, description: recordDescription(r, now), detail: r.reason, tag: r.tag });
  }
  return out;
}

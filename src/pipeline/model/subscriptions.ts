// Subscriptions: which environment follows which registry images, resolved from `follow:` in
// .gitops-deploy.yaml. Pure: no I/O.
import * as path from 'node:path';
import { FileProblem } from '../errors';
import { parseRange, type SemverRange } from './semver';

/** How candidates are chosen from a service's registry tags. */
export type FollowMatch =
  | { kind: 'tags'; pattern: string }
  | { kind: 'semver'; range: string }
  | { kind: 'newest' };

export interface FollowSubscription {
  environment: string;
  /** Services that follow; undefined: every service of the environment. */
  services?: string[];
  match: FollowMatch;
  /** An image younger than this is not deployed yet (ms; 0 = no wait). */
  minAgeMs: number;
  /** Absolute paths of keys one of which must have signed the image (besides signing.publicKeys). */
  signedBy?: string[];
  intervalSeconds: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration like 30s, 10m, 2h, 1d`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Resolve the raw (schema-valid) `follow:` list. Throws a FileProblem naming the entry for what the schema cannot say. */
export function resolveFollow(raw: unknown, root: string, file: string, envNames: string[], lineOf: (keyPath: (string | number)[]) => number | undefined): FollowSubscription[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((f: any, i: number): FollowSubscription => {
    const where = `follow[${i}]`;
    const problem = (msg: string, key?: string) => new FileProblem(file, `.gitops-deploy.yaml: ${where}${key ? `.${key}` : ''} ${msg}`, lineOf(key ? ['follow', i, key] : ['follow', i]), 'See "Dev follows main" in README.md and docs/config-format.md.');
    if (!envNames.includes(f.environment)) throw problem(`names the environment "${f.environment}", which is not configured (environments: ${envNames.join(', ')})`, 'environment');
    const kinds = (['tags', 'semver', 'newest'] as const).filter((k) => f[k] !== undefined);
    if (kinds.length !== 1) throw problem(kinds.length ? `sets ${kinds.join(' and ')}: choose one way to pick images (tags, semver or newest)` : 'needs one way to pick images: tags: "^main-[0-9a-f]{7,40}$", semver: ">=1.4.0 <2", or newest: true');
    let match: FollowMatch;
    if (kinds[0] === 'tags') {
      try {
        new RegExp(f.tags);
      } catch (err) {
        throw problem(`is not a valid regular expression (${(err as Error).message})`, 'tags');
      }
      match = { kind: 'tags', pattern: f.tags };
    } else if (kinds[0] === 'semver') {
      try {
        parseRange(f.semver);
      } catch (err) {
        throw problem(`is not a version range: ${(err as Error).message}`, 'semver');
      }
      match = { kind: 'semver', range: f.semver };
    } else match = { kind: 'newest' };
    return {
      environment: f.environment,
      services: f.services,
      match,
      minAgeMs: f.minAge ? parseDuration(f.minAge) : 0,
      signedBy: f.signedBy?.map((p: string) => path.resolve(root, p)),
      intervalSeconds: f.intervalSeconds ?? 60,
    };
  });
}

/** The candidates of a subscription among a repository's tags, best first. */
export function matchingTags<T extends { tag: string; pushedAt?: Date }>(match: FollowMatch, tags: readonly T[]): T[] {
  if (match.kind === 'tags') {
    const re = new RegExp(match.pattern);
    return tags.filter((t) => re.test(t.tag)).sort(newestPushedFirst);
  }
  if (match.kind === 'newest') return [...tags].sort(newestPushedFirst);
  const range: SemverRange = parseRange(match.range);
  return tags.filter((t) => range.test(t.tag)).sort((a, b) => range.compare(b.tag, a.tag) || newestPushedFirst(a, b));
}

function newestPushedFirst(a: { tag: string; pushedAt?: Date }, b: { tag: string; pushedAt?: Date }): number {
  return (b.pushedAt?.getTime() ?? 0) - (a.pushedAt?.getTime() ?? 0) || b.tag.localeCompare(a.tag, undefined, { numeric: true });
}

/** Is `candidate` a step forward from the running tag (newer push, or a higher version)? */
export function isAhead(match: FollowMatch, candidate: { tag: string; pushedAt?: Date }, current: { tag: string; pushedAt?: Date } | undefined): boolean {
  if (!current) return true;
  if (candidate.tag === current.tag) return false;
  if (match.kind === 'semver') {
    const range = parseRange(match.range);
    if (range.parse(current.tag)) return range.compare(candidate.tag, current.tag) > 0;
  }
  if (!current.pushedAt || !candidate.pushedAt) return true;
  return candidate.pushedAt.getTime() > current.pushedAt.getTime();
}

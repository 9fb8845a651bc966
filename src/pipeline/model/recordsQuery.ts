/**
 * Filter, sort and page deployment records for the records panel. Pure and VS Code-free: the
 * extension host runs it, the webview only ever receives one page of compact row tuples.
 *
 * An index is built once per set of records (the model's array, newest first) and caches the
 * lower-cased search text and one sorted order per sort key, so a query over 10,000 records is
 * a single pass over a precomputed order.
 */
import * as path from 'node:path';
import { RECORD_STATUSES, type LoadedRecord, type RecordStatus } from './records';

export const SORT_KEYS = ['time', 'environment', 'service', 'tag', 'status', 'actor', 'reason', 'commit'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export interface RecordsFilters {
  environment?: string;
  service?: string;
  status?: RecordStatus;
  /** Case-insensitive substring of any shown field (and digest, file name). */
  text?: string;
}

export interface RecordsQuery {
  filters: RecordsFilters;
  sort: { key: SortKey; dir: SortDir };
  offset: number;
  limit: number;
}

/** One table row: [id, startedAt (ISO), environment, service, previousTag, tag, status, actor, reason, commit (short)]. */
export type RowTuple = [id: string, startedAt: string, environment: string, service: string, previousTag: string, tag: string, status: RecordStatus, actor: string, reason: string, commit: string];

export interface RecordsFacets {
  environments: string[];
  /** Services, limited to the selected environment when one is. */
  services: string[];
  statuses: RecordStatus[];
}

export interface RecordsPage {
  total: number;
  /** All records, unfiltered. */
  all: number;
  offset: number;
  rows: RowTuple[];
  facets: RecordsFacets;
}

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export function shortCommit(commit: string | undefined): string {
  return commit ? commit.slice(0, 8) : '';
}

export class RecordsIndex {
  readonly rows: RowTuple[];
  private readonly byId = new Map<string, LoadedRecord>();
  private readonly haystack: string[];
  private readonly orders = new Map<`${SortKey}:${SortDir}`, Int32Array>();
  private readonly envOrder: string[];
  private readonly servicesByEnv = new Map<string, Set<string>>();

  /**
   * @param records newest first (as readRecords returns them)
   * @param root ids are file paths relative to it
   * @param environments the configured environments, in promotion order (facet order)
   */
  constructor(
    readonly records: readonly LoadedRecord[],
    readonly root: string,
    environments: readonly string[] = [],
  ) {
    this.rows = new Array(records.length);
    this.haystack = new Array(records.length);
    const envs = new Set(environments);
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const id = recordId(root, r.file);
      this.byId.set(id, r);
      const row: RowTuple = [id, r.startedAt, r.environment, r.service, r.previousTag ?? '', r.tag, r.status, r.actor ?? '', r.reason ?? '', shortCommit(r.commit)];
      this.rows[i] = row;
      this.haystack[i] = [r.environment, r.service, r.previousTag ?? '', r.tag, r.status, r.actor ?? '', r.reason ?? '', r.commit ?? '', r.digest ?? '', r.startedAt, path.basename(r.file)].join('\u0000').toLowerCase();
      envs.add(r.environment);
      let s = this.servicesByEnv.get(r.environment);
      if (!s) this.servicesByEnv.set(r.environment, (s = new Set()));
      s.add(r.service);
    }
    this.envOrder = [...envs];
  }

  get size(): number {
    return this.rows.length;
  }

  get(id: string): LoadedRecord | undefined {
    return this.byId.get(id);
  }

  facets(environment?: string): RecordsFacets {
    const services = new Set<string>();
    for (const [env, s] of this.servicesByEnv) if (!environment || env === environment) for (const x of s) services.add(x);
    return { environments: [...this.envOrder], services: [...services].sort(collator.compare), statuses: [...RECORD_STATUSES] };
  }

  /** Indexes of the rows sorted by `key` in `dir`; ties always keep newest first. Cached. */
  private order(key: SortKey, dir: SortDir): Int32Array {
    const cacheKey = `${key}:${dir}` as const;
    let order = this.orders.get(cacheKey);
    if (order) return order;
    const n = this.rows.length;
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (key === 'time') {
      // Rows are newest first already; ascending is the reverse (equal times: newest-first file order kept).
      if (dir === 'asc') reverseGroups(order, (a, b) => this.rows[a][1] === this.rows[b][1]);
    } else {
      const col = COLUMN[key];
      const keys = this.rows.map((r) => r[col]);
      order.sort((a, b) => collator.compare(keys[a], keys[b]) || a - b);
      if (dir === 'desc') reverseGroups(order, (a, b) => collator.compare(keys[a], keys[b]) === 0);
    }
    this.orders.set(cacheKey, order);
    return order;
  }

  query(q: RecordsQuery): RecordsPage {
    const { environment, service, status } = q.filters;
    const text = q.filters.text?.trim().toLowerCase() ?? '';
    const order = this.order(q.sort.key, q.sort.dir);
    const n = order.length;
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(q.limit) || DEFAULT_PAGE));
    let matched: Int32Array | number[] = order;
    if (environment || service || status || text) {
      const m: number[] = [];
      for (let i = 0; i < n; i++) {
        const idx = order[i];
        const r = this.rows[idx];
        if (environment && r[2] !== environment) continue;
        if (service && r[3] !== service) continue;
        if (status && r[6] !== status) continue;
        if (text && !this.haystack[idx].includes(text)) continue;
        m.push(idx);
      }
      matched = m;
    }
    const total = matched.length;
    const offset = clampOffset(q.offset, total, limit);
    const rows: RowTuple[] = [];
    for (let i = offset, end = Math.min(total, offset + limit); i < end; i++) rows.push(this.rows[matched[i]]);
    return { total, all: n, offset, rows, facets: this.facets(environment) };
  }
}

const COLUMN: Record<SortKey, 1 | 2 | 3 | 5 | 6 | 7 | 8 | 9> = { time: 1, environment: 2, service: 3, tag: 5, status: 6, actor: 7, reason: 8, commit: 9 };

/**
 * Reverses an ascending order in place into a descending one, but keeps each run of equal keys
 * in its inner order (so ties stay newest first in both directions).
 */
function reverseGroups(order: Int32Array, same: (a: number, b: number) => boolean): void {
  const src = order.slice();
  let w = 0;
  let end = src.length;
  while (end > 0) {
    let start = end - 1;
    while (start > 0 && same(src[start - 1], src[end - 1])) start--;
    for (let i = start; i < end; i++) order[w++] = src[i];
    end = start;
  }
}

function clampOffset(offset: number, total: number, limit: number): number {
  const o = Math.max(0, Math.floor(offset) || 0);
  if (o < total) return o - (o % limit);
  return total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
}

/** A record's id in the panel: its file path relative to the repository root, with '/'. */
export function recordId(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/**
 * The messages between the records panel (extension host) and its webview (src/webview/records.ts).
 * Both sides import these types; the webview imports types only (`import type`), so nothing
 * from Node lands in its bundle. Everything the webview sends is validated by
 * parseWebviewMessage before the extension acts on it: the webview renders repository content,
 * and its messages are treated as untrusted input too.
 */
import type { Insights } from '../pipeline/model/dora';
import type { TrailVerification } from '../pipeline/recordsVerify';
import { RECORD_STATUSES, type DeploymentRecord, type RecordStatus } from '../pipeline/model/records';
import { MAX_PAGE, SORT_KEYS, type RecordsFilters, type RecordsPage, type RecordsQuery, type SortKey } from '../pipeline/model/recordsQuery';

export type { RecordsFilters, RecordsPage, RecordsQuery, RowTuple, SortKey, SortDir } from '../pipeline/model/recordsQuery';

export const VIEW_TYPE = 'gitopsDeploy.records';

/**
 * Everything about one record, for the detail view: the record's own fields, with the file made
 * relative, the window override flattened and the workflow run's fields as strings.
 */
export interface RecordDetail extends Omit<DeploymentRecord, 'windowOverride' | 'workflowRun'> {
  id: string;
  /** Path relative to the repository root. */
  file: string;
  windowOverrideReason?: string;
  workflowRun?: { id: string; attempt?: string; workflow?: string; actor?: string; url?: string };
  /** http(s) only; a web page for the commit when the workflow run tells which GitHub repository. */
  commitUrl?: string;
}

/** What a test asks the webview to do before it reports what it shows (test mode only). */
export type ProbeAction =
  | { kind: 'setText'; value: string }
  | { kind: 'setFilter'; name: 'environment' | 'service' | 'status'; value: string }
  | { kind: 'sort'; key: SortKey }
  | { kind: 'openRow'; index: number }
  | { kind: 'closeDetail' }
  /** Clicks the detail view's button with this text ("Open file", "Workflow run", "Commit"). */
  | { kind: 'clickDetailButton'; label: string };

/** Where the detail view is and how wide, measured in the webview (px). */
export interface RenderedLayout {
  panelWidth: number;
  detailWidth: number;
  /** The detail view is below the table (a narrow panel), not beside it. */
  detailBelow: boolean;
  /** The splitter's aria-valuenow (the detail width it reports to assistive technology). */
  splitterValue?: number;
  /** Line boxes of the longest check detail that holds a digest (sha256:…), when one is shown. */
  digestLines?: number;
}

/** What the webview shows, as text (read from its DOM). */
export interface RenderedSnapshot {
  headers: string[];
  rows: string[][];
  /** The title (UTC time) of each row's time cell. */
  timeTitles: string[];
  summary: string;
  filters: RecordsFilters;
  sort: RecordsQuery['sort'];
  /** The detail view's text lines ("label: value"), when one is open. */
  detail?: string[];
  /** A query is in flight. */
  busy: boolean;
  /** Measured layout (absent where nothing is laid out, e.g. the unit tests' fake DOM). */
  layout?: RenderedLayout;
  /** The Insights tab, as text (src/webview/insights.ts). */
  insights?: InsightsSnapshot;
}

/** What the Insights tab shows, as text. */
export interface InsightsSnapshot {
  /** The selected tab: "Records" or "Insights". */
  tab: string;
  /** The period select's value, in days. */
  days: number;
  /** One line per headline card ("Deployment frequency: 3.5/week · high"). */
  cards: string[];
  /** Each chart's title and how many marks (bars, dots) it draws. */
  charts: { title: string; marks: number }[];
  /** The text alternatives that are open: title and rows. */
  tables: { title: string; rows: string[][] }[];
  /** The trail verification line. */
  trail: string;
}

/** The Insights tab's periods (days). */
export const INSIGHTS_PERIODS = [7, 30, 90, 365] as const;

export type ExtensionToWebview =
  /** Answer to `ready`; `preset` replaces the saved filters (the panel was opened from a tree node). */
  | { type: 'init'; preset?: RecordsFilters }
  /** A page for the query with this requestId; also sent again, same id, when records change. */
  | { type: 'page'; requestId: number; page: RecordsPage; notice?: string }
  | { type: 'detail'; id: string; record?: RecordDetail }
  /** The command was run again from a tree node while the panel was open. */
  | { type: 'setFilters'; filters: RecordsFilters }
  | { type: 'probe'; requestId: number; action?: ProbeAction }
  /** Answer to `insights` (again, same id, when records change). */
  | { type: 'insights'; requestId: number; insights: Insights; notice?: string }
  /** Answer to `verifyTrail`. */
  | { type: 'trail'; trail?: TrailVerification; problem?: string };

export type WebviewToExtension =
  | { type: 'ready' }
  | { type: 'query'; requestId: number; query: RecordsQuery }
  | { type: 'detail'; id: string }
  | { type: 'openFile'; id: string }
  | { type: 'openExternal'; url: string }
  | { type: 'probeResult'; requestId: number; snapshot: RenderedSnapshot }
  | { type: 'insights'; requestId: number; days: number; environment?: string }
  | { type: 'verifyTrail' };

const MAX_TEXT = 500;
const MAX_ID = 1000;
const MAX_URL = 2048;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
const isShortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max && !v.includes('\u0000');

function optString(o: Record<string, unknown>, key: string, max: number): string | undefined | false {
  const v = o[key];
  if (v === undefined || v === '') return undefined;
  return isShortString(v, max) ? v : false;
}

/** Filters from the webview, or undefined when anything in them is malformed. */
export function parseFilters(raw: unknown): RecordsFilters | undefined {
  if (!isObject(raw)) return undefined;
  const out: RecordsFilters = {};
  for (const key of ['environment', 'service', 'text'] as const) {
    const v = optString(raw, key, MAX_TEXT);
    if (v === false) return undefined;
    if (v !== undefined) out[key] = v;
  }
  if (raw.status !== undefined && raw.status !== '') {
    if (!RECORD_STATUSES.includes(raw.status as RecordStatus)) return undefined;
    out.status = raw.status as RecordStatus;
  }
  return out;
}

function parseQuery(raw: unknown): RecordsQuery | undefined {
  if (!isObject(raw)) return undefined;
  const filters = parseFilters(raw.filters);
  if (!filters) return undefined;
  const sort = raw.sort;
  if (!isObject(sort) || !SORT_KEYS.includes(sort.key as SortKey) || (sort.dir !== 'asc' && sort.dir !== 'desc')) return undefined;
  if (!isCount(raw.offset, 10_000_000) || !isCount(raw.limit, MAX_PAGE) || raw.limit === 0) return undefined;
  return { filters, sort: { key: sort.key as SortKey, dir: sort.dir }, offset: raw.offset, limit: raw.limit };
}

function parseSnapshot(raw: unknown): RenderedSnapshot | undefined {
  if (!isObject(raw)) return undefined;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!strings(raw.headers) || !Array.isArray(raw.rows) || !raw.rows.every(strings) || !strings(raw.timeTitles) || typeof raw.summary !== 'string' || typeof raw.busy !== 'boolean') return undefined;
  if (raw.detail !== undefined && !strings(raw.detail)) return undefined;
  const filters = parseFilters(raw.filters);
  const sort = raw.sort;
  if (!filters || !isObject(sort) || !SORT_KEYS.includes(sort.key as SortKey) || (sort.dir !== 'asc' && sort.dir !== 'desc')) return undefined;
  let layout: RenderedLayout | undefined;
  if (raw.layout !== undefined) {
    const l = raw.layout;
    const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if (!isObject(l) || !num(l.panelWidth) || !num(l.detailWidth) || typeof l.detailBelow !== 'boolean' || (l.splitterValue !== undefined && !num(l.splitterValue)) || (l.digestLines !== undefined && !num(l.digestLines))) return undefined;
    layout = { panelWidth: l.panelWidth as number, detailWidth: l.detailWidth as number, detailBelow: l.detailBelow, splitterValue: l.splitterValue as number | undefined, digestLines: l.digestLines as number | undefined };
  }
  const insights = raw.insights === undefined ? undefined : parseInsightsSnapshot(raw.insights);
  if (insights === false) return undefined;
  return { headers: raw.headers, rows: raw.rows, timeTitles: raw.timeTitles, summary: raw.summary, filters, sort: { key: sort.key as SortKey, dir: sort.dir }, detail: raw.detail, busy: raw.busy, ...(layout ? { layout } : {}), ...(insights ? { insights } : {}) };
}

function parseInsightsSnapshot(raw: unknown): InsightsSnapshot | false {
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!isObject(raw) || typeof raw.tab !== 'string' || !isCount(raw.days, 100_000) || !strings(raw.cards) || typeof raw.trail !== 'string') return false;
  if (!Array.isArray(raw.charts) || !raw.charts.every((c) => isObject(c) && typeof c.title === 'string' && isCount(c.marks, 10_000_000))) return false;
  if (!Array.isArray(raw.tables) || !raw.tables.every((t) => isObject(t) && typeof t.title === 'string' && Array.isArray(t.rows) && t.rows.every(strings))) return false;
  return {
    tab: raw.tab,
    days: raw.days,
    cards: raw.cards,
    charts: (raw.charts as Record<string, unknown>[]).map((c) => ({ title: c.title as string, marks: c.marks as number })),
    tables: (raw.tables as Record<string, unknown>[]).map((t) => ({ title: t.title as string, rows: t.rows as string[][] })),
    trail: raw.trail,
  };
}

/** A message from the webview, or undefined when it is not one this protocol defines. */
export function parseWebviewMessage(raw: unknown): WebviewToExtension | undefined {
  if (!isObject(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'ready':
      return { type: 'ready' };
    case 'query': {
      if (!isCount(raw.requestId, Number.MAX_SAFE_INTEGER)) return undefined;
      const query = parseQuery(raw.query);
      return query && { type: 'query', requestId: raw.requestId, query };
    }
    case 'detail':
    case 'openFile':
      return isShortString(raw.id, MAX_ID) && raw.id !== '' ? { type: raw.type, id: raw.id } : undefined;
    case 'openExternal':
      return isShortString(raw.url, MAX_URL) && isHttpUrl(raw.url) ? { type: 'openExternal', url: raw.url } : undefined;
    case 'insights': {
      if (!isCount(raw.requestId, Number.MAX_SAFE_INTEGER) || !INSIGHTS_PERIODS.includes(raw.days as (typeof INSIGHTS_PERIODS)[number])) return undefined;
      const environment = optString(raw, 'environment', MAX_TEXT);
      if (environment === false) return undefined;
      return { type: 'insights', requestId: raw.requestId, days: raw.days as number, ...(environment !== undefined ? { environment } : {}) };
    }
    case 'verifyTrail':
      return { type: 'verifyTrail' };
    case 'probeResult': {
      if (!isCount(raw.requestId, Number.MAX_SAFE_INTEGER)) return undefined;
      const snapshot = parseSnapshot(raw.snapshot);
      return snapshot && { type: 'probeResult', requestId: raw.requestId, snapshot };
    }
    default:
      return undefined;
  }
}

/** True for absolute http: and https: URLs only (never command:, file:, javascript:, vscode:). */
export function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

// MetricsPort over the Prometheus HTTP API (instant queries).
import { PortError, type FaultKind } from '../pipeline/model/cause';
import type { MetricsPort } from '../pipeline/ports';
import { fetchErrorMessage, isAbortError, safeUrl, truncate, withTimeout, type FetchLike } from './util';

/** Parse a sample value: Prometheus sends floats as strings, including "NaN", "+Inf", "-Inf". NaN → undefined. */
export function parseSampleValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

/** The fault kind of an HTTP status from Prometheus (or a proxy in front of it). */
function statusKind(httpStatus: number): FaultKind {
  return httpStatus === 401 || httpStatus === 403 ? 'auth' : httpStatus === 404 ? 'not-found' : httpStatus === 504 ? 'timeout' : 'transport';
}

/**
 * The first sample of an instant-query answer. Throws (with the query) for an error answer or a
 * body that is not the Prometheus API's JSON.
 */
export function parseQueryResponse(query: string, httpStatus: number, body: string): number | undefined {
  let doc: any;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new PortError('metrics', statusKind(httpStatus), `Prometheus query failed (HTTP ${httpStatus}, not the Prometheus API's JSON: ${JSON.stringify(truncate(body.trim(), 200))}): ${query}`);
  }
  if (doc?.status !== 'success') {
    const kind = doc?.errorType ? `${doc.errorType}: ` : '';
    const text = doc?.error ?? (httpStatus >= 400 ? `HTTP ${httpStatus}` : 'unexpected answer');
    throw new PortError('metrics', doc?.errorType === 'timeout' ? 'timeout' : statusKind(httpStatus), `Prometheus query failed (${kind}${text}): ${query}`, httpStatus);
  }
  const data = doc.data ?? {};
  switch (data.resultType) {
    case 'vector': {
      const first = Array.isArray(data.result) ? data.result[0] : undefined;
      return first ? parseSampleValue(first.value?.[1]) : undefined;
    }
    case 'scalar':
    case 'string':
      return Array.isArray(data.result) ? parseSampleValue(data.result[1]) : undefined;
    case 'matrix': {
      // Not an instant vector, but take the last point of the first series rather than fail.
      const values = Array.isArray(data.result) ? data.result[0]?.values : undefined;
      return Array.isArray(values) && values.length > 0 ? parseSampleValue(values[values.length - 1]?.[1]) : undefined;
    }
    default:
      throw new Error(`Prometheus query failed (unknown resultType ${JSON.stringify(data.resultType)}): ${query}`);
  }
}

export interface PrometheusOptions {
  url: string;
  fetch?: FetchLike;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export class PrometheusMetrics implements MetricsPort {
  constructor(private readonly opts: PrometheusOptions) {}

  credentialSource(): string {
    return `verification.prometheusUrl ${safeUrl(this.opts.url)} (no credentials)`;
  }

  async query(promql: string, signal?: AbortSignal): Promise<number | undefined> {
    const base = this.opts.url.replace(/\/+$/, '');
    const url = `${base}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const doFetch = this.opts.fetch ?? fetch;
    let res: Response;
    let body: string;
    try {
      res = await doFetch(url, { method: 'GET', headers: { accept: 'application/json' }, signal: withTimeout(this.opts.timeoutMs ?? 30_000, signal) });
      body = await res.text();
    } catch (err) {
      if (isAbortError(err) && signal?.aborted) throw err;
      throw new PortError('metrics', 'transport', `Prometheus at ${safeUrl(base)} did not answer (${fetchErrorMessage(err)}): ${promql}`);
    }
    return parseQueryResponse(promql, res.status, body);
  }
}

/** A MetricsPort for a config without prometheusUrl: every query fails with a clear message. */
export class UnconfiguredMetrics implements MetricsPort {
  async query(promql: string): Promise<number | undefined> {
    throw new Error(`No Prometheus configured (verification.prometheusUrl in .gitops-deploy.yaml): cannot run ${promql}`);
  }
}

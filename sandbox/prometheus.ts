import type * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { sendJson } from './http';
import type { Faults } from './faults';
import type { World } from './world';

type Matchers = Record<string, { op: string; value: string }>;

function parseMatchers(body: string): Matchers {
  const out: Matchers = {};
  const re = /(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(body); m; m = re.exec(body)) out[m[1]] = { op: m[2], value: m[3] };
  return out;
}

/** Selectors `metric{...}` in a query, in order. */
function selectors(query: string): { metric: string; m: Matchers }[] {
  const out: { metric: string; m: Matchers }[] = [];
  const re = /([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g;
  for (let x = re.exec(query); x; x = re.exec(query)) out.push({ metric: x[1], m: parseMatchers(x[2]) });
  return out;
}

const isErrorSelector = (m: Matchers): boolean =>
  (m.status?.op === '=~' && /^5/.test(m.status.value)) || (m.status?.op === '=' && /^5\d\d$/.test(m.status.value)) || (m.outcome?.op === '=' && m.outcome.value === 'SERVER_ERROR');

export class PromError extends Error {}

/**
 * Answers the instant queries the pipeline sends by recognising their shape (label matchers), not by evaluating PromQL:
 * an error ratio (5xx selector / all selector), a request rate, and restart increases.
 */
export function evaluate(world: World, query: string): { metric: Record<string, string>; value: number }[] {
  const q = query.replace(/\s+/g, ' ').trim();
  const sels = selectors(q);
  if (!sels.length) {
    if (/^-?\d+(\.\d+)?$/.test(q)) return [{ metric: {}, value: Number(q) }];
    throw new PromError(`sandbox prometheus: unsupported query (no selector): ${query}`);
  }
  const target = (m: Matchers): { env: string; service: string }[] => {
    const envs = world.scenario.envOrder.filter((e) => !m.namespace || (m.namespace.op === '=' ? world.scenario.namespaces[e] === m.namespace.value : new RegExp(`^(?:${m.namespace.value})$`).test(world.scenario.namespaces[e])));
    const out: { env: string; service: string }[] = [];
    for (const env of envs) {
      for (const service of Object.keys(world.scenario.environments[env])) {
        const svcM = m.service ?? m.application;
        if (svcM && svcM.op === '=' && svcM.value !== service) continue;
        if (svcM && svcM.op === '=~' && !new RegExp(`^(?:${svcM.value})$`).test(service)) continue;
        if (m.pod && m.pod.op === '=~' && !new RegExp(`^(?:${m.pod.value})$`).test(`${service}-deployment-x`)) continue;
        out.push({ env, service });
      }
    }
    return out;
  };
  const http = sels.filter((s) => s.metric === 'http_server_requests_seconds_count');
  if (http.length === 2 && q.includes('/') && isErrorSelector(http[0].m) && !isErrorSelector(http[1].m)) {
    const targets = target(http[1].m);
    const ratios = targets.map((t) => world.errorRatio(t.env, t.service)).filter((x): x is number => x !== undefined);
    if (!ratios.length) return [];
    return [{ metric: {}, value: ratios.reduce((a, b) => a + b, 0) / ratios.length }];
  }
  if (http.length === 1 && /\brate\(|\bincrease\(|\birate\(/.test(q)) {
    const targets = target(http[0].m);
    const err = isErrorSelector(http[0].m);
    const rate = targets.reduce((a, t) => {
      const ready = world.readyPods(t.env, t.service).length;
      if (!ready) return a;
      const total = world.scenario.trafficRps;
      return a + (err ? total * (world.errorRatio(t.env, t.service) ?? 0) : total);
    }, 0);
    const window = /\[(\d+)m\]/.exec(q);
    const value = /\bincrease\(/.test(q) ? rate * Number(window?.[1] ?? 5) * 60 : rate;
    return targets.length ? [{ metric: {}, value }] : [];
  }
  const restarts = sels.find((s) => s.metric === 'kube_pod_container_status_restarts_total');
  if (restarts) {
    const m = restarts.m;
    const envs = world.scenario.envOrder.filter((e) => !m.namespace || world.scenario.namespaces[e] === m.namespace.value);
    let sum = 0;
    let any = false;
    for (const env of envs) {
      for (const service of Object.keys(world.scenario.environments[env])) {
        for (const p of world.allPods(env, service)) {
          if (m.pod && m.pod.op === '=~' && !new RegExp(`^(?:${m.pod.value})$`).test(p.name)) continue;
          if (m.pod && m.pod.op === '=' && m.pod.value !== p.name) continue;
          any = true;
          sum += p.restarts;
        }
      }
    }
    return any ? [{ metric: {}, value: sum }] : [];
  }
  throw new PromError(`sandbox prometheus: cannot evaluate ${query}`);
}

const fmt = (v: number): string => (Number.isNaN(v) ? 'NaN' : String(v));

export class FakePrometheus {
  constructor(private readonly world: World, private readonly faults: Faults) {}

  handle = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL): void => {
    if (url.pathname === '/-/ready' || url.pathname === '/-/healthy') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('Prometheus Server is Ready.\n');
      return;
    }
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    }
    const fault = this.faults.match([req.method ?? 'GET'], url.pathname);
    if (fault) return sendJson(res, fault.code, { status: 'error', errorType: fault.code === 503 ? 'unavailable' : 'internal', error: fault.message ?? 'sandbox: injected fault' });
    if (url.pathname === '/api/v1/status/buildinfo') return sendJson(res, 200, { status: 'success', data: { version: '2.53.0-sandbox', revision: 'sandbox', branch: 'HEAD', goVersion: 'go1.22' } });
    if (url.pathname !== '/api/v1/query') return sendJson(res, 404, { status: 'error', errorType: 'not_found', error: `sandbox prometheus does not serve ${url.pathname}` });
    const query = params.get('query');
    if (!query) return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": unknown position: parse error: no expression found in input' });
    const time = params.get('time');
    const t = time ? (/^\d+(\.\d+)?$/.test(time) ? Number(time) : Date.parse(time) / 1000) : Date.now() / 1000;
    if (Number.isNaN(t)) return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: `invalid parameter "time": cannot parse "${time}" to a valid timestamp` });
    try {
      const result = evaluate(this.world, query).map((r) => ({ metric: r.metric, value: [Math.round(t * 1000) / 1000, fmt(r.value)] }));
      sendJson(res, 200, { status: 'success', data: { resultType: 'vector', result } });
    } catch (e) {
      if (!(e instanceof PromError)) throw e;
      sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: e.message });
    }
  };
}

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export interface RealPrometheus { url: string; pid: number; stop(): Promise<void> }

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts the real Prometheus binary scraping the given targets (host:port/path URLs) every second. */
export async function startRealPrometheus(opts: { dir: string; scrapeTargets: string[]; bin?: string; log?: (s: string) => void; readyTimeoutMs?: number }): Promise<RealPrometheus> {
  const bin = opts.bin ?? PROMETHEUS_BIN;
  if (!fs.existsSync(bin)) throw new Error(`${bin} not found (Debian: apt-get install prometheus)`);
  const dir = path.join(opts.dir, 'prometheus');
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const jobs = opts.scrapeTargets.map((t, i) => {
    const u = new URL(t);
    return `  - job_name: sandbox-${i}\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n    metrics_path: ${u.pathname || '/metrics'}\n    honor_labels: true\n    static_configs:\n      - targets: ['${u.host}']\n`;
  });
  const config = `# Written by the GitOps Deploy sandbox\nglobal:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${jobs.join('')}`;
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const logFile = fs.openSync(path.join(dir, 'prometheus.log'), 'a');
  const child: ChildProcess = spawn(bin, [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--web.enable-lifecycle',
  ], { stdio: ['ignore', logFile, logFile] });
  fs.closeSync(logFile);
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    resolve();
  }));
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(t);
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20000);
  for (;;) {
    if (exited) throw new Error(`prometheus exited early; see ${path.join(dir, 'prometheus.log')}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('prometheus did not become ready');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  opts.log?.(`real prometheus on ${url} (pid ${child.pid})`);
  return { url, pid: child.pid!, stop };
}

// Insights and the trail at scale (run by `npm run bench`, or alone: node --require tsx/cjs scripts/bench-insights.ts):
// 10,000 record files written with the records' own writer (serializeRecord, recordFileName, the
// hash chain); "10,000 records → insights cold": read + parse + compute + message payload in a fresh
// node process (scripts/bench-insights-cold.ts, bundled: no TypeScript loader in the measured
// process; the files are in the OS cache, as they are after a checkout); then in this process the
// tab drawn, a period change (compute + payload + re-draw of the tab, in the test DOM), and the
// hash chain check.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InsightsView } from '../src/webview/insights';
import { recordHash, verifyChain } from '../src/pipeline/model/chain';
import { computeInsights } from '../src/pipeline/model/dora';
import { readRecords, recordFileName, serializeRecord, type DeploymentRecord, type RecordStatus } from '../src/pipeline/model/records';
import type { ExtensionToWebview } from '../src/providers/recordsProtocol';
import { fakeDocument } from '../test/unit/recordsFakeDom';

const N = 10_000;
const ENVS = ['dev', 'stag', 'prod'];
const STATUSES: RecordStatus[] = ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'rolled-back', 'failed', 'rollback'];
const DAY = 86_400_000;
const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function generate(dir: string): Promise<number> {
  const services = Array.from({ length: 40 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
  for (const env of ENVS) await fs.mkdir(path.join(dir, `docs/deployments/${env}`), { recursive: true });
  const start = Date.UTC(2025, 0, 1);
  let last = start;
  const prev: Record<string, string | undefined> = {};
  for (let i = 0; i < N; i++) {
    const env = ENVS[i % 3];
    const service = services[(i * 7) % services.length];
    const at = new Date(start + i * 37 * 60_000);
    last = at.getTime();
    const r: DeploymentRecord = {
      service,
      environment: env,
      tag: `1.${Math.floor(i / 30)}.${i % 7}`,
      previousTag: '1.0.0',
      status: STATUSES[i % STATUSES.length],
      startedAt: at.toISOString().replace('.000Z', 'Z'),
      finishedAt: new Date(at.getTime() + 90_000).toISOString().replace('.000Z', 'Z'),
      imagePushedAt: new Date(at.getTime() - (i % 13) * 3_600_000).toISOString().replace('.000Z', 'Z'),
      actor: 'bench',
      reason: `CHG-${10_000 + i}`,
      commit: (i * 40503).toString(16).padStart(40, 'a'),
      // What the pipeline writes: the signature check keeps its evidence (nested maps, a log index).
      checks: [
        { name: 'image-exists', status: 'passed', detail: 'pushed' },
        {
          name: 'signature',
          status: 'passed',
          detail: 'verified Sigstore bundle (OCI referrer), keyless',
          signature: {
            form: 'bundle', via: 'referrers-api', signer: 'keyless', digest: `sha256:${'ab'.repeat(32)}`, artifactDigest: `sha256:${'cd'.repeat(32)}`,
            identity: { subject: `https://github.com/acme/${service}/.github/workflows/release.yml@refs/heads/main`, issuer: 'https://token.actions.githubusercontent.com', githubWorkflowSha: (i * 7919).toString(16).padStart(40, '0') },
            matchedRule: { issuer: 'https://token.actions.githubusercontent.com', subjectRegExp: '^https://github\\.com/acme/' },
            rekorLogIndex: 100_000 + i,
            integratedTime: new Date(at.getTime() - (i % 11) * 3_600_000).toISOString(),
            certificateNotBefore: new Date(at.getTime() - (i % 11) * 3_600_000 - 5_000).toISOString(),
            trustedRoot: 'public-good',
          },
        },
        { name: 'health', status: 'passed', detail: 'UP' },
      ],
      previousRecord: prev[env],
    };
    const text = serializeRecord(r, `# ${service} in ${env}\n`);
    prev[env] = recordHash(text);
    await fs.writeFile(path.join(dir, `docs/deployments/${env}`, recordFileName(at, service)), text);
  }
  return last;
}

interface ColdRun { records: number; problems: number; processStartToMainMs: number; readMs: number; computeMs: number; payloadMs: number; totalMs: number }

async function coldRuns(dir: string, until: Date, n: number): Promise<ColdRun[]> {
  const root = path.resolve(__dirname, '..');
  const probe = path.join(root, 'out/bench/bench-insights-cold.js');
  const esbuild = await import('esbuild');
  await esbuild.build({ entryPoints: [path.join(root, 'scripts/bench-insights-cold.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: probe, logLevel: 'silent' });
  const runs: ColdRun[] = [];
  for (let i = 0; i < n; i++) {
    const out = execFileSync(process.execPath, [probe, dir, until.toISOString(), ENVS.join(',')], { encoding: 'utf8' });
    const run = JSON.parse(out.trim().split('\n').pop()!) as ColdRun;
    if (run.records !== N || run.problems) throw new Error(`the cold probe read ${run.records} records and ${run.problems} problems, expected ${N} and none`);
    runs.push(run);
  }
  return runs;
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gd-bench-insights-'));
  try {
    const last = await generate(dir);
    const until = new Date(last + DAY);
    const dirs = ENVS.map((e) => path.join(dir, 'docs/deployments', e));
    const cold = await coldRuns(dir, until, 5);
    const coldMedian = (f: (r: ColdRun) => number) => median(cold.map(f));

    const t0 = performance.now();
    const { records } = await readRecords(dirs);
    const t1 = performance.now();
    const insights = computeInsights(records, { since: new Date(until.getTime() - 365 * DAY), until, environmentOrder: ENVS });
    const t2 = performance.now();
    const payload = JSON.stringify({ type: 'insights', requestId: 1, insights } satisfies ExtensionToWebview);
    const t3 = performance.now();
    const { doc } = fakeDocument();
    const view = new InsightsView(doc, () => undefined, () => undefined, { tab: 'insights', days: 365 });
    view.receive(JSON.parse(payload));
    const t4 = performance.now();

    const periods = [7, 30, 90, 365];
    const change: number[] = [];
    const compute: number[] = [];
    const draw: number[] = [];
    for (let i = 0; i < 12; i++) {
      const days = periods[i % periods.length];
      const a = performance.now();
      const r = computeInsights(records, { since: new Date(until.getTime() - days * DAY), until, environmentOrder: ENVS });
      const b = performance.now();
      view.setPeriod(days);
      view.receive(JSON.parse(JSON.stringify({ type: 'insights', requestId: i + 2, insights: r })));
      const c = performance.now();
      compute.push(b - a);
      draw.push(c - b);
      change.push(c - a);
    }

    const h0 = performance.now();
    const hashed = await Promise.all(records.map(async (r) => ({ ...r, file: path.relative(dir, r.file), hash: recordHash(await fs.readFile(r.file)) })));
    const problems = ENVS.flatMap((e) => verifyChain(e, hashed.filter((r) => r.environment === e)).problems);
    const h1 = performance.now();
    if (problems.length) throw new Error(`the generated chain is broken: ${problems[0].message}`);

    console.log(`\nInsights and trail, ${N.toLocaleString('en-US')} record files (${ENVS.length} environments, 40 services, keyless signature evidence in each)`);
    console.log(`  10,000 records → insights cold    ${fmt(coldMedian((r) => r.totalMs))}   (target < 1000 ms; median of ${cold.length} fresh processes, max ${fmt(Math.max(...cold.map((r) => r.totalMs))).trim()})`);
    console.log(`    read + parse ${fmt(coldMedian((r) => r.readMs)).trim()}, measures ${fmt(coldMedian((r) => r.computeMs)).trim()}, payload ${fmt(coldMedian((r) => r.payloadMs)).trim()}; node start to main ${fmt(coldMedian((r) => r.processStartToMainMs)).trim()} (not counted)`);
    console.log(`  In this process:`);
    console.log(`  read + parse records              ${fmt(t1 - t0)}`);
    console.log(`  DORA measures, 12 months          ${fmt(t2 - t1)}`);
    console.log(`  insights message payload          ${fmt(t3 - t2)}   (${(payload.length / 1024).toFixed(1)} KiB)`);
    console.log(`  render the tab (test DOM)         ${fmt(t4 - t3)}`);
    console.log(`  cold → Insights drawn             ${fmt(t4 - t0)}   (target < 1000 ms)`);
    console.log(`  period change: compute (median)   ${fmt(median(compute))}`);
    console.log(`  period change: payload + re-draw  ${fmt(median(draw))}`);
    console.log(`  re-draw for a changed period      ${fmt(median(change))}   (target < 100 ms; compute + payload + re-draw, median of ${change.length}, max ${fmt(Math.max(...change)).trim()})`);
    console.log(`  hash chain: hash + verify 10,000  ${fmt(h1 - h0)}   (records verify without git)`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

// Records panel at scale (run by `npm run bench`, or alone: node --require tsx/cjs scripts/bench-records.ts):
// 10,000 record files in a temp repository; measures what opening the panel costs in the
// extension host: reading the records (cold), indexing them, computing the first page, and
// producing the first page's message payload; then typical follow-up queries.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRecords, recordFileName, serializeRecord, type DeploymentRecord, type RecordStatus } from '../src/pipeline/model/records';
import { RecordsIndex, type RecordsQuery } from '../src/pipeline/model/recordsQuery';
import { loadRepoState } from '../src/pipeline/model/repoState';
import type { ExtensionToWebview } from '../src/providers/recordsProtocol';

const N = 10_000;
const ENVS = ['dev', 'stag', 'prod'];
const STATUSES: RecordStatus[] = ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'rolled-back', 'failed', 'rollback'];
const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function generate(dir: string): Promise<void> {
  const services = Array.from({ length: 40 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
  for (const env of ENVS) {
    const lines = services.flatMap((s) => [`${s}:`, '  image:', `    repository: acme/${s}`, '    tag: "1.0.0"']);
    await fs.mkdir(path.join(dir, `helm/environments/${env}-env`), { recursive: true });
    await fs.writeFile(path.join(dir, `helm/environments/${env}-env/image-tags.yaml`), lines.join('\n') + '\n');
    await fs.mkdir(path.join(dir, `docs/deployments/${env}`), { recursive: true });
  }
  const start = Date.UTC(2025, 0, 1);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    const env = ENVS[i % 3];
    const service = services[(i * 7) % services.length];
    const at = new Date(start + i * 37 * 60_000);
    const r: DeploymentRecord = {
      service,
      environment: env,
      tag: `1.${i % 50}.${i % 7}`,
      previousTag: `1.${(i + 49) % 50}.${(i + 6) % 7}`,
      digest: `sha256:${(i * 2654435761).toString(16).padStart(64, '0').slice(-64)}`,
      status: STATUSES[i % STATUSES.length],
      startedAt: at.toISOString().replace('.000Z', 'Z'),
      finishedAt: new Date(at.getTime() + 90_000).toISOString().replace('.000Z', 'Z'),
      actor: ['alice', 'bob', 'carol', 'dave', 'erin'][i % 5],
      reason: `CHG-${10_000 + i} ${['hotfix', 'feature rollout', 'config change', 'dependency bump'][i % 4]}`,
      commit: (i * 40503).toString(16).padStart(40, 'a'),
      checks: [
        { name: 'image-exists', status: 'passed', detail: 'pushed' },
        { name: 'signature', status: 'passed', detail: 'verified with cosign.pub' },
        { name: 'health', status: i % 7 === 5 ? 'failed' : 'passed', detail: 'UP' },
      ],
    };
    writes.push(fs.writeFile(path.join(dir, `docs/deployments/${env}`, recordFileName(at, service)), serializeRecord(r, `# ${service} in ${env}\n`)));
    if (writes.length >= 500) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

const firstQuery: RecordsQuery = { filters: {}, sort: { key: 'time', dir: 'desc' }, offset: 0, limit: 100 };

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gd-bench-records-'));
  try {
    await generate(dir);
    const dirs = ENVS.map((e) => path.join(dir, 'docs/deployments', e));

    // 1. Cold, as the panel opens on a fresh window: read + parse every record, index, first page.
    const t0 = performance.now();
    const { records, problems } = await readRecords(dirs);
    const t1 = performance.now();
    const index = new RecordsIndex(records, dir, ENVS);
    const t2 = performance.now();
    const page = index.query(firstQuery);
    const t3 = performance.now();
    const message: ExtensionToWebview = { type: 'page', requestId: 1, page };
    const payload = JSON.stringify(message);
    const t4 = performance.now();
    if (records.length !== N || problems.length) throw new Error(`expected ${N} records, got ${records.length} and ${problems.length} problems`);

    // 2. The whole repository state (what WorkspaceModel loads; the panel awaits it), cold-ish.
    const s0 = performance.now();
    const state = await loadRepoState(dir, new Date());
    const s1 = performance.now();
    const index2 = new RecordsIndex(state.records, dir, ENVS);
    JSON.stringify({ type: 'page', requestId: 1, page: index2.query(firstQuery) });
    const s2 = performance.now();

    // 3. Follow-up queries on the warm index (median of 9 each; a new sort key's first use is timed separately).
    const timeIt = (q: RecordsQuery) => {
      const xs: number[] = [];
      for (let i = 0; i < 9; i++) {
        const a = performance.now();
        JSON.stringify(index.query(q));
        xs.push(performance.now() - a);
      }
      return median(xs);
    };
    const s = performance.now();
    index.query({ ...firstQuery, sort: { key: 'service', dir: 'asc' } });
    const firstSort = performance.now() - s;

    console.log(`\nRecords panel, ${N.toLocaleString('en-US')} record files (${ENVS.length} environments)`);
    console.log(`  read + parse records (cold)   ${fmt(t1 - t0)}`);
    console.log(`  build index                   ${fmt(t2 - t1)}`);
    console.log(`  first page (100 rows)         ${fmt(t3 - t2)}`);
    console.log(`  first page message payload    ${fmt(t4 - t3)}   (${(payload.length / 1024).toFixed(1)} KiB)`);
    console.log(`  index cold → first payload    ${fmt(t4 - t0)}   (target < 1000 ms)`);
    console.log(`  via loadRepoState (whole repo) ${fmt(s2 - s0)}   (state ${fmt(s1 - s0).trim()}, index + page ${fmt(s2 - s1).trim()})`);
    console.log(`  warm: page 50 of all          ${fmt(timeIt({ ...firstQuery, offset: 4900 }))}`);
    console.log(`  warm: env + status filter     ${fmt(timeIt({ ...firstQuery, filters: { environment: 'stag', status: 'failed' } }))}`);
    console.log(`  warm: text search "chg-1234"  ${fmt(timeIt({ ...firstQuery, filters: { text: 'chg-1234' } }))}`);
    console.log(`  first sort by service         ${fmt(firstSort)}   (then cached per key and direction)`);
    console.log(`  warm: sorted by service desc  ${fmt(timeIt({ ...firstQuery, sort: { key: 'service', dir: 'desc' }, filters: { text: 'hotfix' } }))}`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

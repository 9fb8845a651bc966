// The pipeline's figures for `npm run bench`: a full stag deploy through the CLI against the sandbox
// at zero delays (validate → commit → push → Argo CD → verify → record), and how quickly the
// pipeline notices Argo CD reporting Synced/Healthy (sandbox event time → the sync step's finish).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSandbox, type Scenario } from '../sandbox/index';

const ROOT = path.resolve(__dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TAGS = Array.from({ length: 8 }, (_, i) => `1.${i + 4}.0`);

const scenario: Scenario = {
  services: { accounts: { images: Object.fromEntries(TAGS.map((t) => [t, {}])) } },
  environments: { dev: { accounts: '1.5.0' }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } },
} as Scenario;

function cli(env: NodeJS.ProcessEnv, args: string[], cwd: string): Promise<{ code: number; stdout: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) =>
    execFile(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { env, cwd, maxBuffer: 1 << 24 }, (err, stdout) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, ms: performance.now() - t0 }),
    ),
  );
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gd-bench-pipeline-'));
  const sb = await startSandbox({ dir, scenario, fast: true, log: () => undefined });
  const walls: number[] = [];
  const lags: number[] = [];
  let healthyAt = 0;
  sb.events.on('app-health', (e: { app: string; health: string }) => {
    if (e.app === 'accounts-stag' && e.health === 'Healthy') healthyAt = Date.now();
  });
  try {
    const env = { ...process.env, ...sb.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid', NODE_NO_WARNINGS: '1' };
    for (let i = 0; i < 6; i++) {
      const tag = TAGS[i + 2];
      const d = await cli(env, ['deploy', 'accounts', '--env', 'dev', '--tag', tag, '--json', '--repo', sb.repoDir], sb.repoDir);
      if (d.code !== 0) throw new Error(`dev deploy ${i} exited ${d.code}: ${d.stdout.slice(0, 2000)}`);
      healthyAt = 0;
      const r = await cli(env, ['deploy', 'accounts', '--env', 'stag', '--tag', tag, '--reason', `bench ${i}`, '--json', '--repo', sb.repoDir], sb.repoDir);
      if (r.code !== 0) throw new Error(`deploy ${i} exited ${r.code}: ${r.stdout.slice(0, 2000)}`);
      walls.push(r.ms);
      const out = JSON.parse(r.stdout);
      const noticed = Date.parse(out.steps.find((s: { step: string }) => s.step === 'sync').finishedAt);
      if (healthyAt) lags.push(Math.max(0, noticed - healthyAt));
    }
  } finally {
    await sb.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nPipeline (CLI against the sandbox at zero delays, ${walls.length} stag deploys, each tag first deployed to dev)`);
  console.log(`  full deploy, process start → record pushed: median ${median(walls).toFixed(0)} ms, max ${Math.max(...walls).toFixed(0)} ms   (target < 3 s)`);
  console.log(`  Argo CD Healthy → pipeline noticed:         median ${median(lags).toFixed(0)} ms, max ${Math.max(...lags).toFixed(0)} ms   (target < 200 ms)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// The pipeline's metrics check against a real Prometheus (Debian's package) scraping the sandbox.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecord } from '../../src/pipeline/model/records';
import { startSandbox, type Sandbox, type Scenario } from '../../sandbox/index';
import { PROMETHEUS_BIN } from '../../sandbox/prometheus';

const ROOT = path.resolve(__dirname, '../..');
const RATIO = 'sum(rate(http_server_requests_seconds_count{namespace="stag",service="accounts",uri!~"/actuator.*"}[5m]))';

describe('pipeline with a real Prometheus', function () {
  this.timeout(90_000);
  let sb: Sandbox | undefined;
  let dir = '';

  before(function () {
    if (!fs.existsSync(PROMETHEUS_BIN)) {
      console.log(`    (skipped: ${PROMETHEUS_BIN} not installed; apt-get install -y prometheus)`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-prom-'));
  });
  after(async () => {
    await sb?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a stag deploy measures the 5xx ratio with the real PromQL query and records it', async () => {
    const scenario = {
      services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } } },
      environments: { dev: { accounts: '1.5.0' }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } },
    } as Scenario;
    sb = await startSandbox({ dir, scenario, fast: true, realPrometheus: true, log: () => undefined });
    assert.notEqual(sb.endpoints.prometheus, sb.endpoints.fakePrometheus);
    // Wait until Prometheus has scraped the service's traffic (a condition, not a fixed sleep).
    const end = Date.now() + 45_000;
    for (;;) {
      const body = (await (await fetch(`${sb.endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(RATIO)}`)).json()) as any;
      if (body.data?.result?.length) break;
      assert.ok(Date.now() < end, 'the real Prometheus has no data for stag/accounts after 45 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const env = { ...process.env, ...sb.env, GIT_AUTHOR_NAME: 'CI', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1' };
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'deploy', 'accounts', '--env', 'stag', '--reason', 'real prometheus', '--json', '--repo', sb!.repoDir], { env, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as any).code ?? -1) : 0, stdout, stderr }),
      ),
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    const check = out.checks.find((c: any) => c.name === 'error-rate');
    assert.equal(check.status, 'passed', JSON.stringify(check));
    assert.match(check.detail, /^HTTP 5xx ratio [\d.]+ ?% \(threshold 1(\.0+)? ?%\)$/);
    const rec = parseRecord(fs.readFileSync(path.join(sb.repoDir, out.record.path), 'utf8'), out.record.path);
    assert.equal(rec.checks.find((c) => c.name === 'error-rate')?.detail, check.detail);
  });
});

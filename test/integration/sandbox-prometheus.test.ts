import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { PROMETHEUS_BIN } from '../../sandbox/prometheus';
import { BASE_SCENARIO, tempDir } from './helpers/sandbox';

const RATIO = 'sum(rate(http_server_requests_seconds_count{namespace="prod",service="accounts",status=~"5..",uri!~"/actuator.*"}[5m])) / sum(rate(http_server_requests_seconds_count{namespace="prod",service="accounts",uri!~"/actuator.*"}[5m]))';

describe('sandbox with the real Prometheus', function () {
  this.timeout(40000);
  let sb: Sandbox | undefined;
  let dir: string;

  before(function () {
    if (!fs.existsSync(PROMETHEUS_BIN)) {
      console.log(`    (skipped: ${PROMETHEUS_BIN} not installed; apt-get install -y prometheus)`);
      this.skip();
    }
    dir = tempDir();
  });
  after(async () => {
    await sb?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the sandbox and answers the error-ratio query', async () => {
    sb = await startSandbox({ dir, scenario: BASE_SCENARIO, realPrometheus: true });
    assert.notEqual(sb.endpoints.prometheus, sb.endpoints.fakePrometheus);
    assert.ok(sb.pids.prometheus > 0);
    const end = Date.now() + 30000;
    let value: number | undefined;
    while (Date.now() < end && value === undefined) {
      const r = await fetch(`${sb.endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(RATIO)}`);
      const body = (await r.json()) as any;
      assert.equal(body.status, 'success');
      if (body.data.result.length) value = Number(body.data.result[0].value[1]);
      else await new Promise((res) => setTimeout(res, 250));
    }
    assert.ok(value !== undefined, 'no data from the real Prometheus within 30 s');
    assert.ok(value > 0.15 && value < 0.35, `ratio ${value}`);
    const pid = sb.pids.prometheus;
    await sb.stop();
    sb = undefined;
    assert.throws(() => process.kill(pid, 0));
  });
});

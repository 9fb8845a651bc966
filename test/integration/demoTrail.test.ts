// The demo repository `npm start` opens (the sandbox's demo scenario, its seed records) has a trail
// `records verify` accepts: every environment's chain intact, each record's commit changes what the
// record says, no deploy commit without a record. Real git on the repository the sandbox creates.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/index';
import { recordsGit } from '../../src/clients/recordsGit';
import { loadConfig } from '../../src/pipeline/config/load';
import { verifyTrail } from '../../src/pipeline/recordsVerify';

describe('the demo repository (npm start) has a trail records verify accepts', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-trail-'));
    sb = await startSandbox({ dir, fast: true, log: () => undefined }); // no scenario: the demo world
  });
  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every environment: records chained from the first, zero problems', async () => {
    const config = await loadConfig(sb.repoDir, { ...process.env, ...sb.env });
    const result = await verifyTrail(config, recordsGit(sb.repoDir));
    assert.deepEqual(result.environments.map((e) => ({ environment: e.environment, problems: e.problems })), config.environments.map((e) => ({ environment: e.name, problems: [] })));
    assert.deepEqual(result.skipped, []);
    assert.equal(result.ok, true);
    for (const e of result.environments) {
      assert.ok(e.records > 0, `${e.environment} has seed records`);
      assert.equal(e.chained, e.records - 1, `${e.environment}: every record after the first names its predecessor`);
    }
  });
});

import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../src/pipeline/config/load';
import { parseRecord, readRecords, recordFileName, serializeRecord, uniqueRecordFile, type DeploymentRecord } from '../../src/pipeline/model/records';
import { buildRepoState, contextValue, serviceTokens } from '../../src/pipeline/model/repoState';

const RECORD: DeploymentRecord = {
  service: 'accounts',
  environment: 'stag',
  tag: '1.5.0',
  previousTag: '1.4.0',
  digest: 'sha256:' + 'a'.repeat(64),
  status: 'succeeded',
  startedAt: '2026-11-20T03:12:04Z',
  finishedAt: '2026-11-20T03:13:10Z',
  actor: 'alice',
  reason: 'CHG-1234: new statement export',
  commit: '9f1e2d3c4b5a69788796a5b4c3d2e1f001122334',
  checks: [
    { name: 'image-exists', status: 'passed', detail: 'sha256:aaaa' },
    { name: 'health', status: 'passed', detail: 'UP' },
  ],
};

describe('deployment records', () => {
  it('round-trips through Markdown with YAML front matter', () => {
    const text = serializeRecord(RECORD, '# accounts 1.4.0 → 1.5.0 in stag: succeeded\n');
    assert.ok(text.startsWith('---\nservice: accounts\nenvironment: stag\ntag: 1.5.0\n'));
    const back = parseRecord(text, '/r.md');
    assert.deepEqual({ ...back, file: undefined }, { ...RECORD, file: undefined, rollbackCommit: undefined, windowOverride: undefined, workflowRun: undefined, imagePushedAt: undefined, previousRecord: undefined });
  });

  it('round-trips imagePushedAt and previousRecord (the chain link, last in the front matter)', () => {
    const link = `sha256:${'ab'.repeat(32)}`;
    const text = serializeRecord({ ...RECORD, imagePushedAt: '2026-11-19T22:01:00Z', previousRecord: link }, '# body\n');
    assert.ok(text.includes(`\npreviousRecord: ${link}\n---\n`));
    const back = parseRecord(text, '/r.md');
    assert.equal(back.previousRecord, link);
    assert.equal(back.imagePushedAt, '2026-11-19T22:01:00Z');
  });

  it('keeps tags that look like numbers as strings', () => {
    const text = serializeRecord({ ...RECORD, tag: '123', previousTag: '1.10' }, 'x');
    const back = parseRecord(text, '/r.md');
    assert.equal(back.tag, '123');
    assert.equal(back.previousTag, '1.10');
  });

  it('names the file after the UTC start and the service', () => {
    assert.equal(recordFileName(new Date('2026-11-20T03:12:04.567Z'), 'accounts'), '20261120T031204Z-accounts.md');
  });

  for (const [name, text, re] of [
    ['no front matter', '# hello\n', /no YAML front matter/],
    ['missing tag', '---\nservice: a\nenvironment: stag\nstatus: succeeded\nstartedAt: 2026-11-20T03:12:04Z\n---\n', /lacks "tag"/],
    ['bad status', '---\nservice: a\nenvironment: stag\ntag: "1"\nstatus: great\nstartedAt: 2026-11-20T03:12:04Z\n---\n', /status "great" is not one of/],
    ['bad YAML', '---\nservice: [a\n---\n', /not valid YAML/],
    ['bad time', '---\nservice: a\nenvironment: stag\ntag: "1"\nstatus: failed\nstartedAt: yesterday\n---\n', /startedAt "yesterday"/],
  ] as const) {
    it(`refuses a record with ${name}`, () => {
      assert.throws(() => parseRecord(text, '/r.md'), re);
    });
  }

  describe('in a repository', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gd-records-'));
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    async function write(rel: string, text: string) {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.writeFile(path.join(dir, rel), text);
    }

    it('skips and reports a malformed record, never fails, newest first', async () => {
      await write('docs/deployments/stag/20261120T031204Z-accounts.md', serializeRecord(RECORD, 'ok'));
      await write('docs/deployments/stag/20261121T031204Z-accounts.md', serializeRecord({ ...RECORD, tag: '1.6.0', previousTag: '1.5.0', startedAt: '2026-11-21T03:12:04Z', status: 'rolled-back' }, 'ok'));
      await write('docs/deployments/stag/20261122T000000Z-cards.md', 'not a record');
      await write('docs/deployments/stag/README.md', '# Records\n');
      const { records, problems } = await readRecords([path.join(dir, 'docs/deployments/stag'), path.join(dir, 'docs/deployments/missing')]);
      assert.deepEqual(records.map((r) => r.tag), ['1.6.0', '1.5.0']);
      assert.equal(problems.length, 1);
      assert.match(problems[0].file, /20261122T000000Z-cards\.md$/);
    });

    it('builds the tree state: drift, last deployment, rollback target, context tokens', async () => {
      await write('helm/environments/dev-env/image-tags.yaml', 'accounts:\n  image:\n    tag: "1.6.0"\ncards: "2.0.0"\n');
      await write('helm/environments/stag-env/image-tags.yaml', '# stag\naccounts:\n  image:\n    tag: "1.5.0"\ncards: "2.0.0"\n');
      await write('helm/environments/prod-env/image-tags.yaml', 'accounts:\n  image:\n    tag: "1.4.0"\ncards: [broken\n');
      await write('docs/deployments/stag/20261119T031204Z-accounts.md', serializeRecord({ ...RECORD, tag: '1.4.0', previousTag: '1.3.0', startedAt: '2026-11-19T03:12:04Z' }, 'ok'));
      await write('docs/deployments/stag/20261120T031204Z-accounts.md', serializeRecord(RECORD, 'ok'));
      const config = parseConfig(dir, undefined);
      const state = await buildRepoState(config, new Date('2026-11-28T12:00:00Z'));
      const [dev, stag, prod] = state.environments;
      assert.deepEqual(dev.services.map((s) => [s.service, s.tag, s.upstream]), [['accounts', '1.6.0', undefined], ['cards', '2.0.0', undefined]]);
      const acc = stag.services[0];
      assert.deepEqual(acc.upstream, { environment: 'dev', tag: '1.6.0' });
      assert.equal(acc.lastRecord?.tag, '1.5.0');
      assert.equal(acc.rollbackTarget?.tag, '1.4.0');
      assert.equal(contextValue(serviceTokens(acc)), 'service promotable rollbackable drifted');
      assert.equal(contextValue(serviceTokens(stag.services[1])), 'service promotable');
      assert.match(prod.problem ?? '', /prod-env\/image-tags\.yaml:\d+: not valid YAML/);
      assert.equal(prod.services.length, 0);
      assert.equal(prod.window.open, true); // Saturday
    });

    it('flags a record dated in the future and never takes it as the last deployment or a rollback target', async () => {
      await write('helm/environments/stag-env/image-tags.yaml', 'accounts:\n  image:\n    tag: "1.5.0"\n');
      await write('docs/deployments/stag/20261119T031204Z-accounts.md', serializeRecord({ ...RECORD, tag: '1.4.0', previousTag: '1.3.0', startedAt: '2026-11-19T03:12:04Z' }, 'ok'));
      await write('docs/deployments/stag/20261120T031204Z-accounts.md', serializeRecord(RECORD, 'ok'));
      // Written by a machine whose clock ran a year ahead, claiming 1.9.0 succeeded.
      await write('docs/deployments/stag/20271120T031204Z-accounts.md', serializeRecord({ ...RECORD, tag: '1.9.0', previousTag: '1.5.0', startedAt: '2027-11-20T03:12:04Z' }, 'ok'));
      // Four minutes ahead is clock skew, not the future.
      await write('docs/deployments/stag/20261128T120400Z-accounts.md', serializeRecord({ ...RECORD, tag: '1.5.0', previousTag: '1.4.0', startedAt: '2026-11-28T12:04:00Z' }, 'ok'));
      const state = await buildRepoState(parseConfig(dir, undefined), new Date('2026-11-28T12:00:00Z'));
      assert.deepEqual(state.futureRecords.map((r) => [path.basename(r.file), r.tag]), [['20271120T031204Z-accounts.md', '1.9.0']]);
      const acc = state.environments.find((e) => e.config.name === 'stag')!.services[0];
      assert.equal(acc.lastRecord?.startedAt, '2026-11-28T12:04:00Z');
      assert.equal(acc.rollbackTarget?.tag, '1.4.0');
    });
  });
});

describe('record file names', () => {
  it('never reuse a name within the same second', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gd-names-'));
    try {
      const at = new Date('2026-11-20T03:12:04.100Z');
      const a = await uniqueRecordFile(dir, at, 'accounts');
      await fs.writeFile(a, 'x');
      const b = await uniqueRecordFile(dir, new Date('2026-11-20T03:12:04.900Z'), 'accounts');
      assert.equal(path.basename(a), '20261120T031204Z-accounts.md');
      assert.equal(path.basename(b), '20261120T031204Z-accounts-2.md');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

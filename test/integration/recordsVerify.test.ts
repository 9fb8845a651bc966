// `gitops-deploy records verify` on records the real pipeline wrote (the built CLI against the
// sandbox, real git with a bare origin), then on clones where a record was edited, removed, or a
// deploy commit was pushed without a record. The chain link is checked with sha256sum as judge.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareNewestFirst, parseRecord } from '../../src/pipeline/model/records';
import { deployCommitMessage } from '../../src/pipeline/plan';
import { startSandbox, type Sandbox, type Scenario } from '../../sandbox/index';
import { CLI, git, ROOT, runCmd } from './helpers/cli';

const ID = ['-c', 'user.name=Tester', '-c', 'user.email=tester@example.invalid'];

const run = runCmd;

const SCENARIO = {
  services: {
    accounts: { images: { '1.4.0': {}, '1.5.0': {}, '1.6.0': { health: 'DOWN' } } },
    cards: { images: { '2.1.0': {}, '2.2.0': {} } },
  },
  environments: { dev: { accounts: '1.6.0', cards: '2.2.0' }, stag: { accounts: '1.4.0', cards: '2.1.0' }, prod: { accounts: '1.4.0', cards: '2.1.0' } },
  records: [],
} as unknown as Scenario;

describe('records verify (real pipeline records, real git)', function () {
  this.timeout(180_000);
  let sb: Sandbox;
  let dir: string;
  let records: string[];
  const env = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', GITHUB_ACTOR: 'ci-bot', NODE_NO_WARNINGS: '1' }) as NodeJS.ProcessEnv;
  const cli = (args: string[], repo: string) => run(process.execPath, [CLI, ...args, '--repo', repo], repo, env());
  const verify = async (repo: string) => {
    const r = await cli(['records', 'verify', '--env', 'stag', '--json'], repo);
    return { code: r.code, result: JSON.parse(r.stdout), stderr: r.stderr };
  };
  const clone = async (name: string) => {
    const to = path.join(dir, name);
    await git(['clone', '--quiet', sb.originDir, to], dir);
    return to;
  };

  before(async function () {
    await new Promise<void>((resolve, reject) => execFile(process.execPath, ['scripts/build.mjs'], { cwd: ROOT }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'records-verify-'));
    sb = await startSandbox({ dir, scenario: SCENARIO, fast: true, log: () => undefined });
    // Three runs in stag: a deployment, a verified automatic rollback, another deployment (1.5.0
    // goes to dev first: stag takes what dev ran).
    for (const [args, code] of [
      [['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0'], 0],
      [['deploy', 'cards', '--env', 'stag', '--tag', '2.2.0'], 0],
      [['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.0'], 3],
      [['deploy', 'accounts', '--env', 'stag', '--tag', '1.5.0'], 0],
    ] as const) {
      const r = await cli([...args], sb.repoDir);
      assert.equal(r.code, code, r.stdout + r.stderr);
    }
    // Oldest first as the product orders them (two runs may start in the same second: startedAt,
    // then finishedAt, then the file's -2 suffix).
    const files = (await git(['ls-tree', '--name-only', 'main', 'docs/deployments/stag/'], sb.originDir)).trim().split('\n').filter(Boolean);
    const parsed = await Promise.all(files.map(async (f) => parseRecord(await git(['show', `main:${f}`], sb.originDir), f)));
    records = parsed.sort((a, b) => compareNewestFirst(b, a)).map((r) => r.file);
    assert.equal(records.length, 3);
  });

  after(async () => {
    await sb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('each record links to the one before it: previousRecord is the sha256 of its bytes (sha256sum as judge)', async () => {
    const first = parseRecord(await git(['show', `main:${records[0]}`], sb.originDir), records[0]);
    assert.equal(first.previousRecord, undefined, 'the first record of an environment starts the chain');
    for (let i = 1; i < records.length; i++) {
      const text = await git(['show', `main:${records[i]}`], sb.originDir);
      const sum = (await run('sha256sum', [path.join(sb.repoDir, records[i - 1])], dir)).stdout.split(' ')[0];
      assert.equal(parseRecord(text, records[i]).previousRecord, `sha256:${sum}`, records[i]);
    }
  });

  it('a clean trail: exit 0, no problem, every record chained after the first', async () => {
    const { code, result } = await verify(sb.repoDir);
    assert.equal(code, 0, JSON.stringify(result, null, 2));
    assert.equal(result.ok, true);
    assert.deepEqual(result.environments.map((e: any) => [e.environment, e.records, e.chained, e.problems]), [['stag', 3, 2, []]]);
  });

  it('an edited record breaks the link of the next one and shows in git history', async () => {
    const repo = await clone('edited');
    const file = path.join(repo, records[1]);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^actor: .*$/m, 'actor: someone-else'));
    await git([...ID, 'commit', '--quiet', '-am', 'tidy a record'], repo);
    const sha = (await git(['rev-parse', 'HEAD'], repo)).trim();
    const { code, result } = await verify(repo);
    assert.equal(code, 4);
    assert.equal(result.ok, false);
    const problems = result.environments[0].problems.map((p: any) => [p.kind, p.file, p.commit]);
    assert.deepEqual(problems, [
      ['broken-link', records[2], undefined],
      ['record-changed', records[1], sha],
    ]);
  });

  it('an edit not committed yet is reported too', async () => {
    const repo = await clone('dirty');
    fs.appendFileSync(path.join(repo, records[2]), '\nedited\n');
    const { code, result } = await verify(repo);
    assert.equal(code, 4);
    assert.deepEqual(result.environments[0].problems.map((p: any) => [p.kind, p.file]), [['record-changed', records[2]]]);
  });

  it('a removed record breaks the chain and shows in git history', async () => {
    const repo = await clone('deleted');
    await git(['rm', '--quiet', records[1]], repo);
    await git([...ID, 'commit', '--quiet', '-m', 'remove a record'], repo);
    const { code, result } = await verify(repo);
    assert.equal(code, 4);
    assert.deepEqual(result.environments[0].problems.map((p: any) => [p.kind, p.file]), [
      ['broken-link', records[2]],
      // the rolled-back run's deploy and rollback commits now have no record
      ['record-deleted', records[1]],
      ['unrecorded-commit', undefined],
      ['unrecorded-commit', undefined],
    ]);
  });

  it('a deploy commit without a record is a deployment that left no trace', async () => {
    const repo = await clone('unrecorded');
    const values = path.join(repo, 'helm/environments/stag-env/image-tags.yaml');
    fs.writeFileSync(values, fs.readFileSync(values, 'utf8').replace(/(cards:[\s\S]*?tag: )"2\.2\.0"/, '$12.1.0'));
    await git([...ID, 'commit', '--quiet', '-am', deployCommitMessage({ service: 'cards', environment: 'stag', previousTag: '2.2.0', tag: '2.1.0', actor: 'mallory' })], repo);
    const sha = (await git(['rev-parse', 'HEAD'], repo)).trim();
    const { code, result } = await verify(repo);
    assert.equal(code, 4);
    assert.deepEqual(result.environments[0].problems.map((p: any) => [p.kind, p.commit]), [['unrecorded-commit', sha]]);
    const text = await cli(['records', 'verify', '--env', 'stag'], repo);
    assert.equal(text.code, 4);
    assert.ok(text.stderr.includes(`commit ${sha.slice(0, 12)} "Deploy cards to stag: 2.2.0 → 2.1.0" has no record`), text.stderr);
  });

  it('records export writes a self-contained HTML report and a JSON file of every change, with the trail result', async () => {
    const out = path.join(dir, 'pack');
    const r = await cli(['records', 'export', '--env', 'stag', '--since', '1d', '--out', out], sb.repoDir);
    assert.equal(r.code, 0, r.stderr);
    const pack = JSON.parse(fs.readFileSync(path.join(out, 'evidence.json'), 'utf8'));
    assert.equal(pack.environment, 'stag');
    assert.deepEqual(pack.summary, { changes: 3, succeeded: 2, rolledBack: 1, failed: 0, manualRollbacks: 0, windowOverrides: 0 });
    assert.deepEqual(pack.changes.map((c: any) => c.record), records);
    assert.equal(pack.trail.intact, true);
    const rolledBack = pack.changes.find((c: any) => c.status === 'rolled-back');
    assert.equal(rolledBack.what.tag, '1.6.0');
    assert.ok(rolledBack.rollback.commit && /^[0-9a-f]{40}$/.test(rolledBack.rollback.commit));
    assert.match(rolledBack.rollback.cause, /^health: /);
    assert.ok(pack.changes.every((c: any) => c.who === 'ci-bot' && c.checksPassed.includes('signature')));
    const html = fs.readFileSync(path.join(out, 'evidence.html'), 'utf8');
    assert.ok(!/<script|<link|<img|src=|url\(/i.test(html), 'no script and no external asset');
    assert.ok(html.includes(rolledBack.rollback.commit));
    // a folder that is not empty is refused and left as it was
    const again = await cli(['records', 'export', '--env', 'stag', '--out', out], sb.repoDir);
    assert.equal(again.code, 64);
    assert.match(again.stderr, /is not empty/);
    assert.deepEqual(fs.readdirSync(out).sort(), ['evidence.html', 'evidence.json']);
  });

  it('insights on the same records: one failure in three changes, the verified rollback restored it', async () => {
    const r = await cli(['insights', '--env', 'stag', '--since', '1d', '--json'], sb.repoDir);
    assert.equal(r.code, 0, r.stderr);
    const all = JSON.parse(r.stdout).measures.find((m: any) => m.service === undefined);
    assert.deepEqual(all.changeFailureRate, { changes: 3, failures: 1, rate: 1 / 3, band: 'low' });
    assert.equal(all.deploymentFrequency.deployments, 2);
    assert.equal(all.timeToRestore.incidents, 1);
    assert.equal(all.timeToRestore.open, 0);
    assert.equal(all.leadTime.count, 2, 'the sandbox registry reports push times');
  });
});

// Scheduled promotions with the built CLI under faketime (only the CLI's view of time moves):
// schedule at "window-opens" while production is blocked, then `scheduled run` before and after
// the window opens; a changed plan is refused; a cancelled one never runs.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { parseRecord } from '../../src/pipeline/model/records';
import { startSandbox, type Sandbox, type Scenario } from '../../sandbox/index';
import { pushTag } from './helpers/sandbox';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const PROD_VALUES = 'helm/environments/prod-env/image-tags.yaml';
/** Wednesday 2026-11-18, 10:00 US Eastern (EST, UTC-5): production is blocked until 17:00 = 22:00Z. */
const WED_10_ET = '@2026-11-18 15:00:00';
const WED_16_ET = '@2026-11-18 21:00:00';
const WED_1701_ET = '@2026-11-18 22:01:00';
const OPENS = '2026-11-18T22:00:00.000Z';

function git(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd }, (err, stdout, stderr) => (err ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout))));
}

function cli(sb: Sandbox, args: string[], faketime: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const vars = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1', ...env };
  const argv = ['-f', faketime, process.execPath, CLI, ...args, '--repo', sb.repoDir];
  return new Promise((resolve) => execFile('faketime', argv, { env: vars, cwd: sb.repoDir, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as any).code as number) : 0, stdout, stderr })));
}

const originFile = (sb: Sandbox, file: string) => git(['show', `main:${file}`], sb.originDir);
const originCommits = async (sb: Sandbox) => (await git(['rev-list', '--count', 'main'], sb.originDir)).trim();
const prodTag = async (sb: Sandbox) => /accounts:[\s\S]*?tag: "?([^"\n]+)"?/.exec(await originFile(sb, PROD_VALUES))?.[1];

const SCENARIO: Scenario = {
  services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } }, cards: { images: { '2.1.0': {} } } },
  environments: { dev: { accounts: '1.5.0', cards: '2.1.0' }, stag: { accounts: '1.5.0', cards: '2.1.0' }, prod: { accounts: '1.4.0', cards: '2.1.0' } },
};

describe('scheduled promotions (CLI under faketime against the sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox | undefined;
  let dir: string;

  before(async function () {
    this.timeout(120_000);
    await new Promise<void>((resolve, reject) => execFile(process.execPath, ['scripts/build.mjs'], { cwd: ROOT }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())));
  });

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scheduled-'));
    sb = await startSandbox({ dir, scenario: SCENARIO, fast: true, log: () => undefined });
  });

  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function schedule(s: Sandbox): Promise<{ id: string; file: string }> {
    const r = await cli(s, ['deploy', 'accounts', '--env', 'prod', '--at', 'window-opens', '--reason', 'CHG-42 ship the ledger fix', '--json'], WED_10_ET, { GITHUB_ACTOR: 'mei' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.scheduled, true);
    return { id: out.schedule.id, file: out.schedule.file };
  }

  it('scheduled at window-opens while blocked: not due at 16:00 ET, deployed at 17:01 ET with the record linked both ways', async () => {
    const s = sb!;
    const { id, file } = await schedule(s);
    const onOrigin = parse(await originFile(s, file));
    assert.equal(onOrigin.notBefore, OPENS);
    assert.equal(onOrigin.previousTag, '1.4.0');
    assert.equal(onOrigin.tag, '1.5.0');
    assert.equal(onOrigin.actor, 'mei');
    assert.match(onOrigin.planHash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(onOrigin.digest, s.registry.find('accounts', { imageTag: '1.5.0' })!.digest);
    assert.equal(await prodTag(s), '1.4.0', 'scheduling changes no values file');

    const list = await cli(s, ['scheduled', 'list', '--env', 'prod', '--json'], WED_16_ET);
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout).schedules;
    assert.deepEqual(listed.map((x: any) => [x.id, x.pending]), [[id, true]]);
    // faketime's clock ticks from 16:00 ET: due in (a few seconds less than) an hour.
    assert.ok(listed[0].dueInSeconds <= 3600 && listed[0].dueInSeconds > 3300, String(listed[0].dueInSeconds));

    const before = await originCommits(s);
    const early = await cli(s, ['scheduled', 'run', '--json'], WED_16_ET);
    assert.equal(early.code, 0, early.stdout + early.stderr);
    assert.deepEqual(JSON.parse(early.stdout).runs, []);
    assert.equal(await originCommits(s), before, 'nothing ran before the window opened');

    const due = await cli(s, ['scheduled', 'run', '--json'], WED_1701_ET);
    assert.equal(due.code, 0, due.stdout + due.stderr);
    const [run] = JSON.parse(due.stdout).runs;
    assert.equal(run.id, id);
    assert.equal(run.status, 'deployed');
    assert.equal(await prodTag(s), '1.5.0');
    const done = parse(await originFile(s, file));
    assert.equal(done.outcome.status, 'deployed');
    assert.equal(done.outcome.record, run.outcome.record);
    const rec = parseRecord(await originFile(s, done.outcome.record), done.outcome.record);
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.actor, 'mei', 'the approver who scheduled it is the actor');
    assert.ok(rec.reason?.endsWith(`(scheduled: ${file})`), rec.reason);
    assert.equal(rec.startedAt.slice(0, 16), '2026-11-18T22:01');
    // It ran once: a second run finds nothing due.
    const again = await cli(s, ['scheduled', 'run', '--json'], WED_1701_ET);
    assert.deepEqual(JSON.parse(again.stdout).runs, []);
  });

  it('the plan changed (another tag reached prod): refused with the change as fields, exit 2, prod untouched', async () => {
    const s = sb!;
    const { file } = await schedule(s);
    // Someone else moves prod to another tag after the approval.
    s.pushImage('accounts', '1.4.1', {});
    await pushTag(s, 'prod', 'accounts', '1.4.1');
    const r = await cli(s, ['scheduled', 'run', '--env', 'prod', '--json'], WED_1701_ET);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const [run] = JSON.parse(r.stdout).runs;
    assert.equal(run.status, 'plan-changed');
    assert.deepEqual(run.outcome.changed, [{ field: 'previousTag', scheduled: '1.4.0', now: '1.4.1' }]);
    assert.equal(await prodTag(s), '1.4.1');
    assert.equal(parse(await originFile(s, file)).outcome.status, 'plan-changed');
  });

  it('cancelled: the file is deleted on origin and nothing runs when it would have been due', async () => {
    const s = sb!;
    const { id, file } = await schedule(s);
    const c = await cli(s, ['scheduled', 'cancel', id, '--env', 'prod', '--reason', 'CAB said no'], WED_16_ET);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    await assert.rejects(originFile(s, file));
    const subject = (await git(['log', '-1', '--format=%s', 'main'], s.originDir)).trim();
    assert.equal(subject, 'Cancel scheduled promotion of accounts 1.5.0 in prod: CAB said no');
    const before = await originCommits(s);
    const r = await cli(s, ['scheduled', 'run', '--json'], WED_1701_ET);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout).runs, []);
    assert.equal(await originCommits(s), before);
    assert.equal(await prodTag(s), '1.4.0');
  });

  it('bad input changes nothing: a time inside the blocked window, a time in the past, no reason (exit 64)', async () => {
    const s = sb!;
    const before = await originCommits(s);
    for (const [args, text] of [
      [['--at', '2026-11-18T12:00:00-05:00', '--reason', 'x'], /blocked at 2026-11-18T12:00:00-05:00/],
      [['--at', '2026-11-17T20:00:00-05:00', '--reason', 'x'], /in the past/],
      [['--at', 'tomorrow', '--reason', 'x'], /ISO time with its offset/],
      [['--at', 'window-opens'], /needs --reason/],
    ] as const) {
      const r = await cli(s, ['deploy', 'accounts', '--env', 'prod', ...args], WED_10_ET);
      assert.equal(r.code, 64, r.stdout + r.stderr);
      assert.match(r.stderr, text);
    }
    assert.equal(await originCommits(s), before);
  });
});

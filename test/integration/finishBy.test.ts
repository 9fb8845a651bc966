// window.finishBy with the built CLI under faketime against the sandbox: production closes at 09:00
// US Eastern on weekdays; a run estimated from this service's records (the seed record took 66 s)
// that would end after that is refused before anything changes; one that ends in time passes the
// check. Asserted on the exit code, the check and the estimate as fields, and origin's refs.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { parseRecord } from '../../src/pipeline/model/records';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { CLI, git, recordsOnOrigin, sandboxPerTest } from './helpers/cli';

/** Wednesday 2026-11-18; production is blocked 09:00–17:00 America/New_York (EST, UTC-5), i.e. from 14:00Z. */
const CLOSES = '2026-11-18T14:00:00.000Z';
const SEED_RUN_SECONDS = 66;

const SCENARIO: Scenario = {
  services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } }, cards: { images: { '2.1.0': {} } } },
  environments: { dev: { accounts: '1.5.0', cards: '2.1.0' }, stag: { accounts: '1.5.0', cards: '2.1.0' }, prod: { accounts: '1.4.0', cards: '2.1.0' } },
};

interface Check { name: string; status: string; detail?: string }
interface Estimate { seconds: number; basis: string; runs: number; percentile: number; finishesAt: string; windowClosesAt?: string; marginMinutes?: number }

function cliAt(sb: Sandbox, args: string[], utc: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const vars = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1', GITHUB_ACTOR: 'mei' };
  return new Promise((resolve) => execFile('faketime', ['-f', `@${utc}`, process.execPath, CLI, ...args, '--repo', sb.repoDir], { env: vars, cwd: sb.repoDir, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as any).code as number) : 0, stdout, stderr })));
}

const originRefs = (sb: Sandbox) => git(['for-each-ref', '--format=%(refname) %(objectname)'], sb.originDir);
const DEPLOY = ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-42 ship the ledger fix', '--json'];

describe('window.finishBy (CLI under faketime against the sandbox)', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('finish-by-');

  it('a run that would end after the window closes is refused (exit 2): the finish-by check and the estimate as fields, nothing changed', async () => {
    const s = await box.start(SCENARIO);
    const refs = await originRefs(s);
    const records = await recordsOnOrigin(s, 'prod');
    // 08:59:10 ET: a 66 s run would end at about 09:00:16 ET, after the window closes (50 s of slack for a slow start).
    const r = await cliAt(s, DEPLOY, '2026-11-18 13:59:10');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { kind: string; checks: Check[]; estimate?: Estimate; plan?: unknown; commit?: string; record?: unknown };
    assert.equal(out.kind, 'refused');
    const failed = out.checks.filter((c) => c.status === 'failed').map((c) => c.name);
    assert.deepEqual(failed, ['finish-by'], JSON.stringify(out.checks));
    assert.equal(out.checks.find((c) => c.name === 'window')?.status, 'passed', 'the window itself is still open');
    const est = out.estimate!;
    assert.deepEqual({ seconds: est.seconds, basis: est.basis, runs: est.runs, percentile: est.percentile, windowClosesAt: est.windowClosesAt, marginMinutes: est.marginMinutes }, { seconds: SEED_RUN_SECONDS, basis: 'records', runs: 1, percentile: 90, windowClosesAt: CLOSES, marginMinutes: 0 });
    assert.ok(Date.parse(est.finishesAt) > Date.parse(CLOSES), `${est.finishesAt} is after ${CLOSES}`);
    assert.ok(Date.parse(est.finishesAt) - Date.parse('2026-11-18T13:59:10Z') >= SEED_RUN_SECONDS * 1000);
    assert.equal(out.commit, undefined);
    assert.equal(await originRefs(s), refs, 'origin untouched');
    assert.deepEqual(await recordsOnOrigin(s, 'prod'), records, 'no record of a refused run on origin');
  });

  it('the same run with time to spare passes the check (dry run): the estimate ends before the window closes', async () => {
    const s = await box.start(SCENARIO);
    // 08:57 ET: 66 s later is well before 09:00 ET.
    const r = await cliAt(s, [...DEPLOY, '--dry-run'], '2026-11-18 13:57:00');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { kind: string; checks: Check[]; plan?: { estimate?: Estimate }; record?: { path: string } };
    assert.equal(out.kind, 'dry-run');
    assert.equal(out.checks.find((c) => c.name === 'finish-by')?.status, 'passed', JSON.stringify(out.checks));
    assert.equal(out.plan?.estimate?.windowClosesAt, CLOSES);
    assert.ok(Date.parse(out.plan!.estimate!.finishesAt) < Date.parse(CLOSES));
  });

  it('window.finishBy: false in the repository makes the same late run a warning, and it deploys', async () => {
    const s = await box.start(SCENARIO);
    // Turn finishBy off for prod in the config on origin, as a team would (comments and order kept).
    const file = path.join(s.repoDir, '.gitops-deploy.yaml');
    const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'));
    const prod = (doc.toJS().environments as { name: string }[]).findIndex((e) => e.name === 'prod');
    assert.ok(doc.hasIn(['environments', prod, 'window']), 'prod has a window');
    doc.setIn(['environments', prod, 'window', 'finishBy'], false);
    fs.writeFileSync(file, doc.toString());
    await git(['-c', 'user.name=Dana', '-c', 'user.email=dana@example.invalid', 'commit', '--quiet', '-am', 'prod: finishBy off'], s.repoDir);
    await git(['push', '--quiet', 'origin', 'HEAD:main'], s.repoDir);
    const r = await cliAt(s, DEPLOY, '2026-11-18 13:59:10');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { kind: string; checks: Check[]; plan?: { estimate?: Estimate }; record?: { path: string } };
    assert.equal(out.kind, 'deployed');
    assert.equal(out.checks.find((c) => c.name === 'finish-by')?.status, 'warning');
    assert.equal(out.plan?.estimate?.marginMinutes, undefined);
    // The estimate and its basis are in the record on origin too.
    const rec = parseRecord(await git(['show', `main:${out.record!.path}`], s.originDir), out.record!.path);
    assert.equal(rec.status, 'succeeded');
    assert.deepEqual({ seconds: rec.estimate?.seconds, basis: rec.estimate?.basis, runs: rec.estimate?.runs, windowClosesAt: rec.estimate?.windowClosesAt }, { seconds: SEED_RUN_SECONDS, basis: 'records', runs: 1, windowClosesAt: CLOSES });
  });
});

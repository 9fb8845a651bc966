// The built CLI (dist/cli.js) against the sandbox, asserted from outside: exit codes, the values
// file's bytes on origin, git log on origin, the record's front matter, the Application's state.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecord, type LoadedRecord } from '../../src/pipeline/model/records';
import { startSandbox, type Sandbox, type Scenario } from '../../sandbox/index';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const VALUES = (env: string) => `helm/environments/${env}-env/image-tags.yaml`;
const SATURDAY_10_ET = '@2026-11-21 15:00:00';
const WEDNESDAY_10_ET = '@2026-11-18 15:00:00';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function git(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', args, { cwd }, (err, stdout, stderr) => (err ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout))),
  );
}

function cli(sb: Sandbox, args: string[], opts: { faketime?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1', ...opts.env } as NodeJS.ProcessEnv;
  let cmd = process.execPath;
  let argv = [CLI, ...args, '--repo', sb.repoDir];
  if (opts.faketime) {
    // The product reads the real clock; only the process's view of time is shifted.
    cmd = 'faketime';
    argv = ['-f', opts.faketime, process.execPath, ...argv];
    env.FAKETIME_DONT_FAKE_MONOTONIC = '1';
  }
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, argv, { env, cwd: sb.repoDir, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : -1) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

async function originFile(sb: Sandbox, file: string): Promise<string> {
  return git(['show', `main:${file}`], sb.originDir);
}

async function originLog(sb: Sandbox): Promise<string[]> {
  return (await git(['log', '--format=%s', 'main'], sb.originDir)).trim().split('\n');
}

async function newRecord(sb: Sandbox, env: string, before: string[]): Promise<LoadedRecord> {
  const files = (await git(['ls-tree', '--name-only', 'main', `docs/deployments/${env}/`], sb.originDir)).trim().split('\n').filter((f) => f && !before.includes(f));
  assert.equal(files.length, 1, `one new record on origin in ${env}: ${files.join(', ')}`);
  return parseRecord(await originFile(sb, files[0]), files[0]);
}

async function recordsOnOrigin(sb: Sandbox, env: string): Promise<string[]> {
  return (await git(['ls-tree', '--name-only', 'main', `docs/deployments/${env}/`], sb.originDir)).trim().split('\n').filter(Boolean);
}

function scenario(o: { dev?: string; stag?: string; prod?: string; config?: any } = {}): Scenario {
  return {
    services: {
      accounts: {
        images: {
          '1.3.0': {},
          '1.4.0': {},
          '1.5.0': {},
          '1.5.1': { signed: false },
          '1.5.2': { signedBy: 'untrusted' },
          '1.6.0': { health: 'DOWN' },
          '1.6.1': { crashLoop: true },
          '1.6.2': { errorRate: 0.25 },
          '1.7.0': { syncSeconds: 3 },
        },
      },
      cards: { images: { '2.1.0': {}, '2.2.0': {} } },
    },
    environments: {
      dev: { accounts: o.dev ?? '1.5.0', cards: '2.2.0' },
      stag: { accounts: o.stag ?? '1.4.0', cards: '2.1.0' },
      prod: { accounts: o.prod ?? '1.3.0', cards: '2.1.0' },
    },
    ...(o.config ? { config: o.config } : {}),
  } as Scenario;
}

describe('CLI deploy/rollback against the sandbox', function () {
  this.timeout(120_000);
  let sb: Sandbox | undefined;
  let dir: string;

  before(async function () {
    this.timeout(120_000);
    await new Promise<void>((resolve, reject) => execFile(process.execPath, ['scripts/build.mjs'], { cwd: ROOT }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())));
  });

  async function start(s: Scenario, opts: { syncDelayMs?: number } = {}): Promise<Sandbox> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-deploy-'));
    sb = await startSandbox({ dir, scenario: s, fast: opts.syncDelayMs === undefined, syncDelayMs: opts.syncDelayMs, log: () => undefined });
    return sb;
  }

  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a clean stag deploy: exit 0, one line changed on origin, commit trailers, record, Application Synced/Healthy at the commit', async () => {
    const s = await start(scenario());
    const beforeValues = await originFile(s, VALUES('stag'));
    const beforeRecords = await recordsOnOrigin(s, 'stag');
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-100', '--json'], { env: { GITHUB_ACTOR: 'ci-bot', GITHUB_RUN_ID: '777', GITHUB_RUN_ATTEMPT: '1', GITHUB_SERVER_URL: 'https://github.com', GITHUB_WORKFLOW: 'Deploy Service to Environment' } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.kind, 'deployed');
    assert.equal(await originFile(s, VALUES('stag')), beforeValues.replace(/(accounts:[\s\S]*?tag: )"1\.4\.0"/, '$1"1.5.0"'));
    const log = await originLog(s);
    assert.equal(log[1], 'Deploy accounts to stag: 1.4.0 → 1.5.0');
    assert.equal(log[0], 'Record accounts 1.5.0 in stag: succeeded');
    const body = await git(['log', '-1', '--format=%B', 'main~1'], s.originDir);
    assert.match(body, /Service: accounts\nEnvironment: stag\nPrevious-Tag: 1\.4\.0\nTag: 1\.5\.0\nReason: CHG-100\nActor: ci-bot\n/);
    const rec = await newRecord(s, 'stag', beforeRecords);
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.tag, '1.5.0');
    assert.equal(rec.previousTag, '1.4.0');
    assert.equal(rec.commit, out.commit);
    assert.equal(rec.actor, 'ci-bot');
    assert.deepEqual(rec.workflowRun, { id: 777, attempt: 1, url: 'https://github.com/acme/gitops/actions/runs/777', workflow: 'Deploy Service to Environment', actor: 'ci-bot' });
    assert.ok(!(r.stdout + (await originFile(s, rec.file))).includes(s.env.GITHUB_TOKEN), 'the token is never printed or recorded');
    assert.ok(rec.checks.find((c) => c.name === 'signature' && c.status === 'passed'));
    const app = s.app('accounts', 'stag')!;
    assert.ok(app.status.history.some((h: any) => h.revision === out.commit), 'Argo CD deployed the commit');
    assert.equal(app.status.health.status, 'Healthy');
    console.log(`      wall time of a full stag deploy (validate → record), sandbox at zero delays: ${Math.round(r.ms)} ms`);
  });

  it('Argo CD Synced/Healthy is noticed quickly (watch, not polling)', async () => {
    const s = await start(scenario(), { syncDelayMs: 400 });
    let healthyAt = 0;
    s.events.on('app-health', (e: any) => {
      if (e.app === 'accounts-stag' && e.health === 'Healthy') healthyAt = Date.now();
    });
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    const noticed = Date.parse(out.steps.find((x: any) => x.step === 'sync').finishedAt);
    assert.ok(healthyAt > 0);
    const lag = noticed - healthyAt;
    console.log(`      Argo CD Healthy → pipeline noticed: ${lag} ms`);
    assert.ok(lag < 1000, `lag ${lag} ms`);
  });

  it('prod promotion of stag\'s tag on a Saturday (faketime): exit 0', async () => {
    const s = await start(scenario({ stag: '1.4.0', prod: '1.3.0' }));
    const r = await cli(s, ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-200'], { faketime: SATURDAY_10_ET });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(await originFile(s, VALUES('prod')), /accounts:\n {2}image:\n(?:.*\n)*? {4}tag: "1\.4\.0"/);
    assert.match(r.stdout, /✓ window: open until Mon 09:00 EST/);
  });

  it('--override-window --override-reason in a closed window (faketime, Wednesday 10:00 ET): deployed, WINDOW OVERRIDE in the commit, its trailers and the record', async () => {
    const s = await start(scenario({ stag: '1.4.0', prod: '1.3.0' }));
    const before = await recordsOnOrigin(s, 'prod');
    const r = await cli(s, ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-300 fix totals', '--override-window', '--override-reason', 'SEV1 INC-42: statements wrong for all users'], { faketime: WEDNESDAY_10_ET, env: { GITHUB_ACTOR: 'oncall-alice' } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /! window: WINDOW OVERRIDE by oncall-alice: prod deployments are blocked now/);
    assert.match(await originFile(s, VALUES('prod')), /accounts:\n {2}image:\n(?:.*\n)*? {4}tag: "1\.4\.0"/);
    const body = await git(['log', '--format=%B', '-n', '1', '--grep', '^Deploy accounts to prod', 'main'], s.originDir);
    assert.equal(body.split('\n')[2], 'WINDOW OVERRIDE (emergency, by oncall-alice): SEV1 INC-42: statements wrong for all users');
    // git itself reads the trailers.
    const trailers = await git(['log', '-n', '1', '--grep', '^Deploy accounts to prod', '--format=%(trailers:key=Window-Override,key=Window-Override-By,key=Reason)', 'main'], s.originDir);
    assert.deepEqual(trailers.trim().split('\n'), ['Reason: CHG-300 fix totals', 'Window-Override: SEV1 INC-42: statements wrong for all users', 'Window-Override-By: oncall-alice']);
    const rec = await newRecord(s, 'prod', before);
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.reason, 'CHG-300 fix totals');
    assert.deepEqual(rec.windowOverride, { reason: 'SEV1 INC-42: statements wrong for all users', by: 'oncall-alice' });
    assert.equal(rec.checks.find((c) => c.name === 'window')?.status, 'warning');
  });

  describe('refusals change nothing', () => {
    const cases: [string, Scenario, string[], number, RegExp, string?][] = [
      ['missing image', scenario(), ['deploy', 'accounts', '--env', 'stag', '--tag', '9.9.9'], 2, /image accounts:9\.9\.9 does not exist in ECR/],
      ['unsigned image', scenario({ dev: '1.5.1' }), ['deploy', 'accounts', '--env', 'stag'], 2, /signature of accounts:1\.5\.1 \(sha256:[0-9a-f]{12}…\) rejected \(unsigned\)/],
      ['untrusted signer', scenario({ dev: '1.5.2' }), ['deploy', 'accounts', '--env', 'stag'], 2, /does not verify with the trusted key cosign\.pub/],
      ['not tested upstream', scenario(), ['deploy', 'accounts', '--env', 'prod', '--tag', '1.5.0', '--reason', 'x'], 2, /accounts 1\.5\.0 was never deployed to stag/, SATURDAY_10_ET],
      ['window closed (weekday 10:00 ET)', scenario(), ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-1'], 2, /prod deployments are blocked now \(blocked hours Mon–Fri 09:00–17:00\); the window opens 17:00 EST/, WEDNESDAY_10_ET],
      ['missing reason', scenario(), ['deploy', 'accounts', '--env', 'prod'], 2, /prod requires a reason \(a change ticket and what\/why\)\.\n(?:.*\n)*? {2}to fix:\n {4}reason: pass --reason "CHG-1234 what and why"/, SATURDAY_10_ET],
      ['window closed: the fix names the override flags', scenario(), ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-1'], 2, /^ {4}window: deploy when the window opens \(17:00 EST, in 7 h\), or for an emergency add --override-window --override-reason "why it cannot wait" \(different from --reason\)$/m, WEDNESDAY_10_ET],
      ['--override-window without --override-reason', scenario(), ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-1', '--override-window'], 64, /gitops-deploy: --override-window needs --override-reason "why this cannot wait for the window"/, WEDNESDAY_10_ET],
      ['--override-reason equal to --reason', scenario(), ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-1 fix totals', '--override-window', '--override-reason', 'CHG-1 fix totals'], 64, /gitops-deploy: --override-reason must differ from --reason/, WEDNESDAY_10_ET],
      ['--override-reason too short', scenario(), ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-1', '--override-window', '--override-reason', 'urgent'], 64, /--override-reason must say what the emergency is \(at least 10 characters\)/, WEDNESDAY_10_ET],
      ['--override-reason without --override-window', scenario(), ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-1', '--override-reason', 'SEV1 INC-1 payments down'], 64, /--override-reason goes with --override-window/, WEDNESDAY_10_ET],
      ['bad tag', scenario(), ['deploy', 'accounts', '--env', 'stag', '--tag', 'v1/../x'], 64, /bad tag: the tag "v1\/\.\.\/x" contains "\/"/],
      ['unknown service', scenario(), ['deploy', 'acounts', '--env', 'stag', '--tag', '1.5.0'], 64, /unknown service "acounts" in stag/],
    ];
    for (const [name, sc, args, code, pattern, time] of cases) {
      it(`${name}: exit ${code}, origin and the working tree unchanged`, async () => {
        const s = await start(sc);
        const head = s.headSha();
        const status = await git(['status', '--porcelain'], s.repoDir);
        const r = await cli(s, args, { faketime: time });
        assert.equal(r.code, code, r.stdout + r.stderr);
        assert.match(r.stdout + r.stderr, pattern);
        assert.equal(s.headSha(), head);
        assert.equal((await git(['rev-parse', 'HEAD'], s.repoDir)).trim(), head);
        assert.equal(await git(['status', '--porcelain'], s.repoDir), status);
      });
    }
  });

  describe('verification failures end in a verified rollback (exit 3)', () => {
    const cases: [string, string, RegExp, any?][] = [
      ['health DOWN', '1.6.0', /health: \/actuator\/health answered DOWN \(HTTP 503\)/],
      ['crash loop', '1.6.1', /CrashLoopBackOff|exceeded its progress deadline|Degraded/],
      ['error rate', '1.6.2', /HTTP 5xx ratio 2\d\.\d\d% is over the threshold 1\.00%/],
      ['sync timeout', '1.7.0', /Argo CD did not report accounts-stag Synced and Healthy at [0-9a-f]{7} within 1 s/, { verification: { syncTimeoutSeconds: 1 } }],
    ];
    for (const [name, tag, pattern, config] of cases) {
      // Sandbox bug (sandbox/world.ts rollout): rolling back to a ReplicaSet that still has all its pods never
      // scales the crash-looping ReplicaSet down, so the rollback's rollout never completes there.
      it(`${name}: rollback commit on origin, values file back, record rolled-back, Application Healthy`, async () => {
        const s = await start(scenario({ dev: tag, config }));
        const beforeValues = await originFile(s, VALUES('stag'));
        const beforeRecords = await recordsOnOrigin(s, 'stag');
        const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'try']);
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.match(r.stdout + r.stderr, pattern);
        assert.equal(await originFile(s, VALUES('stag')), beforeValues);
        const log = await originLog(s);
        assert.deepEqual(log.slice(0, 3), ['Record accounts ' + tag + ' in stag: rolled-back', `Rollback accounts in stag: ${tag} → 1.4.0`, `Deploy accounts to stag: 1.4.0 → ${tag}`]);
        const rec = await newRecord(s, 'stag', beforeRecords);
        assert.equal(rec.status, 'rolled-back');
        assert.ok(rec.rollbackCommit);
        assert.ok(rec.checks.some((c) => c.status === 'failed'));
        const app = s.app('accounts', 'stag')!;
        assert.equal(app.status.sync.revision.slice(0, 7) === rec.rollbackCommit!.slice(0, 7) || app.status.sync.revision === s.headSha(), true);
        assert.equal(app.status.health.status, 'Healthy');
      });
    }
  });

  it('a push race on another service: fetch, rebase once, push (exit 0)', async () => {
    const s = await start(scenario());
    const other = path.join(dir, 'other');
    await git(['clone', '-q', s.originDir, other], dir);
    const f = path.join(other, VALUES('stag'));
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('tag: "2.1.0"', 'tag: "2.2.0"'));
    await git(['-c', 'user.name=Other', '-c', 'user.email=o@x', 'commit', '-qam', 'Deploy cards to stag: 2.1.0 → 2.2.0'], other);
    await git(['push', '-q', 'origin', 'HEAD:main'], other);
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const values = await originFile(s, VALUES('stag'));
    assert.match(values, /cards:\n(?:.*\n)*? {4}tag: "2\.2\.0"/);
    assert.match(values, /accounts:\n(?:.*\n)*? {4}tag: "1\.5\.0"/);
    assert.deepEqual((await originLog(s)).slice(0, 3), ['Record accounts 1.5.0 in stag: succeeded', 'Deploy accounts to stag: 1.4.0 → 1.5.0', 'Deploy cards to stag: 2.1.0 → 2.2.0']);
  });

  it("a stale checkout (origin changed the same service since the last pull): the run builds on origin's head, never on the checkout", async () => {
    const s = await start(scenario());
    const other = path.join(dir, 'other');
    await git(['clone', '-q', s.originDir, other], dir);
    const f = path.join(other, VALUES('stag'));
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('tag: "1.4.0"', 'tag: "1.3.0"'));
    await git(['-c', 'user.name=Other', '-c', 'user.email=o@x', 'commit', '-qam', 'Deploy accounts to stag: 1.4.0 → 1.3.0'], other);
    await git(['push', '-q', 'origin', 'HEAD:main'], other);
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.previousTag, '1.3.0');
    assert.deepEqual((await originLog(s)).slice(0, 3), ['Record accounts 1.5.0 in stag: succeeded', 'Deploy accounts to stag: 1.3.0 → 1.5.0', 'Deploy accounts to stag: 1.4.0 → 1.3.0']);
    // the deploy commit's parent is the other clone's commit: built on origin, pushed by id
    const parent = (await git(['rev-parse', `${o.commit}^`], s.originDir)).trim();
    assert.equal(parent, (await git(['rev-parse', 'HEAD'], other)).trim());
    // the checkout was fast-forwarded to origin and is clean
    assert.equal((await git(['rev-parse', 'HEAD'], s.repoDir)).trim(), (await git(['rev-parse', 'main'], s.originDir)).trim());
    assert.equal(await git(['status', '--porcelain'], s.repoDir), '');
  });

  it('Ctrl-C during the Argo CD wait stops cleanly, says the state and prints the rollback command (exit 4)', async () => {
    const s = await start(scenario({ dev: '1.7.0' }));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...s.env, NODE_NO_WARNINGS: '1' };
    const child = spawn(process.execPath, [CLI, 'deploy', 'accounts', '--env', 'stag', '--repo', s.repoDir], { env, cwd: s.repoDir });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      if (out.includes('▸ Wait for Argo CD') && !child.killed) child.kill('SIGINT');
    });
    child.stderr.on('data', (b) => (out += b));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 4, out);
    assert.match(out, /interrupted at sync: accounts 1\.7\.0 is pushed \(commit [0-9a-f]{7}\) but not verified; no automatic rollback was done/);
    assert.match(out, /to roll back: gitops-deploy rollback accounts --env stag --to 1\.4\.0 --reason/);
    assert.ok(!(await originLog(s)).some((l) => l.startsWith('Rollback')));
    assert.ok(!fs.existsSync(path.join(s.repoDir, '.git/gitops-deploy/locks/stag-accounts.lock')), 'the lock is released');
  });

  it('manual rollback to the last succeeded tag: exit 0, record status rollback', async () => {
    const s = await start(scenario());
    assert.equal((await cli(s, ['deploy', 'accounts', '--env', 'stag'])).code, 0);
    const beforeRecords = await recordsOnOrigin(s, 'stag');
    const r = await cli(s, ['rollback', 'accounts', '--env', 'stag', '--reason', 'INC-9 latency', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).tag, '1.4.0');
    assert.match(await originFile(s, VALUES('stag')), /accounts:\n(?:.*\n)*? {4}tag: "1\.4\.0"/);
    const rec = await newRecord(s, 'stag', beforeRecords);
    assert.equal(rec.status, 'rollback');
    assert.equal(rec.reason, 'INC-9 latency');
    assert.equal((await originLog(s))[1], 'Rollback accounts in stag: 1.5.0 → 1.4.0');
  });

  it('a dry run prints the plan and leaves everything unchanged', async () => {
    const s = await start(scenario());
    const head = s.headSha();
    const values = fs.readFileSync(path.join(s.repoDir, VALUES('prod')), 'utf8');
    const r = await cli(s, ['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-7', '--dry-run'], { faketime: SATURDAY_10_ET });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /--- a\/helm\/environments\/prod-env\/image-tags\.yaml\n\s*\+\+\+ b\/helm\/environments\/prod-env\/image-tags\.yaml\n\s*@@ -\d+ \+\d+ @@\n\s*- {4}tag: "1\.3\.0"\n\s*\+ {4}tag: "1\.4\.0"/);
    assert.match(r.stdout, /Deploy accounts to prod: 1\.3\.0 → 1\.4\.0/);
    assert.equal(s.headSha(), head);
    assert.equal(fs.readFileSync(path.join(s.repoDir, VALUES('prod')), 'utf8'), values);
    assert.equal(await git(['status', '--porcelain'], s.repoDir), '');
  });
});

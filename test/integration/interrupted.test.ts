// Durable deployments, tried from outside: the built CLI is killed with SIGKILL at a named line of
// its transcript (no chance to clean up), then origin's history, the records, `status --json` and
// the next runs are asserted. Two clones and a CI runner race for the same service; two services
// go out at once from one clone.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecord, type LoadedRecord } from '../../src/pipeline/model/records';
import { trailers } from '../../src/pipeline/model/journal';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { CLI, git, originLog, recordsOnOrigin, sandboxPerTest } from './helpers/cli';

const VALUES = 'helm/environments/dev-env/image-tags.yaml';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cliEnv(sb: Sandbox, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1', ...extra } as NodeJS.ProcessEnv;
}

/**
 * Runs the CLI in `repo`; when a line of its stdout matches `killAt`, SIGKILLs it at once. `onLine`
 * sees every line (to start something else at a named point without stopping this run).
 */
function runCli(sb: Sandbox, args: string[], o: { repo?: string; killAt?: RegExp; onLine?: (line: string) => void; env?: Record<string, string> } = {}): Promise<Run> {
  const repo = o.repo ?? sb.repoDir;
  // Its own process group: SIGKILL takes the CLI and every git it started at once, as a crash does.
  const child = spawn(process.execPath, [CLI, ...args, '--repo', repo], { env: cliEnv(sb, o.env), cwd: repo, detached: true });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (b: Buffer) => {
    stdout += b;
    pending += b;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      o.onLine?.(line);
      if (o.killAt?.test(line) && child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, { cwd }, (err, out, errOut) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${errOut}`)) : resolve(out))));
}

async function originValues(sb: Sandbox): Promise<string> {
  return git(['show', `main:${VALUES}`], sb.originDir);
}

async function originTrailers(sb: Sandbox, rev: string): Promise<Map<string, string>> {
  return trailers(await git(['log', '-1', '--format=%B', rev], sb.originDir));
}

async function recordsOf(sb: Sandbox): Promise<LoadedRecord[]> {
  const out: LoadedRecord[] = [];
  for (const f of await recordsOnOrigin(sb, 'dev')) out.push(parseRecord(await git(['show', `main:${f}`], sb.originDir), f));
  return out;
}

async function statusJson(sb: Sandbox): Promise<any> {
  const r = await runCli(sb, ['status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const tagOf = (values: string, service: string) => new RegExp(`${service}:\\n(?:.*\\n)*? {4}tag: "([^"]+)"`).exec(values)?.[1];

function scenario(): Scenario {
  return {
    services: {
      accounts: {
        images: {
          '1.4.0': { syncSeconds: 2 },
          '1.5.0': { syncSeconds: 3 },
          '1.6.3': { health: 'DOWN' },
          '1.6.4': { health: 'DOWN', syncSeconds: 3 },
        },
      },
      cards: { images: { '2.1.0': {}, '2.2.0': {} } },
    },
    environments: {
      dev: { accounts: '1.4.0', cards: '2.1.0' },
      stag: { accounts: '1.4.0', cards: '2.1.0' },
      prod: { accounts: '1.4.0', cards: '2.1.0' },
    },
  } as Scenario;
}

describe('interrupted deployments (kill -9) and races, from outside', function () {
  this.timeout(180_000);
  const box = sandboxPerTest('cli-interrupted-');

  it('killed in the Argo CD wait after its push: origin has the commit with its trailers and no record; status and the next deployment say so; resume finishes it with a truthful record', async () => {
    const sb = await box.start(scenario());
    const killed = await runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0'], { killAt: /^▸ Wait for Argo CD$/ });
    assert.equal(killed.signal, 'SIGKILL', killed.stdout + killed.stderr);
    const runId = /\(run (\d{8}T\d{6}Z-[a-z]{6})\)/.exec(killed.stdout)![1];
    // origin: the deploy commit, with the journal's trailers; no record
    assert.equal((await originLog(sb))[0], 'Deploy accounts to dev: 1.4.0 → 1.5.0');
    const t = await originTrailers(sb, 'main');
    assert.equal(t.get('run-id'), runId);
    assert.equal(t.get('kind'), 'deploy');
    assert.equal(t.get('previous-tag'), '1.4.0');
    assert.equal(t.get('tag'), '1.5.0');
    assert.match(t.get('digest')!, /^sha256:[0-9a-f]{64}$/);
    assert.ok(!(await recordsOf(sb)).some((r) => r.runId === runId));
    // the user's checkout is not ahead of origin and not dirty
    assert.equal(await git(['status', '--porcelain'], sb.repoDir), '');
    assert.equal(await git(['rev-list', '--count', 'origin/main..HEAD'], sb.repoDir), '0\n');

    const st = await statusJson(sb);
    assert.deepEqual(st.unfinished.map((u: any) => [u.environment, u.service, u.state, u.runId, u.phase, u.from, u.to]), [['dev', 'accounts', 'interrupted', runId, 'pushed', '1.4.0', '1.5.0']]);

    const again = await runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0', '--json']);
    assert.equal(again.code, 2, again.stdout + again.stderr);
    const refused = JSON.parse(again.stdout);
    const j = refused.checks.find((c: any) => c.name === 'journal');
    assert.equal(j.status, 'failed');
    assert.deepEqual(j.journal, { state: 'interrupted', runId, phase: 'pushed', commit: (await git(['rev-parse', 'main'], sb.originDir)).trim(), from: '1.4.0', to: '1.5.0' });

    const resumed = await runCli(sb, ['resume', 'accounts', '--env', 'dev', '--json']);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).kind, 'deployed');
    const rec = (await recordsOf(sb)).find((r) => r.runId === runId)!;
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.interrupted, true);
    assert.equal(rec.tag, '1.5.0');
    assert.equal(rec.previousTag, '1.4.0');
    assert.ok(rec.checks.some((c) => c.name === 'health' && c.status === 'passed'));
    assert.equal(tagOf(await originValues(sb), 'accounts'), '1.5.0');
    assert.deepEqual((await statusJson(sb)).unfinished, []);
  });

  it('killed in the Argo CD wait of a bad tag: resume verifies it, it fails, and it is rolled back automatically (exit 3), recorded as interrupted', async () => {
    const sb = await box.start(scenario());
    const killed = await runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.6.4'], { killAt: /^▸ Wait for Argo CD$/ });
    assert.equal(killed.signal, 'SIGKILL');
    const resumed = await runCli(sb, ['resume', 'accounts', '--env', 'dev']);
    assert.equal(resumed.code, 3, resumed.stdout + resumed.stderr);
    assert.deepEqual((await originLog(sb)).slice(0, 3), ['Record accounts 1.6.4 in dev: rolled-back', 'Rollback accounts in dev: 1.6.4 → 1.4.0', 'Deploy accounts to dev: 1.4.0 → 1.6.4']);
    assert.equal((await originTrailers(sb, 'main~1')).get('kind'), 'auto-rollback');
    const rec = (await recordsOf(sb)).find((r) => r.tag === '1.6.4' && r.runId)!;
    assert.equal(rec.status, 'rolled-back');
    assert.equal(rec.interrupted, true);
    assert.equal(tagOf(await originValues(sb), 'accounts'), '1.4.0');
  });

  it('killed during its automatic rollback: status shows the rollback unfinished; resume finishes verifying it (exit 3)', async () => {
    const sb = await box.start(scenario());
    const killed = await runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.6.3'], { killAt: /^▸ Rollback: Argo CD sync$/ });
    assert.equal(killed.signal, 'SIGKILL', killed.stdout);
    assert.deepEqual((await originLog(sb)).slice(0, 2), ['Rollback accounts in dev: 1.6.3 → 1.4.0', 'Deploy accounts to dev: 1.4.0 → 1.6.3']);
    const st = await statusJson(sb);
    assert.deepEqual(st.unfinished.map((u: any) => [u.state, u.phase, u.from, u.to]), [['interrupted', 'rolling-back', '1.4.0', '1.6.3']]);
    const resumed = await runCli(sb, ['resume', 'accounts', '--env', 'dev']);
    assert.equal(resumed.code, 3, resumed.stdout + resumed.stderr);
    // the rollback commit is not made again: it is verified
    assert.deepEqual((await originLog(sb)).slice(0, 3), ['Record accounts 1.6.3 in dev: rolled-back', 'Rollback accounts in dev: 1.6.3 → 1.4.0', 'Deploy accounts to dev: 1.4.0 → 1.6.3']);
    const rec = (await recordsOf(sb)).find((r) => r.tag === '1.6.3' && r.runId)!;
    assert.equal(rec.status, 'rolled-back');
    assert.equal(rec.interrupted, true);
    assert.ok(rec.checks.some((c) => c.name === 'rollback-health' && c.status === 'passed'), JSON.stringify(rec.checks.map((c) => c.name)));
    assert.deepEqual((await statusJson(sb)).unfinished, []);
  });

  it('accept and roll back: an interrupted deployment is accepted after verifying it now, or rolled back; each ends in one record', async () => {
    const sb = await box.start(scenario());
    // killed once Argo CD has finished: accept needs what runs to be Synced and Healthy now
    await runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0'], { killAt: /Synced and Healthy at [0-9a-f]{7}$/ });
    const noReason = await runCli(sb, ['resume', 'accounts', '--env', 'dev', '--accept']);
    assert.equal(noReason.code, 64);
    const accepted = await runCli(sb, ['resume', 'accounts', '--env', 'dev', '--accept', '--reason', 'CHG-1 looked at it']);
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    const rec = (await recordsOf(sb)).find((r) => r.tag === '1.5.0' && r.interrupted)!;
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.interrupted, true);
    assert.equal(rec.reason, 'CHG-1 looked at it');

    await runCli(sb, ['deploy', 'cards', '--env', 'dev', '--tag', '2.2.0'], { killAt: /^▸ Wait for Argo CD$/ });
    const rolled = await runCli(sb, ['resume', 'cards', '--env', 'dev', '--rollback', '--reason', 'CHG-2 not today']);
    assert.equal(rolled.code, 3, rolled.stdout + rolled.stderr);
    assert.equal(tagOf(await originValues(sb), 'cards'), '2.1.0');
    const rb = (await recordsOf(sb)).find((r) => r.service === 'cards' && r.tag === '2.2.0')!;
    assert.equal(rb.status, 'rolled-back');
    assert.equal(rb.interrupted, true);
    assert.deepEqual((await statusJson(sb)).unfinished, []);
  });

  it('killed before its push: origin and the checkout are untouched, nothing is unfinished, and the next run takes over the dead run’s lease', async () => {
    const sb = await box.start(scenario());
    const head = (await git(['rev-parse', 'HEAD'], sb.repoDir)).trim();
    const originHead = (await git(['rev-parse', 'main'], sb.originDir)).trim();
    const killed = await runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0'], { killAt: /^▸ Commit$/ });
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal((await git(['rev-parse', 'main'], sb.originDir)).trim(), originHead);
    assert.equal((await git(['rev-parse', 'HEAD'], sb.repoDir)).trim(), head);
    assert.equal(await git(['status', '--porcelain'], sb.repoDir), '');
    assert.deepEqual((await statusJson(sb)).unfinished, []);
    // the dead run's lease is still on origin
    assert.match(await git(['for-each-ref', '--format=%(refname)', 'refs/gitops-deploy/'], sb.originDir), /refs\/gitops-deploy\/locks\/dev\/accounts/);
    const next = await runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0', '--json']);
    assert.equal(next.code, 0, next.stdout + next.stderr);
    assert.match(JSON.parse(next.stdout).checks.find((c: any) => c.name === 'lock').detail, /took over the lease of run \d{8}T\d{6}Z-[a-z]{6}/);
    // released at the end
    assert.equal(await git(['for-each-ref', '--format=%(refname)', 'refs/gitops-deploy/'], sb.originDir), '');
  });

  for (const step of ['Resolve service, environment and tag', 'Pre-validate', 'Pre-flight: observe the systems the verification needs', 'Update the values file', 'Commit', 'Push', 'Wait for Argo CD', 'Wait for the rollout', 'Verify', 'Write the deployment record']) {
    it(`killed at "▸ ${step}": origin, the checkout and status agree, and the next runs end in one truthful record`, async () => {
      const sb = await box.start(scenario());
      const killed = await runCli(sb, ['deploy', 'cards', '--env', 'dev', '--tag', '2.2.0'], { killAt: new RegExp(`^▸ ${step.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
      assert.equal(killed.signal, 'SIGKILL', killed.stdout);
      // never ahead of origin, never dirty
      assert.equal(await git(['status', '--porcelain'], sb.repoDir), '');
      assert.equal(await git(['rev-list', '--count', 'origin/main..HEAD'], sb.repoDir), '0\n');
      const pushed = (await originLog(sb)).includes('Deploy cards to dev: 2.1.0 → 2.2.0');
      const recorded = (await recordsOf(sb)).some((r) => r.service === 'cards' && r.tag === '2.2.0' && r.runId);
      const unfinished = (await statusJson(sb)).unfinished;
      if (!pushed || recorded) assert.deepEqual(unfinished, [], 'nothing unfinished');
      else {
        assert.deepEqual(unfinished.map((u: any) => [u.service, u.state, u.phase]), [['cards', 'interrupted', 'pushed']]);
        const resumed = await runCli(sb, ['resume', 'cards', '--env', 'dev']);
        assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
      }
      // and the deployment can be made (again) — the dead run's lease is taken over; the tag that runs is verified
      const next = await runCli(sb, ['deploy', 'cards', '--env', 'dev', '--tag', '2.2.0', '--json']);
      assert.equal(next.code, 0, next.stdout + next.stderr);
      const recs = (await recordsOf(sb)).filter((r) => r.service === 'cards' && r.tag === '2.2.0' && r.runId);
      // one record per run that changed something: the first run's (if it pushed), and the last one's
      assert.equal(recs.length, pushed ? 2 : 1, JSON.stringify(recs.map((r) => [r.runId, r.status, r.interrupted])));
      assert.ok(recs.every((r) => r.status === 'succeeded'));
      assert.equal(tagOf(await originValues(sb), 'cards'), '2.2.0');
      assert.deepEqual((await statusJson(sb)).unfinished, []);
    });
  }

  it('two clones and a CI runner race for the same service: one deploys, the others are refused at once with who holds it', async () => {
    const sb = await box.start(scenario());
    const other = path.join(box.dir, 'other');
    const ci = path.join(box.dir, 'ci');
    for (const d of [other, ci]) await sh('git', ['clone', '-q', sb.originDir, d], box.dir);
    let started!: () => void;
    const inWait = new Promise<void>((resolve) => (started = resolve));
    // the first run is pushed and waiting for Argo CD (3 s for 1.5.0) when the others start
    const first = runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0'], { onLine: (l) => /^▸ Wait for Argo CD$/.test(l) && started() });
    await inWait;
    const [second, third] = await Promise.all([
      runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0', '--json'], { repo: other }),
      runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0', '--json'], { repo: ci, env: { GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '77', GITHUB_ACTOR: 'ci-bot' } }),
    ]);
    const one = await first;
    assert.equal(one.code, 0, one.stdout + one.stderr);
    const winner = { runId: /\(run (\d{8}T\d{6}Z-[a-z]{6})\)/.exec(one.stdout)![1] };
    for (const r of [second, third]) {
      assert.equal(r.code, 2, r.stdout + r.stderr);
      const o = JSON.parse(r.stdout);
      const refusal = o.checks.find((c: any) => c.status === 'failed');
      // either the journal sees the first run's pushed commit with its live lease, or the lease itself refuses
      assert.ok(refusal.name === 'journal' || refusal.name === 'lock', refusal.name);
      if (refusal.name === 'journal') assert.deepEqual([refusal.journal.state, refusal.journal.runId], ['running', winner.runId]);
      assert.ok(refusal.detail.includes(winner.runId), refusal.detail);
    }
    const recs = (await recordsOf(sb)).filter((r) => r.runId);
    assert.deepEqual(recs.map((r) => r.runId), [winner.runId]);
    assert.equal((await originLog(sb)).filter((l) => l.startsWith('Deploy accounts')).length, 1);
  });

  it('two services at once from one clone: both deploy, each with its own record, nothing pushed that was not validated, the checkout clean', async () => {
    const sb = await box.start(scenario());
    const [a, c] = await Promise.all([
      runCli(sb, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0', '--json']),
      runCli(sb, ['deploy', 'cards', '--env', 'dev', '--tag', '2.2.0', '--json']),
    ]);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    const ids = [JSON.parse(a.stdout).runId, JSON.parse(c.stdout).runId];
    const recs = await recordsOf(sb);
    assert.deepEqual(ids.map((id) => recs.filter((r) => r.runId === id).map((r) => r.status)), [['succeeded'], ['succeeded']]);
    const values = await originValues(sb);
    assert.equal(tagOf(values, 'accounts'), '1.5.0');
    assert.equal(tagOf(values, 'cards'), '2.2.0');
    // every deploy commit on origin carries a run id that has a record
    const bodies = (await git(['log', '--format=%H', 'main'], sb.originDir)).trim().split('\n');
    for (const sha of bodies.slice(0, 4)) {
      const t = await originTrailers(sb, sha);
      if (t.get('kind') === 'deploy') assert.ok(ids.includes(t.get('run-id')), sha);
    }
    assert.equal(await git(['status', '--porcelain'], sb.repoDir), '');
    assert.equal(await git(['rev-list', '--count', 'origin/main..HEAD'], sb.repoDir), '0\n');
  });
});

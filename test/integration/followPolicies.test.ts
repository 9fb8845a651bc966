// `gitops-deploy follow` (the built CLI) against the sandbox: the subscription's policies and the
// polling loop. minAge: a too-new build is skipped with when it settles as a field, then deployed
// once the CLI's clock (faketime, set from that field) is past it. signedBy: a build signed by a key
// the general signing policy trusts but the subscription does not is skipped with a typed reason.
// Polling (no --once): one JSON line per pass; it stops on SIGTERM and backs off on registry errors
// (the back-off is a field of each pass, not a timing the test measures).
import * as assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { parseRecord } from '../../src/pipeline/model/records';
import type { FollowResult } from '../../src/pipeline/follow/follow';
import type { FollowLoopEvent } from '../../src/cli/follow';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { SANDBOX_GIT_IDENTITY } from '../../sandbox/git';
import { CLI, cli, git, sandboxPerTest } from './helpers/cli';

const DEV_VALUES = 'helm/environments/dev-env/image-tags.yaml';
const MAIN = '^main-[0-9a-f]{7,40}$';
const SHA = (c: string) => c.repeat(40).slice(0, 40);
const TAG = (c: string) => `main-${SHA(c).slice(0, 7)}`;

function scenario(config?: Record<string, unknown>): Scenario {
  return {
    services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } }, cards: { images: { '2.1.0': {}, '2.2.0': {} } } },
    environments: { dev: { accounts: '1.5.0', cards: '2.2.0' }, stag: { accounts: '1.4.0', cards: '2.1.0' }, prod: { accounts: '1.4.0', cards: '2.1.0' } },
    ...(config ? { config } : {}),
  } as Scenario;
}

const originFile = (sb: Sandbox, file: string) => git(['show', `main:${file}`], sb.originDir);
const originHead = async (sb: Sandbox) => (await git(['rev-parse', 'main'], sb.originDir)).trim();
const devTag = async (sb: Sandbox, service: string) => new RegExp(`${service}:[\\s\\S]*?tag: "?([^"\\n]+)"?`).exec(await originFile(sb, DEV_VALUES))?.[1];

/** `faketime -f @…` takes local time; the CLI runs with TZ=UTC. */
const fakeAt = (d: Date) => `@${d.toISOString().slice(0, 19).replace('T', ' ')}`;

/** The CLI under faketime (only its view of time moves; the sandbox keeps the real clock). */
function cliAt(sb: Sandbox, args: string[], at: Date): Promise<{ code: number; stdout: string; stderr: string }> {
  const vars = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  return new Promise((resolve) => execFile('faketime', ['-f', fakeAt(at), process.execPath, CLI, ...args, '--repo', sb.repoDir], { env: vars, cwd: sb.repoDir, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as any).code as number) : 0, stdout, stderr })));
}

function results(r: { code: number; stdout: string; stderr: string }): FollowResult[] {
  try {
    return (JSON.parse(r.stdout) as { results: FollowResult[] }).results;
  } catch {
    throw new Error(`follow printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

const accountsOf = (rs: FollowResult[]) => rs.find((r) => r.service === 'accounts')!;

/** `follow` without --once, as a long-running process: its JSON lines as they come, and its exit. */
class Follower {
  readonly events: FollowLoopEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private stderr = '';
  private waiters: (() => void)[] = [];

  constructor(sb: Sandbox, interval: number) {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1' };
    this.child = spawn(process.execPath, [CLI, 'follow', '--env', 'dev', '--interval', String(interval), '--json', '--repo', sb.repoDir], { env, cwd: sb.repoDir, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as FollowLoopEvent);
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr!.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      for (const w of this.waiters.splice(0)) w();
      resolve(code);
    }));
  }

  /** Resolves with the first event (in order) that satisfies pred; fails if the process ends first. */
  async next<E extends FollowLoopEvent>(what: string, pred: (e: FollowLoopEvent) => e is E): Promise<E>;
  async next(what: string, pred: (e: FollowLoopEvent) => boolean): Promise<FollowLoopEvent>;
  async next(what: string, pred: (e: FollowLoopEvent) => boolean): Promise<FollowLoopEvent> {
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`follow exited (${this.child.exitCode ?? this.child.signalCode}) before ${what}; events: ${JSON.stringify(this.events).slice(0, 2000)}\n${this.stderr}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }

  get log(): string {
    return this.stderr;
  }
}

const isPass = (n: number) => (e: FollowLoopEvent): e is Extract<FollowLoopEvent, { event: 'pass' }> => e.event === 'pass' && e.pass === n;

describe('follow: minAge, signedBy and polling (CLI against the sandbox)', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('follow-policies-');
  let follower: Follower | undefined;

  afterEach(async () => {
    follower?.stop();
    await follower?.exited;
    follower = undefined;
  });

  it('minAge: a build younger than minAge is skipped as too-new with when it settles; once the clock is past that, it is deployed', async () => {
    const s = await box.start(scenario({ follow: [{ environment: 'dev', tags: MAIN, minAge: '30m' }] }));
    const tag = TAG('a');
    const { pushedAt } = s.pushImage('accounts', tag, { commit: SHA('a') });
    const settles = new Date(Date.parse(pushedAt) + 30 * 60_000);
    const head = await originHead(s);

    // One minute before it settles (by the CLI's clock): skipped, the time it settles is a field.
    const early = await cliAt(s, ['follow', '--once', '--env', 'dev', '--json'], new Date(settles.getTime() - 60_000));
    assert.equal(early.code, 0, early.stdout + early.stderr);
    const held = accountsOf(results(early));
    assert.equal(held.status, 'no-candidate');
    assert.deepEqual(held.candidates.map((c) => [c.tag, c.skip?.reason]), [[tag, 'too-new']]);
    assert.equal(held.candidates[0].skip?.until, settles.toISOString());
    assert.equal(held.candidates[0].pushedAt, new Date(pushedAt).toISOString());
    assert.equal(await originHead(s), head, 'nothing changed on origin');
    assert.equal(await devTag(s, 'accounts'), '1.5.0');

    // At the time the field named, plus a minute: the same build is deployed, once.
    const late = await cliAt(s, ['follow', '--once', '--env', 'dev', '--json'], new Date(Date.parse(held.candidates[0].skip!.until!) + 60_000));
    assert.equal(late.code, 0, late.stdout + late.stderr);
    const go = accountsOf(results(late));
    assert.equal(go.status, 'deployed');
    assert.equal(go.chosen?.tag, tag);
    assert.equal(go.candidates.filter((c) => c.skip).length, 0);
    assert.equal(await devTag(s, 'accounts'), tag);
    const rec = parseRecord(await originFile(s, go.outcome!.record!.path), go.outcome!.record!.path);
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.tag, tag);
    assert.equal(rec.actor, 'gitops-deploy-follow');
    assert.ok(Date.parse(rec.startedAt) >= settles.getTime(), `${rec.startedAt} is after the build settled (${settles.toISOString()})`);
  });

  it('signedBy: a build signed by a key that signing trusts but the subscription does not is skipped (signature-rejected by signedBy); the newest one it accepts is deployed', async () => {
    // signing trusts both keys (cosign.pub and keys/other-ci.pub); dev follows only what cosign.pub signed.
    const s = await box.start(scenario({ signing: { publicKeys: ['cosign.pub', 'keys/other-ci.pub'] }, follow: [{ environment: 'dev', tags: MAIN, signedBy: ['cosign.pub'] }] }));
    fs.mkdirSync(path.join(s.repoDir, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(s.repoDir, 'keys/other-ci.pub'), s.untrustedPublicKeyPem);
    await git([...SANDBOX_GIT_IDENTITY, 'add', 'keys/other-ci.pub'], s.repoDir);
    await git([...SANDBOX_GIT_IDENTITY, 'commit', '--quiet', '-m', 'Trust the other CI key for deployments'], s.repoDir);
    await git(['push', '--quiet', 'origin', 'HEAD:main'], s.repoDir);
    const ours = TAG('b');
    const theirs = TAG('c');
    const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
    // Key-signed the classic way (cosign sign --key … -a commit=…): the payload names the commit.
    s.pushImage('accounts', ours, { signature: 'classic', commit: SHA('b'), pushedAt: ago(10) });
    s.pushImage('accounts', theirs, { signature: 'classic', commit: SHA('c'), signedBy: 'untrusted', pushedAt: ago(5) });

    // The general signing policy accepts the other key's build: the refusal below is signedBy's alone.
    const plan = await cli(s, ['deploy', 'accounts', '--env', 'dev', '--tag', theirs, '--reason', 'check', '--dry-run', '--json']);
    const planned = JSON.parse(plan.stdout) as { checks: { name: string; status: string }[] };
    assert.equal(planned.checks.find((c) => c.name === 'signature')?.status, 'passed', plan.stdout);

    const r = await cli(s, ['follow', '--once', '--env', 'dev', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const accounts = accountsOf(results(r));
    assert.deepEqual(accounts.candidates.map((c) => [c.tag, c.skip?.reason, c.skip?.policy, c.skip?.signature]), [
      [theirs, 'signature-rejected', 'signedBy', 'untrusted-key'],
      [ours, undefined, undefined, undefined],
    ]);
    assert.equal(accounts.status, 'deployed');
    assert.equal(accounts.chosen?.tag, ours);
    assert.equal(accounts.chosen?.sourceCommit, SHA('b'));
    assert.equal(await devTag(s, 'accounts'), ours);
  });

  it('polling without --once: a pass per interval deploys a build pushed while it runs', async () => {
    const s = await box.start(scenario());
    follower = new Follower(s, 1);
    const first = await follower.next('the first pass', isPass(1));
    assert.equal(accountsOf(first.results).status, 'no-candidate');
    assert.equal(first.consecutiveFailures, 0);
    assert.equal(first.nextPassInSeconds, 1);
    const tag = TAG('d');
    s.pushImage('accounts', tag, { commit: SHA('d') });
    const deployed = await follower.next('a pass that deploys the pushed build', (e) => e.event === 'pass' && accountsOf(e.results).status === 'deployed');
    assert.ok(deployed.event === 'pass' && deployed.pass > 1 && deployed.exitCode === 0, JSON.stringify(deployed).slice(0, 500));
    assert.equal(accountsOf(deployed.results).chosen?.tag, tag);
    assert.equal(await devTag(s, 'accounts'), tag);
    follower.stop();
    // SIGTERM may land in a pass or between passes: either way it ends, and says so as its last line.
    const code = await follower.exited;
    const last = follower.events.at(-1)!;
    assert.ok(last.event === 'stopped', JSON.stringify(last));
    assert.equal(code, last.exitCode, follower.log);
    assert.equal(last.passes, follower.events.filter((e) => e.event !== 'stopped').length);
  });

  it('polling without --once: SIGTERM while it waits for the next pass ends the wait (a 10-minute interval, a 60 s test)', async function () {
    this.timeout(60_000);
    const s = await box.start(scenario());
    follower = new Follower(s, 600);
    const first = await follower.next('the first pass', isPass(1));
    assert.equal(first.nextPassInSeconds, 600);
    follower.stop();
    assert.equal(await follower.exited, 0, follower.log);
    assert.deepEqual(follower.events.map((e) => e.event), ['pass', 'stopped']);
    assert.deepEqual(follower.events.at(-1), { event: 'stopped', passes: 1, exitCode: 0 });
  });

  it('polling without --once: registry errors are no decision, and each failed pass doubles the wait; a good pass resets it', async () => {
    const s = await box.start(scenario());
    s.setFault('ecr', 'DescribeImages', { code: 500, type: 'ServerException', message: 'sandbox: registry down' });
    const head = await originHead(s);
    follower = new Follower(s, 1);
    const one = await follower.next('the first failed pass', isPass(1));
    assert.deepEqual(one.results.map((r) => [r.service, r.status]), [['accounts', 'error'], ['cards', 'error']]);
    assert.equal(one.exitCode, 4);
    assert.deepEqual([one.consecutiveFailures, one.nextPassInSeconds], [1, 2]);
    const two = await follower.next('the second failed pass', isPass(2));
    assert.deepEqual([two.consecutiveFailures, two.nextPassInSeconds], [2, 4]);
    assert.equal(accountsOf(two.results).status, 'error');
    s.setFault('ecr', 'DescribeImages', null);
    const three = await follower.next('the pass after the registry is back', isPass(3));
    assert.deepEqual(three.results.map((r) => [r.service, r.status]), [['accounts', 'no-candidate'], ['cards', 'no-candidate']]);
    assert.deepEqual([three.consecutiveFailures, three.nextPassInSeconds], [0, 1]);
    assert.equal(await originHead(s), head, 'nothing was deployed while the registry could not be read');
    follower.stop();
    assert.equal(await follower.exited, 4, 'the worst pass decides the exit code: could not observe (4)');
    const last = follower.events.at(-1)!;
    assert.ok(last.event === 'stopped' && last.exitCode === 4, JSON.stringify(last));
  });
});

// `gitops-deploy follow` (the built CLI) against the sandbox: the registry receives builds of main
// (scenario pushes and the sandbox's push endpoint), the follower deploys them through the normal
// pipeline. Asserted from outside: exit codes, origin's values file and history, record fields.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecord, type LoadedRecord } from '../../src/pipeline/model/records';
import type { FollowResult } from '../../src/pipeline/follow/follow';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { sandboxPerTest } from './helpers/cli';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const DEV_VALUES = 'helm/environments/dev-env/image-tags.yaml';
const SHA = (c: string) => c.repeat(40).slice(0, 40);

function git(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd }, (err, stdout, stderr) => (err ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout))));
}

function cli(sb: Sandbox, args: string[], repo = sb.repoDir, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const vars = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1', ...env };
  return new Promise((resolve) => execFile(process.execPath, [CLI, ...args, '--repo', repo], { env: vars, cwd: repo, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as any).code as number) : 0, stdout, stderr })));
}

async function followOnce(sb: Sandbox): Promise<{ code: number; results: FollowResult[]; raw: string }> {
  const r = await cli(sb, ['follow', '--once', '--env', 'dev', '--json']);
  let parsed: { results: FollowResult[] };
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new Error(`follow printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, results: parsed.results, raw: r.stdout + r.stderr };
}

const originFile = (sb: Sandbox, file: string) => git(['show', `main:${file}`], sb.originDir);
const originCommits = async (sb: Sandbox) => (await git(['rev-list', '--count', 'main'], sb.originDir)).trim();
const devTag = async (sb: Sandbox, service: string) => new RegExp(`${service}:[\\s\\S]*?tag: "?([^"\\n]+)"?`).exec(await originFile(sb, DEV_VALUES))?.[1];

async function recordOnOrigin(sb: Sandbox, file: string): Promise<LoadedRecord> {
  return parseRecord(await originFile(sb, file), file);
}

function scenario(extra: Partial<Scenario> = {}): Scenario {
  return {
    // Builds are signed keyless by the release workflow (the commit is in the certificate), like a real team.
    signature: 'keyless',
    services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } }, cards: { images: { '2.1.0': {}, '2.2.0': {} } } },
    environments: { dev: { accounts: '1.5.0', cards: '2.2.0' }, stag: { accounts: '1.4.0', cards: '2.1.0' }, prod: { accounts: '1.4.0', cards: '2.1.0' } },
    ...extra,
  };
}

/** The sandbox's control endpoint, as a build's push step would reach a registry. */
async function pushOverHttp(sb: Sandbox, body: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sb.endpoints.ecr}/sandbox/push`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();

describe('follow: dev follows main (CLI against the sandbox)', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('follow-');
  const start = box.start;

  it('a new signed main-* tag (a scenario push) reaches dev: record by the follower, reason names the image and its source commit', async () => {
    const tag = `main-${SHA('a').slice(0, 7)}`;
    const pushed = new Promise((resolve) => {
      // The scenario's push fires when the sandbox starts; wait for its event.
      const s = scenario({ pushes: [{ service: 'accounts', tag, commit: SHA('a'), afterSeconds: 0 }] });
      void start(s).then((box) => box.waitFor('image-pushed', (e: any) => e.tag === tag).then(resolve));
    });
    const event: any = await pushed;
    const s = box.sb!;
    const { code, results, raw } = await followOnce(s);
    assert.equal(code, 0, raw);
    const accounts = results.find((r) => r.service === 'accounts')!;
    assert.equal(accounts.status, 'deployed', raw);
    assert.equal(accounts.chosen?.tag, tag);
    assert.equal(accounts.chosen?.digest, event.digest);
    assert.equal(accounts.chosen?.sourceCommit, SHA('a'));
    assert.equal(await devTag(s, 'accounts'), tag, 'origin has the new tag in dev');
    const rec = await recordOnOrigin(s, accounts.outcome!.record!.path);
    assert.equal(rec.status, 'succeeded');
    assert.equal(rec.tag, tag);
    assert.equal(rec.previousTag, '1.5.0');
    assert.equal(rec.actor, 'gitops-deploy-follow');
    assert.equal(rec.digest, event.digest);
    assert.ok(rec.reason?.includes(`accounts:${tag} (${event.digest})`), rec.reason);
    assert.ok(rec.reason?.includes(`source commit ${SHA('a')}`), rec.reason);
    // cards has no main-* build: nothing to do, nothing changed.
    assert.equal(results.find((r) => r.service === 'cards')?.status, 'no-candidate');
    assert.equal(await devTag(s, 'cards'), '2.2.0');
    // A second pass finds dev up to date and changes nothing.
    const before = await originCommits(s);
    const again = await followOnce(s);
    assert.equal(again.code, 0);
    assert.equal(again.results.find((r) => r.service === 'accounts')?.status, 'up-to-date');
    assert.equal(await originCommits(s), before);
  });

  it('an unsigned newer build is skipped with reason "unsigned"; the newest signed one is deployed instead', async () => {
    const s = await start(scenario());
    const signed = `main-${SHA('b').slice(0, 7)}`;
    const unsigned = `main-${SHA('c').slice(0, 7)}`;
    assert.equal((await pushOverHttp(s, { service: 'accounts', tag: signed, commit: SHA('b'), pushedAt: ago(10) })).status, 201);
    assert.equal((await pushOverHttp(s, { service: 'accounts', tag: unsigned, signed: false, pushedAt: ago(5) })).status, 201);
    // The registry is immutable: the same tag cannot be pushed twice.
    assert.equal((await pushOverHttp(s, { service: 'accounts', tag: unsigned })).status, 409);
    const { code, results, raw } = await followOnce(s);
    assert.equal(code, 0, raw);
    const accounts = results.find((r) => r.service === 'accounts')!;
    assert.deepEqual(accounts.candidates.map((c) => [c.tag, c.skip?.reason]), [[unsigned, 'unsigned'], [signed, undefined]]);
    assert.equal(accounts.status, 'deployed');
    assert.equal(await devTag(s, 'accounts'), signed);
  });

  it('only an unsigned build: skipped with the reason, nothing changes on origin', async () => {
    const s = await start(scenario());
    const unsigned = `main-${SHA('d').slice(0, 7)}`;
    s.pushImage('accounts', unsigned, { signed: false });
    const before = await originCommits(s);
    const { code, results, raw } = await followOnce(s);
    assert.equal(code, 0, raw);
    const accounts = results.find((r) => r.service === 'accounts')!;
    assert.equal(accounts.status, 'no-candidate');
    assert.equal(accounts.candidates[0].tag, unsigned);
    assert.equal(accounts.candidates[0].skip?.reason, 'unsigned');
    assert.equal(await originCommits(s), before);
    assert.equal(await devTag(s, 'accounts'), '1.5.0');
  });

  it('a crash-looping build is rolled back once and never retried automatically (found from its record)', async () => {
    const s = await start(scenario());
    const bad = `main-${SHA('e').slice(0, 7)}`;
    s.pushImage('accounts', bad, { crashLoop: true, commit: SHA('e') });
    const first = await followOnce(s);
    assert.equal(first.code, 3, first.raw);
    const accounts = first.results.find((r) => r.service === 'accounts')!;
    assert.equal(accounts.status, 'rolled-back');
    const rec = await recordOnOrigin(s, accounts.outcome!.record!.path);
    assert.equal(rec.status, 'rolled-back');
    assert.equal(rec.tag, bad);
    assert.equal(rec.actor, 'gitops-deploy-follow');
    assert.equal(await devTag(s, 'accounts'), '1.5.0', 'the rollback restored 1.5.0 on origin');
    const before = await originCommits(s);
    const second = await followOnce(s);
    assert.equal(second.code, 0, second.raw);
    const again = second.results.find((r) => r.service === 'accounts')!;
    assert.equal(again.status, 'no-candidate');
    assert.equal(again.candidates[0].skip?.reason, 'failed-before');
    assert.equal(again.candidates[0].skip?.record, accounts.outcome!.record!.path);
    assert.equal(await originCommits(s), before, 'not retried: origin did not move');
  });

  it('"Pause following" committed from another clone is honoured by the follower; resuming deploys', async () => {
    const s = await start(scenario());
    const other = path.join(box.dir, 'other');
    await git(['clone', '--quiet', s.originDir, other], box.dir);
    await git(['config', 'user.name', 'Dana'], other);
    await git(['config', 'user.email', 'dana@example.invalid'], other);
    const paused = await cli(s, ['follow', 'pause', 'accounts', '--env', 'dev', '--reason', 'INC-7 investigating', '--json'], other, { GIT_AUTHOR_NAME: 'Dana', GIT_COMMITTER_NAME: 'Dana' });
    assert.equal(paused.code, 0, paused.stdout + paused.stderr);
    const marker = await originFile(s, 'docs/deployments/follow/dev/accounts.yaml');
    assert.match(marker, /^paused: true$/m);
    assert.match(marker, /^reason: INC-7 investigating$/m);
    const tag = `main-${SHA('f').slice(0, 7)}`;
    s.pushImage('accounts', tag, {});
    const before = await originCommits(s);
    const held = await followOnce(s);
    assert.equal(held.code, 0, held.raw);
    const accounts = held.results.find((r) => r.service === 'accounts')!;
    assert.equal(accounts.status, 'paused');
    assert.equal(accounts.pause?.reason, 'INC-7 investigating');
    assert.equal(await originCommits(s), before);
    assert.equal(await devTag(s, 'accounts'), '1.5.0');
    const resumed = await cli(s, ['follow', 'resume', 'accounts', '--env', 'dev'], other);
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    await assert.rejects(originFile(s, 'docs/deployments/follow/dev/accounts.yaml'));
    const go = await followOnce(s);
    assert.equal(go.code, 0, go.raw);
    assert.equal(go.results.find((r) => r.service === 'accounts')?.status, 'deployed');
    assert.equal(await devTag(s, 'accounts'), tag);
  });
});

// `records verify` with git.signCommits: the real pipeline (the built CLI against the sandbox, a
// bare origin) commits with the user's git signing config — an SSH key made here with ssh-keygen,
// gpg.format ssh, user.signingkey, commit.gpgSign, gpg.ssh.allowedSignersFile — and verify checks
// each deploy and record commit's signature with git. Then clones with one unsigned deploy commit, one
// signed by a key not in the allowed signers, and one without an allowed-signers file.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deployCommitMessage } from '../../src/pipeline/plan';
import { startSandbox, type Sandbox, type Scenario } from '../../sandbox/index';
import { CLI, git, ROOT, runCmd } from './helpers/cli';

const ID = ['-c', 'user.name=CI Bot', '-c', 'user.email=ci@example.invalid'];

const run = runCmd;

const SCENARIO = {
  services: { accounts: { images: { '1.4.0': {}, '1.5.0': {}, '1.6.0': {} } } },
  environments: { dev: { accounts: '1.6.0' }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } },
  records: [],
} as unknown as Scenario;

describe('records verify: signed commits (SSH signing, real git)', function () {
  this.timeout(180_000);
  let sb: Sandbox;
  let dir: string;
  let key: string;
  let otherKey: string;
  let allowed: string;
  const env = () => ({ PATH: process.env.PATH ?? '', HOME: dir, TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', GITHUB_ACTOR: 'ci-bot', NODE_NO_WARNINGS: '1' }) as NodeJS.ProcessEnv;
  const cli = (args: string[], repo: string) => run(process.execPath, [CLI, ...args, '--repo', repo], repo, env());
  const verify = async (repo: string) => {
    const r = await cli(['records', 'verify', '--env', 'dev', '--json'], repo);
    return { code: r.code, result: JSON.parse(r.stdout), stderr: r.stderr };
  };
  const signing = async (repo: string, signingKey: string, allowedSigners?: string) => {
    await git(['config', 'gpg.format', 'ssh'], repo);
    await git(['config', 'user.signingkey', signingKey], repo);
    await git(['config', 'commit.gpgSign', 'true'], repo);
    if (allowedSigners) await git(['config', 'gpg.ssh.allowedSignersFile', allowedSigners], repo);
  };
  const clone = async (name: string) => {
    const to = path.join(dir, name);
    await git(['clone', '--quiet', sb.originDir, to], dir);
    return to;
  };
  /** A deploy commit of dev made by hand (no record), with `extra` git options. */
  const handDeploy = async (repo: string, extra: string[]) => {
    const values = path.join(repo, 'helm/environments/dev-env/image-tags.yaml');
    fs.writeFileSync(values, fs.readFileSync(values, 'utf8').replace(/"1\.5\.0"/, '"1.6.0"'));
    await git([...ID, ...extra, 'commit', '--quiet', '-am', deployCommitMessage({ service: 'accounts', environment: 'dev', previousTag: '1.5.0', tag: '1.6.0', actor: 'mallory' })], repo);
    return (await git(['rev-parse', 'HEAD'], repo)).trim();
  };

  before(async function () {
    if ((await run('ssh-keygen', ['-?'], os.tmpdir())).code === -1) this.skip(); // no ssh-keygen on this machine
    await new Promise<void>((resolve, reject) => execFile(process.execPath, ['scripts/build.mjs'], { cwd: ROOT }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signed-commits-'));
    key = path.join(dir, 'ci_ed25519');
    otherKey = path.join(dir, 'other_ed25519');
    for (const k of [key, otherKey]) {
      const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', path.basename(k), '-f', k], dir);
      assert.equal(r.code, 0, r.stderr);
    }
    allowed = path.join(dir, 'allowed_signers');
    fs.writeFileSync(allowed, `ci@example.invalid ${fs.readFileSync(`${key}.pub`, 'utf8').trim()}\n`);
    sb = await startSandbox({ dir: path.join(dir, 'sandbox'), scenario: SCENARIO, fast: true, log: () => undefined });
    // The team turns signing on in the repository; the deployer's git signs with their SSH key.
    const config = path.join(sb.repoDir, '.gitops-deploy.yaml');
    const text = fs.readFileSync(config, 'utf8');
    assert.match(text, /^git:\n/m);
    fs.writeFileSync(config, text.replace(/^git:\n/m, 'git:\n  signCommits: true\n'));
    await git([...ID, '-c', 'commit.gpgSign=false', 'commit', '--quiet', '-am', 'Sign the deploy commits'], sb.repoDir);
    await git(['push', '--quiet', 'origin', 'HEAD:main'], sb.repoDir);
    await signing(sb.repoDir, key, allowed);
    for (const tag of ['1.4.0', '1.5.0']) {
      const r = await cli(['deploy', 'accounts', '--env', 'dev', '--tag', tag], sb.repoDir);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
  });

  after(async () => {
    await sb?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every deploy and record commit signed by an allowed key: clean, each signature verified', async () => {
    const { code, result } = await verify(sb.repoDir);
    assert.equal(code, 0, JSON.stringify(result, null, 2));
    const [dev] = result.environments;
    assert.deepEqual(dev.problems, []);
    assert.equal(dev.records, 2);
    // Two deploy commits and the commits that added the two records (or the same commits if the
    // pipeline commits a record with its change): every one verified.
    assert.ok(dev.signatures.checked >= 2, JSON.stringify(dev.signatures));
    assert.equal(dev.signatures.verified, dev.signatures.checked);
    // git itself agrees: the newest commit on origin carries a good signature by the allowed principal.
    const head = (await git(['log', '-1', '--format=%G?%x1f%GS', 'main'], sb.repoDir)).trim().split('\x1f');
    assert.deepEqual(head, ['G', 'ci@example.invalid']);
    const text = await cli(['records', 'verify', '--env', 'dev'], sb.repoDir);
    assert.equal(text.code, 0);
    assert.ok(text.stdout.includes(`${dev.signatures.checked} of ${dev.signatures.checked} commits' signatures verified`), text.stdout);
  });

  it('one unsigned deploy commit is reported (with the deployment that left no trace)', async () => {
    const repo = await clone('unsigned');
    await signing(repo, key, allowed);
    const sha = await handDeploy(repo, ['-c', 'commit.gpgSign=false']);
    const { code, result } = await verify(repo);
    assert.equal(code, 4);
    assert.deepEqual(result.environments[0].problems.map((p: any) => [p.kind, p.commit, p.error, p.signature?.status]), [
      ['unrecorded-commit', sha, true, undefined],
      ['unsigned-commit', sha, true, 'N'],
    ]);
    const text = await cli(['records', 'verify', '--env', 'dev'], repo);
    assert.equal(text.code, 4);
    assert.ok(text.stderr.includes(`unsigned-commit: deploy commit ${sha.slice(0, 12)} is not signed`), text.stderr);
  });

  it('a commit signed by a key that is not an allowed signer is reported with its key', async () => {
    const repo = await clone('untrusted');
    await signing(repo, key, allowed);
    const sha = await handDeploy(repo, ['-c', `user.signingkey=${otherKey}`]);
    const fingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${otherKey}.pub`], dir)).stdout.split(' ')[1];
    const { code, result } = await verify(repo);
    assert.equal(code, 4);
    const untrusted = result.environments[0].problems.filter((p: any) => p.kind !== 'unrecorded-commit');
    assert.deepEqual(untrusted.map((p: any) => [p.kind, p.commit, p.signature]), [['untrusted-signature', sha, { status: 'U', key: fingerprint }]]);
  });

  it('without an allowed-signers file the signatures cannot be checked: one warning, exit 0', async () => {
    const repo = await clone('no-allowed-signers');
    const { code, result } = await verify(repo);
    assert.equal(code, 0, JSON.stringify(result, null, 2));
    const [dev] = result.environments;
    assert.deepEqual(dev.problems.map((p: any) => [p.kind, p.error]), [['unverifiable-signature', false]]);
    assert.equal(dev.signatures.verified, 0);
  });
});

// Signatures from the CLI against the sandbox: keyless bundles (the local Fulcio/Rekor), key-based
// bundles and classic .sig pass with their evidence in --json and the record; each refusal exits 2
// and changes nothing; a tag pushed again after validation is rolled back (exit 3) with both digests.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecord, type LoadedRecord } from '../../src/pipeline/model/records';
import type { Sandbox, Scenario } from '../../sandbox/index';
import { sandboxPerTest } from './helpers/cli';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const VALUES = (env: string) => `helm/environments/${env}-env/image-tags.yaml`;

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

async function newRecord(sb: Sandbox, env: string, before: string[]): Promise<LoadedRecord> {
  const files = (await git(['ls-tree', '--name-only', 'main', `docs/deployments/${env}/`], sb.originDir)).trim().split('\n').filter((f) => f && !before.includes(f));
  assert.equal(files.length, 1, `one new record on origin in ${env}: ${files.join(', ')}`);
  return parseRecord(await originFile(sb, files[0]), files[0]);
}

async function recordsOnOrigin(sb: Sandbox, env: string): Promise<string[]> {
  return (await git(['ls-tree', '--name-only', 'main', `docs/deployments/${env}/`], sb.originDir)).trim().split('\n').filter(Boolean);
}


function scenario(dev: string, images: Record<string, Record<string, unknown>>): Scenario {
  return {
    signature: 'keyless',
    services: { accounts: { images: { '1.4.0': {}, ...images } } },
    environments: { dev: { accounts: dev }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } },
  };
}

describe('CLI signatures against the sandbox (bundles via referrers, classic, keyless identity policy)', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('cli-sig-');
  const start = box.start;

  for (const [form, spec] of [['keyless', {}], ['bundle', { signature: 'bundle' }], ['classic', { signature: 'classic' }]] as const) {
    it(`${form}: exit 0; the check, --json and the record carry the form and the signer`, async () => {
      const s = await start(scenario('1.5.0', { '1.5.0': spec }));
      const before = await recordsOnOrigin(s, 'stag');
      const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = JSON.parse(r.stdout);
      const check = out.checks.find((c: any) => c.name === 'signature');
      assert.equal(check.status, 'passed');
      assert.equal(check.signature.form, form === 'classic' ? 'classic' : 'bundle');
      assert.equal(check.signature.signer, form === 'keyless' ? 'keyless' : 'key');
      if (form === 'keyless') {
        assert.equal(check.signature.identity.subject, 'https://github.com/acme/accounts/.github/workflows/release.yml@refs/heads/main');
        assert.equal(check.signature.identity.issuer, 'https://token.actions.githubusercontent.com');
        assert.equal(typeof check.signature.rekorLogIndex, 'number');
      } else {
        assert.equal(check.signature.key, 'cosign.pub');
      }
      if (form !== 'classic') assert.equal(check.signature.via, 'referrers-api');
      const rec = await newRecord(s, 'stag', before);
      assert.deepEqual(rec.checks.find((c) => c.name === 'signature')?.signature, check.signature);
      assert.ok(out.checks.find((c: any) => c.name === 'running-digest' && c.status === 'passed'));
    });
  }

  const refusals: [string, Record<string, unknown>, string][] = [
    ['unsigned', { signature: 'none' }, 'unsigned'],
    ['another workflow', { identity: 'https://github.com/someone/fork/.github/workflows/release.yml@refs/heads/main' }, 'identity-not-allowed'],
    ['tampered keyless bundle', { tampered: true }, 'tampered'],
    ['bundle signed with another key', { signature: 'bundle', signedBy: 'untrusted' }, 'untrusted-key'],
  ];
  for (const [name, spec, reason] of refusals) {
    it(`${name}: exit 2 with reason ${reason}, nothing changed`, async () => {
      const s = await start(scenario('1.5.0', { '1.5.0': spec }));
      const head = s.headSha();
      const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--json']);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      const check = JSON.parse(r.stdout).checks.find((c: any) => c.name === 'signature');
      assert.equal(check.status, 'failed');
      assert.equal(check.signatureRefusal.reason, reason);
      if (reason === 'identity-not-allowed') assert.equal(check.signatureRefusal.foundIdentity.subject, spec.identity);
      assert.equal(s.headSha(), head);
      assert.equal(await git(['status', '--porcelain'], s.repoDir), '');
    });
  }

  it('a tag pushed again after validation: running-digest fails, rollback (exit 3) with both digests', async () => {
    const s = await start(scenario('1.5.0', { '1.5.0': { repushedBeforeRollout: true } }));
    const before = await recordsOnOrigin(s, 'stag');
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--json']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    const sig = out.checks.find((c: any) => c.name === 'signature');
    const running = out.checks.find((c: any) => c.name === 'running-digest');
    assert.equal(running.status, 'failed');
    assert.equal(running.runningDigest.verified, sig.signature.digest);
    assert.equal(running.runningDigest.running.length, 1);
    assert.notEqual(running.runningDigest.running[0], sig.signature.digest);
    const rec = await newRecord(s, 'stag', before);
    assert.equal(rec.status, 'rolled-back');
    assert.deepEqual(rec.checks.find((c) => c.name === 'running-digest')?.runningDigest, running.runningDigest);
    assert.match(await originFile(s, VALUES('stag')), /tag: "1\.4\.0"/);
  });
});

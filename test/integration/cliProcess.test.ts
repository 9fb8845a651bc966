// The built CLI as a process: --help and --version from dist/cli.js alone (the core and the SDKs
// are not loaded), and a closed pipe (`gitops-deploy status | head`) ends quietly with the
// command's own exit code.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build, CLI, ROOT } from './helpers/cli';

const FIXTURE = path.join(ROOT, 'test/e2e/fixtures/gitops-repo');

/** Runs a CLI file; `closeStdout` closes the reading end of its stdout before it writes anything. */
function run(file: string, args: string[], opts: { closeStdout?: boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), TZ: 'UTC' } });
    let stdout = '';
    let stderr = '';
    if (opts.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI as a process', function () {
  let alone: string;
  before(async function () {
    this.timeout(180_000);
    await build();
    // dist/cli.js copied without the core beside it: --help and --version must not need it.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gd-cli-alone-'));
    alone = path.join(dir, 'cli.js');
    await fs.copyFile(CLI, alone);
  });
  after(async () => fs.rm(path.dirname(alone), { recursive: true, force: true }));

  it('answers --help, <command> --help and --version without loading the core', async () => {
    const version = (require('../../package.json') as { version: string }).version;
    const v = await run(alone, ['--version']);
    assert.deepEqual(v, { code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await run(alone, ['--help']);
    assert.equal(help.code, 0);
    assert.equal(help.stderr, '');
    assert.equal(help.stdout.split('\n')[0], 'usage: gitops-deploy <command> [options]');
    const deployHelp = await run(alone, ['deploy', '-h']);
    assert.equal(deployHelp.code, 0);
    assert.ok(deployHelp.stdout.startsWith('usage: gitops-deploy deploy <service> --env ENV '));
    // A command does need the core: without it, the copy fails (so the copy is really alone).
    assert.notEqual((await run(alone, ['status', '--repo', FIXTURE])).code, 0);
  });

  it('a closed stdout ends quietly: no EPIPE trace, the command\'s exit code', async () => {
    for (const args of [['status', '--repo', FIXTURE], ['records', '--repo', FIXTURE], ['--help'], ['status', '--help']]) {
      const r = await run(CLI, args, { closeStdout: true });
      assert.equal(r.stderr, '', args.join(' '));
      assert.equal(r.code, 0, args.join(' '));
    }
  });

  it('a usage error goes to stderr with exit 64, whichever file answers', async () => {
    const r = await run(CLI, ['deploy', 'accounts', '--bogus']);
    assert.equal(r.code, 64);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'gitops-deploy: unknown option --bogus for "deploy"\n  see: gitops-deploy deploy --help\n');
  });
});

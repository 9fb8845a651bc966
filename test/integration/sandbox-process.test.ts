import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { tempDir } from './helpers/sandbox';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<X>(fn: () => X | undefined, timeoutMs: number, what: string): Promise<X> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const x = fn();
    if (x !== undefined) return x;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sandbox process (npm run sandbox)', function () {
  this.timeout(40000);
  let child: ChildProcess | undefined;
  let dir: string;

  before(() => {
    dir = tempDir();
  });
  after(() => {
    // safety net: only the process group this test started
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('becomes ready, and SIGTERM stops it leaving no process behind', async () => {
    const scenario = path.join(__dirname, '../../sandbox/scenarios/minimal.yaml');
    child = spawn('npm', ['run', '--silent', 'sandbox', '--', '--dir', dir, '--scenario', scenario, '--fast', '--quiet'], { cwd: path.join(__dirname, '../..'), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const stateFile = path.join(dir, 'sandbox.json');
    const state = await until(() => {
      if (child?.exitCode !== null) throw new Error(`sandbox exited: ${output}`);
      try {
        const s = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
        return s.ready ? s : undefined;
      } catch {
        return undefined;
      }
    }, 30000, 'sandbox.json ready');
    assert.ok(state.endpoints.kubernetes.startsWith('https://127.0.0.1:'));
    assert.ok(fs.existsSync(path.join(dir, 'sandbox.env')));
    const env = fs.readFileSync(path.join(dir, 'sandbox.env'), 'utf8');
    assert.match(env, /^KUBECONFIG=/m);
    assert.match(env, /^GITHUB_API_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    const r = await fetch(`${state.endpoints.services}/metrics`);
    assert.equal(r.status, 200);
    const pids: number[] = Object.values(state.pids as Record<string, number>);
    assert.ok(pids.every(alive));
    process.kill(child.pid!, 'SIGTERM');
    await exited;
    await until(() => (pids.some(alive) ? undefined : true), 10000, 'sandbox processes to exit');
    const after = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    assert.equal(after.ready, false);
    await assert.rejects(fetch(`${state.endpoints.kubernetes}/version`));
  });
});

// Starts the sandbox (sandbox/main.ts under tsx, its own process group) for an e2e run and reads
// what clients need: DIR/sandbox.json (repo, endpoints) and DIR/sandbox.env (KUBECONFIG, AWS_*, …).
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, killGroup, watchChild } from './tools.mjs';

/** KEY=value lines (optionally `export KEY="value"`). */
export function readEnvFile(file) {
  const env = {};
  if (!file || !fs.existsSync(file)) return env;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    env[m[1]] = v;
  }
  return env;
}

/**
 * @param {{ dir: string, scenario?: string, fast?: boolean, quiet?: boolean, timeoutMs?: number, gitUser?: string }} o
 * @returns {Promise<{ repo: string, env: Record<string,string>, state: any, stop(): Promise<void>, output(): string, exited: Promise<void> }>}
 */
export async function startSandboxProcess({ dir, scenario, fast = false, quiet = true, timeoutMs = 120_000, gitUser = 'E2E Deployer' }) {
  const stateFile = path.join(dir, 'sandbox.json');
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(stateFile, { force: true });
  const args = ['sandbox/main.ts', '--dir', dir, '--quiet'];
  if (scenario) args.push('--scenario', path.resolve(scenario));
  if (fast) args.push('--fast');
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), args, { cwd: ROOT, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
  const { output, exitedPromise, hasExited } = watchChild(child, quiet);
  const stop = () => killGroup(child, exitedPromise, hasExited);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (hasExited()) throw new Error(`the sandbox exited before it was ready:\n${output().slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`the sandbox was not ready within ${timeoutMs / 1000} s:\n${output().slice(-3000)}`);
      try {
        const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
        if (state.ready === true) {
          const repo = state.repo ?? path.join(dir, 'repo');
          // The pipeline commits as this person (the actor falls back to git user.name).
          for (const [k, v] of [['user.name', gitUser], ['user.email', 'e2e@example.invalid'], ['commit.gpgsign', 'false']]) execFileSync('git', ['config', k, v], { cwd: repo });
          return { repo, env: readEnvFile(state.env ?? path.join(dir, 'sandbox.env')), state, stop, output, exited: exitedPromise };
        }
      } catch (err) {
        if (!(err instanceof SyntaxError) && err?.code !== 'ENOENT') throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

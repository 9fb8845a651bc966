// The built CLI (dist/cli.js) run as a child process against a sandbox, and origin read with git.
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRecord, type LoadedRecord } from '../../../src/pipeline/model/records';
import * as fs from 'node:fs';
import { startSandbox, type Sandbox, type Scenario } from '../../../sandbox/index';

export const ROOT = path.resolve(__dirname, '../../..');
export const CLI = path.join(ROOT, 'dist/cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command's exit code and output, never throwing (argument arrays only). */
export function runCmd(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve) =>
    execFile(cmd, args, { cwd, env, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stdout, stderr })),
  );
}

export function git(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => execFile('git', args, { cwd }, (err, stdout, stderr) => (err ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout))));
}

export function build(): Promise<void> {
  return new Promise<void>((resolve, reject) => execFile(process.execPath, ['scripts/build.mjs'], { cwd: ROOT }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())));
}

/** Runs `gitops-deploy ARGS --repo <sandbox repo>` with the sandbox's variables (plus `env`, minus `drop`). */
export function cli(sb: Sandbox, args: string[], opts: { env?: Record<string, string>; drop?: string[]; cwd?: string; repo?: boolean } = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...sb.env, GIT_AUTHOR_NAME: 'CI Bot', GIT_AUTHOR_EMAIL: 'ci@example.invalid', GIT_COMMITTER_NAME: 'CI Bot', GIT_COMMITTER_EMAIL: 'ci@example.invalid', NODE_NO_WARNINGS: '1', ...opts.env };
  for (const k of opts.drop ?? []) delete env[k];
  const argv = [CLI, ...args, ...(opts.repo === false ? [] : ['--repo', sb.repoDir])];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { env: env as NodeJS.ProcessEnv, cwd: opts.cwd ?? sb.repoDir, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Subjects of origin's main, newest first. */
export async function originLog(sb: Sandbox): Promise<string[]> {
  return (await git(['log', '--format=%s', 'main'], sb.originDir)).trim().split('\n');
}

export async function recordsOnOrigin(sb: Sandbox, env: string): Promise<string[]> {
  return (await git(['ls-tree', '--name-only', 'main', `docs/deployments/${env}/`], sb.originDir)).trim().split('\n').filter(Boolean);
}

export async function newRecordOnOrigin(sb: Sandbox, env: string, before: string[]): Promise<LoadedRecord> {
  const files = (await recordsOnOrigin(sb, env)).filter((f) => !before.includes(f));
  if (files.length !== 1) throw new Error(`expected one new record on origin in ${env}, found: ${files.join(', ') || 'none'}`);
  return parseRecord(await git(['show', `main:${files[0]}`], sb.originDir), files[0]);
}

/**
 * In a `describe`: builds the CLI once, starts a sandbox per test with `start(scenario)` in a
 * fresh folder (`dir`), and stops and removes it after each test.
 */
export function sandboxPerTest(prefix: string): { start(s: Scenario): Promise<Sandbox>; readonly sb: Sandbox | undefined; readonly dir: string } {
  let sb: Sandbox | undefined;
  let dir = '';
  before(async function () {
    this.timeout(180_000);
    await build();
  });
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = '';
  });
  return {
    async start(s) {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      sb = await startSandbox({ dir, scenario: s, fast: true, log: () => undefined });
      return sb;
    },
    get sb() {
      return sb;
    },
    get dir() {
      return dir;
    },
  };
}

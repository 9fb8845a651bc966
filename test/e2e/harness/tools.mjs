// Shared by scripts/e2e.mjs, scripts/start.mjs and scripts/test-all.mjs: the project's tools that
// are not npm dependencies (code-server in .tools/, Debian's chromium), processes and ports.
// Never shells out with a string: every child is spawn/execFile with an argument array.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CODE_SERVER_VERSION = '4.100.3';
export const CODE_SERVER_DIR = path.join(ROOT, '.tools', 'code-server', 'node_modules', 'code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const isWindows = process.platform === 'win32';
export const NPM = isWindows ? 'npm.cmd' : 'npm';

/** Runs a command with inherited stdio; resolves to its exit code (signals count as 1). */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Like run() but also returns everything the command printed (it is still shown live). With
 * `timeoutMs`, the command's whole process group is killed when it runs longer (code 124).
 */
export function runTee(cmd, args, { timeoutMs, ...opts } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT, detached: !isWindows, ...opts });
    let output = '';
    let timedOut = false;
    const signal = (sig) => {
      try {
        if (isWindows) child.kill(sig);
        else process.kill(-child.pid, sig);
      } catch {
        // gone
      }
    };
    // SIGTERM first so the e2e runner can stop code-server and the browser; SIGKILL if it lingers.
    const stop = () => {
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), 15_000).unref();
    };
    // The child has its own process group, so a Ctrl-C on us must be passed on.
    const onSignal = () => stop();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          const msg = `\n*** ${cmd} ${args.join(' ')}: no result after ${timeoutMs / 1000} s, stopped\n`;
          output += msg;
          process.stderr.write(msg);
          stop();
        }, timeoutMs)
      : undefined;
    child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { output += d; process.stderr.write(d); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve({ code: timedOut ? 124 : (code ?? (signal ? 1 : 0)), output });
    });
  });
}

export async function mustRun(cmd, args, opts) {
  const code = await run(cmd, args, opts);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}`);
}

function installedCodeServerVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(CODE_SERVER_DIR, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Installs code-server into .tools/ when it is missing (scripts/setup-code-server.sh). */
export async function ensureCodeServer() {
  if (
    installedCodeServerVersion() === CODE_SERVER_VERSION &&
    fs.existsSync(CODE_SERVER_ENTRY) &&
    fs.existsSync(path.join(ROOT, '.tools', 'code-server', `.complete-${CODE_SERVER_VERSION}`))
  ) {
    return;
  }
  await mustRun('bash', [path.join(ROOT, 'scripts', 'setup-code-server.sh')], {
    env: { ...process.env, CODE_SERVER_VERSION },
  });
}

/** Installs Debian's chromium when it is missing and we may (root with apt-get). */
export async function ensureChromium() {
  if (fs.existsSync(CHROMIUM)) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  console.log('installing chromium (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await mustRun('apt-get', ['update', '-qq'], { env });
  await mustRun('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-liberation', 'fonts-dejavu-core'], { env });
}

/** A free TCP port on 127.0.0.1 (or `preferred` when it is free). */
export function freePort(preferred = 0) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', (err) => {
      if (preferred) freePort(0).then(resolve, reject);
      else reject(err);
    });
    srv.listen(preferred, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Private folders for one code-server: user data, extensions and XDG dirs (no /tmp leftovers). */
export function codeServerDirs(base) {
  const dirs = {
    userData: path.join(base, 'user-data'),
    extensions: path.join(base, 'extensions'),
    xdgConfig: path.join(base, 'xdg-config'),
    xdgData: path.join(base, 'xdg-data'),
    xdgCache: path.join(base, 'xdg-cache'),
    xdgRuntime: path.join(base, 'xdg-runtime'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  return dirs;
}

/** Writes VS Code user settings that keep a test/demo workbench quiet and offline. */
export function writeUserSettings(dirs, extra = {}) {
  const file = path.join(dirs.userData, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'git.autoRepositoryDetection': false,
    'git.openRepositoryInParentFolders': 'never',
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
    'window.commandCenter': false,
    ...extra,
  };
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
}

/**
 * Starts code-server on 127.0.0.1:port in its own process group.
 * @returns {{ child: import('node:child_process').ChildProcess, url: string, stop(): Promise<void>, output(): string }}
 */
export function startCodeServer({ port, dirs, folder, env = {}, quiet = true, extraArgs = [] }) {
  const args = [
    CODE_SERVER_ENTRY,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    ...extraArgs,
  ];
  if (folder) args.push(folder);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: !isWindows, // own process group: stop() kills the server and everything it forked
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      XDG_CONFIG_HOME: dirs.xdgConfig,
      XDG_DATA_HOME: dirs.xdgData,
      XDG_CACHE_HOME: dirs.xdgCache,
      XDG_RUNTIME_DIR: dirs.xdgRuntime,
      TMPDIR: dirs.xdgRuntime,
      ...env,
    },
  });
  const { output, exitedPromise, hasExited } = watchChild(child, quiet);
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output,
    get exited() { return hasExited(); },
    async stop() {
      await killGroup(child, exitedPromise, hasExited);
    },
  };
}

/** SIGTERM to the child's process group, SIGKILL after 5 s if anything is left. */
export async function killGroup(child, exitedPromise, isExited) {
  if (child.pid === undefined) return;
  const signal = (sig) => {
    try {
      if (isWindows) child.kill(sig);
      else process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  if (!isExited()) {
    signal('SIGTERM');
    const timer = new Promise((r) => setTimeout(r, 5000).unref());
    await Promise.race([exitedPromise, timer]);
  }
  // The group may hold children (extension host, file watcher, pty host) that outlived the leader.
  signal('SIGKILL');
  await exitedPromise;
}

/** Resolves when GET url/healthz answers 200; rejects after timeoutMs or if the server exits. */
export async function waitForHealthy(server, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exited) throw new Error(`code-server exited during start:\n${server.output()}`);
    try {
      const res = await fetch(`${server.url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`code-server did not answer ${server.url}/healthz within ${timeoutMs / 1000} s:\n${server.output()}`);
}

export function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Collects a child's stdout and stderr (echoing them unless quiet) and tracks its exit.
 * @param {import('node:child_process').ChildProcess} child
 */
export function watchChild(child, quiet) {
  let log = '';
  const onData = (d) => {
    log += d;
    if (!quiet) process.stderr.write(d);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  return { output: () => log, exitedPromise, hasExited: () => exited };
}

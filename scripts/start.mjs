// npm start — GitOps Deploy in a real VS Code (code-server) on 127.0.0.1, ready to click through:
//   npm ci if node_modules is missing → code-server into .tools/ if missing → build → package the
//   .vsix and install it into a private extensions dir (falls back to loading the extension from
//   this folder) → start the sandbox (sandbox/main.ts) and open its GitOps repository, or open a
//   copy of the e2e fixture repository when there is no sandbox → print the URL.
// Ctrl-C (SIGINT/SIGTERM, or the npm launcher going away) stops code-server and the sandbox.
// Options: --port <n> (or PORT; default 8080, else a free port), --fixture (no sandbox),
//          --scenario <file> (passed to the sandbox).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareFixtureRepo } from '../test/e2e/fixture.mjs';
import { startSandboxProcess } from '../test/e2e/harness/sandbox.mjs';
import {
  CODE_SERVER_ENTRY,
  NPM,
  ROOT,
  codeServerDirs,
  ensureCodeServer,
  freePort,
  mustRun,
  seconds,
  startCodeServer,
  waitForHealthy,
  writeUserSettings,
} from '../test/e2e/harness/tools.mjs';

const argv = process.argv.slice(2);
const opt = (n) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const STATE = path.join(ROOT, '.sandbox');
const DEMO = path.join(STATE, 'demo');
const START = path.join(STATE, 'start');
const t0 = Date.now();
const say = (m) => console.log(`[start ${seconds(Date.now() - t0)}] ${m}`);

const stops = [];
let stopping;
function shutdown(code = 0) {
  stopping ??= (async () => {
    for (const fn of stops.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`stop: ${err?.message ?? err}`);
      }
    }
    process.exit(code);
  })();
  return stopping;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`\n[start] ${sig}: stopping…`);
    void shutdown(0);
  });
}
// `npm start` runs us through `sh -c`, which does not pass SIGTERM on: stop when we lose our parent.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown(0);
}, 1000).unref();

function toolEnv(dirs) {
  return { ...process.env, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_DATA_HOME: dirs.xdgData, XDG_CACHE_HOME: dirs.xdgCache, XDG_RUNTIME_DIR: dirs.xdgRuntime };
}

/** Runs a command with its output kept back; prints that output only when it fails. */
function quietly(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const c = code ?? (signal ? 1 : 0);
      if (c !== 0) process.stderr.write(output);
      resolve(c);
    });
  });
}

/** Packages the extension and installs it; returns false when that did not work. */
async function installVsix(dirs) {
  const vsix = path.join(START, 'gitops-deploy.vsix');
  fs.rmSync(vsix, { force: true });
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  // Their chatter (vsce's file listing, code-server's "wrote default config") is shown only when they fail.
  const packed = await quietly(vsce, ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', vsix]);
  if (packed !== 0 || !fs.existsSync(vsix)) return false;
  say(`packaged ${path.relative(ROOT, vsix)} (${(fs.statSync(vsix).size / 1024 / 1024).toFixed(2)} MB)`);
  const installed = await quietly(process.execPath, [CODE_SERVER_ENTRY, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsix, '--force'], { env: toolEnv(dirs) });
  return installed === 0;
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'node_modules', '.bin', 'esbuild'))) {
    say('npm ci');
    await mustRun(NPM, ['ci', '--no-audit', '--no-fund']);
  }
  await ensureCodeServer();
  say('npm run build');
  await mustRun(NPM, ['run', '--silent', 'build']);

  fs.mkdirSync(START, { recursive: true });
  const dirs = codeServerDirs(path.join(STATE, 'code-server'));
  writeUserSettings(dirs);
  say('packaging and installing the extension');
  const asVsix = await installVsix(dirs);
  if (!asVsix) console.warn('[start] packaging/installing the .vsix failed: loading the extension from this folder instead');

  let workspace;
  let extraEnv = {};
  let sandboxState;
  if (fs.existsSync(path.join(ROOT, 'sandbox', 'main.ts')) && !argv.includes('--fixture')) {
    say('starting the sandbox (.sandbox/demo)');
    const sandbox = await startSandboxProcess({ dir: DEMO, scenario: opt('--scenario'), quiet: true, timeoutMs: 180_000, gitUser: 'Demo User' });
    stops.push(() => sandbox.stop());
    sandbox.exited.then(() => {
      if (!stopping) {
        console.error('[start] the sandbox stopped; stopping code-server');
        void shutdown(1);
      }
    });
    workspace = sandbox.repo;
    extraEnv = sandbox.env;
    sandboxState = sandbox.state;
  } else {
    workspace = prepareFixtureRepo(START);
  }

  const wanted = Number(opt('--port') ?? process.env.PORT ?? 8080);
  const port = await freePort(wanted);
  const server = startCodeServer({ port, dirs, folder: workspace, env: extraEnv, quiet: true });
  stops.push(() => server.stop());
  server.child.once('exit', () => {
    if (!stopping) {
      console.error(`[start] code-server stopped:\n${server.output().slice(-3000)}`);
      void shutdown(1);
    }
  });
  await waitForHealthy(server);
  let url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
  if (!asVsix) {
    const payload = [['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${ROOT}`]];
    url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }
  if (port !== wanted) say(`port ${wanted} is taken; using ${port}`);
  // The one line a person needs comes last, on its own, with nothing printed after it.
  const lines = [''];
  if (sandboxState) {
    const names = Object.keys(sandboxState.endpoints ?? {}).join(', ');
    lines.push(`Sandbox:   ${path.relative(ROOT, DEMO)} (stand-ins: ${names}; their URLs are in ${path.relative(ROOT, path.join(DEMO, 'sandbox.json'))})`);
    lines.push(`Workspace: ${workspace}`);
  } else {
    lines.push(`Workspace: ${workspace} (a copy of the test fixture; no sandbox)`);
  }
  lines.push('Ctrl-C stops everything.', '', `Open GitOps Deploy in VS Code:  ${url}`, '');
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(`[start] ${err?.stack ?? err}`);
  void shutdown(1);
});

/* The sandbox in the foreground: `npm run sandbox -- --dir DIR [--scenario FILE] [--fast] [--real-prometheus]`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { banner } from './banner';
import { startSandbox, type Sandbox } from './index';
import { getWithCa } from './http';

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error('usage: npm run sandbox -- --dir DIR [--scenario FILE] [--fast] [--real-prometheus] [--quiet]');
  process.exit(2);
}

function parseArgs(argv: string[]): { dir: string; scenario?: string; fast: boolean; realPrometheus: boolean; quiet: boolean } {
  let dir: string | undefined;
  let scenario: string | undefined;
  let fast = false;
  let realPrometheus = false;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--dir') dir = val();
    else if (a.startsWith('--dir=')) dir = a.slice(6);
    else if (a === '--scenario') scenario = val();
    else if (a.startsWith('--scenario=')) scenario = a.slice(11);
    else if (a === '--fast') fast = true;
    else if (a === '--real-prometheus') realPrometheus = true;
    else if (a === '--quiet') quiet = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!dir) usage('--dir is required');
  return { dir: path.resolve(dir), scenario: scenario ? path.resolve(scenario) : undefined, fast, realPrometheus, quiet };
}

/** Every endpoint answers before the sandbox says it is ready. */
async function selfCheck(sb: Sandbox): Promise<void> {
  const kube = await getWithCa(`${sb.endpoints.kubernetes}/api/v1/namespaces`, { ca: sb.kubeCaPem, headers: { Authorization: `Bearer ${sb.kubeToken}` } });
  if (kube.status !== 200) throw new Error(`self-check ${sb.endpoints.kubernetes}/api/v1/namespaces: HTTP ${kube.status}`);
  const checks: [string, RequestInit][] = [
    [`${sb.endpoints.fakePrometheus}/-/ready`, {}],
    [`${sb.endpoints.prometheus}/-/ready`, {}],
    [`${sb.endpoints.github}/user`, { headers: { Authorization: `token ${sb.githubToken}` } }],
    [`${sb.endpoints.services}/metrics`, {}],
    [sb.endpoints.ecr, { method: 'POST', headers: { 'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', 'Content-Type': 'application/x-amz-json-1.1', Authorization: 'AWS4-HMAC-SHA256 sandbox' }, body: '{}' }],
  ];
  for (const [url, init] of checks) {
    const r = await fetch(url, init);
    if (!r.ok) throw new Error(`self-check ${url}: HTTP ${r.status}`);
    await r.arrayBuffer();
  }
}

/** Parent chain (tsx, sh, npm): `npm run` sends SIGTERM to `sh -c`, which dies without passing it on. */
function ancestors(levels: number): number[] {
  const out: number[] = [];
  let pid = process.ppid;
  for (let i = 0; i < levels && pid > 1; i++) {
    out.push(pid);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(args.dir, { recursive: true });
  const stateFile = path.join(args.dir, 'sandbox.json');
  const writeState = (state: Record<string, unknown>): void => {
    fs.writeFileSync(stateFile + '.tmp', JSON.stringify(state, null, 2) + '\n');
    fs.renameSync(stateFile + '.tmp', stateFile);
  };
  writeState({ ready: false, pids: { sandbox: process.pid } });
  const log = (s: string): void => {
    if (!args.quiet) console.log(`[sandbox] ${s}`);
  };
  const sb = await startSandbox({ dir: args.dir, scenario: args.scenario, fast: args.fast, realPrometheus: args.realPrometheus, log });
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    await sb.stop();
    writeState({ ready: false, stopped: true, endpoints: sb.endpoints, pids: {} });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  // Stop with the launcher: when tsx, `sh -c` or npm goes away, nobody would signal us any more.
  const watched = ancestors(3);
  const orphanCheck = setInterval(() => {
    if (watched.some((pid) => !isAlive(pid))) void stop('launcher exited');
  }, 200);
  orphanCheck.unref();
  await selfCheck(sb);
  const state = { ready: true, endpoints: sb.endpoints, pids: sb.pids, repo: sb.repoDir, origin: sb.originDir, kubeconfig: sb.kubeconfigPath, kubeContext: sb.kubeContext, cosignPub: sb.cosignPubPath, env: path.join(args.dir, 'sandbox.env'), scenario: args.scenario ?? 'demo' };
  writeState(state);
  console.log(banner(args.dir, sb.repoDir, sb.originDir, sb.endpoints));
  console.log('Ctrl-C stops it.');
}

main().catch((e: unknown) => {
  console.error(`sandbox: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});

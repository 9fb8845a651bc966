// Exec credential plugins (kubeconfig `users[].user.exec`: `aws eks get-token`, `aws-iam-authenticator`,
// `kubelogin`, …) for @kubernetes/client-node. Replaces client-node 1.x's ExecAuth, which passes the
// plugin no KUBERNETES_EXEC_INFO, never re-runs it after a 401 and reports a failure as bare stderr:
// here the credential is cached until its expirationTimestamp (refreshed a little before), dropped on a
// 401 so the next request runs the plugin again (client-go does the same), and every failure names the
// plugin, the user and the context. The plugin runs with execFile and an argument array, never a shell.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { truncate } from './util';

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;

/** What the plugin handed back. */
export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Epoch ms; undefined: valid until the server refuses it. */
  expiresAt?: number;
  /** Epoch ms when the plugin answered. */
  obtainedAt?: number;
}

/** The kubeconfig's `exec` block (as client-node keeps it). */
export interface ExecConfig {
  apiVersion?: string;
  command?: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  installHint?: string;
  interactiveMode?: string;
  provideClusterInfo?: boolean;
}

/** A plugin that could not run or gave no usable credential. */
export class ExecCredentialError extends Error {
  constructor(message: string, readonly plugin: string, readonly user: string) {
    super(message);
    this.name = 'ExecCredentialError';
  }
}

/** "aws eks get-token", "node get-token.mjs get-token", "kubelogin get-token": the command and its leading words. */
export function describePlugin(exec: ExecConfig | undefined): string {
  if (!exec?.command) return '(no command)';
  const words: string[] = [];
  for (const a of exec.args ?? []) {
    if (words.length >= 2 || a.startsWith('-')) break;
    words.push(path.basename(a));
  }
  return [path.basename(exec.command), ...words].join(' ');
}

/** The ExecCredential the plugin printed; throws with what is wrong with it. */
export function parseExecCredential(stdout: string, apiVersion: string): ExecCredential {
  let obj: any;
  try {
    obj = JSON.parse(stdout);
  } catch {
    throw new Error(`its output is not JSON${stdout.trim() ? ` (starts "${truncate(stdout.trim(), 60)}")` : ' (it printed nothing)'}`);
  }
  if (obj?.kind !== 'ExecCredential') throw new Error(`its output is not an ExecCredential (kind ${JSON.stringify(obj?.kind)})`);
  if (obj.apiVersion !== apiVersion) throw new Error(`it answered apiVersion ${JSON.stringify(obj.apiVersion)}, the kubeconfig asks for ${apiVersion}`);
  const st = obj.status;
  if (!st || typeof st !== 'object') throw new Error('its ExecCredential has no status');
  const token = typeof st.token === 'string' && st.token ? st.token : undefined;
  const cert = typeof st.clientCertificateData === 'string' && st.clientCertificateData ? st.clientCertificateData : undefined;
  const key = typeof st.clientKeyData === 'string' && st.clientKeyData ? st.clientKeyData : undefined;
  if (!token && !(cert && key)) throw new Error('its ExecCredential has neither status.token nor status.clientCertificateData and clientKeyData');
  if (!!cert !== !!key) throw new Error('its ExecCredential has only one of clientCertificateData and clientKeyData');
  let expiresAt: number | undefined;
  if (st.expirationTimestamp !== undefined && st.expirationTimestamp !== null) {
    expiresAt = Date.parse(String(st.expirationTimestamp));
    if (Number.isNaN(expiresAt)) throw new Error(`its status.expirationTimestamp ${JSON.stringify(st.expirationTimestamp)} is not a time`);
  }
  return { token, clientCertificateData: cert, clientKeyData: key, expiresAt };
}

/**
 * Still usable at `now`: no expiry, or more than a margin before it so that a request does not arrive after
 * it — 5 s, or a quarter of the lifetime for very short-lived tokens.
 */
export function isFresh(c: ExecCredential, now: number, skewMs = 5000): boolean {
  if (c.expiresAt === undefined) return true;
  const margin = c.obtainedAt === undefined ? skewMs : Math.min(skewMs, Math.max(0, c.expiresAt - c.obtainedAt) / 4);
  return c.expiresAt - now > margin;
}

export type PluginRunner = (command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) => Promise<{ stdout: string; stderr: string }>;

const runPlugin: PluginRunner = (command, args, env, timeoutMs) =>
  new Promise((resolve, reject) => {
    const child = execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
    // No terminal: a plugin that prompts gets end-of-file, not a hang.
    child.stdin?.end();
  });

interface UserLike {
  name: string;
  exec?: ExecConfig;
}

export interface ExecCredentialsOptions {
  /** The environment the plugin inherits (the kubeconfig's exec.env on top). */
  env: NodeJS.ProcessEnv;
  /** The kubeconfig context in use, for messages. */
  context: () => string | undefined;
  timeoutMs?: number;
  now?: () => number;
  run?: PluginRunner;
  log?: (line: string) => void;
}

/** An authenticator for client-node's KubeConfig (isAuthProvider / applyAuthentication). */
export class ExecCredentials {
  private readonly cache = new Map<string, ExecCredential>();
  private readonly running = new Map<string, Promise<ExecCredential>>();
  /** How many times a plugin ran (tests, diagnostics). */
  runs = 0;

  constructor(private readonly o: ExecCredentialsOptions) {}

  isAuthProvider(user: UserLike | null | undefined): boolean {
    return !!user?.exec;
  }

  async applyAuthentication(user: UserLike, opts: { headers?: Record<string, any>; cert?: unknown; key?: unknown }): Promise<void> {
    const c = await this.credential(user);
    if (c.clientCertificateData) opts.cert = c.clientCertificateData;
    if (c.clientKeyData) opts.key = c.clientKeyData;
    if (c.token) {
      opts.headers ??= {};
      opts.headers.Authorization = `Bearer ${c.token}`;
    }
  }

  /** Forget the user's credential (the server refused it): the next request runs the plugin again. */
  invalidate(userName: string): void {
    this.cache.delete(userName);
  }

  async credential(user: UserLike): Promise<ExecCredential> {
    const now = (this.o.now ?? Date.now)();
    const cached = this.cache.get(user.name);
    if (cached && isFresh(cached, now)) return cached;
    let p = this.running.get(user.name);
    if (!p) {
      p = this.obtain(user).finally(() => this.running.delete(user.name));
      this.running.set(user.name, p);
    }
    return p;
  }

  private async obtain(user: UserLike): Promise<ExecCredential> {
    const exec = user.exec ?? {};
    const plugin = describePlugin(exec);
    const ctx = this.o.context();
    const who = `the exec credential plugin "${plugin}" of kubeconfig user "${user.name}"${ctx ? ` (context "${ctx}")` : ''}`;
    const fail = (what: string): ExecCredentialError => new ExecCredentialError(`${who} ${what}`, plugin, user.name);
    if (!exec.command) throw fail('has no command: set users[].user.exec.command in the kubeconfig');
    const apiVersion = exec.apiVersion ?? '';
    if (!(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion)) throw fail(`uses apiVersion ${JSON.stringify(apiVersion)}: use ${EXEC_API_VERSIONS.join(' or ')} (v1alpha1 is gone since Kubernetes 1.24)`);
    if (exec.interactiveMode === 'Always') throw fail('needs a terminal (interactiveMode: Always): run it once in a terminal (e.g. kubectl get ns) so it caches a token, or use a non-interactive login');
    const env: NodeJS.ProcessEnv = { ...this.o.env };
    for (const e of exec.env ?? []) if (e && typeof e.name === 'string') env[e.name] = String(e.value ?? '');
    env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: false } });
    const timeoutMs = this.o.timeoutMs ?? 60_000;
    this.runs++;
    this.o.log?.(`kubernetes: running ${who}`);
    let out: { stdout: string; stderr: string };
    try {
      out = await (this.o.run ?? runPlugin)(exec.command, exec.args ?? [], env, timeoutMs);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean; signal?: string; code?: number | string };
      if (e.code === 'ENOENT') throw fail(`was not found (${exec.command}): ${exec.installHint ? exec.installHint.trim() : 'install it or fix users[].user.exec.command in the kubeconfig'}`);
      if (e.code === 'EACCES') throw fail(`cannot be run (${exec.command}: permission denied)`);
      if (e.killed || e.signal === 'SIGTERM') throw fail(`did not answer within ${Math.round(timeoutMs / 1000)} s`);
      const stderr = lastLines(e.stderr ?? '');
      throw fail(`failed${typeof e.code === 'number' ? ` (exit ${e.code})` : ''}: ${stderr || e.message}`);
    }
    let cred: ExecCredential;
    try {
      cred = parseExecCredential(out.stdout, apiVersion);
    } catch (err) {
      throw fail(`gave no usable credential: ${(err as Error).message}`);
    }
    cred.obtainedAt = (this.o.now ?? Date.now)();
    this.cache.set(user.name, cred);
    return cred;
  }
}

/** The last few non-empty lines of a plugin's stderr (where CLIs put the reason), bounded. */
function lastLines(s: string): string {
  return truncate(s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).slice(-3).join(' / '), 400);
}

// The token for the Argo CD API server: ARGOCD_AUTH_TOKEN (CI), else the user's `argocd login`
// configuration file (YAML: current-context, contexts[{name, server, user}], servers[{server, …}],
// users[{name, auth-token, refresh-token}]), as the argocd CLI keeps it. Pure apart from reading the file.
// A token is never logged nor put in a message.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

export const ARGOCD_AUTH_TOKEN_VAR = 'ARGOCD_AUTH_TOKEN';
export const ARGOCD_CONFIG_DIR_VAR = 'ARGOCD_CONFIG_DIR';

export interface ArgoCdLocalConfig {
  currentContext?: string;
  contexts: { name: string; server: string; user: string }[];
  servers: { server: string; insecure?: boolean }[];
  users: { name: string; authToken?: string }[];
}

/** Where `argocd login` wrote its configuration: $ARGOCD_CONFIG_DIR/config, else ~/.config/argocd/config. */
export function argoCdConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env[ARGOCD_CONFIG_DIR_VAR]) return path.join(env[ARGOCD_CONFIG_DIR_VAR]!, 'config');
  const home = env.HOME ?? env.USERPROFILE;
  return home ? path.join(home, '.config', 'argocd', 'config') : undefined;
}

/** The argocd CLI's configuration file's text → its entries. Throws naming the file (never a value) when it is not that format. */
export function parseArgoCdLocalConfig(text: string, file: string): ArgoCdLocalConfig {
  let raw: any;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    throw new Error(`${file} is not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): log in again with argocd login`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file} is not an argocd CLI configuration (expected contexts, servers and users)`);
  const list = (key: string): any[] => {
    const v = raw[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new Error(`${file}: ${key} must be a list (an argocd CLI configuration has contexts, servers and users lists)`);
    return v.filter((x) => x && typeof x === 'object');
  };
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    currentContext: typeof raw['current-context'] === 'string' && raw['current-context'] ? raw['current-context'] : undefined,
    contexts: list('contexts').map((c) => ({ name: s(c.name), server: s(c.server), user: s(c.user) })),
    servers: list('servers').map((x) => ({ server: s(x.server), ...(x.insecure === true ? { insecure: true } : {}) })),
    users: list('users').map((u) => ({ name: s(u.name), ...(typeof u['auth-token'] === 'string' && u['auth-token'] ? { authToken: u['auth-token'] } : {}) })),
  };
}

/** `host[:port]` of a server as argocd names it (no scheme, no path); `:443` is the default port. */
export function serverKey(server: string): string {
  const s = server.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/\/.*$/, '');
  return s.replace(/:443$/, '');
}

export interface ArgoCdToken {
  token: string;
  /** Where it came from, for messages: `ARGOCD_AUTH_TOKEN` or `FILE (context C)`; never the token. */
  source: string;
}

export type TokenPick = { ok: true; token: ArgoCdToken } | { ok: false; why: string };

/**
 * The token to send to `server` (an https URL). ARGOCD_AUTH_TOKEN is not bound to a host, and
 * neither is the current context's login: both go only to a trusted host. The login made for this
 * very server (a context whose server is its host[:port]) is the user's own and is always used.
 */
export function pickArgoCdToken(server: string, opts: { env: NodeJS.ProcessEnv; trusted: boolean; config?: ArgoCdLocalConfig; file?: string }): TokenPick {
  const host = serverKey(server);
  const envToken = opts.env[ARGOCD_AUTH_TOKEN_VAR];
  if (envToken && opts.trusted) return { ok: true, token: { token: envToken, source: ARGOCD_AUTH_TOKEN_VAR } };
  const cfg = opts.config;
  const tokenOf = (ctx: { name: string; user: string } | undefined): ArgoCdToken | undefined => {
    const t = ctx ? cfg?.users.find((u) => u.name === ctx.user)?.authToken : undefined;
    return t && ctx ? { token: t, source: `${opts.file ?? 'the argocd configuration'} (context "${ctx.name}")` } : undefined;
  };
  const own = tokenOf(cfg?.contexts.find((c) => serverKey(c.server) === host));
  if (own) return { ok: true, token: own };
  if (opts.trusted) {
    const current = tokenOf(cfg?.contexts.find((c) => c.name === cfg.currentContext));
    if (current) return { ok: true, token: current };
  }
  const login = `argocd login ${host} --sso`;
  if (!opts.trusted && (envToken || cfg?.currentContext)) {
    return { ok: false, why: `the repository names the Argo CD server ${host}, which is not trusted: ${envToken ? `${ARGOCD_AUTH_TOKEN_VAR} is` : 'the token of another server is'} not sent there. Trust it with --trust-host ${host} (or trustedHosts in the user config), or log in to it: ${login}` };
  }
  return { ok: false, why: `no Argo CD token for ${host}: log in with "${login}" (the token goes to ${opts.file ?? '~/.config/argocd/config'}) or set ${ARGOCD_AUTH_TOKEN_VAR}` };
}

/** Reads the argocd configuration file (absent: undefined) and picks the token for `server`. */
export async function loadArgoCdToken(server: string, opts: { env: NodeJS.ProcessEnv; trusted: boolean }): Promise<TokenPick> {
  const file = argoCdConfigFile(opts.env);
  let config: ArgoCdLocalConfig | undefined;
  if (file && !(opts.env[ARGOCD_AUTH_TOKEN_VAR] && opts.trusted)) {
    let text: string | undefined;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err: any) {
      if (err?.code !== 'ENOENT') return { ok: false, why: `cannot read the argocd configuration ${file}: ${err?.message ?? err}` };
    }
    if (text !== undefined) {
      try {
        config = parseArgoCdLocalConfig(text, file);
      } catch (err) {
        return { ok: false, why: err instanceof Error ? err.message : String(err) };
      }
    }
  }
  return pickArgoCdToken(server, { ...opts, config, file });
}

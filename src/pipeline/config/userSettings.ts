// The trust boundary of the configuration. The repository's .gitops-deploy.yaml is shared data: it
// may hold policy (environments, windows, thresholds, signature policy), never where credentials
// come from. Kubeconfig paths and the endpoints that receive a token come from the user's side:
// environment variables and the user config file (~/.config/gitops-deploy/config.yaml).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { FileProblem } from '../errors';

export interface UserSettings {
  /** The file they came from, when there is one. */
  file?: string;
  kubernetes: { kubeconfig?: string; context?: string };
  github: { apiUrl?: string };
  /** Hosts (`host` or `host:port`) that may receive a credential although the repository named them. */
  trustedHosts: string[];
}

/** The environment variable listing trusted hosts, comma separated (CI; `--trust-host` sets it). */
export const TRUSTED_HOSTS_VAR = 'GITOPS_DEPLOY_TRUSTED_HOSTS';
/** GitHub's own API host: always trusted with a GitHub token. */
export const GITHUB_COM_API = 'api.github.com';

/** `$GITOPS_DEPLOY_USER_CONFIG`, else `$XDG_CONFIG_HOME/gitops-deploy/config.yaml`, else `~/.config/gitops-deploy/config.yaml`. */
export function userConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GITOPS_DEPLOY_USER_CONFIG) return env.GITOPS_DEPLOY_USER_CONFIG;
  const base = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : undefined);
  return base ? path.join(base, 'gitops-deploy', 'config.yaml') : undefined;
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  return p.startsWith('~/') && env.HOME ? path.join(env.HOME, p.slice(2)) : p;
}

/** Parse the user config file's text (keys: kubernetes.kubeconfig, kubernetes.context, github.apiUrl, trustedHosts). */
export function parseUserSettings(text: string | undefined, file: string | undefined, env: NodeJS.ProcessEnv): UserSettings {
  let raw: any = {};
  if (text !== undefined && text.trim()) {
    try {
      raw = parse(text) ?? {};
    } catch (err) {
      throw new FileProblem(file ?? 'user config', `not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new FileProblem(file ?? 'user config', 'must be a mapping (kubernetes, github, trustedHosts)');
  }
  const str = (v: unknown, key: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !v.trim()) throw new FileProblem(file ?? 'user config', `${key} must be a non-empty string`);
    return v;
  };
  const hosts = raw.trustedHosts ?? [];
  if (!Array.isArray(hosts) || hosts.some((h: unknown) => typeof h !== 'string')) throw new FileProblem(file ?? 'user config', 'trustedHosts must be a list of host names (host or host:port)');
  const kubeconfig = str(raw.kubernetes?.kubeconfig, 'kubernetes.kubeconfig');
  return {
    file: text === undefined ? undefined : file,
    kubernetes: { kubeconfig: kubeconfig ? path.resolve(expandHome(kubeconfig, env)) : undefined, context: str(raw.kubernetes?.context, 'kubernetes.context') },
    github: { apiUrl: str(raw.github?.apiUrl, 'github.apiUrl') },
    trustedHosts: [...hosts.map((h: string) => h.trim().toLowerCase()), ...(env[TRUSTED_HOSTS_VAR] ?? '').split(',').map((h) => h.trim().toLowerCase())].filter(Boolean),
  };
}

export async function loadUserSettings(env: NodeJS.ProcessEnv = process.env): Promise<UserSettings> {
  const file = userConfigFile(env);
  let text: string | undefined;
  if (file) {
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err: any) {
      if (err?.code !== 'ENOENT') throw new FileProblem(file, `cannot read the user config: ${err?.message ?? err}`);
    }
  }
  return parseUserSettings(text, file, env);
}

/** The host of a URL as it is matched against trusted hosts (`host` or `host:port`, lower case). */
export function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** May a credential be sent to `url`, which the repository named? */
export function hostTrusted(url: string, user: UserSettings): boolean {
  const host = hostOf(url);
  if (!host) return false;
  return host === GITHUB_COM_API || user.trustedHosts.includes(host) || user.trustedHosts.includes(host.replace(/:\d+$/, ''));
}

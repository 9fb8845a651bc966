// gitopsDeploy.kubeconfig: the editor's kubeconfig path, a machine-scope setting (user or remote
// settings only: a workspace's .vscode/settings.json cannot set it). Pure.
import * as path from 'node:path';
import type { GitOpsConfig } from '../pipeline/config/types';

export const SETTING_KUBECONFIG = 'kubeconfig';

/** The value from the user's own settings only (what `inspect` reports as global), `~/` expanded. */
export function userScopeKubeconfig(inspected: { globalValue?: unknown } | undefined, home: string): string | undefined {
  const v = inspected?.globalValue;
  if (typeof v !== 'string' || !v.trim()) return undefined;
  const p = v.trim();
  return path.resolve(p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p);
}

/** The configuration with the user's kubeconfig (the setting wins over the user config file / KUBECONFIG). */
export function withUserKubeconfig(config: GitOpsConfig, kubeconfig: string | undefined): GitOpsConfig {
  return kubeconfig ? { ...config, kubernetes: { ...config.kubernetes, kubeconfig } } : config;
}

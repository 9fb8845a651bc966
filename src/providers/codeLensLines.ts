// Which CodeLenses a values file gets: pure (no `vscode` at run time), unit-tested. One line per
// service entry: "Promote to <next env>" when there is a next environment, and "Rollback".
import * as path from 'node:path';
import { parseImageTags } from '../pipeline/model/imageTags';
import type { RepoState } from '../pipeline/model/repoState';

export interface LensSpec {
  /** 0-based line of the service's key. */
  line: number;
  title: string;
  command: string;
  /** The command's argument: which service, in which environment. */
  target: { service: string; environment: string };
}

/** The 0-based line of `service:` at or above the tag's line (the tag may sit under image:). */
function keyLine(lines: readonly string[], service: string, tagLine0: number): number {
  const key = new RegExp(`^\\s*["']?${service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
  for (let i = Math.min(tagLine0, lines.length - 1); i >= 0; i--) if (key.test(lines[i])) return i;
  return tagLine0;
}

/** Lenses for the document `text` at `file`, if it is one of the configured values files. */
export function codeLensSpecs(state: RepoState | undefined, file: string, text: string): LensSpec[] {
  const config = state?.config;
  if (!state || !config) return [];
  const resolved = path.resolve(file);
  const env = state.environments.find((e) => path.resolve(e.config.valuesFile) === resolved);
  if (!env) return [];
  let entries;
  try {
    entries = parseImageTags(text, config.tagPath, file).entries;
  } catch {
    return []; // a half-typed file: no lenses until it parses again
  }
  const lines = text.split('\n');
  const i = state.environments.indexOf(env);
  const next = state.environments[i + 1]?.config.name;
  const out: LensSpec[] = [];
  for (const entry of entries.values()) {
    const line = keyLine(lines, entry.service, entry.line - 1);
    const target = { service: entry.service, environment: env.config.name };
    if (next) out.push({ line, title: `$(arrow-circle-up) Promote to ${next}`, command: 'gitopsDeploy.promote', target });
    out.push({ line, title: '$(discard) Rollback', command: 'gitopsDeploy.rollback', target });
  }
  return out;
}

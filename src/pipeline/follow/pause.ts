// "Pause following": a file in the GitOps repository, so CI honours it and its history says who
// paused and why. docs/deployments/follow/{env}/{service}.yaml; resuming deletes it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { GitOpsConfig } from '../config/types';
import { UserError } from '../errors';
import type { GitPort } from '../ports';
import { commitAndPush } from '../repoChange';

export interface PauseMarker {
  service: string;
  environment: string;
  paused: true;
  /** Who paused it. */
  by: string;
  /** ISO time. */
  at: string;
  reason?: string;
}

export const pauseDir = (config: GitOpsConfig, env: string) => path.join(config.root, 'docs/deployments/follow', env);
export const pauseFile = (config: GitOpsConfig, env: string, service: string) => path.join(pauseDir(config, env), `${service}.yaml`);

/** The pause marker of a service in an environment, from the working tree; undefined when it follows. */
export async function readPause(config: GitOpsConfig, env: string, service: string): Promise<PauseMarker | undefined> {
  let text: string;
  try {
    text = await fs.readFile(pauseFile(config, env, service), 'utf8');
  } catch {
    return undefined;
  }
  // A marker that does not parse still pauses: the safe reading of "someone put a file here".
  let data: any;
  try {
    data = parse(text);
  } catch {
    data = undefined;
  }
  if (data && data.paused === false) return undefined;
  return { service, environment: env, paused: true, by: typeof data?.by === 'string' ? data.by : 'unknown', at: typeof data?.at === 'string' ? data.at : '', reason: typeof data?.reason === 'string' ? data.reason : undefined };
}

export interface PauseChange {
  changed: boolean;
  commit?: string;
  file: string;
}

/** Pause (write the marker) or resume (delete it), committed and pushed. */
export async function setPaused(config: GitOpsConfig, git: GitPort, req: { environment: string; service: string; paused: boolean; actor: string; reason?: string; now: Date }, signal?: AbortSignal): Promise<PauseChange> {
  const file = pauseFile(config, req.environment, req.service);
  const rel = path.relative(config.root, file);
  const current = await readPause(config, req.environment, req.service);
  if (!!current === req.paused) return { changed: false, file: rel };
  const dirty = await git.dirtyFiles(signal);
  if (dirty.includes(rel)) throw new UserError(`${rel} has uncommitted changes; commit or discard them first`);
  if (req.paused) {
    const marker: PauseMarker = { service: req.service, environment: req.environment, paused: true, by: req.actor, at: req.now.toISOString().replace(/\.\d{3}Z$/, 'Z'), ...(req.reason ? { reason: req.reason } : {}) };
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `# gitops-deploy follow does not deploy ${req.service} to ${req.environment} while this file exists.\n# Resume: delete it (or "Resume following" in the editor, gitops-deploy follow resume).\n${stringify(marker)}`);
  } else await fs.rm(file, { force: true });
  const verb = req.paused ? 'Pause' : 'Resume';
  const message = `${verb} following of ${req.service} in ${req.environment}${req.reason ? `: ${req.reason}` : ''}\n\nService: ${req.service}\nEnvironment: ${req.environment}\nActor: ${req.actor}\n`;
  const r = await commitAndPush(git, [rel], message, signal);
  if (!r.ok) {
    // Leave the working tree as it was.
    if (req.paused) await fs.rm(file, { force: true });
    else await git.restore([rel]).catch(() => undefined);
    throw new UserError(`could not ${verb.toLowerCase()} following: ${r.message}`);
  }
  return { changed: true, commit: r.commit, file: rel };
}

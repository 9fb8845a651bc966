// The state one pipeline run carries from step to step (Kargo's step outputs, typed).
import * as path from 'node:path';
import type { EnvironmentConfig, GitOpsConfig, ServiceConfig } from '../config/types';
import type { WindowOverride } from '../model/override';
import type { CheckResult } from '../model/records';
import type { Clock } from '../ports';

export interface RunSettings {
  config: GitOpsConfig;
  clock: Clock;
  env: Record<string, string | undefined>;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  pollIntervalMs: number;
  readKey: (file: string) => Promise<string>;
}

export interface RunState {
  mode: 'deploy' | 'rollback';
  settings: RunSettings;
  service: string;
  environment: string;
  /** As requested (deploy: --tag; rollback: --to). */
  requestedTag?: string;
  reason?: string;
  overrideWindow: boolean;
  /** The emergency justification of a window override (distinct from `reason`). */
  overrideReason?: string;
  dryRun: boolean;
  /** Roll back automatically when verification fails after the push (false for the manual fix of a failed rollback). */
  autoRollback: boolean;
  actor: string;
  startedAt: Date;

  // resolve
  env?: EnvironmentConfig;
  upstream?: EnvironmentConfig;
  serviceConfig?: ServiceConfig;
  /** Repository-relative values file path. */
  valuesRel?: string;
  application?: string;
  tag?: string;
  tagSource?: string;
  previousTag?: string;
  headBefore?: string;
  /** A resolve refusal is bad input (exit 64), not a failed check. */
  usage?: boolean;

  // pre-flight
  preflight?: import('../model/preflight').PreflightResult[];

  // validate
  digest?: string;
  /** The run-duration estimate and its basis (plan and record). */
  estimate?: import('../model/duration').RunEstimate;
  /** When the registry says the image was pushed (ISO). */
  imagePushedAt?: string;
  /** What the signature check verified (form, signer, identity, Rekor log index). */
  signature?: import('../signatures').SignatureEvidence;
  /** Set when the window was closed and the override accepted. */
  windowOverride?: WindowOverride;
  releaseLock?: () => Promise<void>;

  // execute
  valuesBefore?: string;
  valuesAfter?: string;
  /** The values file in the working tree was changed by this run (and not restored yet). */
  changedLocally?: boolean;
  commit?: string;
  pushed?: boolean;
  syncedAt?: string;

  // rollback
  cause?: string;
  causeStep?: string;
  rollbackCommit?: string;
  rollbackPushed?: boolean;

  checks: CheckResult[];
}

export function rel(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

export function substitute(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? vars[k] : m));
}

export { shortSha } from '../model/format';

export function oneLine(s: string): string {
  return s.replace(/\s*\r?\n\s*/g, ' ').trim();
}

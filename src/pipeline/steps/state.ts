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
  /** This run's id: in its commits' trailers, its lease, its record's name and front matter. */
  runId: string;
  /** Set when this run finishes an interrupted one (resume, accept, or its rollback). */
  resume?: { action: 'resume' | 'accept' | 'rollback'; interrupted: import('../model/journal').Interrupted };

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
  /** origin's head the run started from (fetched first): what it reads and builds on. */
  base?: string;
  /** Commits on the user's branch that origin has not (never pushed by a run; named in the plan). */
  localAhead?: number;
  /** The policy in the working tree differs from origin's and was ignored (named in the plan). */
  policyIgnored?: string;
  /** The tag already runs: verify it, push nothing. */
  alreadyRunning?: boolean;
  /** What became of the user's checkout after the last push. */
  checkout?: import('../ports').CheckoutSync;
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
  /** The values file's text at `base` (origin), and after the edit. */
  valuesBefore?: string;
  valuesAfter?: string;
  /** The digest pinned beside the tag before this run (pinDigest), restored by a rollback. */
  previousDigest?: string;
  commit?: string;
  pushed?: boolean;
  syncedAt?: string;

  // rollback
  cause?: string;
  causeStep?: string;
  /** origin's head the rollback was built on, and the values file's text it sets. */
  rollbackBase?: string;
  rollbackValues?: string;
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

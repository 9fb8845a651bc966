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

/** What a run is about, resolved once (resolve or resume): no optionals from here on. */
export interface Target {
  env: EnvironmentConfig;
  /** The environment it is promoted from (undefined for the first). */
  upstream?: EnvironmentConfig;
  serviceConfig: ServiceConfig;
  /** Repository-relative values file path. */
  valuesRel: string;
  /** The Argo CD Application. */
  application: string;
  /** The tag this run sets (deploy: --tag or upstream's; rollback: --to or the last succeeded). */
  tag: string;
  /** Where the tag came from, for people ("--tag", "dev's current tag"…). */
  tagSource: string;
  /** The tag origin had before this run: what an automatic rollback restores. */
  previousTag: string;
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

  /** What the run is about, resolved once by the resolve (or resume) step; every later step has it. */
  target?: Target;
  /** A resolve refusal is bad input (exit 64), not a failed check. */
  usage?: boolean;
  /** origin's head the run started from (fetched first): what it reads and builds on. */
  base?: string;
  /** The policy in the working tree differs from origin's and was ignored (named in the plan). */
  policyIgnored?: string;
  /** The tag already runs: verify it, push nothing. */
  alreadyRunning?: boolean;
  /** What became of the user's checkout after the last push. */
  checkout?: import('../ports').CheckoutSync;

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
  /** pull-request mode: the deploy commit on its branch (the merge's second parent); `commit` becomes the merge commit. */
  changeCommit?: string;
  /** pull-request mode: the run's pull request, and its automatic rollback's. */
  pullRequest?: import('../outcome').PullRequestRef;
  rollbackPullRequest?: import('../outcome').PullRequestRef;
  /** pull-request mode: the pull request's body (the plan, made by the pipeline before the change). */
  pullRequestBody?: string;
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

/** A run past its resolve step: `target` is set (the steps and checks after it take this type). */
export type Resolved = RunState & { readonly target: Target };

export function isResolved(s: RunState): s is Resolved {
  return s.target !== undefined;
}

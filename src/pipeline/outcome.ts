// The public types of the deployment pipeline: what callers ask for and what they get back.
import type { GitOpsConfig } from './config/types';
import type { Cause, FaultKind, FaultSystem } from './model/cause';
import type { WindowOverride } from './model/override';
import type { CheckResult, RecordStatus } from './model/records';
import type { Clock, Ports } from './ports';
import type { RunnerEvent, StepReport } from './runner';
import type { PreflightResult } from './model/preflight';

export interface DeployRequest {
  service: string;
  environment: string;
  /** The tag to deploy; default: the upstream environment's current tag. */
  tag?: string;
  reason?: string;
  /** Deploy although the window is closed (an emergency); needs `overrideReason`, which is recorded. */
  overrideWindow?: boolean;
  /** Why this cannot wait for the window: required with `overrideWindow`, distinct from `reason`. */
  overrideReason?: string;
  /** Stop before the first change and return the plan. */
  dryRun?: boolean;
  /** Default true: a failed verification after the push rolls back to the previous tag. */
  autoRollback?: boolean;
}

export interface RollbackRequest {
  service: string;
  environment: string;
  /** The tag to go back to; default: the last `succeeded` record's tag before the current one. */
  to?: string;
  reason?: string;
  overrideWindow?: boolean;
  overrideReason?: string;
  dryRun?: boolean;
  /** Default true. False for the manual fix of a failed rollback: a failure then stops for a human. */
  autoRollback?: boolean;
}

export interface PipelineDeps {
  config: GitOpsConfig;
  ports: Ports;
  /** Who deploys (recorded, in the commit trailer); default GITHUB_ACTOR, git user.name, OS user. */
  actor?: string;
  /** Environment variables (GITHUB_RUN_ID…, token values to mask); default process.env. */
  env?: Record<string, string | undefined>;
  /** Default: ports.clock. */
  clock?: Clock;
  /** Wait between polls (rollout); tests inject one that advances a fake clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Poll interval of the rollout wait, ms (default 500). */
  pollIntervalMs?: number;
  /** Read a trusted key file (default fs.readFile utf8). */
  readKey?: (file: string) => Promise<string>;
}

export interface RunControl {
  signal?: AbortSignal;
  onEvent?: EventSink;
}

/** `inconclusive`: changed, but the verification could not observe; held for a human (exit 4). */
export type OutcomeKind = 'deployed' | 'refused' | 'rolled-back' | 'failed-needs-human' | 'inconclusive' | 'dry-run';

/** A gitops-deploy command as data; the CLI and the editor render it at the edge (renderCommand). */
export interface CommandRef {
  command: 'verify' | 'rollback';
  service: string;
  environment: string;
  /** rollback: the tag to go back to. */
  to?: string;
  /** rollback: the prefilled reason. */
  reason?: string;
}

/** What a human decides after an inconclusive verification, with what could and could not be observed. */
export interface Decision {
  /** Re-run only the verification against what runs now. */
  recheck: CommandRef;
  /** Roll back (absent when the run already rolled back). */
  rollback?: CommandRef;
  /** Checks after the change that observed something (passed, failed, warning), by name. */
  observed: string[];
  /** Checks that could not observe, by name (their detail says why). */
  unobserved: string[];
}

/** pullRequestOpen: pull-request mode stopped waiting for its pull request to be merged; it stays open (git.mergeTimeoutMinutes). */
export const EXIT_CODES = { ok: 0, refused: 2, rolledBack: 3, needsHuman: 4, pullRequestOpen: 5, usage: 64 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export interface DeploymentPlan {
  /** Every check passed: running it for real would proceed to change the repo. */
  wouldProceed: boolean;
  service: string;
  environment: string;
  tag: string;
  previousTag: string;
  digest?: string;
  /** Repository-relative path of the values file. */
  valuesFile: string;
  /** Unified diff of the one line that changes. */
  diff: string;
  commitMessage: string;
  application: string;
  checks: CheckResult[];
  /** What the pre-flight observed of each system (absent when an earlier check refused). */
  preflight?: PreflightResult[];
  /** Why it would not proceed (each failed check with its fix). */
  refusal?: string;
  /** How long the run would likely take (p90 of the recent runs) and whether it ends before the window closes. */
  estimate?: import('./model/duration').RunEstimate;
  /** The window is closed and the run overrides it (an emergency): why, and who. */
  windowOverride?: WindowOverride;
  /** pull-request mode: the branch the change goes to and how its pull request gets merged. */
  pullRequest?: { branch: string; base: string; merge: 'manual' | 'auto'; labels: string[]; mergeTimeoutMinutes: number };
}

/** A pull request of a run (pull-request mode), as the outcome and the record carry it. */
export interface PullRequestRef {
  number: number;
  url: string;
  /** Its head branch on origin. */
  branch: string;
  state: 'open' | 'closed';
  merged: boolean;
  /** The merge commit on the base branch, once merged. */
  mergeCommit?: string;
  mergedBy?: string;
  /** Auto-merge was enabled on it by the run. */
  autoMerge?: boolean;
  /** What the branch rules still asked for when the run last looked (a human must act). */
  waitingFor?: import('./github/pulls').MergeRefusal;
}

export interface RecordRef {
  /** Repository-relative path. */
  path: string;
  absolutePath: string;
  status: RecordStatus;
  /** The commit that added the record, when it was committed. */
  commit?: string;
  /** It reached origin. */
  pushed: boolean;
  /** origin's branch refused it (protected): it went to this branch and pull request instead (merged: on the branch now). */
  pullRequest?: PullRequestRef;
}

export interface PipelineOutcome {
  kind: OutcomeKind;
  exitCode: ExitCode;
  /** One paragraph for people: what happened and, when something is wrong, what to do. */
  message: string;
  mode: 'deploy' | 'rollback';
  service: string;
  environment: string;
  tag?: string;
  previousTag?: string;
  digest?: string;
  commit?: string;
  rollbackCommit?: string;
  /** pull-request mode: the run's pull request (merged or not) and its automatic rollback's. */
  pullRequest?: PullRequestRef;
  rollbackPullRequest?: PullRequestRef;
  record?: RecordRef;
  checks: CheckResult[];
  steps: StepReport[];
  plan?: DeploymentPlan;
  /** For a failure a human must resolve: exactly what to do. */
  manualFix?: string;
  /** The command that rolls back what this run left in place (after an interruption). */
  rollbackCommand?: string;
  /** The pre-flight's result per system, before any change. */
  preflight?: PreflightResult[];
  /** For an inconclusive verification: the two commands to decide with, and what was (not) observed. */
  decision?: Decision;
  /** Set when the run deployed into a closed window as an emergency. */
  windowOverride?: WindowOverride;
  /** The first step that did not succeed (absent when every step did). */
  failedStep?: string;
  /** Why it did not succeed, as data (the evidence is on the checks). */
  cause?: Omit<Cause, 'evidence'>;
  /** The adapter fault behind the first failed or inconclusive check that had one (e.g. the cluster refused the token). */
  fault?: { system: FaultSystem; kind: FaultKind };
  /** The run-duration estimate and its basis (window.finishBy), also when the check refused the run. */
  estimate?: import('./model/duration').RunEstimate;
  /** The run's id (its commits' Run-Id trailer, its record's name and front matter). */
  runId?: string;
  startedAt: string;
  finishedAt: string;
}

/**
 * The system whose credentials a person should fix, when the outcome says one refused them (or, for
 * the clusters, could not be reached): the edges offer "Select Kubernetes Context" etc. from this.
 */
export function credentialFault(o: Pick<PipelineOutcome, 'cause' | 'fault'>): FaultSystem | undefined {
  const f = o.cause?.system ? { system: o.cause.system, kind: o.cause.code } : o.fault;
  if (!f) return undefined;
  if (f.kind === 'auth') return f.system;
  if (f.kind === 'transport' && (f.system === 'cluster' || f.system === 'argocd')) return f.system;
  return undefined;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** `gitops-deploy verify accounts --env stag`: a CommandRef as a command line (for the edges). */
export function renderCommand(c: CommandRef, extra: string[] = []): string {
  const args = [c.command, c.service, '--env', c.environment, ...(c.to ? ['--to', c.to] : []), ...(c.reason ? ['--reason', c.reason] : []), ...extra];
  return ['gitops-deploy', ...args.map(quoteArg)].join(' ');
}

/** Events the CLI prints and the extension streams to its output channel: the steps', then the end. */
/**
 * Pull-request mode: the run's pull request as it moves (opened, auto-merge turned on, waiting for
 * a human, merged, closed unmerged). The editor's status bar and tree show it; the CLI prints it.
 */
export interface PullRequestEvent {
  type: 'pull-request';
  phase: 'opened' | 'auto-merge-enabled' | 'waiting-for-merge' | 'merged' | 'closed';
  /** What the change is: the deployment itself or its automatic rollback. */
  purpose: 'deploy' | 'rollback';
  service: string;
  environment: string;
  pr: import('./github/pulls').PullRequestInfo;
  /** waiting-for-merge: what the branch rules still ask for (a human review, required checks…). */
  waitingFor?: import('./github/pulls').MergeRefusal;
  at: string;
}

export type PipelineEvent = RunnerEvent | PullRequestEvent | { type: 'pipeline-finished'; outcome: PipelineOutcome; at: string };

export type EventSink = (event: PipelineEvent) => void;

// Runs the pipeline for the editor: builds its dependencies the way the CLI does (config →
// createPorts → deps), streams its events to the transcript, the progress notification and the
// status bar, turns Cancel into an AbortSignal, and ends with a notification. No pipeline logic.
import * as vscode from 'vscode';
import { explainNoRepo } from './noRepo';
import { launchRun } from '../launcher';
import { createPorts, pullRequestPort } from '../clients/index';
import { environment } from '../pipeline/config/load';
import { planDeployment, planRollback, resolveActor, type DeploymentPlan, type PipelineDeps, type PipelineEvent, type PipelineOutcome } from '../pipeline/deploy';
import { createSchedule, type LoadedSchedule } from '../pipeline/schedule/schedule';
import type { GitOpsConfig } from '../pipeline/config/types';
import { errorMessage } from '../pipeline/errors';
import type { RepoState } from '../pipeline/model/repoState';
import { formatEvidence } from '../pipeline/transcript';
import type { PullRequestEvent } from '../pipeline/outcome';
import { rollbackNeedsHumanText } from './pullRequestText';
import { retrySync, type RetrySyncResult } from '../pipeline/troubleshoot';
import { runVerification, type VerificationReport } from '../pipeline/recheck';
import { CREDENTIAL_FIX, credentialAction, credentialKindOfError } from './credentialsParse';
import { SETTING_ACTOR, SETTING_AWS_PROFILE, SETTING_KUBE_CONTEXT, setting, userKubeconfig } from './credentials';
import { withUserKubeconfig } from './userKubeconfig';
import { HostTrustPrompt } from './hostTrustPrompt';
import { RunDocuments } from './runDocuments';
import { Disposable } from './lifecycle';
import { act, announceOutcome, type OutcomeUi, type ServiceTarget } from './outcomeNotice';
import { notifyChoice, WindowPrompter, type Prompter } from './prompter';
import type { RunStatusBar } from './statusBar';
import { ACTION, checkLine, commitWebUrl, formatEvent, formatHeader, type TranscriptLinks } from './transcript';
import type { TranscriptChannel } from './transcriptChannel';
import type { WorkspaceModel } from './workspaceModel';

export type RunMode = 'deploy' | 'rollback';

/** What the commands ask for; `tag` is the rollback target for a rollback. */
export interface RunRequest {
  service: string;
  environment: string;
  tag?: string;
  reason?: string;
  overrideWindow?: boolean;
  /** The emergency justification of a window override (distinct from `reason`). */
  overrideReason?: string;
  /** false: no automatic rollback when it fails (the manual fix of a failed rollback). */
  autoRollback?: false;
  /** Finish an interrupted deployment found on origin instead of starting one. */
  resume?: import('../pipeline/steps/resume').ResumeAction;
}

export type { ServiceTarget } from './outcomeNotice';


export type LoadedState = RepoState & { config: GitOpsConfig };

export class PipelineHost extends Disposable {
  private prompterOverride: Prompter | undefined;
  private readonly windowPrompter = new WindowPrompter();
  private running: string | undefined;
  private readonly finished = this.register(new vscode.EventEmitter<PipelineOutcome>());
  /** Fires after every run, once the outcome is known and the model refreshed. */
  readonly onDidFinish = this.finished.event;
  private readonly scheduled = this.register(new vscode.EventEmitter<LoadedSchedule>());
  private readonly events = this.register(new vscode.EventEmitter<PipelineEvent>());
  /** Every event of a run started here (the pull request nodes follow its pull requests). */
  readonly onDidEvent = this.events.event;
  private readonly ended = this.register(new vscode.EventEmitter<void>());
  /** Fires when a run started here ends, however it ends (an outcome, an error, a cancel). */
  readonly onDidEnd = this.ended.event;
  /** Fires when a promotion was scheduled (its file committed and pushed). */
  readonly onDidSchedule = this.scheduled.event;

  constructor(
    private readonly model: WorkspaceModel,
    private readonly log: vscode.LogOutputChannel,
    readonly transcript: TranscriptChannel,
    private readonly status: RunStatusBar,
    /** Where answers about repository-named hosts are kept (the extension's globalState: this machine, not the workspace). */
    memory?: vscode.Memento,
  ) {
    super();
    this.documents = this.register(new RunDocuments(log));
    this.hostTrust = new HostTrustPrompt(log, () => this.prompter, transcript, memory);
  }

  /** Where the end-of-run notices and their actions go. */
  private get ui(): OutcomeUi {
    return { prompter: this.prompter, transcript: this.transcript };
  }

  get prompter(): Prompter {
    return this.prompterOverride ?? this.windowPrompter;
  }

  /** Replace the prompter (tests); disposing the result restores the editor's UI. */
  setPrompter(p: Prompter): vscode.Disposable {
    this.prompterOverride = p;
    return { dispose: () => { if (this.prompterOverride === p) this.prompterOverride = undefined; } };
  }

  /** The plan and report documents (read-only, beside the dialogs). */
  readonly documents: RunDocuments;
  /** The question before a token goes to a repository-named host, and its remembered answers. */
  readonly hostTrust: HostTrustPrompt;

  /** Commands that push or reach a cluster refuse in an untrusted workspace. */
  trusted(action: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void this.prompter.notify('error', `GitOps Deploy: "${action}" commits, pushes and reaches the cluster, so it needs a trusted workspace. Trust this folder first (Workspaces: Manage Workspace Trust).`, []);
    return false;
  }

  /** The repository state, fresh, or a message saying what is missing. */
  async state(): Promise<LoadedState | undefined> {
    const state = await this.model.refresh();
    if (!state) {
      void explainNoRepo((sev, msg, actions) => this.prompter.notify(sev, msg, actions));
      return undefined;
    }
    if (state.configProblem || !state.config) {
      void this.prompter.notify('error', `GitOps Deploy: .gitops-deploy.yaml is invalid: ${state.configProblem ?? 'not loaded'}`, ['Open configuration']).then((a) => {
        if (a) void vscode.commands.executeCommand('gitopsDeploy.openConfig');
      });
      return undefined;
    }
    return state as LoadedState;
  }

  /** The pipeline's dependencies, wired as the CLI wires them (the editor's settings pick the credentials). */
  deps(repoConfig: GitOpsConfig): PipelineDeps {
    // The kubeconfig is the user's (gitopsDeploy.kubeconfig, machine scope), never the repository's.
    const config = withUserKubeconfig(repoConfig, userKubeconfig());
    const ports = createPorts(config, {
      log: (line) => this.log.debug(line),
      kubeContext: setting(SETTING_KUBE_CONTEXT),
      awsProfile: setting(SETTING_AWS_PROFILE),
    });
    return { config, ports, actor: setting(SETTING_ACTOR) };
  }

  /**
   * Schedule a refused-only-by-the-window plan for `notBefore` through the same code as
   * `gitops-deploy deploy … --at`: the file is written, committed and pushed.
   */
  async schedule(config: GitOpsConfig, plan: DeploymentPlan, reason: string, notBefore: Date): Promise<LoadedSchedule> {
    const deps = this.deps(config);
    const actor = await resolveActor(deps.actor, process.env, deps.ports.git);
    const s = await createSchedule(config, deps.ports.git, plan, { reason, actor, notBefore, now: deps.ports.clock.now() });
    this.scheduled.fire(s);
    return s;
  }

  links(config: GitOpsConfig): TranscriptLinks {
    return { root: config.root, commitUrl: (sha) => commitWebUrl(config.github, sha) };
  }

  /** Registry tags of a service, newest first (for the tag picker). */
  async listTags(config: GitOpsConfig, service: string, limit = 30): Promise<{ tag: string; pushedAt?: Date }[]> {
    const repo = config.services[service]?.ecrRepository ?? service;
    return this.deps(config).ports.registry.listTags(repo, limit);
  }

  /** Everything up to the first change, behind a cancellable progress notification. */
  async plan(config: GitOpsConfig, mode: RunMode, req: RunRequest): Promise<{ plan?: DeploymentPlan; outcome: PipelineOutcome } | undefined> {
    const deps = this.deps(config);
    const title = `Checking ${mode === 'rollback' ? `the rollback of ${req.service} in ${req.environment}` : `${req.service}${req.tag ? ` ${req.tag}` : ''} for ${req.environment}`}…`;
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort(new Error('cancelled by the user')));
        const onEvent = (e: PipelineEvent) => {
          if (e.type === 'step-started') progress.report({ message: e.title });
          if (e.type === 'log') this.log[e.level === 'error' ? 'error' : e.level === 'warn' ? 'warn' : 'debug'](`[plan ${e.step ?? ''}] ${e.message}`);
        };
        const control = { signal: controller.signal, onEvent };
        return mode === 'rollback'
          ? planRollback({ service: req.service, environment: req.environment, to: req.tag, reason: req.reason, overrideWindow: req.overrideWindow, overrideReason: req.overrideReason }, deps, control)
          : planDeployment({ service: req.service, environment: req.environment, tag: req.tag, reason: req.reason, overrideWindow: req.overrideWindow, overrideReason: req.overrideReason }, deps, control);
      });
    } catch (err) {
      this.failedToStart(err);
      return undefined;
    }
  }

  /** Runs a deployment or rollback with progress, status bar and transcript; ends with a notification. */
  /** Runs an approved change elsewhere instead (the `github-actions` executor); set by the composition root. */
  remote?: (mode: RunMode, req: RunRequest) => Promise<void>;

  async run(config: GitOpsConfig, mode: RunMode, req: RunRequest): Promise<PipelineOutcome | undefined> {
    // The workflow always rolls back automatically, which would re-deploy the broken tag of a manual fix: that runs here.
    if (this.remote && req.autoRollback !== false && !req.resume && vscode.workspace.getConfiguration('gitopsDeploy').get<string>('executor') === 'github-actions') {
      // The plan was checked here; the workflow runs the same pipeline in GitHub Actions.
      await this.remote(mode, req);
      await this.model.refresh();
      return undefined;
    }
    if (this.running) {
      void this.prompter.notify('warning', `GitOps Deploy is already running ${this.running}; wait for it to finish.`, ['Show output']).then((a) => a && this.transcript.show());
      return undefined;
    }
    const what = mode === 'rollback' ? `the rollback of ${req.service} in ${req.environment}` : `${req.service}${req.tag ? ` ${req.tag}` : ''} to ${req.environment}`;
    // Every deployment is also reported as a GitHub deployment with statuses, when GitHub is configured.
    const githubToken = process.env.GITHUB_TOKEN ?? (await Promise.resolve(vscode.authentication.getSession('github', ['repo', 'workflow'], { silent: true })).then((s) => s?.accessToken, () => undefined));
    // A GitHub host named by the repository receives the token only when you trust it.
    const runConfig = await this.hostTrust.ask(config, !!(githubToken ?? process.env.GH_TOKEN));
    if (!runConfig) return undefined;
    config = runConfig;
    this.running = what;
    let deps: PipelineDeps;
    try {
      deps = this.deps(config);
      // Pull-request mode opens and merges with the same token as the rest of the run (your GitHub sign-in when GITHUB_TOKEN is unset).
      if (githubToken) deps = { ...deps, ports: { ...deps.ports, pulls: pullRequestPort(config, { GITHUB_TOKEN: githubToken }) } };
    } catch (err) {
      this.running = undefined;
      this.failedToStart(err);
      return undefined;
    }
    const links = this.links(config);
    // The actor: the gitopsDeploy.actor setting, else git user.name (the pipeline falls back the same way).
    const actor = deps.actor ?? (await deps.ports.git.userName().catch(() => undefined));
    this.transcript.append(formatHeader({ mode, service: req.service, environment: req.environment, tag: req.tag, reason: req.reason, actor, overrideWindow: req.overrideWindow, at: new Date() }));
    this.transcript.show(true);
    this.status.start(mode, req.service, req.environment);
    let pushed = false;
    /** The automatic rollback's pull request, while it is not merged or closed (a human may have to merge it). */
    let rollbackPr: PullRequestEvent | undefined;
    const toldAbout = new Set<number>();
    let afterCancel: 'rollback' | 'leave' | undefined;
    let outcome: PipelineOutcome | undefined;
    try {
      outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${mode === 'rollback' ? 'Rolling back' : 'Deploying'} ${mode === 'rollback' ? `${req.service} in ${req.environment}` : what}`, cancellable: true }, async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(async () => {
          if (!pushed) {
            this.transcript.append(['cancelled by the user']);
            controller.abort(new Error('cancelled by the user'));
            return;
          }
          const choice = await this.prompter.choose(
            'warning',
            `${req.service} is already pushed to ${req.environment}. Stop the deployment?`,
            'The change is on origin and Argo CD is applying it. Stopping leaves it in place unverified, unless you roll it back now.',
            [
              { id: 'rollback', label: 'Stop and roll back' },
              { id: 'leave', label: 'Stop without rolling back' },
              { id: 'continue', label: 'Let it go on' },
            ],
            { focused: 'rollback', dismiss: 'continue' },
          );
          if (!choice || choice === 'continue') {
            this.transcript.append(['cancel withdrawn: the deployment goes on']);
            return;
          }
          afterCancel = choice;
          this.transcript.append([`cancelled by the user (${afterCancel === 'rollback' ? 'will roll back' : 'no rollback'})`]);
          controller.abort(new Error('cancelled by the user'));
        });
        const onEvent = (e: PipelineEvent) => {
          this.transcript.append(formatEvent(e, links));
          if (e.type === 'step-started') {
            progress.report({ message: e.title });
            this.status.step(e.title);
          } else if (e.type === 'step-finished') {
            if ((e.step === 'push' || e.step === 'rollback-push') && e.status === 'succeeded') pushed = true;
            // The full evidence of a failure goes to the log; the transcript keeps its one-line summaries.
            const evidence = formatEvidence(e.checks);
            if (evidence.length) this.log.info(`[${e.step}] evidence of ${req.service} in ${req.environment}:\n${evidence.join('\n')}`);
          } else if (e.type === 'log') {
            this.log[e.level === 'error' ? 'error' : e.level === 'warn' ? 'warn' : 'debug'](`[${e.step ?? 'pipeline'}] ${e.message}`);
          } else if (e.type === 'pull-request') {
            this.status.pullRequest(e);
            if (e.purpose === 'rollback') {
              rollbackPr = e.phase === 'merged' || e.phase === 'closed' ? undefined : e.phase === 'waiting-for-merge' || !rollbackPr ? e : { ...rollbackPr, pr: e.pr };
              // A human must merge the rollback: say so now (the run keeps waiting), with the pull request a click away.
              if (e.phase === 'waiting-for-merge' && e.waitingFor && !toldAbout.has(e.pr.number)) {
                toldAbout.add(e.pr.number);
                void notifyChoice(this.prompter, 'warning', rollbackNeedsHumanText(e), [ACTION.pullRequest, ACTION.output]).then((a) => {
                  if (a === 'pull-request') void vscode.env.openExternal(vscode.Uri.parse(e.pr.htmlUrl));
                  else if (a === 'output') this.transcript.show(false);
                });
              }
            }
          }
          this.events.fire(e);
        };
        const request = { service: req.service, environment: req.environment, tag: req.tag, to: req.tag, reason: req.reason, overrideWindow: req.overrideWindow, overrideReason: req.overrideReason, autoRollback: req.autoRollback, resume: req.resume };
        return launchRun(mode, request, { deps, env: { ...process.env }, token: githubToken, warn: (m) => this.log.warn(`GitHub: ${m}`), signal: controller.signal, onEvent });
      });
    } catch (err) {
      this.transcript.append([`✗ ${errorMessage(err)}`]);
      this.failedToStart(err);
    } finally {
      this.running = undefined;
      this.status.done();
      this.ended.fire();
      await this.model.refresh();
    }
    if (!outcome) return undefined;
    this.log.info(`${mode} ${req.service} ${req.environment}: ${outcome.kind} — ${outcome.message.split('\n')[0]}`);
    announceOutcome(outcome, config, this.ui, rollbackPr ? { pullRequest: { text: rollbackNeedsHumanText(rollbackPr), url: rollbackPr.pr.htmlUrl } } : undefined);
    this.finished.fire(outcome);
    if (afterCancel === 'rollback' && outcome.commit && outcome.previousTag && outcome.kind !== 'rolled-back') {
      const reason = `undo the cancelled deployment of ${outcome.tag ?? req.tag ?? 'the new tag'}${req.reason ? ` (${req.reason})` : ''}`;
      return (await this.run(config, 'rollback', { service: req.service, environment: req.environment, tag: outcome.previousTag, reason, overrideWindow: req.overrideWindow, overrideReason: req.overrideReason })) ?? outcome;
    }
    return outcome;
  }

  /**
   * Retry sync (src/pipeline/troubleshoot.ts) behind a cancellable progress notification, its lines
   * in the transcript, its evidence in the log; ends with a notification offering the next steps.
   * Like a deployment it waits for a running one (they would fight over the Argo CD application).
   */
  async retrySync(config: GitOpsConfig, t: ServiceTarget, opts: { why?: string } = {}): Promise<RetrySyncResult | undefined> {
    if (this.running) {
      void notifyChoice(this.prompter, 'warning', `GitOps Deploy is already running ${this.running}; wait for it to finish.`, [ACTION.output]).then((a) => a && this.transcript.show());
      return undefined;
    }
    this.running = `the retried sync of ${t.service} in ${t.environment}`;
    let result: RetrySyncResult | undefined;
    const controller = new AbortController();
    try {
      const deps = this.deps(config);
      const actor = deps.actor ?? (await deps.ports.git.userName().catch(() => undefined)) ?? 'unknown';
      const clock = () => new Date().toISOString().slice(11, 19);
      this.transcript.append(['', `━━━ Retry sync of ${t.service} in ${t.environment} ━━━`, `started ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')} (times below are UTC), by ${actor}`, ...(opts.why ? [opts.why] : [])]);
      this.transcript.show(true);
      this.status.start('deploy', t.service, t.environment);
      this.status.step('Retry sync');
      result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Retrying the sync of ${t.service} in ${t.environment}`, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => controller.abort(new Error('cancelled by the user')));
        const log = (line: string) => {
          this.transcript.append([`${clock()}     ${line}`]);
          progress.report({ message: line });
        };
        return retrySync({ config, environment: t.environment, service: t.service }, deps.ports, { actor, log, signal: controller.signal });
      });
      if (result.ok) this.transcript.append([`${clock()} ✓ ${result.message}`]);
      else {
        this.transcript.append([`${clock()} ✗ retry sync failed: ${result.message}`, ...result.evidence.map((e) => `    ${e.summary}`).filter((l) => l.trim())]);
        const evidence = formatEvidence([{ name: 'retry-sync', status: 'failed', evidence: result.evidence }]);
        if (evidence.length) this.log.info(`[retry-sync] evidence of ${t.service} in ${t.environment}:\n${evidence.join('\n')}`);
      }
    } catch (err) {
      this.transcript.append([`✗ retry sync of ${t.service} in ${t.environment}: ${errorMessage(err)}`]);
      if (!controller.signal.aborted) this.failedToStart(err);
      else {
        // A sync may have been requested already: say where to look.
        const actions = [...(environment(config, t.environment)?.argocd.url ? [ACTION.argoCd] : []), ACTION.events, ACTION.output];
        void notifyChoice(this.prompter, 'warning', `Retry sync of ${t.service} in ${t.environment} cancelled; a sync may already have been requested — check where the Argo CD application stands.`, actions).then((a) => act(this.ui, a, undefined, t));
      }
      return undefined;
    } finally {
      this.running = undefined;
      this.status.done();
      await this.model.refresh();
    }
    this.log.info(`retry sync ${t.service} ${t.environment}: ${result.ok ? 'ok' : 'failed'} — ${result.message}`);
    const actions = result.ok ? [ACTION.output] : [ACTION.logs, ACTION.events, ...(result.link ? [ACTION.argoCd] : []), ACTION.output];
    const text = result.ok ? `Retried the sync of ${t.service} in ${t.environment}: ${result.message}.` : `Retrying the sync of ${t.service} in ${t.environment} failed: ${result.message}`;
    void notifyChoice(this.prompter, result.ok ? 'info' : 'error', text, actions).then((a) => act(this.ui, a, undefined, t));
    return result;
  }

  /**
   * Re-check (after an inconclusive run): only the verification, against what runs now — changes
   * nothing, writes no record (runVerification, as `gitops-deploy verify`). Progress, the transcript,
   * and a notification with the result; a failed re-check offers Rollback.
   */
  async recheck(config: GitOpsConfig, t: ServiceTarget): Promise<VerificationReport | undefined> {
    if (this.running) {
      void notifyChoice(this.prompter, 'warning', `GitOps Deploy is already running ${this.running}; wait for it to finish.`, [ACTION.output]).then((a) => a && this.transcript.show());
      return undefined;
    }
    this.running = `the re-check of ${t.service} in ${t.environment}`;
    let report: VerificationReport;
    const links = this.links(config);
    try {
      const deps = this.deps(config);
      this.transcript.append(['', `━━━ Re-check ${t.service} in ${t.environment} ━━━`, `started ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')} (times below are UTC); only the verification, nothing is changed`]);
      this.transcript.show(true);
      this.status.start('deploy', t.service, t.environment);
      report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Re-checking ${t.service} in ${t.environment}`, cancellable: true }, async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort(new Error('cancelled by the user')));
        const onEvent = (e: PipelineEvent) => {
          if (e.type === 'step-finished') return; // the checks are listed once, below
          this.transcript.append(formatEvent(e, links));
          if (e.type === 'step-started') {
            progress.report({ message: e.title });
            this.status.step(e.title);
          }
        };
        return runVerification({ service: t.service, environment: t.environment }, deps, { signal: controller.signal, onEvent });
      });
    } catch (err) {
      this.transcript.append([`✗ re-check of ${t.service} in ${t.environment}: ${errorMessage(err)}`]);
      this.failedToStart(err);
      return undefined;
    } finally {
      this.running = undefined;
      this.status.done();
    }
    const mark = report.status === 'passed' ? '✓' : report.status === 'failed' ? '✗' : '?';
    this.transcript.append([...report.checks.map((c) => `  ${checkLine(c)}`), `${mark} RE-CHECK ${report.status.toUpperCase()}: ${t.service} ${report.tag} in ${t.environment}`]);
    this.log.info(`re-check ${t.service} ${t.environment}: ${report.status}`);
    const unobserved = report.checks.filter((c) => c.status === 'inconclusive').map((c) => c.name);
    const failed = report.checks.filter((c) => c.status === 'failed').map((c) => c.name);
    const text =
      report.status === 'passed'
        ? `Re-check of ${t.service} ${report.tag} in ${t.environment}: every check passed.`
        : report.status === 'failed'
          ? `Re-check of ${t.service} ${report.tag} in ${t.environment} failed: ${failed.join(', ')}. Roll back?`
          : `Re-check of ${t.service} ${report.tag} in ${t.environment} still inconclusive — could not observe ${unobserved.join(', ')}.`;
    const rollback = { id: 'rollback', label: 'Rollback' } as const;
    const actions = report.status === 'passed' ? [ACTION.output] : [rollback, ACTION.output];
    void notifyChoice(this.prompter, report.status === 'passed' ? 'info' : report.status === 'failed' ? 'error' : 'warning', text, actions).then(async (a) => {
      if (a === 'rollback') await vscode.commands.executeCommand('gitopsDeploy.rollback', t);
      else if (a === 'output') this.transcript.show(false);
    });
    return report;
  }

  /** An error notification with "Show log" (and the credential fix when it is a credential problem). */
  showError(err: unknown): void {
    this.failedToStart(err);
  }

  private failedToStart(err: unknown): void {
    const msg = errorMessage(err);
    this.log.error(`pipeline: ${msg}`);
    const kind = credentialKindOfError(err);
    const text = kind ? `GitOps Deploy: ${msg} — ${CREDENTIAL_FIX[kind].hint}` : `GitOps Deploy: ${msg}`;
    const showLog = { id: 'log', label: 'Show log' } as const;
    void notifyChoice(this.prompter, 'error', text, kind ? [credentialAction(kind), showLog] : [showLog]).then((a) => {
      if (a === 'log') this.log.show(true);
      else if (a) void act(this.ui, a);
    });
  }
}


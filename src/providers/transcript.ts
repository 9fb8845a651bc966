// The human transcript of a pipeline run and the plan shown before approval: pure functions from
// PipelineEvents / DeploymentPlan / PipelineOutcome to text. No `vscode` here, so plain mocha (and
// the CLI) can use them; src/providers/transcriptChannel.ts writes the lines to the output channel.
import { checkText } from '../pipeline/evidence';
import * as path from 'node:path';
import type { DeploymentPlan, PipelineEvent, PipelineOutcome } from '../pipeline/deploy';
import type { Decision } from '../pipeline/outcome';
import { CHECK_MARK, formatDuration } from '../pipeline/model/format';
import { decisionLines, formatEvent as cliLines, pullRequestLine } from '../pipeline/transcript';
import type { CheckResult } from '../pipeline/model/records';
import { editorRemedy } from './remedyText';
import type { CredentialKind } from './credentialsParse';
import type { Choice, Severity } from './prompter';


export interface TranscriptLinks {
  /** Repository root: record paths are shown relative to it and as absolute paths (clickable). */
  root: string;
  /** A web link for a commit, when the repository has one. */
  commitUrl?: (sha: string) => string | undefined;
}

export interface RunHeader {
  mode: 'deploy' | 'rollback';
  service: string;
  environment: string;
  tag?: string;
  previousTag?: string;
  reason?: string;
  actor?: string;
  overrideWindow?: boolean;
  at: Date;
}

export { CHECK_MARK };
const INDENT = '           '; // under "HH:MM:SS ✓ "

/** "17:36:06" (UTC) of an ISO instant; the transcript header says the zone. */
function clock(iso: string): string {
  return /T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? '--:--:--';
}


/** The first lines of a run: what, by whom, why. */
export function formatHeader(h: RunHeader): string[] {
  const verb = h.mode === 'rollback' ? 'Roll back' : 'Deploy';
  const what = h.mode === 'rollback' ? `${h.service} in ${h.environment}${h.tag ? ` to ${h.tag}` : ''}` : `${h.service}${h.tag ? ` ${h.tag}` : ''} to ${h.environment}`;
  const lines = ['', `━━━ ${verb} ${what} ━━━`];
  const facts = [`started ${h.at.toISOString().replace(/\.\d{3}Z$/, 'Z')} (times below are UTC)`];
  if (h.actor) facts.push(`by ${h.actor}`);
  lines.push(facts.join(', '));
  if (h.reason) lines.push(`reason: ${h.reason}`);
  if (h.overrideWindow) lines.push('deployment window: OVERRIDDEN (emergency)');
  return lines;
}

/**
 * Lines for one event: the CLI's transcript line (src/pipeline/transcript.ts) with the time in front;
 * a step's multi-line message is kept, indented; the outcome gets links (see formatOutcome).
 */
export function formatEvent(e: PipelineEvent, links: TranscriptLinks): string[] {
  switch (e.type) {
    case 'step-started':
    case 'log':
      return cliLines(e).flatMap((l, i) => (i === 0 ? [`${clock(e.at)} ${l}`] : l.split('\n').map((x) => `${INDENT}${x}`)));
    case 'step-finished': {
      const [first = ''] = cliLines(e);
      const rest = (e.message ?? '').split('\n').slice(1);
      return [`${clock(e.finishedAt)} ${first}`, ...rest.map((l) => `${INDENT}  ${l}`)];
    }
    case 'notification':
      return []; // the editor shows its own notification
    case 'pull-request':
      return [`${clock(e.at)}     ${pullRequestLine(e)}`];
    case 'pipeline-finished':
      return formatOutcome(e.outcome, links);
  }
}

const OUTCOME_TITLE: Record<PipelineOutcome['kind'], string> = {
  deployed: '✓ DONE',
  refused: '✗ REFUSED — nothing was changed',
  'rolled-back': '↩ ROLLED BACK',
  'failed-needs-human': '✗ FAILED — a human is needed',
  inconclusive: '? INCONCLUSIVE — a human decides (nothing was rolled back blindly)',
  'dry-run': '○ PLAN',
};

function commitLine(label: string, sha: string, links: TranscriptLinks): string {
  const url = links.commitUrl?.(sha);
  return `  ${label.padEnd(16)}${sha.slice(0, 7)}${url ? `  ${url}` : ''}`;
}

/** The end of a run: the verdict, the commits, the record, and what to do. */
export function formatOutcome(o: PipelineOutcome, links: TranscriptLinks): string[] {
  const lines = [`${clock(o.finishedAt)} ${OUTCOME_TITLE[o.kind]}`];
  lines.push(...o.message.split('\n').map((l) => `  ${l}`));
  if (o.commit) lines.push(commitLine('commit', o.commit, links));
  if (o.rollbackCommit) lines.push(commitLine('rollback commit', o.rollbackCommit, links));
  if (o.record) {
    const abs = o.record.absolutePath || path.join(links.root, o.record.path);
    lines.push(`  ${'record'.padEnd(16)}${o.record.path} (${o.record.status}${o.record.pushed ? ', pushed' : ', not pushed'})`);
    lines.push(`  ${''.padEnd(16)}${abs}`);
  }
  if (o.rollbackCommand && !o.message.includes(o.rollbackCommand)) lines.push(`  to roll back: ${o.rollbackCommand}`);
  if (o.decision) lines.push(...decisionLines(o.decision));
  const total = Date.parse(o.finishedAt) - Date.parse(o.startedAt);
  if (Number.isFinite(total)) lines.push(`  took ${formatDuration(total)}`);
  return lines;
}

/** A commit's web page from the github config (github.com or GitHub Enterprise), else undefined. */
export function commitWebUrl(github: { apiUrl?: string; owner?: string; repo?: string }, sha: string): string | undefined {
  if (!github.owner || !github.repo || !github.apiUrl) return undefined;
  let web: string;
  try {
    const u = new URL(github.apiUrl);
    if (u.hostname === 'api.github.com') web = 'https://github.com';
    else if (/\/api\/v3\/?$/.test(u.pathname)) web = `${u.protocol}//${u.host}`;
    else return undefined; // a stand-in API has no web pages
  } catch {
    return undefined;
  }
  return `${web}/${github.owner}/${github.repo}/commit/${sha}`;
}

export function checkLine(c: CheckResult): string {
  const text = checkText(c);
  return `${CHECK_MARK[c.status]} ${c.name}${text ? `: ${text}` : ''}`;
}

export interface PlanPresentation {
  /** The modal's one-line message. */
  title: string;
  /** The modal's detail: everything the approver needs. */
  detail: string;
  /** The checks that refuse the deployment (empty: it may proceed). */
  refusals: CheckResult[];
  /** Only the deployment window refuses: an explicit, reasoned override may be offered. */
  onlyWindow: boolean;
  /** The run deploys into a closed window (an emergency override). */
  override: boolean;
  /** The same as a Markdown document (the diff fenced), shown read-only next to the dialog. */
  markdown: string;
}

export interface PlanOptions {
  mode?: 'deploy' | 'rollback';
  reason?: string;
  actor?: string;
  /** false: a failed verification is not rolled back automatically (the manual fix of a failed rollback). */
  autoRollback?: boolean;
}

/** What approving does, honestly for a deployment, a rollback, and a run without automatic rollback. */
function approvalSentence(plan: DeploymentPlan, o: PlanOptions): string {
  const commit = `Approving commits "${plan.commitMessage.split('\n')[0]}"`;
  const pr = plan.pullRequest;
  const does = pr
    ? `${commit} to the branch ${pr.branch}, opens a pull request into ${pr.base} and waits until ${pr.merge === 'auto' ? 'it is merged (by the run, or by GitHub\'s auto-merge, once the branch rules allow)' : 'a reviewer merges it'}; then it waits for Argo CD at the merge commit and verifies ${plan.service} ${plan.tag}`
    : `${commit}, pushes it, waits for Argo CD and verifies ${plan.service} ${plan.tag}`;
  const back = pr ? ' (by a pull request of its own)' : '';
  if (o.autoRollback === false) return `${does}; if that fails, nothing is put back automatically: the run stops and says what to do.`;
  if (o.mode === 'rollback') return `${does}; if ${plan.tag} fails verification, ${plan.previousTag} (what runs now) is put back automatically${back}.`;
  return `${does}; a failed verification rolls back to ${plan.previousTag} automatically${back}.`;
}

/**
 * The plan as the approver sees it: service, old → new tag, the diff, each check once (a refused
 * one with its fix, worded for the editor), the window, and — first and loud — a window override.
 */
export function planText(plan: DeploymentPlan, opts: PlanOptions = {}): PlanPresentation {
  const rollback = opts.mode === 'rollback';
  const refusals = plan.checks.filter((c) => c.status === 'failed');
  const onlyWindow = refusals.length === 1 && refusals[0].name === 'window' && refusals[0].fix?.kind === 'wait-for-window';
  const override = plan.windowOverride;
  const action = rollback ? `Roll back ${plan.service} in ${plan.environment}: ${plan.previousTag} → ${plan.tag}` : `Deploy ${plan.service} to ${plan.environment}: ${plan.previousTag} → ${plan.tag}`;
  const title = refusals.length ? `${action} is refused` : override ? `WINDOW OVERRIDE: ${action}?` : `${action}?`;
  const lines: string[] = [];
  if (override && !refusals.length) {
    lines.push(`⚠ WINDOW OVERRIDE — ${plan.environment}'s deployment window is closed; this runs as an emergency.`, `Emergency: ${override.reason} (by ${override.by})`, '');
  }
  lines.push(`Service: ${plan.service}`, `Environment: ${plan.environment} (Argo CD application ${plan.application})`, `Tag: ${plan.previousTag} → ${plan.tag}`);
  if (plan.digest) lines.push(`Image: ${plan.digest}`);
  if (opts.reason) lines.push(`Reason: ${opts.reason}`);
  if (opts.actor) lines.push(`Actor: ${opts.actor}`);
  const window = plan.checks.find((c) => c.name === 'window');
  if (window) lines.push(`Deployment window: ${window.status === 'passed' ? window.detail ?? 'open' : override ? 'CLOSED — WINDOW OVERRIDE (emergency)' : 'CLOSED (see the window check below)'}`);
  lines.push('', `Change to ${plan.valuesFile}:`);
  const diff = plan.diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
  const diffAt = lines.length;
  lines.push(...(diff.length ? diff.map((l) => `  ${l}`) : ['  (no diff)']));
  lines.push('', 'Checks:');
  for (const c of plan.checks) {
    lines.push(`  ${checkLine(c)}`);
    if (c.status === 'failed' && c.fix) lines.push(`      Fix: ${editorRemedy(c.fix, { overrideOffered: onlyWindow })}`);
  }
  lines.push('', refusals.length ? `Refused by ${refusals.map((c) => c.name).join(', ')}: nothing was changed.` : approvalSentence(plan, opts));
  const md = [`# ${title}`, '', ...lines.slice(0, diffAt).map((l) => (l.startsWith('⚠ WINDOW OVERRIDE') ? `> **${l}**` : l.startsWith('Emergency: ') ? `> ${l}` : l && !l.endsWith(':') ? `${l}  ` : l)), '```diff', ...(diff.length ? diff : ['(no diff)']), '```', ...lines.slice(diffAt + Math.max(diff.length, 1)).map((l) => (l.startsWith('      Fix: ') ? `    *Fix:* ${l.slice(11)}` : l.startsWith('  ') ? `    ${l.trim()}` : l))];
  return { title, detail: lines.join('\n'), refusals, onlyWindow, override: !!override, markdown: md.join('\n') + '\n' };
}

/** The plan document once the run has ended: the outcome as its title, the plan below it. */
export function planAfterRun(markdown: string, o: PipelineOutcome | undefined, fallback: string): string {
  const heading = o ? `# ${outcomeTitle(o)}` : `# ${fallback}`;
  const body = markdown.replace(/^# .*\n/, '');
  const what = o ? `*Ended ${o.finishedAt.replace(/\.\d{3}Z$/, 'Z')}: ${firstLine(o.message)}*\n\n` : '';
  return `${heading}\n\n${what}${body.replace(/^\n/, '')}`;
}

/** "Deployed accounts to prod: 1.3.0 → 1.4.0 (verified)", "Rolled back …", "… failed, rolled back to 1.3.0". */
export function outcomeTitle(o: PipelineOutcome): string {
  const change = `${o.service} ${o.mode === 'rollback' ? 'in' : 'to'} ${o.environment}: ${o.previousTag ?? '?'} → ${o.tag ?? '?'}`;
  const override = o.windowOverride ? ' — WINDOW OVERRIDE' : '';
  switch (o.kind) {
    case 'deployed':
      return `✓ ${o.mode === 'rollback' ? 'Rolled back' : 'Deployed'} ${change} (verified)${override}`;
    case 'rolled-back':
      return `↩ ${o.mode === 'rollback' ? 'Rollback of' : 'Deployment of'} ${change} failed; ${o.previousTag ?? 'the previous tag'} was put back${override}`;
    case 'refused':
      return `⊘ ${o.mode === 'rollback' ? 'Rollback of' : 'Deployment of'} ${change} refused; nothing was changed`;
    case 'failed-needs-human':
      return `✗ ${o.mode === 'rollback' ? 'Rollback of' : 'Deployment of'} ${change} failed; a human is needed${override}`;
    case 'inconclusive':
      return `? ${o.mode === 'rollback' ? 'Rollback of' : 'Deployment of'} ${change}: verification inconclusive; held for a human${override}`;
    case 'dry-run':
      return `○ Plan of ${change}`;
  }
}


/** The end-of-run notification: severity, text and the actions it offers. */
export function outcomeNotification(o: PipelineOutcome): { severity: Severity; text: string; actions: Action[] } {
  const n = notificationOf(o);
  // An emergency override is said first, whatever the outcome.
  return o.windowOverride ? { ...n, text: `WINDOW OVERRIDE (emergency, by ${o.windowOverride.by}): ${n.text}` } : n;
}

function notificationOf(o: PipelineOutcome): { severity: Severity; text: string; actions: Action[] } {
  const what = `${o.service}${o.tag ? ` ${o.tag}` : ''}`;
  const actions: Action[] = [...(o.record ? [ACTION.record] : []), ACTION.output];
  switch (o.kind) {
    case 'deployed':
      return { severity: 'info', text: o.mode === 'rollback' ? `Rolled back ${o.service} in ${o.environment} to ${o.tag} and verified.` : `Deployed ${what} to ${o.environment} (${o.previousTag} → ${o.tag}) and verified.`, actions };
    case 'rolled-back':
      return { severity: 'warning', text: `${what} failed in ${o.environment} and was rolled back automatically to ${o.previousTag}. Cause: ${causeOf(o)}`, actions };
    case 'refused':
      return { severity: 'warning', text: `${o.mode === 'rollback' ? 'Rollback' : 'Deployment'} of ${what} to ${o.environment} refused: ${firstLine(o.message)}`, actions };
    case 'failed-needs-human':
      return { severity: 'error', text: `${what} in ${o.environment} needs a human: ${firstLine(o.message)}`, actions };
    case 'inconclusive':
      return { severity: 'warning', text: `${what} in ${o.environment}: verification inconclusive, nothing rolled back — could not observe ${o.decision?.unobserved.join(', ') ?? 'some checks'}. Re-check or roll back.`, actions };
    case 'dry-run':
      return { severity: 'info', text: firstLine(o.message), actions: [ACTION.output] };
  }
}

/** Why verification failed, from the outcome: the failed checks, else the message. */
export function causeOf(o: PipelineOutcome): string {
  const failed = o.checks.filter((c) => c.status === 'failed' && !c.name.startsWith('rollback'));
  // Without the evidence summaries the check's detail carries: the notification stays one sentence.
  if (failed.length) return failed.map((c) => `${c.name}: ${c.detail ?? 'failed'}`).join('; ');
  return firstLine(o.message);
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}

/** What a notification button does, by identity; its label is for people (and may change). */
export type ActionId = 'logs' | 'events' | 'retry-sync' | 'argocd' | 'record' | 'output' | 'more' | 'fix-rollback' | 'pull-request' | DecisionActionId | CredentialKind;

/** The two ways to decide after an inconclusive verification (outcome.decision). */
export type DecisionActionId = 'recheck' | 'rollback';

/** A notification button: what it does and what it says. */
export type Action = Choice<ActionId>;

/** The troubleshooting actions (commands gitopsDeploy.showLogs, …) and the others, as buttons. */
export const ACTION = {
  logs: { id: 'logs', label: 'Show logs' },
  events: { id: 'events', label: 'Show events' },
  retrySync: { id: 'retry-sync', label: 'Retry sync' },
  argoCd: { id: 'argocd', label: 'Open in Argo CD' },
  record: { id: 'record', label: 'Open record' },
  output: { id: 'output', label: 'Show output' },
  more: { id: 'more', label: 'More…' },
  pullRequest: { id: 'pull-request', label: 'Open Pull Request' },
} as const satisfies Record<string, Action>;

/** "Fix: restore 2.1.0": the manual fix of a failed automatic rollback. */
export function fixAction(previousTag: string): Action {
  return { id: 'fix-rollback', label: `Fix: restore ${previousTag}` };
}

/**
 * The buttons of an inconclusive run's decision, exactly what `decision` holds: Re-check always,
 * Roll back only when the decision has a rollback (not when the run already rolled back).
 */
export function decisionActions(d: Decision): Choice<DecisionActionId>[] {
  return [{ id: 'recheck', label: 'Re-check' }, ...(d.rollback ? [{ id: 'rollback' as const, label: d.rollback.to ? `Roll back to ${d.rollback.to}` : 'Roll back' }] : [])];
}

/** The editor command a decision's action runs, with its argument (the rollback's `to` and reason from the decision). */
export interface DecisionCommand {
  command: 'gitopsDeploy.recheck' | 'gitopsDeploy.rollback';
  arg: { service: string; environment: string; to?: string; reason?: string };
}

/** What pressing a decision button does, by its id; undefined when the decision does not offer it. */
export function decisionCommand(id: DecisionActionId, d: Decision): DecisionCommand | undefined {
  if (id === 'recheck') return { command: 'gitopsDeploy.recheck', arg: { service: d.recheck.service, environment: d.recheck.environment } };
  const r = d.rollback;
  if (!r) return undefined;
  return { command: 'gitopsDeploy.rollback', arg: { service: r.service, environment: r.environment, ...(r.to ? { to: r.to } : {}), ...(r.reason ? { reason: r.reason } : {}) } };
}

/** How many actions a notification shows as buttons before "More…" (VS Code crowds more into one row). */
export const MAX_BUTTONS = 3;

/**
 * The end-of-run notification's actions for a run that pushed a change and then failed: what to look
 * at next, most useful first — the manual fix when the automatic rollback failed, the logs, the
 * events, Argo CD (when it has a URL), retrying the sync, the record, the output. The first
 * MAX_BUTTONS are buttons; the rest are behind "More…". Undefined for other outcomes.
 */
export function troubleshootActions(o: PipelineOutcome, opts: { argoCd: boolean; extra?: readonly Action[] }): { buttons: Action[]; more: Action[] } | undefined {
  if (o.kind === 'inconclusive' && o.decision) {
    // A human decides: the decision's commands are the buttons; looking around is behind "More…".
    const more: Action[] = [...(opts.extra ?? []), ...(o.commit ? [ACTION.logs, ACTION.events, ...(opts.argoCd ? [ACTION.argoCd] : [])] : []), ...(o.record ? [ACTION.record] : []), ACTION.output];
    return { buttons: [...decisionActions(o.decision), ACTION.more], more };
  }
  if (!o.commit || (o.kind !== 'rolled-back' && o.kind !== 'failed-needs-human' && o.kind !== 'inconclusive')) return undefined;
  const argo: Action[] = opts.argoCd ? [ACTION.argoCd] : [];
  const all: Action[] =
    o.kind === 'rolled-back'
      ? // The previous tag is back and verified: why the new one failed is what matters.
        [ACTION.logs, ACTION.events, ...argo, ACTION.retrySync]
      : [...(o.manualFix && o.previousTag ? [fixAction(o.previousTag)] : []), ...(opts.extra ?? []), ACTION.logs, ACTION.events, ACTION.retrySync, ...argo];
  all.push(...(o.record ? [ACTION.record] : []), ACTION.output);
  if (all.length <= MAX_BUTTONS + 1) return { buttons: all, more: [] };
  return { buttons: [...all.slice(0, MAX_BUTTONS), ACTION.more], more: all.slice(MAX_BUTTONS) };
}

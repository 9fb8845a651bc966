// The human transcript of a pipeline run: one or more lines per event, and the closing summary.
// Used by the CLI; the editor's output channel can use the same lines.
import type { PullRequestEvent } from './outcome';
import { renderCommand, type DeploymentPlan, type PipelineOutcome } from './outcome';
import type { CheckResult } from './model/records';
import type { PipelineEvent } from './outcome';
import { checkText } from './evidence';
import { formatDuration, STEP_MARK } from './model/format';


function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

/** Lines for one event (empty for events the summary covers). */
export function formatEvent(e: PipelineEvent): string[] {
  switch (e.type) {
    case 'step-started':
      return [`▸ ${e.title}`];
    case 'log':
      return [`    ${e.level === 'error' ? '✗ ' : e.level === 'warn' ? '! ' : ''}${e.message}`.replace(/^ {4}([✓✗!-] )\1/, '    $1')];
    case 'step-finished': {
      // A step of one check (the sync wait, the rollout) that did not succeed: its line is that check, with its evidence.
      const only = e.status !== 'succeeded' && e.checks?.length === 1 ? e.checks[0] : undefined;
      const first = only ? checkText(only).split('\n')[0] : (e.message ?? '').split('\n')[0];
      return [`${STEP_MARK[e.status]} ${e.title} (${formatDuration(e.durationMs)})${first ? ` — ${first}` : ''}`];
    }
    case 'notification':
      return [`🔔 ${e.kind}: ${e.message.split('\n')[0]}`];
    case 'pull-request':
      return [`    ${pullRequestLine(e)}`];
    case 'pipeline-finished':
      return [];
  }
}

const WAITING_FOR: Record<NonNullable<PullRequestEvent['waitingFor']>, string> = {
  'review-required': 'an approving review',
  'checks-required': 'the required status checks',
  'not-mergeable': 'its conflicts to be resolved',
  'head-changed': 'its head to settle',
  forbidden: 'someone allowed to merge it',
  closed: 'nothing (it is closed)',
};

/** One line for a pull request event (the transcript, the CLI). */
export function pullRequestLine(e: PullRequestEvent): string {
  const what = `${e.purpose === 'rollback' ? 'rollback ' : ''}pull request #${e.pr.number}`;
  switch (e.phase) {
    case 'opened':
      return `opened ${what}: ${e.pr.htmlUrl}`;
    case 'auto-merge-enabled':
      return `auto-merge is on for ${what}; GitHub merges it once the branch rules are met`;
    case 'waiting-for-merge':
      return `waiting for ${what} to be merged${e.waitingFor ? ` — a human must act: it needs ${WAITING_FOR[e.waitingFor]}` : ''}: ${e.pr.htmlUrl}`;
    case 'merged':
      return `${what} merged${e.pr.mergedBy ? ` by ${e.pr.mergedBy}` : ''} as ${(e.pr.mergeCommitSha ?? '').slice(0, 7)}`;
    case 'closed':
      return `${what} was closed without merging`;
  }
}

/** The full evidence of a step's failed checks (the LogOutputChannel; the transcript shows the summaries). */
export function formatEvidence(checks: readonly CheckResult[] | undefined): string[] {
  const out: string[] = [];
  for (const c of checks ?? []) {
    for (const e of c.evidence ?? []) {
      out.push(`── ${c.name}: ${e.title}${e.link ? ` (${e.link})` : ''}`, ...e.lines.map((l) => `   ${l}`));
    }
  }
  return out;
}

export function formatPlan(plan: DeploymentPlan): string[] {
  const lines = [`Plan: ${plan.service} ${plan.previousTag} → ${plan.tag} in ${plan.environment}${plan.digest ? ` (${plan.digest})` : ''}`, '', 'Values file change:', indent(plan.diff.trimEnd()), '', 'Commit message:', indent(plan.commitMessage.trimEnd()), '', 'Checks:'];
  for (const c of plan.checks) lines.push(`    ${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗ would fail' : c.status === 'warning' ? '!' : '-'} ${c.name}: ${c.detail ?? ''}`);
  const pr = plan.pullRequest;
  const change = pr ? `commit, push to ${pr.branch}, open a pull request into ${pr.base} (${pr.merge === 'auto' ? 'merged by the run when the branch rules allow' : 'a reviewer merges it'}; waits up to ${pr.mergeTimeoutMinutes} min)` : 'commit, push';
  lines.push('', plan.wouldProceed ? `Would proceed: ${change}, wait for Argo CD ${plan.application}, verify.` : 'Would be refused.');
  return lines;
}

/** The closing lines: the outcome, where the record is, and what to do. */
export function formatOutcome(o: PipelineOutcome): string[] {
  const lines: string[] = [''];
  if (o.plan) lines.push(...formatPlan(o.plan), '');
  const head = { deployed: '✓', 'dry-run': o.exitCode === 0 ? '✓' : '⊘', refused: '⊘', 'rolled-back': '↩', 'failed-needs-human': '✗✗', inconclusive: '?' }[o.kind];
  lines.push(`${head} ${o.kind.toUpperCase()} (exit ${o.exitCode}): ${o.kind === 'failed-needs-human' && o.manualFix ? 'a human is needed' : o.message.split('\n')[0]}`);
  const rest = o.message.split('\n').slice(1);
  if (o.kind === 'failed-needs-human' && o.manualFix) lines.push(...o.manualFix.split('\n').map((l) => `  ${l}`));
  else if (rest.length) lines.push(...rest);
  if (o.pullRequest) lines.push(`  pull request: #${o.pullRequest.number} ${o.pullRequest.merged ? 'merged' : o.pullRequest.state === 'open' ? 'open' : 'closed without merging'}: ${o.pullRequest.url}`);
  if (o.rollbackPullRequest) lines.push(`  rollback pull request: #${o.rollbackPullRequest.number} ${o.rollbackPullRequest.merged ? 'merged' : o.rollbackPullRequest.state === 'open' ? 'open — a human must merge it' : 'closed without merging'}: ${o.rollbackPullRequest.url}`);
  if (o.commit) lines.push(`  commit: ${o.commit}`);
  if (o.rollbackCommit) lines.push(`  rollback commit: ${o.rollbackCommit}`);
  if (o.record) lines.push(`  record: ${o.record.path}${o.record.pushed ? '' : ' (not pushed)'}${o.record.pullRequest ? ` (pull request #${o.record.pullRequest.number}${o.record.pullRequest.merged ? ', merged' : ' — a human must merge it'}: ${o.record.pullRequest.url})` : ''}`);
  if (o.rollbackCommand) lines.push(`  to roll back: ${o.rollbackCommand}`);
  if (o.decision) lines.push(...decisionLines(o.decision));
  return lines;
}

/** What could and could not be observed, and the commands to decide with (rendered here, at the edge). */
export function decisionLines(d: NonNullable<PipelineOutcome['decision']>): string[] {
  return [
    `  observed: ${d.observed.join(', ') || 'nothing'}`,
    `  could not observe: ${d.unobserved.join(', ')}`,
    `  re-check: ${renderCommand(d.recheck)}`,
    ...(d.rollback ? [`  roll back: ${renderCommand(d.rollback)}`] : []),
  ];
}

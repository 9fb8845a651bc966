// The body of a promotion pull request: the plan (values diff, checks with their results, the
// window, the reason, how it gets merged), in GitHub-flavoured Markdown. GitHub is an edge: this is
// where the plan's data becomes text for the reviewers.
import type { DeploymentPlan } from '../outcome';

const MARK: Record<string, string> = { passed: '✅', failed: '❌', warning: '⚠️', inconclusive: '❔', skipped: '➖' };

const cell = (t: string | undefined) => (t ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export interface PullBodyFacts {
  mode: 'deploy' | 'rollback';
  runId: string;
  reason?: string;
  actor: string;
  merge: 'manual' | 'auto';
  mergeTimeoutMinutes: number;
}

export function pullRequestBody(plan: DeploymentPlan, f: PullBodyFacts): string {
  const lines = [
    `${f.mode === 'rollback' ? 'Rollback' : 'Promotion'} of **${plan.service}** in **${plan.environment}**: \`${plan.previousTag}\` → \`${plan.tag}\`${plan.digest ? ` (\`${plan.digest}\`)` : ''}.`,
    '',
    `| | |`,
    `|---|---|`,
    `| Reason | ${cell(f.reason) || '—'} |`,
    `| Requested by | ${cell(f.actor)} |`,
    `| Argo CD application | ${cell(plan.application)} |`,
    `| Run | \`${f.runId}\` |`,
  ];
  if (plan.windowOverride) lines.push(`| WINDOW OVERRIDE | ${cell(plan.windowOverride.reason)} (by ${cell(plan.windowOverride.by)}) |`);
  if (plan.estimate) lines.push(`| Expected duration | about ${Math.round(plan.estimate.seconds / 60)} min |`);
  lines.push('', '### Values file change', '', '```diff', plan.diff.trimEnd(), '```', '', '### Checks before the change', '', '| Check | Result | Detail |', '|---|---|---|');
  for (const c of plan.checks) lines.push(`| ${cell(c.name)} | ${MARK[c.status] ?? ''} ${c.status} | ${cell(c.detail)} |`);
  const window = plan.checks.find((c) => c.name === 'window');
  if (window) lines.push('', `**Window:** ${cell(window.detail) || window.status}`);
  lines.push(
    '',
    '### Approvals and merge',
    '',
    f.merge === 'auto'
      ? `gitops-deploy merges this pull request itself as soon as the branch rules allow (required reviews and status checks), or turns on auto-merge; the reviews the rules require are still needed.`
      : `A reviewer merges this pull request (git.merge: manual). The branch rules decide which approvals and checks are needed.`,
    `The run waits up to ${f.mergeTimeoutMinutes} min for the merge, then waits for Argo CD at the merge commit and verifies the deployment; a failed verification is rolled back by a rollback pull request. Closing this pull request unmerged ends the run with nothing deployed.`,
    '',
    '<sub>Opened by gitops-deploy. Use a merge commit (not squash): the commit keeps the run\'s trailers for its journal.</sub>',
  );
  return lines.join('\n') + '\n';
}

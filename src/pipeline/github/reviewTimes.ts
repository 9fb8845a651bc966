// When each environment review of a workflow run happened. GitHub's review history
// (GET /repos/{o}/{r}/actions/runs/{id}/approvals: environments, state, user, comment) carries no
// time. The time lives on the deployment GitHub Actions creates for a job that references an
// environment: its statuses follow the job, `waiting` while the job waits for a required reviewer,
// then the next status (queued / in_progress on approval, failure on rejection) is written when the
// review is submitted. Those statuses link to the run (log_url/target_url …/actions/runs/{id}/job/…).
import type { DeploymentStatusInfo, RunApproval } from './port';

export interface RunDeployment {
  environment: string;
  /** Newest first, as GitHub lists them. */
  statuses: readonly DeploymentStatusInfo[];
}

/**
 * The approvals with `at` set where a matching "left waiting" transition of the run's deployment to
 * that environment exists. Reviews and transitions are paired per environment in time order (a run
 * re-attempted after a rejection is reviewed again); a review naming several environments takes the
 * earliest of its transitions. A `pending` entry (a comment without a verdict) moves no deployment.
 */
export function withReviewTimes(approvals: readonly RunApproval[], runId: number, deployments: readonly RunDeployment[]): RunApproval[] {
  const ofRun = new RegExp(`/actions/runs/${runId}(?:/|$)`);
  const left = new Map<string, string[]>();
  for (const d of deployments) {
    const oldestFirst = d.statuses.slice().reverse();
    if (!oldestFirst.some((s) => s.logUrl && ofRun.test(s.logUrl))) continue;
    for (let i = 0; i + 1 < oldestFirst.length; i++) {
      if (oldestFirst[i].state !== 'waiting' || oldestFirst[i + 1].state === 'waiting') continue;
      const list = left.get(d.environment) ?? [];
      list.push(oldestFirst[i + 1].createdAt);
      left.set(d.environment, list);
    }
  }
  for (const list of left.values()) list.sort((a, b) => Date.parse(a) - Date.parse(b));
  return approvals.map((a) => {
    if (a.state !== 'approved' && a.state !== 'rejected') return a;
    const times = a.environments.map((e) => left.get(e)?.shift()).filter((t): t is string => !!t);
    if (!times.length) return a;
    return { ...a, at: times.reduce((x, y) => (Date.parse(y) < Date.parse(x) ? y : x)) };
  });
}

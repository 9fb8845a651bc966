// The records panel's Insights tab, extension side: the DORA measures for the period the webview
// asks for (model/dora.ts) and the trail verification (recordsVerify.ts). No `vscode` import.
import { recordsGit } from '../clients/recordsGit';
import { computeInsights, type Insights } from '../pipeline/model/dora';
import type { RepoState } from '../pipeline/model/repoState';
import { verifyTrail, type TrailVerification } from '../pipeline/recordsVerify';

const DAY = 86_400_000;

/** The measures of the last `days` days up to `now`, every environment or one. */
export function insightsFor(state: RepoState | undefined, days: number, environment: string | undefined, now: Date): Insights {
  const order = state?.environments.map((e) => e.config.name) ?? [];
  return computeInsights(state?.records ?? [], { since: new Date(now.getTime() - days * DAY), until: now, environment: environment && order.includes(environment) ? environment : undefined, environmentOrder: order });
}

export async function trailFor(state: RepoState | undefined, signal?: AbortSignal): Promise<{ trail?: TrailVerification; problem?: string }> {
  if (!state?.config) return { problem: state?.configProblem ? `Invalid .gitops-deploy.yaml: ${state.configProblem}` : 'No GitOps repository in this workspace.' };
  try {
    return { trail: await verifyTrail(state.config, recordsGit(state.root), { signal }) };
  } catch (err) {
    return { problem: `could not verify the trail: ${err instanceof Error ? err.message : String(err)}` };
  }
}

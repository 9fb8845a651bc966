// Entering the run's state machine somewhere else than at the start: finishing an interrupted run
// found in origin's journal (resume, roll back, accept), and verifying a tag that already runs.
import { applicationName, serviceConfig, upstreamOf } from '../config/load';
import { lock } from '../checks/lock';
import { finishedRuns, readJournal } from '../journal';
import { describeApp } from '../model/argo';
import { editValuesText } from '../model/imageTags';
import { shortSha } from '../model/format';
import type { CheckResult } from '../model/records';
import type { Step, StepContext, StepResult } from '../runner';
import type { EnvironmentConfig } from '../config/types';
import { parsePromotionBranch, promotionBranchPrefix } from '../github/pulls';
import { parseJournal } from '../model/journal';
import { pullRequestRef } from './pullRequest';
import { fromOrigin } from './resolve';
import { rel, type Resolved, type RunState } from './state';

export type ResumeAction = 'resume' | 'accept' | 'rollback';

/**
 * Read origin's journal for the service and restore the interrupted run's state from it (tags,
 * commits, its run id); then take the lock and the lease as any run does.
 */
export function resumeStep(action: ResumeAction): Step<RunState, 'git' | 'pulls'> {
  return {
    name: 'resume',
    title: 'Find the interrupted deployment',
    needs: ['git', 'pulls'],
    timeoutMs: 60_000,
    async run(s, ctx) {
      const git = ctx.ports.git;
      const start = await fromOrigin(s, ctx);
      if (!('env' in start)) return start;
      const { env, base } = start;
      const config = s.settings.config;
      const j = await readJournal(git, config, env, s.service, base, ctx.clock.now(), ctx.signal);
      const st = j.state;
      if (st.kind === 'running') {
        const text = `the deployment of ${s.service} in ${s.environment} is still running: ${st.lease.holder} on ${st.lease.host} since ${st.lease.startedAt} (run ${st.runId}); nothing to resume`;
        return { status: 'refused', message: text, cause: { code: 'refused', text } };
      }
      if (st.kind !== 'interrupted' && env.git.mode === 'pull-request' && action === 'resume') {
        // pull-request mode: a run stopped while its pull request waited for a merge left nothing on
        // main; its open pull request (and branch) is what to continue from.
        const attached = await reattach(s, ctx, env, base);
        if (attached) return attached;
      }
      if (st.kind !== 'interrupted') {
        const text = `no interrupted deployment of ${s.service} in ${s.environment} on origin (${shortSha(base)}): every run of it has its record; nothing to resume`;
        return { status: 'refused', message: text, cause: { code: 'refused', text } };
      }
      const c = st.change;
      s.runId = st.runId;
      s.resume = { action, interrupted: { runId: st.runId, phase: st.phase, change: st.change, rollback: st.rollback, originTag: st.originTag } };
      // The target is the interrupted run's, from its commit's trailers.
      s.target = Object.freeze({ env, upstream: upstreamOf(config, env.name), serviceConfig: serviceConfig(config, s.service), valuesRel: rel(config.root, env.valuesFile), application: applicationName(env, s.service), tag: c.to, tagSource: `run ${st.runId}`, previousTag: c.from });
      s.digest = c.digest;
      // A pinned environment's rollback restores the digest pinned before the run (from the commit's parent).
      const parentText = await git.show(`${c.commit}^`, s.target.valuesRel, ctx.signal).catch(() => undefined);
      if (parentText !== undefined) {
        try {
          s.previousDigest = editValuesText(parentText, s.service, c.from, undefined, config.tagPath).previousDigest;
        } catch {
          s.previousDigest = undefined;
        }
      }
      // pull-request mode: the change came in through its pull request's merge commit; Argo CD syncs that.
      s.commit = env.git.mode === 'pull-request' ? await git.landedAs(c.commit, base, ctx.signal) : c.commit;
      if (s.commit !== c.commit) s.changeCommit = c.commit;
      s.pushed = true;
      s.mode = c.kind === 'rollback' ? 'rollback' : 'deploy';
      if (!s.reason) s.reason = c.reason;
      if (st.phase === 'rolling-back' && st.rollback) {
        s.rollbackCommit = env.git.mode === 'pull-request' ? await git.landedAs(st.rollback.commit, base, ctx.signal) : st.rollback.commit;
        s.rollbackPushed = true;
        s.cause = 'the run was interrupted during its automatic rollback';
        s.causeStep = 'rollback';
      }
      const got = await lock.run({ run: s as Resolved, tag: c.to, now: ctx.clock.now(), observed: undefined as never }, ctx);
      if (got && got.status === 'failed') return { status: 'refused', message: got.detail, cause: { code: 'refused', text: got.detail ?? 'locked' } };
      if (got?.learned?.releaseLock) s.releaseLock = got.learned.releaseLock;
      const where = st.phase === 'rolling-back' ? `its automatic rollback to ${c.from} (${shortSha(st.rollback?.commit)}) is on origin, not verified` : `${c.to} is on origin (${shortSha(c.commit)}), not verified`;
      ctx.log(`interrupted run ${st.runId} by ${c.actor ?? 'unknown'}: ${s.service} ${c.from} → ${c.to} in ${s.environment}; ${where}; ${action === 'accept' ? 'checking it now to accept it' : action === 'rollback' ? `rolling back to ${c.from}` : 'continuing from there'}`);
      return { status: 'succeeded', message: `run ${st.runId}: ${c.from} → ${c.to}, ${st.phase}`, output: { runId: st.runId, phase: st.phase, commit: c.commit } };
    },
  };
}

/**
 * pull-request mode: continue a run whose pull request is still open (its process was stopped
 * while waiting): the run and its target from the branch head's trailers, the pull request found by
 * its branch; the push step then waits for the merge again.
 */
async function reattach(s: RunState, ctx: StepContext<'git' | 'pulls'>, env: EnvironmentConfig, base: string): Promise<StepResult | undefined> {
  const git = ctx.ports.git;
  const config = s.settings.config;
  const prefix = `${promotionBranchPrefix(env.name)}${s.service}/`;
  if (ctx.ports.pulls.unavailable) return undefined;
  const open = (await ctx.ports.pulls.listOpen(prefix, ctx.signal)).filter((p) => parsePromotionBranch(p.headRef)?.purpose === 'deploy').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const pr = open[0];
  if (!pr) return undefined;
  const valuesRel = rel(config.root, env.valuesFile);
  const head = (await git.fetchBranches(prefix, ctx.signal)).find((b) => b.branch === pr.headRef)?.sha ?? pr.headSha;
  const msg = (await git.history(head, valuesRel, 1, ctx.signal))[0];
  const c = msg && msg.sha === head ? parseJournal(msg) : undefined;
  if (!c || c.service !== s.service || c.environment !== env.name) return undefined;
  // A run that ended (its record says the pull request stayed open) is not continued under its id.
  if ((await finishedRuns(git, config, env, base, ctx.signal)).has(c.runId)) return undefined;
  // A run still alive holds the lease: the lock below refuses then.
  s.runId = c.runId;
  s.resume = { action: 'resume', interrupted: { runId: c.runId, phase: 'pushed', change: c, originTag: c.from } };
  s.target = Object.freeze({ env, upstream: upstreamOf(config, env.name), serviceConfig: serviceConfig(config, s.service), valuesRel, application: applicationName(env, s.service), tag: c.to, tagSource: `run ${c.runId}`, previousTag: c.from });
  s.digest = c.digest;
  s.base = base;
  s.commit = head;
  s.changeCommit = head;
  s.pullRequest = pullRequestRef(pr);
  s.mode = c.kind === 'rollback' ? 'rollback' : 'deploy';
  if (!s.reason) s.reason = c.reason;
  const got = await lock.run({ run: s as Resolved, tag: c.to, now: ctx.clock.now(), observed: undefined as never }, ctx);
  if (got && got.status === 'failed') return { status: 'refused', message: got.detail, cause: { code: 'refused', text: got.detail ?? 'locked' } };
  if (got?.learned?.releaseLock) s.releaseLock = got.learned.releaseLock;
  ctx.log(`interrupted run ${c.runId} by ${c.actor ?? 'unknown'}: ${s.service} ${c.from} → ${c.to} in ${s.environment} waits in pull request #${pr.number} (${pr.htmlUrl}); re-attached, waiting for its merge`);
  return { status: 'succeeded', message: `run ${c.runId}: ${c.from} → ${c.to}, pull request #${pr.number} open`, output: { runId: c.runId, phase: 'pull-request', commit: head, pullRequest: pr.number } };
}

/**
 * The tag already runs (or an interrupted run is accepted): Argo CD must report the application
 * Synced and Healthy now — there is no operation to wait for. Then the rollout and the verification run.
 */
export const argoNowStep: Step<Resolved, 'argocd'> = {
  name: 'argo-now',
  title: 'Argo CD state now',
  needs: ['argocd'],
  timeoutMs: 60_000,
  async run(s, ctx) {
    const a = await ctx.ports.argocd.get(s.target.env.argocd.namespace, s.target.application, ctx.signal);
    const ok = a.syncStatus === 'Synced' && a.healthStatus === 'Healthy' && (a.operationPhase === undefined || a.operationPhase === 'Succeeded');
    const detail = `${s.target.application}: ${describeApp(a)}`;
    const check: CheckResult = { name: 'argo-now', status: ok ? 'passed' : 'failed', detail };
    s.checks.push(check);
    if (ok) return { status: 'succeeded', message: detail, checks: [check] };
    const text = `Argo CD does not report ${s.target.application} Synced and Healthy now (${describeApp(a)})`;
    return { status: 'failed', message: text, checks: [check], cause: { code: 'check-failed', text } };
  },
};

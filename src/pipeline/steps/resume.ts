// Entering the run's state machine somewhere else than at the start: finishing an interrupted run
// found in origin's journal (resume, roll back, accept), and verifying a tag that already runs.
import { applicationName, serviceConfig, upstreamOf } from '../config/load';
import { lock } from '../checks/lock';
import { readJournal } from '../journal';
import { describeApp } from '../model/argo';
import { editValuesText } from '../model/imageTags';
import { shortSha } from '../model/format';
import type { CheckResult } from '../model/records';
import type { Step } from '../runner';
import { fromOrigin } from './resolve';
import { rel, type Resolved, type RunState } from './state';

export type ResumeAction = 'resume' | 'accept' | 'rollback';

/**
 * Read origin's journal for the service and restore the interrupted run's state from it (tags,
 * commits, its run id); then take the lock and the lease as any run does.
 */
export function resumeStep(action: ResumeAction): Step<RunState, 'git'> {
  return {
    name: 'resume',
    title: 'Find the interrupted deployment',
    needs: ['git'],
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
      s.commit = c.commit;
      s.pushed = true;
      s.mode = c.kind === 'rollback' ? 'rollback' : 'deploy';
      if (!s.reason) s.reason = c.reason;
      if (st.phase === 'rolling-back' && st.rollback) {
        s.rollbackCommit = st.rollback.commit;
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

// Step 5: put the previous tag back (on origin's head, built outside the checkout), commit, push by
// id, have Argo CD sync that commit, verify again.
import { journalTrailers } from '../model/journal';
import type { CheckResult } from '../model/records';
import { evidenceSignal } from '../observe';
import { rollbackCommitMessage, withTrailers } from '../plan';
import type { Step } from '../runner';
import { commitFacts, protectedBranchText, pushOnto, syncCheckout, valuesAt, waitForSync } from './execute';
import { shortSha, type Resolved } from './state';
import { rolloutStep, verifyStep } from './verify';

export function rollbackFacts(s: Resolved) {
  const f = commitFacts(s);
  return { ...f, previousTag: f.tag, tag: f.previousTag };
}

export function rollbackMessage(s: Resolved): string {
  const cause = `Automatic rollback: ${s.causeStep ? `${s.causeStep} failed: ` : ''}${s.cause ?? 'verification failed'}`;
  return withTrailers(rollbackCommitMessage(rollbackFacts(s), cause), journalTrailers({ runId: s.runId, kind: 'auto-rollback', digest: s.digest }));
}

export const rollbackValuesStep: Step<Resolved, 'git'> = {
  name: 'rollback-values',
  title: 'Rollback: restore the previous tag',
  needs: ['git'],
  timeoutMs: 30_000,
  async run(s, ctx) {
    // Back to the tag that ran and was verified before this run, on origin's head as it is now.
    await ctx.ports.git.fetch(ctx.signal);
    s.rollbackBase = await ctx.ports.git.remoteSha(ctx.signal);
    const v = await valuesAt(s, ctx.ports.git, s.rollbackBase, s.target.tag, s.target.previousTag, s.previousDigest, ctx.signal);
    if ('refuse' in v) return { status: 'failed', message: v.refuse, cause: { code: 'conflict', text: v.refuse } };
    s.rollbackValues = v.text;
    ctx.log(`${s.target.valuesRel}:${v.line}: ${s.service} ${s.target.tag} → ${s.target.previousTag} (the tag origin had before this run)`);
    return { status: 'succeeded', message: `${s.target.valuesRel}:${v.line} ${s.target.tag} → ${s.target.previousTag}` };
  },
};

export const rollbackCommitStep: Step<Resolved, 'git'> = {
  name: 'rollback-commit',
  title: 'Rollback: commit',
  needs: ['git'],
  timeoutMs: 30_000,
  async run(s, ctx) {
    s.rollbackCommit = await ctx.ports.git.commitOnto(s.rollbackBase!, { [s.target.valuesRel]: s.rollbackValues! }, rollbackMessage(s), ctx.signal);
    return { status: 'succeeded', message: shortSha(s.rollbackCommit) };
  },
};

export const rollbackPushStep: Step<Resolved, 'git'> = {
  name: 'rollback-push',
  title: 'Rollback: push',
  needs: ['git'],
  timeoutMs: 120_000,
  async run(s, ctx) {
    const build = async (base: string) => {
      const v = await valuesAt(s, ctx.ports.git, base, s.target.tag, s.target.previousTag, s.previousDigest, ctx.signal);
      return 'refuse' in v ? v : { files: { [s.target.valuesRel]: v.text }, message: rollbackMessage(s) };
    };
    const r = await pushOnto(ctx.ports.git, { sha: s.rollbackCommit!, base: s.rollbackBase! }, build, ctx.log, ctx.signal);
    if (!r.ok) {
      s.rollbackCommit = undefined;
      if (r.protected) {
        const text = protectedBranchText(s.settings.config.git.branch, s.environment, r.message);
        return { status: 'failed', message: text, cause: { code: 'branch-protected', text, system: 'git' } };
      }
      return { status: 'failed', message: r.message, cause: { code: r.race ? 'conflict' : 'error', text: r.message, retryable: r.race } };
    }
    s.rollbackCommit = r.sha;
    s.rollbackPushed = true;
    await syncCheckout(s, ctx.ports.git, r.sha, ctx.log, evidenceSignal(ctx.deadline));
    return { status: 'succeeded', message: `pushed ${shortSha(r.sha)}` };
  },
};

export const rollbackSyncStep: Step<Resolved, 'argocd' | 'cluster'> = {
  name: 'rollback-sync',
  title: 'Rollback: Argo CD sync',
  needs: ['argocd', 'cluster'],
  timeoutMs: 0,
  async run(s, ctx) {
    const ns = s.target.env.argocd.namespace;
    await ctx.ports.argocd.sync(ns, s.target.application, s.rollbackCommit!, s.actor, `rollback of ${s.service} ${s.target.tag} → ${s.target.previousTag}: ${s.cause ?? ''}`.slice(0, 500), ctx.signal);
    const r = await waitForSync(s, ctx, s.rollbackCommit!, s.target.previousTag, 2);
    if (r.ok) {
      const check: CheckResult = { name: 'rollback-sync', status: 'passed', detail: `${s.target.application} Synced and Healthy at ${shortSha(s.rollbackCommit)}` };
      s.checks.push(check);
      return { status: 'succeeded', message: check.detail, checks: [check] };
    }
    const inconclusive = r.code === 'inconclusive';
    const check: CheckResult = { name: 'rollback-sync', status: inconclusive ? 'inconclusive' : 'failed', detail: r.message, evidence: r.evidence };
    s.checks.push(check);
    return { status: inconclusive ? 'inconclusive' : 'failed', message: r.message, checks: [check], cause: { code: r.code, text: r.message, evidence: r.evidence } };
  },
};

export const rollbackRolloutStep = rolloutStep('rollback-rollout', 'Rollback: wait for the rollout', 'rollback-', (s) => s.target.previousTag);
export const rollbackVerifyStep = verifyStep('rollback-verify', 'Rollback: verify', 'rollback-', (s) => s.target.previousTag);

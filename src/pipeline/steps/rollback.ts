// Step 5: put the previous tag back, commit, push, have Argo CD sync that commit, verify again.
import { writeImageTag } from '../model/imageTags';
import type { CheckResult } from '../model/records';
import { rollbackCommitMessage } from '../plan';
import type { Step } from '../runner';
import { commitFacts, pushWithRace, waitForSync } from './execute';
import { shortSha, type RunState } from './state';
import { rolloutStep, verifyStep } from './verify';

export const rollbackValuesStep: Step<RunState, never> = {
  name: 'rollback-values',
  title: 'Rollback: restore the previous tag',
  needs: [],
  timeoutMs: 30_000,
  async run(s, ctx) {
    const edit = await writeImageTag(s.env!.valuesFile, s.service, s.previousTag!, s.settings.config.tagPath);
    ctx.log(`${s.valuesRel}:${edit.entry.line}: ${s.service} ${edit.previousTag} → ${s.previousTag}`);
    return { status: 'succeeded', message: `${s.valuesRel}:${edit.entry.line} ${edit.previousTag} → ${s.previousTag}` };
  },
};

export function rollbackFacts(s: RunState) {
  const f = commitFacts(s);
  return { ...f, previousTag: f.tag, tag: f.previousTag };
}

export const rollbackCommitStep: Step<RunState, 'git'> = {
  name: 'rollback-commit',
  title: 'Rollback: commit',
  needs: ['git'],
  timeoutMs: 30_000,
  async run(s, ctx) {
    const cause = `Automatic rollback: ${s.causeStep ? `${s.causeStep} failed: ` : ''}${s.cause ?? 'verification failed'}`;
    s.rollbackCommit = await ctx.ports.git.commit([s.valuesRel!], rollbackCommitMessage(rollbackFacts(s), cause), ctx.signal);
    return { status: 'succeeded', message: shortSha(s.rollbackCommit) };
  },
};

export const rollbackPushStep: Step<RunState, 'git'> = {
  name: 'rollback-push',
  title: 'Rollback: push',
  needs: ['git'],
  timeoutMs: 120_000,
  async run(s, ctx) {
    const cfg = s.settings.config;
    const r = await pushWithRace(ctx.ports.git, { file: s.valuesRel!, service: s.service, expectTag: s.tag!, tagPath: cfg.tagPath, remoteRef: `${cfg.git.remote}/${cfg.git.branch}`, sha: s.rollbackCommit! }, ctx.log, ctx.signal);
    if (!r.ok) return { status: 'failed', message: r.message, cause: { code: r.race ? 'conflict' : 'error', text: r.message, retryable: r.race } };
    s.rollbackCommit = r.sha;
    s.rollbackPushed = true;
    return { status: 'succeeded', message: `pushed ${shortSha(r.sha)}` };
  },
};

export const rollbackSyncStep: Step<RunState, 'argocd' | 'cluster'> = {
  name: 'rollback-sync',
  title: 'Rollback: Argo CD sync',
  needs: ['argocd', 'cluster'],
  timeoutMs: 0,
  async run(s, ctx) {
    const ns = s.env!.argocd.namespace;
    await ctx.ports.argocd.sync(ns, s.application!, s.rollbackCommit!, s.actor, `rollback of ${s.service} ${s.tag} → ${s.previousTag}: ${s.cause ?? ''}`.slice(0, 500), ctx.signal);
    const r = await waitForSync(s, ctx, s.rollbackCommit!, s.previousTag!, 2);
    if (r.ok) {
      const check: CheckResult = { name: 'rollback-sync', status: 'passed', detail: `${s.application} Synced and Healthy at ${shortSha(s.rollbackCommit)}` };
      s.checks.push(check);
      return { status: 'succeeded', message: check.detail, checks: [check] };
    }
    const inconclusive = r.code === 'inconclusive';
    const check: CheckResult = { name: 'rollback-sync', status: inconclusive ? 'inconclusive' : 'failed', detail: r.message, evidence: r.evidence };
    s.checks.push(check);
    return { status: inconclusive ? 'inconclusive' : 'failed', message: r.message, checks: [check], cause: { code: r.code, text: r.message, evidence: r.evidence } };
  },
};

export const rollbackRolloutStep = rolloutStep('rollback-rollout', 'Rollback: wait for the rollout', 'rollback-', (s) => s.previousTag!);
export const rollbackVerifyStep = verifyStep('rollback-verify', 'Rollback: verify', 'rollback-', (s) => s.previousTag!);

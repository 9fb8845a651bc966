// Step 3: edit the one scalar, commit only that file, push (one fetch+rebase when origin moved
// and nobody touched this service's line), then wait for Argo CD to be done at the commit.
import { appEvidence, argoCdAppUrl, gatherWorkload, type Evidence } from '../evidence';
import type { CauseCode } from '../model/cause';
import { maskSecrets } from '../mask';
import { writeFileAtomic } from '../model/atomic';
import { parseImageTags, writeImageTag } from '../model/imageTags';
import type { CheckResult } from '../model/records';
import { evidenceSignal } from '../observe';
import { WaitTimeoutError, type AppStatus, type PodStatus, type Ports } from '../ports';
import { changeCommitMessage } from '../plan';
import type { Step, StepContext } from '../runner';
import { shortSha, type RunState } from './state';
import { newPods } from './pods';
import { crashDetail } from '../model/rollout';
import { describeApp, syncedAt, syncFailure } from '../model/argo';

/** What the commit message says; secrets (tokens pasted into a reason) are masked as in the record. */
export function commitFacts(s: RunState) {
  const m = (t: string) => maskSecrets(t, s.settings.env);
  return { service: s.service, environment: s.environment, previousTag: s.previousTag!, tag: s.tag!, reason: s.reason === undefined ? undefined : m(s.reason), actor: m(s.actor), windowOverride: s.windowOverride && { reason: m(s.windowOverride.reason), by: m(s.windowOverride.by) } };
}

export const updateValuesStep: Step<RunState, never> = {
  name: 'update-values',
  title: 'Update the values file',
  needs: [],
  timeoutMs: 30_000,
  async run(s, ctx) {
    const edit = await writeImageTag(s.env!.valuesFile, s.service, s.tag!, s.settings.config.tagPath);
    s.valuesBefore = edit.before;
    s.valuesAfter = edit.text;
    s.changedLocally = true;
    ctx.log(`${s.valuesRel}:${edit.entry.line}: ${s.service} ${edit.previousTag} → ${s.tag}`);
    return { status: 'succeeded', message: `${s.valuesRel}:${edit.entry.line} ${edit.previousTag} → ${s.tag}` };
  },
};

export const commitStep: Step<RunState, 'git'> = {
  name: 'commit',
  title: 'Commit',
  needs: ['git'],
  timeoutMs: 30_000,
  async run(s, ctx) {
    s.commit = await ctx.ports.git.commit([s.valuesRel!], changeCommitMessage(s.mode, commitFacts(s)), ctx.signal);
    ctx.log(`committed ${shortSha(s.commit)}`);
    return { status: 'succeeded', message: shortSha(s.commit), output: { commit: s.commit } };
  },
};

export type PushOutcome = { ok: true; sha: string; rebased: boolean } | { ok: false; race: boolean; message: string };

/**
 * Push HEAD. When origin moved: fetch, and if origin's values file still has `expectTag` for the
 * service (nobody touched this line), rebase once and push again.
 */
export async function pushWithRace(
  git: Ports['git'],
  opts: { file: string; service: string; expectTag: string; tagPath: string; remoteRef: string; sha: string },
  log: (m: string, level?: 'info' | 'warn' | 'error') => void,
  signal: AbortSignal,
): Promise<PushOutcome> {
  const first = await git.push(signal);
  if (first.ok) return { ok: true, sha: opts.sha, rebased: false };
  if (first.rejected !== 'non-fast-forward') return { ok: false, race: false, message: `push failed: ${first.message}` };
  log(`push rejected: ${opts.remoteRef} moved; fetching`, 'warn');
  await git.fetch(signal);
  const remoteText = await git.show(opts.remoteRef, opts.file, signal);
  let remoteTag: string | undefined;
  try {
    remoteTag = remoteText === undefined ? undefined : parseImageTags(remoteText, opts.tagPath).entries.get(opts.service)?.tag;
  } catch {
    remoteTag = undefined;
  }
  if (remoteTag !== opts.expectTag) {
    const remoteSha = await git.remoteSha(signal).catch(() => undefined);
    return { ok: false, race: true, message: `origin moved and changed ${opts.service} there: ${opts.file} on ${opts.remoteRef}${remoteSha ? ` (${shortSha(remoteSha)})` : ''} has ${remoteTag ?? 'no tag'}, expected ${opts.expectTag}. Someone else deployed ${opts.service} meanwhile.` };
  }
  log(`origin moved but ${opts.service}'s line is untouched (${opts.expectTag}); rebasing`);
  if (!(await git.rebaseOntoRemote(signal))) return { ok: false, race: true, message: `origin moved and the rebase onto ${opts.remoteRef} conflicted` };
  const sha = await git.headSha(signal);
  const second = await git.push(signal);
  if (second.ok) return { ok: true, sha, rebased: true };
  return { ok: false, race: second.rejected === 'non-fast-forward', message: `push failed after rebasing: ${second.message}` };
}

/** Undo an unpushed commit and restore the values file; returns a problem, or undefined. */
export async function undoLocal(s: RunState, git: Ports['git'], signal: AbortSignal): Promise<string | undefined> {
  try {
    if (s.headBefore && s.commit) await git.resetHard(s.headBefore, signal);
    else if (s.valuesBefore !== undefined) await writeFileAtomic(s.env!.valuesFile, s.valuesBefore);
    s.changedLocally = false;
    s.commit = undefined;
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export const pushStep: Step<RunState, 'git'> = {
  name: 'push',
  title: 'Push',
  needs: ['git'],
  timeoutMs: 120_000,
  async run(s, ctx) {
    const cfg = s.settings.config;
    const r = await pushWithRace(ctx.ports.git, { file: s.valuesRel!, service: s.service, expectTag: s.previousTag!, tagPath: cfg.tagPath, remoteRef: `${cfg.git.remote}/${cfg.git.branch}`, sha: s.commit! }, ctx.log, ctx.signal);
    if (r.ok) {
      s.commit = r.sha;
      s.pushed = true;
      s.changedLocally = false;
      return { status: 'succeeded', message: `pushed ${shortSha(r.sha)}${r.rebased ? ' (rebased onto origin)' : ''}`, output: { commit: r.sha } };
    }
    const undoProblem = await undoLocal(s, ctx.ports.git, new AbortController().signal);
    const undone = undoProblem ? ` Undoing the local commit failed too (${undoProblem}): reset the branch to ${s.headBefore} by hand.` : ' The local commit was undone; nothing reached origin.';
    if (r.race) {
      const text = `${r.message}${undone} Re-run to deploy on top of the current state.`;
      return { status: 'refused', message: text, cause: { code: 'conflict', text, retryable: true } };
    }
    const text = `${r.message}.${undone}`;
    return { status: 'failed', message: text, cause: { code: 'error', text } };
  },
};

/**
 * Wait (a watch) until Argo CD is done at `sha`; meanwhile, once the operation has applied it,
 * watch the new pods for a crash loop so it fails fast instead of at the timeout.
 */
export async function waitForSync(
  s: RunState,
  ctx: StepContext<'argocd' | 'cluster'>,
  sha: string,
  tag: string,
  timeoutFactor = 1,
): Promise<{ ok: true; status: AppStatus } | { ok: false; code: CauseCode; message: string; evidence: Evidence[] }> {
  const env = s.env!;
  const ns = env.argocd.namespace;
  const app = s.application!;
  const timeoutS = s.settings.config.verification.syncTimeoutSeconds * timeoutFactor;
  const timeoutMs = timeoutS * 1000;
  const local = new AbortController();
  const onAbort = () => local.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let last: AppStatus | undefined;
  let lastLine = '';
  let hardRefreshed = false;
  let watchdog: Promise<void> | undefined;
  let crash: string | undefined;
  let crashPod: PodStatus | undefined;
  const done = syncedAt(sha);
  /** The Application as Argo CD has it now (and, once our revision is applied, the workload). */
  /** A fresh read of the Application, after the wait ended (bounded by the step's deadline). */
  const reread = () =>
    ctx.ports.argocd.get(ns, app, evidenceSignal(ctx.deadline)).then(
      (a) => ({ a, err: undefined }),
      (err: unknown) => ({ a: undefined, err: err instanceof Error ? err.message : String(err) }),
    );
  const evidence = async (given?: { a?: AppStatus; err?: string }): Promise<Evidence[]> => {
    const signal = evidenceSignal(ctx.deadline); // gathered even when the wait was cut short, but never past the step's deadline
    const link = argoCdAppUrl(env.argocd.url, ns, app);
    const got = given ?? (await reread());
    const fresh = { a: got.a ?? last, err: got.err };
    const out = [appEvidence(fresh.a, app, link, got.a ? undefined : fresh.err)];
    const applied = crashPod || (fresh.a?.operationRevision === sha && fresh.a.operationPhase === 'Succeeded');
    if (applied) {
      const pods = await newPods(ctx.ports.cluster, env.namespace, s.serviceConfig!.deployment, tag, signal).catch(() => [] as PodStatus[]);
      out.push(...(await gatherWorkload(ctx.ports.cluster, env.namespace, s.serviceConfig!.deployment, { pods, pod: crashPod }, signal).catch(() => [] as Evidence[])));
    }
    return out;
  };
  const failed = async (message: string, given?: { a?: AppStatus; err?: string }, code: CauseCode = 'sync-failed') => ({ ok: false as const, code, message, evidence: await evidence(given) });
  const startWatchdog = () => {
    watchdog ??= (async () => {
      while (!local.signal.aborted) {
        try {
          const pods = await newPods(ctx.ports.cluster, env.namespace, s.serviceConfig!.deployment, tag, local.signal);
          const bad = pods.find((p) => p.waitingReason === 'CrashLoopBackOff');
          if (bad) {
            crash = crashDetail(bad);
            crashPod = bad;
            local.abort(new Error(crash));
            return;
          }
        } catch {
          if (local.signal.aborted) return;
        }
        await s.settings.sleep(Math.max(s.settings.pollIntervalMs, 250), local.signal).catch(() => undefined);
      }
    })();
  };
  try {
    await ctx.ports.argocd.refresh(ns, app, 'normal', ctx.signal);
    const status = await ctx.ports.argocd.waitFor(
      ns,
      app,
      (a) => done(a) || syncFailure(sha, a) !== undefined,
      timeoutMs,
      local.signal,
      (a) => {
        last = a;
        const line = describeApp(a);
        if (line !== lastLine) {
          lastLine = line;
          ctx.log(`Argo CD ${app}: ${line}`);
        }
        if (a.operationRevision === sha && a.operationPhase === 'Succeeded') startWatchdog();
        // Kargo's trick: health older than the operation is stale; ask for a hard refresh once.
        if (!hardRefreshed && a.syncRevision === sha && a.operationPhase === 'Succeeded' && a.reconciledAt && a.operationFinishedAt && Date.parse(a.reconciledAt) < Date.parse(a.operationFinishedAt)) {
          hardRefreshed = true;
          ctx.ports.argocd.refresh(ns, app, 'hard', local.signal).catch(() => undefined);
        }
      },
    );
    last = status;
    const failure = syncFailure(sha, status);
    if (failure) {
      // Degraded names the symptom Argo CD saw (often "exceeded its progress deadline"); a new
      // pod in a crash loop is the cause, whichever of the two was noticed first.
      if (status.healthStatus === 'Degraded' && !crashPod) {
        const pods = await newPods(ctx.ports.cluster, env.namespace, s.serviceConfig!.deployment, tag, evidenceSignal(ctx.deadline)).catch(() => [] as PodStatus[]);
        crashPod = pods.find((p) => p.waitingReason === 'CrashLoopBackOff');
      }
      return await failed(crashPod ? crashDetail(crashPod) : failure, undefined, crashPod ? 'check-failed' : 'sync-failed');
    }
    ctx.log(`Argo CD ${app}: Synced and Healthy at ${shortSha(sha)}`);
    return { ok: true, status };
  } catch (err) {
    if (crash) return await failed(crash, undefined, 'check-failed');
    if (ctx.signal.aborted) throw err;
    const what = err instanceof Error ? err.message : String(err);
    // The object's state decides, never the transport's: read the Application once more.
    const fresh = await reread();
    if (fresh.a) {
      last = fresh.a;
      if (done(fresh.a)) {
        ctx.log(`Argo CD ${app}: Synced and Healthy at ${shortSha(sha)} (read after the wait ended: ${what})`);
        return { ok: true, status: fresh.a };
      }
      const failure = syncFailure(sha, fresh.a);
      if (failure) return await failed(failure, fresh);
      if (err instanceof WaitTimeoutError) return await failed(`Argo CD did not report ${app} Synced and Healthy at ${shortSha(sha)} within ${timeoutS} s (last seen: ${describeApp(fresh.a)}). Check: kubectl get application ${app} -n ${ns}`, fresh, 'timeout');
      return await failed(`could not keep observing Argo CD ${app}: ${what} (last seen: ${describeApp(fresh.a)})`, fresh, 'inconclusive');
    }
    // Neither the wait nor a fresh read could observe the Application: inconclusive, not failed.
    return await failed(`could not observe Argo CD ${app}: ${fresh.err ?? what}${last ? ` (last seen: ${describeApp(last)})` : ''}`, fresh, 'inconclusive');
  } finally {
    if (!local.signal.aborted) local.abort(new Error('sync wait finished'));
    ctx.signal.removeEventListener('abort', onAbort);
    await watchdog;
  }
}

export const syncStep: Step<RunState, 'argocd' | 'cluster'> = {
  name: 'sync',
  title: 'Wait for Argo CD',
  needs: ['argocd', 'cluster'],
  timeoutMs: 0, // set per run from verification.syncTimeoutSeconds
  async run(s, ctx) {
    const r = await waitForSync(s, ctx, s.commit!, s.tag!);
    if (!r.ok) {
      const inconclusive = r.code === 'inconclusive';
      const check: CheckResult = { name: 'sync', status: inconclusive ? 'inconclusive' : 'failed', detail: r.message, evidence: r.evidence };
      s.checks.push(check);
      return { status: inconclusive ? 'inconclusive' : 'failed', message: r.message, checks: [check], cause: { code: r.code, text: r.message, evidence: r.evidence, retryable: inconclusive || r.code === 'timeout' } };
    }
    s.syncedAt = ctx.clock.now().toISOString();
    const check = { name: 'sync', status: 'passed' as const, detail: `${s.application} Synced and Healthy at ${shortSha(s.commit)}` };
    s.checks.push(check);
    return { status: 'succeeded', message: check.detail, checks: [check] };
  },
};

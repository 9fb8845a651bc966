// Step 3: set the one scalar in origin's values file, commit it on origin's head without touching the
// user's checkout, push that commit by id (built again on the new head when origin moved and nobody
// touched this service's line), then wait for Argo CD to be done at the commit.
import { appEvidence, argoCdAppUrl, gatherWorkload, type Evidence } from '../evidence';
import type { CauseCode } from '../model/cause';
import { maskSecrets } from '../mask';
import { editValuesText, parseImageTags } from '../model/imageTags';
import { FileProblem } from '../errors';
import { journalTrailers } from '../model/journal';
import type { CheckResult } from '../model/records';
import { evidenceSignal } from '../observe';
import { WaitTimeoutError, type AppStatus, type PodStatus, type Ports } from '../ports';
import { changeCommitMessage, withTrailers } from '../plan';
import type { Step, StepContext } from '../runner';
import { shortSha, type Resolved, type RunState } from './state';
import { newPods } from './pods';
import { crashDetail } from '../model/rollout';
import { describeApp, syncedAt, syncFailure } from '../model/argo';

/** What the commit message says; secrets (tokens pasted into a reason) are masked as in the record. */
export function commitFacts(s: Resolved) {
  const m = (t: string) => maskSecrets(t, s.settings.env);
  return { service: s.service, environment: s.environment, previousTag: s.target.previousTag, tag: s.target.tag, reason: s.reason === undefined ? undefined : m(s.reason), actor: m(s.actor), windowOverride: s.windowOverride && { reason: m(s.windowOverride.reason), by: m(s.windowOverride.by) } };
}

/** The deploy (or manual rollback) commit: the message plan.ts writes plus the journal's trailers. */
export function changeMessage(s: Resolved): string {
  return withTrailers(changeCommitMessage(s.mode, commitFacts(s)), journalTrailers({ runId: s.runId, kind: s.mode === 'rollback' ? 'rollback' : 'deploy', digest: s.digest }));
}

/**
 * origin's values file at `base` with the service set to `tag` (and, in an environment with
 * `pinDigest`, its digest beside it), or why that cannot be built (someone changed the line, or a
 * digest cannot be pinned in that shape).
 */
export async function valuesAt(s: Resolved, git: Ports['git'], base: string, expectTag: string, tag: string, digest: string | undefined, signal: AbortSignal): Promise<{ text: string; line: number; previousDigest?: string } | { refuse: string }> {
  const text = await git.show(base, s.target.valuesRel, signal);
  let now: string | undefined;
  try {
    now = text === undefined ? undefined : parseImageTags(text, s.settings.config.tagPath).entries.get(s.service)?.tag;
  } catch {
    now = undefined;
  }
  if (text === undefined || now !== expectTag) {
    return { refuse: `origin moved and changed ${s.service} there: ${s.target.valuesRel} at ${shortSha(base)} has ${now ?? 'no tag'}, expected ${expectTag}. Someone else deployed ${s.service} meanwhile.` };
  }
  try {
    const edit = editValuesText(text, s.service, tag, s.target.env.pinDigest ? digest : undefined, s.settings.config.tagPath, s.target.valuesRel);
    return { text: edit.text, line: edit.entry.line, previousDigest: edit.previousDigest };
  } catch (err) {
    if (err instanceof FileProblem) return { refuse: `${s.target.valuesRel}${err.line ? `:${err.line}` : ''}: ${err.message}` };
    throw err;
  }
}

export const updateValuesStep: Step<Resolved, 'git'> = {
  name: 'update-values',
  title: 'Update the values file',
  needs: ['git'],
  timeoutMs: 30_000,
  async run(s, ctx) {
    // Built from origin's commit, in memory: the user's working tree is never the source, nor touched.
    const v = await valuesAt(s, ctx.ports.git, s.base!, s.target.previousTag, s.target.tag, s.digest, ctx.signal);
    if ('refuse' in v) return { status: 'refused', message: v.refuse, cause: { code: 'conflict', text: v.refuse, retryable: true } };
    s.valuesAfter = v.text;
    s.previousDigest = v.previousDigest;
    ctx.log(`${s.target.valuesRel}:${v.line}: ${s.service} ${s.target.previousTag} → ${s.target.tag} (on origin's ${shortSha(s.base)})`);
    return { status: 'succeeded', message: `${s.target.valuesRel}:${v.line} ${s.target.previousTag} → ${s.target.tag}` };
  },
};

export const commitStep: Step<Resolved, 'git'> = {
  name: 'commit',
  title: 'Commit',
  needs: ['git'],
  timeoutMs: 30_000,
  async run(s, ctx) {
    s.commit = await ctx.ports.git.commitOnto(s.base!, { [s.target.valuesRel]: s.valuesAfter! }, changeMessage(s), ctx.signal);
    ctx.log(`committed ${shortSha(s.commit)} on origin's ${shortSha(s.base)} (run ${s.runId}); your checkout is untouched`);
    return { status: 'succeeded', message: shortSha(s.commit), output: { commit: s.commit } };
  },
};

/** `protected`: origin's branch protection refused the push (GitHub's GH006 / GH013). */
export type PushOutcome = { ok: true; sha: string; base: string; rebuilt: number } | { ok: false; race: boolean; protected?: boolean; message: string };

/** The words of a direct push refused by branch protection: what happened and the fix. */
export function protectedBranchText(branch: string, environment: string, message: string): string {
  return `origin refused the push to ${branch}: the branch is protected (${message}). Changes must go through a pull request: set git.mode: pull-request for ${environment} in .gitops-deploy.yaml (environments[].git.mode, or git.mode for every environment), with github.owner/repo and a GITHUB_TOKEN that may open pull requests.`;
}

/**
 * Push `sha` (built on `base`) by id. When origin moved: fetch, and build the change again on the
 * new head as long as `build` accepts it (nobody touched this service's line), then push again.
 */
export async function pushOnto(
  git: Ports['git'],
  first: { sha: string; base: string },
  build: (base: string) => Promise<{ files: Record<string, string>; message: string } | { refuse: string }>,
  log: (m: string, level?: 'info' | 'warn' | 'error') => void,
  signal: AbortSignal,
  attempts = 4,
): Promise<PushOutcome> {
  let { sha, base } = first;
  for (let n = 0; ; n++) {
    const r = await git.pushCommit(sha, signal);
    if (r.ok) return { ok: true, sha, base, rebuilt: n };
    if (r.rejected === 'protected') return { ok: false, race: false, protected: true, message: r.message };
    if (r.rejected !== 'non-fast-forward') return { ok: false, race: false, message: `push failed: ${r.message}` };
    if (n + 1 >= attempts) return { ok: false, race: true, message: `origin kept moving: the push was rejected ${attempts} times` };
    log(`push rejected: origin moved; fetching`, 'warn');
    await git.fetch(signal);
    base = await git.remoteSha(signal);
    const change = await build(base);
    if ('refuse' in change) return { ok: false, race: true, message: change.refuse };
    log(`building the change again on origin's ${shortSha(base)}`);
    sha = await git.commitOnto(base, change.files, change.message, signal);
  }
}

/** After a push: bring the user's checkout along when that is safe, and say what was done. */
export async function syncCheckout(s: RunState, git: Ports['git'], sha: string, log: (m: string, level?: 'info' | 'warn' | 'error') => void, signal: AbortSignal): Promise<void> {
  const r = await git.syncCheckout(sha, signal).catch((err: unknown) => ({ kind: 'dirty' as const, detail: err instanceof Error ? err.message : String(err) }));
  s.checkout = r;
  if (r.kind === 'fast-forwarded' || r.kind === 'branch-updated') log(`your checkout now has ${shortSha(sha)}`);
  else if (r.kind === 'ahead' || r.kind === 'diverged' || r.kind === 'dirty') log(`your checkout was not moved: ${r.detail}`, 'warn');
}

export const pushStep: Step<Resolved, 'git'> = {
  name: 'push',
  title: 'Push',
  needs: ['git'],
  timeoutMs: 120_000,
  async run(s, ctx) {
    const build = async (base: string) => {
      const v = await valuesAt(s, ctx.ports.git, base, s.target.previousTag, s.target.tag, s.digest, ctx.signal);
      return 'refuse' in v ? v : { files: { [s.target.valuesRel]: v.text }, message: changeMessage(s) };
    };
    const r = await pushOnto(ctx.ports.git, { sha: s.commit!, base: s.base! }, build, ctx.log, ctx.signal);
    if (r.ok) {
      s.commit = r.sha;
      s.base = r.base;
      s.pushed = true;
      await syncCheckout(s, ctx.ports.git, r.sha, ctx.log, evidenceSignal(ctx.deadline));
      return { status: 'succeeded', message: `pushed ${shortSha(r.sha)}${r.rebuilt ? ' (built again on the new origin head)' : ''}`, output: { commit: r.sha } };
    }
    s.commit = undefined;
    if (r.protected) {
      const text = `${protectedBranchText(s.settings.config.git.branch, s.environment, r.message)} Nothing reached origin.`;
      return { status: 'refused', message: text, cause: { code: 'branch-protected', text, system: 'git' } };
    }
    if (r.race) {
      const text = `${r.message} Nothing reached origin. Re-run to deploy on top of the current state.`;
      return { status: 'refused', message: text, cause: { code: 'conflict', text, retryable: true } };
    }
    const text = `${r.message}. Nothing reached origin.`;
    return { status: 'failed', message: text, cause: { code: 'error', text } };
  },
};

/**
 * Wait (a watch) until Argo CD is done at `sha`; meanwhile, once the operation has applied it,
 * watch the new pods for a crash loop so it fails fast instead of at the timeout.
 */
export async function waitForSync(
  s: Resolved,
  ctx: StepContext<'argocd' | 'cluster'>,
  sha: string,
  tag: string,
  timeoutFactor = 1,
): Promise<{ ok: true; status: AppStatus } | { ok: false; code: CauseCode; message: string; evidence: Evidence[] }> {
  const env = s.target.env;
  const ns = env.argocd.namespace;
  const app = s.target.application;
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
      const pods = await newPods(ctx.ports.cluster, env.namespace, s.target.serviceConfig.deployment, tag, signal).catch(() => [] as PodStatus[]);
      out.push(...(await gatherWorkload(ctx.ports.cluster, env.namespace, s.target.serviceConfig.deployment, { pods, pod: crashPod }, signal).catch(() => [] as Evidence[])));
    }
    return out;
  };
  const failed = async (message: string, given?: { a?: AppStatus; err?: string }, code: CauseCode = 'sync-failed') => ({ ok: false as const, code, message, evidence: await evidence(given) });
  const startWatchdog = () => {
    watchdog ??= (async () => {
      while (!local.signal.aborted) {
        try {
          const pods = await newPods(ctx.ports.cluster, env.namespace, s.target.serviceConfig.deployment, tag, local.signal);
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
        const pods = await newPods(ctx.ports.cluster, env.namespace, s.target.serviceConfig.deployment, tag, evidenceSignal(ctx.deadline)).catch(() => [] as PodStatus[]);
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

export const syncStep: Step<Resolved, 'argocd' | 'cluster'> = {
  name: 'sync',
  title: 'Wait for Argo CD',
  needs: ['argocd', 'cluster'],
  timeoutMs: 0, // set per run from verification.syncTimeoutSeconds
  async run(s, ctx) {
    const r = await waitForSync(s, ctx, s.commit!, s.target.tag);
    if (!r.ok) {
      const inconclusive = r.code === 'inconclusive';
      const check: CheckResult = { name: 'sync', status: inconclusive ? 'inconclusive' : 'failed', detail: r.message, evidence: r.evidence };
      s.checks.push(check);
      return { status: inconclusive ? 'inconclusive' : 'failed', message: r.message, checks: [check], cause: { code: r.code, text: r.message, evidence: r.evidence, retryable: inconclusive || r.code === 'timeout' } };
    }
    s.syncedAt = ctx.clock.now().toISOString();
    const check = { name: 'sync', status: 'passed' as const, detail: `${s.target.application} Synced and Healthy at ${shortSha(s.commit)}` };
    s.checks.push(check);
    return { status: 'succeeded', message: check.detail, checks: [check] };
  },
};

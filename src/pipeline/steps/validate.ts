// Step 2: every pre-deployment check runs; all failures are reported together, each with its fix.
import * as path from 'node:path';
import { checkKeys, describeEvidence, short, verifyImage, type RefusalReason, type SignatureMaterial, type TrustedKey, type TrustPolicy } from '../signatures';
import { acquireLock, inspectLock, lockFile, type LockInfo } from '../lock';
import { parseImageTags, readImageTags } from '../model/imageTags';
import { readRecords, type CheckResult } from '../model/records';
import { OVERRIDE_REASON_MIN, overrideReasonProblem, type OverrideReasonProblem } from '../model/override';
import { windowState } from '../model/window';
import { estimateRunSeconds, finishByCheck } from '../model/duration';
import type { EnvironmentConfig, GitOpsConfig } from '../config/types';
import type { Ports } from '../ports';
import type { Step, StepContext } from '../runner';
import { rel, shortSha, type RunState } from './state';

type Ctx = StepContext<'registry' | 'git'>;

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function imageAndSignature(s: RunState, ctx: Ctx): Promise<CheckResult[]> {
  const repo = s.serviceConfig!.ecrRepository;
  const signing = s.settings.config.signing;
  let digest: string | undefined;
  let image: CheckResult;
  try {
    const info = await ctx.ports.registry.describeImage(repo, s.tag!, ctx.signal);
    if (info) {
      digest = info.digest;
      s.digest = digest;
      s.imagePushedAt = info.pushedAt?.toISOString().replace(/\.\d{3}Z$/, 'Z');
      image = { name: 'image-exists', status: 'passed', detail: `${repo}:${s.tag} is ${digest}${info.pushedAt ? ` (pushed ${info.pushedAt.toISOString()})` : ''}` };
    } else {
      let recent = '';
      try {
        const tags = await ctx.ports.registry.listTags(repo, 5, ctx.signal);
        if (tags.length) recent = ` Newest tags there: ${tags.map((t) => t.tag).join(', ')}.`;
      } catch {
        // the hint is optional
      }
      image = { name: 'image-exists', status: 'failed', detail: `image ${repo}:${s.tag} does not exist in ECR (repository ${repo}). Push it first (check the build workflow's push step) or choose an existing tag.${recent}` };
    }
  } catch (err) {
    image = { name: 'image-exists', status: 'failed', detail: `cannot look up ${repo}:${s.tag} in ECR: ${errText(err)}. Check the AWS credentials/region (${s.settings.config.registry.region}) and the repository name.` };
  }
  if (signing.mode === 'off') return [image, { name: 'signature', status: 'skipped', detail: 'signing.mode is off' }];
  if (!digest) return [image, { name: 'signature', status: 'skipped', detail: 'no image digest to check the signature of' }];
  return [image, await signatureCheck(s, ctx, repo, digest)];
}

const FIX: Record<RefusalReason, (repo: string, digest: string) => string> = {
  unsigned: (r, d) => `Sign it in the build workflow (cosign sign ${r}@${d}) and check that the signing step completed.`,
  'digest-mismatch': (r, d) => `The signature belongs to another image: re-sign ${r}@${d}.`,
  'untrusted-key': (r, d) => `Sign ${r}@${d} with the trusted key, or add the signer's public key to signing.publicKeys if it is trusted.`,
  'identity-not-allowed': () => `If this signer is trusted, add an entry to signing.identities (issuer and subjectRegExp) in .gitops-deploy.yaml; otherwise sign with the release workflow.`,
  'untrusted-certificate': () => `The certificate was not issued by the trusted Fulcio: check signing.trustedRoot (a private Sigstore needs its trusted_root.json).`,
  'certificate-expired': (r, d) => `Re-sign ${r}@${d}: the signature was not logged while its certificate was valid.`,
  'no-timestamp': (r, d) => `Re-sign ${r}@${d} with the transparency log enabled (no --tlog-upload=false).`,
  'tlog-invalid': () => `The Rekor entry does not match the trusted log: check signing.trustedRoot.`,
  tampered: (r, d) => `The signature was altered or is malformed: re-sign ${r}@${d}.`,
  'no-trust-material': () => `Fix signing.trustedRoot (a Sigstore trusted_root.json).`,
};

/** The trust policy for this run: keys, identities (the environment's, else the global ones), the trusted root. */
function trustPolicy(s: RunState): Promise<{ policy?: TrustPolicy; problem?: string }> {
  return trustPolicyFor(s.settings.config, s.env, s.settings.readKey);
}

/**
 * The trust policy of a configuration for an environment. `publicKeys` replaces the configured keys
 * (a follow subscription's `signedBy`; then no keyless identity applies).
 */
export async function trustPolicyFor(config: GitOpsConfig, env: EnvironmentConfig | undefined, readKey: (file: string) => Promise<string>, publicKeys?: readonly string[]): Promise<{ policy?: TrustPolicy; problem?: string }> {
  const signing = config.signing;
  const root = config.root;
  const keys: TrustedKey[] = [];
  const missing: string[] = [];
  for (const file of publicKeys ?? signing.publicKeys) {
    try {
      keys.push({ name: rel(root, file), pem: await readKey(file) });
    } catch {
      missing.push(rel(root, file));
    }
  }
  const { keys: good, problems } = checkKeys(keys);
  const identities = publicKeys ? [] : (env?.identities ?? signing.identities);
  let trustedRoot: unknown;
  let trustedRootName = 'Sigstore public-good root';
  if (signing.trustedRoot) {
    trustedRootName = rel(root, signing.trustedRoot);
    try {
      trustedRoot = JSON.parse(await readKey(signing.trustedRoot));
    } catch (err) {
      return { problem: `the trusted root ${trustedRootName} cannot be read (${errText(err)}). Point signing.trustedRoot at the Sigstore trusted_root.json of your deployment.` };
    }
  }
  if (good.length === 0 && identities.length === 0) {
    const why = [...missing.map((m) => `${m} does not exist`), ...problems].join('; ') || 'signing.publicKeys is empty';
    return { problem: `nothing to verify the signature with: no trusted public key (${why}) and no keyless identity (signing.identities). Add the cosign public key (cosign.pub) or the release workflow's identity in .gitops-deploy.yaml.` };
  }
  return { policy: { keys: good, identities, trustedRoot, trustedRootName } };
}

async function signatureCheck(s: RunState, ctx: Ctx, repo: string, digest: string): Promise<CheckResult> {
  const signing = s.settings.config.signing;
  let material: SignatureMaterial;
  try {
    const [bundles, classic] = await Promise.all([ctx.ports.registry.bundles(repo, digest, ctx.signal), ctx.ports.registry.signatures(repo, digest, ctx.signal)]);
    material = { bundles, classic };
  } catch (err) {
    return { name: 'signature', status: 'failed', detail: `cannot read the signatures of ${repo}@${short(digest)}: ${errText(err)}` };
  }
  if (signing.mode === 'exists') {
    const n = material.bundles.length + material.classic.length;
    if (n === 0) return { name: 'signature', status: 'failed', detail: `${repo}:${s.tag} (${short(digest)}) is not signed: no Sigstore bundle among its referrers and no sha256-….sig tag. ${FIX.unsigned(repo, digest)}`, signatureRefusal: { reason: 'unsigned', message: 'no signature' } };
    return { name: 'signature', status: 'passed', detail: `a signature exists (${material.bundles.length} bundle${material.bundles.length === 1 ? '' : 's'}, ${material.classic.length} classic layer${material.classic.length === 1 ? '' : 's'}; signing.mode "exists": not verified)` };
  }
  const { policy, problem } = await trustPolicy(s);
  if (!policy) return { name: 'signature', status: 'failed', detail: problem, signatureRefusal: { reason: 'no-trust-material', message: problem ?? '' } };
  const verdict = await verifyImage(material, digest, policy);
  if (verdict.ok) {
    s.signature = verdict.evidence;
    return { name: 'signature', status: 'passed', detail: describeEvidence(verdict.evidence), signature: verdict.evidence };
  }
  const r = verdict.refusal;
  return { name: 'signature', status: 'failed', detail: `signature of ${repo}:${s.tag} (${short(digest)}) rejected (${r.reason}${r.form ? `, ${r.form}` : ''}): ${r.message}. ${FIX[r.reason](repo, digest)}`, signatureRefusal: r };
}

/** Tags a values file held over its git history (newest first), with the commit. */
async function historyHas(git: Ports['git'], file: string, service: string, tag: string, tagPath: string, signal: AbortSignal): Promise<{ sha: string; date: string } | undefined> {
  const commits = await git.log(file, 200, signal);
  const batch = 16;
  for (let i = 0; i < commits.length; i += batch) {
    const slice = commits.slice(i, i + batch);
    const texts = await Promise.all(slice.map((c) => git.show(c.sha, file, signal).catch(() => undefined)));
    for (let j = 0; j < slice.length; j++) {
      const text = texts[j];
      if (text === undefined) continue;
      try {
        if (parseImageTags(text, tagPath).entries.get(service)?.tag === tag) return { sha: slice[j].sha, date: slice[j].date };
      } catch {
        // a malformed historic version proves nothing
      }
    }
  }
  return undefined;
}

async function previousEnvironment(s: RunState, ctx: Ctx): Promise<CheckResult> {
  const config = s.settings.config;
  const name = 'previous-environment';
  if (s.mode === 'rollback') {
    // A rollback target must have run in this environment before.
    const env = s.env!;
    const { records } = await readRecords([env.recordsDir]);
    const rec = records.find((r) => r.service === s.service && r.environment === env.name && r.tag === s.tag && (r.status === 'succeeded' || r.status === 'rollback'));
    if (rec) return { name, status: 'passed', detail: `${s.tag} was deployed to ${env.name} before (${rec.status} record ${rec.startedAt})` };
    const seen = await historyHas(ctx.ports.git, s.valuesRel!, s.service, s.tag!, config.tagPath, ctx.signal);
    if (seen) return { name, status: 'passed', detail: `${s.tag} ran in ${env.name} before (commit ${shortSha(seen.sha)}, ${seen.date})` };
    return { name, status: 'failed', detail: `${s.service} ${s.tag} was never deployed to ${env.name} (no record, not in ${s.valuesRel}'s history): a rollback goes back to a tag that ran here.`, fix: { kind: 'pick-rollback-target', service: s.service, environment: env.name } };
  }
  const up = s.upstream;
  if (!up) return { name, status: 'skipped', detail: `${s.environment} is the first environment` };
  const upRel = rel(config.root, up.valuesFile);
  let where: string | undefined;
  let upCurrent: string | undefined;
  try {
    upCurrent = (await readImageTags(up.valuesFile, config.tagPath)).entries.get(s.service)?.tag;
  } catch {
    upCurrent = undefined;
  }
  if (upCurrent === s.tag) where = `${up.name} runs ${s.tag} now`;
  else {
    const seen = await historyHas(ctx.ports.git, upRel, s.service, s.tag!, config.tagPath, ctx.signal);
    if (seen) where = `${up.name} ran ${s.tag} (commit ${shortSha(seen.sha)}, ${seen.date})`;
  }
  const deployUp = { kind: 'deploy-upstream-first', service: s.service, upstream: up.name, tag: s.tag! } as const;
  if (!where) {
    return { name, status: 'failed', detail: `${s.service} ${s.tag} was never deployed to ${up.name} (${up.name} runs ${upCurrent ?? 'nothing'}; not in ${upRel}'s history).`, fix: deployUp };
  }
  if (s.env!.requireUpstreamRecord) {
    const { records } = await readRecords([up.recordsDir]);
    const rec = records.find((r) => r.service === s.service && r.environment === up.name && r.tag === s.tag && r.status === 'succeeded');
    if (!rec) {
      return { name, status: 'failed', detail: `${where}, but no succeeded deployment record of ${s.service} ${s.tag} exists in ${rel(config.root, up.recordsDir)}: it was not verified there.`, fix: deployUp };
    }
    return { name, status: 'passed', detail: `${where}; verified there (record ${path.basename(rec.file)})` };
  }
  return { name, status: 'passed', detail: where };
}

/** "7 h", "2 d 16 h", "45 min". */
function span(ms: number): string {
  const min = Math.max(1, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  if (h < 24) return m ? `${h} h ${m} min` : `${h} h`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

const OVERRIDE_PROBLEM: Record<OverrideReasonProblem, string> = {
  missing: 'no emergency justification was given',
  'too-short': `the emergency justification is shorter than ${OVERRIDE_REASON_MIN} characters`,
  'too-long': 'the emergency justification is too long',
  'multi-line': 'the emergency justification is more than one line',
  'same-as-reason': 'the emergency justification repeats the change reason instead of saying why it cannot wait',
};

function windowCheck(s: RunState, now: Date): CheckResult {
  const env = s.env!;
  const state = windowState(env.window, now);
  if (state.open) return { name: 'window', status: 'passed', detail: state.summary };
  const when = state.changesAtLocal;
  const closed = `${env.name} deployments are blocked now (${state.reason ?? 'deployment window'})${when ? `; the window opens ${when} (in ${span(state.changesAt!.getTime() - now.getTime())}; it is ${state.localNow} now)` : ''}`;
  if (s.overrideWindow) {
    const problem = overrideReasonProblem(s.overrideReason, s.reason);
    if (!problem) {
      s.windowOverride = { reason: s.overrideReason!, by: s.actor };
      return { name: 'window', status: 'warning', detail: `WINDOW OVERRIDE by ${s.actor}: ${closed}; emergency: "${s.overrideReason}"` };
    }
    return { name: 'window', status: 'failed', detail: `${closed}; the override is refused: ${OVERRIDE_PROBLEM[problem]}.`, fix: { kind: 'give-override-reason', environment: env.name, problem } };
  }
  return {
    name: 'window',
    status: 'failed',
    detail: `${closed}.`,
    fix: { kind: 'wait-for-window', environment: env.name, ...(state.changesAt && when ? { opensAt: state.changesAt.toISOString(), opensAtLocal: when, opensIn: span(state.changesAt.getTime() - now.getTime()) } : {}) },
  };
}

function reasonCheck(s: RunState): CheckResult {
  const env = s.env!;
  const has = !!s.reason && s.reason.trim().length > 0;
  const fix = (forOverride?: boolean) => ({ kind: 'give-reason' as const, environment: env.name, mode: s.mode, ...(forOverride ? { forOverride } : {}) });
  if (s.overrideWindow && !has) return { name: 'reason', status: 'failed', detail: `a window override needs the change reason as well as the emergency justification.`, fix: fix(true) };
  if (s.mode === 'rollback' && !has) return { name: 'reason', status: 'failed', detail: `a rollback needs a reason (recorded in the commit and the record).`, fix: fix() };
  if (env.requireReason && !has) return { name: 'reason', status: 'failed', detail: `${env.name} requires a reason (a change ticket and what/why).`, fix: fix() };
  return has ? { name: 'reason', status: 'passed', detail: s.reason!.trim() } : { name: 'reason', status: 'skipped', detail: `not required in ${env.name}` };
}

async function workingTree(s: RunState, ctx: Ctx): Promise<CheckResult> {
  const dirty = await ctx.ports.git.dirtyFiles(ctx.signal);
  if (dirty.includes(s.valuesRel!)) {
    return { name: 'working-tree', status: 'failed', detail: `${s.valuesRel} has uncommitted changes; commit or discard them first (git diff -- ${s.valuesRel}).` };
  }
  return { name: 'working-tree', status: 'passed', detail: `${s.valuesRel} is unmodified` };
}

function describeHolder(h: LockInfo, file: string, root: string): string {
  return `${h.actor} (pid ${h.pid}${h.host ? ` on ${h.host}` : ''}) has been deploying since ${h.startedAt}${h.tag ? ` (tag ${h.tag})` : ''}. Wait for it to finish; if that process is gone, delete ${path.relative(root, file)}.`;
}

async function lockCheck(s: RunState, ctx: Ctx, now: Date): Promise<CheckResult> {
  const root = ctx.ports.git.root;
  const file = await lockFile(root, s.environment, s.service);
  if (s.dryRun) {
    const h = await inspectLock(file);
    return h ? { name: 'lock', status: 'failed', detail: `another deployment of ${s.service} in ${s.environment} is running: ${describeHolder(h, file, root)}` } : { name: 'lock', status: 'passed', detail: 'no deployment of this service in this environment is running' };
  }
  const got = await acquireLock(file, { actor: s.actor, startedAt: now.toISOString(), tag: s.tag });
  if (!got.ok) return { name: 'lock', status: 'failed', detail: `another deployment of ${s.service} in ${s.environment} is running: ${describeHolder(got.holder, got.file, root)}` };
  s.releaseLock = got.release;
  return { name: 'lock', status: 'passed', detail: got.tookOverStale ? `took over a stale lock of ${got.tookOverStale.actor} (pid ${got.tookOverStale.pid} is gone)` : 'acquired' };
}

/** Will a run started now end before the window closes? Estimated from this service's records here. */
async function finishBy(s: RunState, now: Date): Promise<CheckResult[]> {
  const env = s.env!;
  if (!env.window) return [];
  const { records } = await readRecords([env.recordsDir]);
  const r = finishByCheck(env, now, estimateRunSeconds(records, s.service, env.name), s.overrideWindow && !!s.reason);
  s.estimate = r.estimate;
  return [r.check];
}

export const validateStep: Step<RunState, 'registry' | 'git'> = {
  name: 'validate',
  title: 'Pre-validate',
  needs: ['registry', 'git'],
  timeoutMs: 120_000,
  async run(s, ctx) {
    const now = ctx.clock.now();
    const guard = (name: string, p: Promise<CheckResult | CheckResult[]>) =>
      p.catch((err): CheckResult => ({ name, status: 'failed', detail: `check "${name}" could not run: ${errText(err)}` }));
    const settled = await Promise.all([
      guard('image-exists', imageAndSignature(s, ctx)),
      guard('previous-environment', previousEnvironment(s, ctx)),
      Promise.resolve(windowCheck(s, now)),
      guard('finish-by', finishBy(s, now)),
      Promise.resolve(reasonCheck(s)),
      guard('working-tree', workingTree(s, ctx)),
    ]);
    const checks = settled.flat();
    // The lock last, and only when everything else passed: a refused run holds nothing.
    if (checks.every((c) => c.status !== 'failed')) checks.push(await guard('lock', lockCheck(s, ctx, now)).then((c) => c as CheckResult));
    s.checks.push(...checks);
    const failed = checks.filter((c) => c.status === 'failed');
    for (const c of checks) ctx.log(`${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : c.status === 'warning' ? '!' : '-'} ${c.name}: ${c.detail ?? ''}`, c.status === 'failed' ? 'error' : c.status === 'warning' ? 'warn' : 'info');
    if (failed.length) {
      const list = failed.map((c) => `  - ${c.name}: ${c.detail}`).join('\n');
      return { status: 'refused', checks, message: `${failed.length} pre-deployment check${failed.length === 1 ? '' : 's'} failed; nothing was changed:\n${list}` };
    }
    return { status: 'succeeded', checks, message: `${checks.length} checks passed${s.windowOverride ? '; WINDOW OVERRIDE' : ''}`, output: { digest: s.digest, ...(s.windowOverride ? { windowOverride: s.windowOverride } : {}) } };
  },
};

// `gitops-deploy follow`: per subscription and service, the newest registry image that matches and
// passes validation is deployed through the normal pipeline (record, verification, automatic
// rollback). Every decision is a typed field; the words are made by the caller.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { environment, serviceConfig } from '../config/load';
import type { GitOpsConfig } from '../config/types';
import { verifyImage, type RefusalReason, type SignatureEvidence, type SignatureMaterial } from '../signatures';
import { trustPolicyFor } from '../checks/signature';
import { readImageTags } from '../model/imageTags';
import { readRecords, type LoadedRecord } from '../model/records';
import type { DeployRequest, PipelineOutcome } from '../outcome';
import type { Ports } from '../ports';
import { readPause, type PauseMarker } from './pause';
import { isAhead, matchingTags, type FollowSubscription } from '../model/subscriptions';

/** The actor of every deployment the follower makes (records, commit trailers). */
export const FOLLOWER = 'gitops-deploy-follow';

/** Which trust policy refused a signature: the config's `signing`, or the subscription's `signedBy`. */
export type TrustPolicyName = 'signing' | 'signedBy';

export type SkipReason = 'too-new' | 'failed-before' | 'unsigned' | 'signature-rejected' | 'not-found';

export interface FollowCandidate {
  tag: string;
  digest: string;
  pushedAt?: string;
  /** The source commit the verified signature names (cosign annotation commit / git-commit / org.opencontainers.image.revision). */
  sourceCommit?: string;
  /** Why this image is not deployed; absent for the one chosen. */
  skip?: { reason: SkipReason; detail: string; record?: string; until?: string; policy?: TrustPolicyName; signature?: RefusalReason };
}

export type FollowStatus = 'deployed' | 'rolled-back' | 'failed' | 'refused' | 'up-to-date' | 'paused' | 'no-candidate' | 'error';

export interface FollowResult {
  service: string;
  environment: string;
  currentTag?: string;
  status: FollowStatus;
  /** One sentence for people. */
  detail: string;
  /** The candidates examined, best first; the first without `skip` is the one chosen. */
  candidates: FollowCandidate[];
  chosen?: FollowCandidate;
  pause?: PauseMarker;
  outcome?: Pick<PipelineOutcome, 'kind' | 'exitCode' | 'message' | 'tag' | 'previousTag' | 'commit' | 'rollbackCommit' | 'record'>;
}

export interface FollowDeps {
  config: GitOpsConfig;
  ports: Pick<Ports, 'registry' | 'clock'>;
  /** Read a trusted key file (default fs.readFile utf8). */
  readKey?: (file: string) => Promise<string>;
}

/** Which services a subscription covers: the listed ones, or every service in the environment's values file. */
export async function subscribedServices(config: GitOpsConfig, sub: FollowSubscription): Promise<{ service: string; tag?: string }[]> {
  const env = environment(config, sub.environment)!;
  const tags = (await readImageTags(env.valuesFile, config.tagPath)).entries;
  const names = sub.services ?? [...tags.keys()];
  return names.map((service) => ({ service, tag: tags.get(service)?.tag }));
}

function commitFromPayload(payload: Buffer): string | undefined {
  try {
    const optional = JSON.parse(payload.toString('utf8'))?.optional;
    if (!optional || typeof optional !== 'object') return undefined;
    for (const k of ['commit', 'git-commit', 'git_sha', 'sha', 'org.opencontainers.image.revision']) {
      const v = optional[k];
      if (typeof v === 'string' && /^[0-9a-f]{7,64}$/i.test(v)) return v;
    }
  } catch {
    // no commit named
  }
  return undefined;
}

/** The source commit a verified signature names: the keyless certificate's, else a classic payload's annotation. */
function commitOf(evidence: SignatureEvidence, material: SignatureMaterial): string | undefined {
  const fromCert = evidence.identity?.sourceRepositoryDigest ?? evidence.identity?.githubWorkflowSha;
  if (fromCert && /^[0-9a-f]{7,64}$/i.test(fromCert)) return fromCert;
  const layer = evidence.form === 'classic' ? material.classic.find((l) => l.layerDigest === evidence.artifactDigest) : undefined;
  return layer ? commitFromPayload(layer.payload) : undefined;
}

/** The signature pre-check: typed reasons (unsigned / rejected) and the source commit the signature names. */
async function signatureOf(deps: FollowDeps, sub: FollowSubscription, repo: string, digest: string, signal?: AbortSignal): Promise<{ skip?: FollowCandidate['skip']; sourceCommit?: string }> {
  const { config } = deps;
  const mode = config.signing.mode;
  if (mode === 'off' && !sub.signedBy) return {};
  const [bundles, classic] = await Promise.all([deps.ports.registry.bundles(repo, digest, signal), deps.ports.registry.signatures(repo, digest, signal)]);
  const material: SignatureMaterial = { bundles, classic };
  if (bundles.length === 0 && classic.length === 0) return { skip: { reason: 'unsigned', detail: `no signature exists for ${repo}@${digest}: no Sigstore bundle among its referrers, no sha256-….sig tag` } };
  const readKey = deps.readKey ?? ((f: string) => fs.readFile(f, 'utf8'));
  const env = (() => {
    try {
      return environment(config, sub.environment);
    } catch {
      return undefined;
    }
  })();
  const policies: { name: TrustPolicyName; label: string; keys?: readonly string[] }[] = [];
  if (mode === 'verify') policies.push({ name: 'signing', label: 'signing' });
  if (sub.signedBy) policies.push({ name: 'signedBy', label: 'follow signedBy', keys: sub.signedBy });
  let sourceCommit: string | undefined;
  for (const p of policies) {
    const { policy, problem } = await trustPolicyFor(config, env, readKey, p.keys);
    if (!policy) return { skip: { reason: 'signature-rejected', detail: `${p.label}: ${problem ?? 'no trust policy'}`, policy: p.name } };
    const verdict = await verifyImage(material, digest, policy);
    if (!verdict.ok) return { skip: { reason: verdict.refusal.reason === 'unsigned' ? 'unsigned' : 'signature-rejected', detail: `${p.label}: ${verdict.refusal.message}`, policy: p.name, signature: verdict.refusal.reason } };
    sourceCommit ??= commitOf(verdict.evidence, material);
  }
  return { sourceCommit };
}

/** A deployment of this tag here that failed verification (rolled back, or failed after its push). */
function failedBefore(records: readonly LoadedRecord[], service: string, env: string, tag: string): LoadedRecord | undefined {
  return records.find((r) => r.service === service && r.environment === env && r.tag === tag && (r.status === 'rolled-back' || (r.status === 'failed' && !!r.commit)));
}

export interface Inspection {
  currentTag?: string;
  candidates: FollowCandidate[];
  chosen?: FollowCandidate;
  /** Set when nothing is deployed: up-to-date / no-candidate / error. */
  status?: 'up-to-date' | 'no-candidate' | 'error';
  detail?: string;
}

/**
 * What the follower would do for one service, without doing it: the candidates newer than the
 * running tag, best first, each with why it is skipped, until one qualifies. Changes nothing.
 */
export async function inspectService(deps: FollowDeps, sub: FollowSubscription, service: string, currentTag: string | undefined, opts: { signal?: AbortSignal; exclude?: ReadonlySet<string> } = {}): Promise<Inspection> {
  const { config } = deps;
  const env = environment(config, sub.environment)!;
  const repo = serviceConfig(config, service).ecrRepository;
  const now = deps.ports.clock.now();
  let tags;
  try {
    tags = await deps.ports.registry.listTags(repo, 1000, opts.signal);
  } catch (err) {
    // Could not observe: nothing is decided, nothing is deployed.
    return { currentTag, candidates: [], status: 'error', detail: `could not list the tags of ${repo}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const current = currentTag === undefined ? undefined : tags.find((t) => t.tag === currentTag) ?? { tag: currentTag };
  const ahead = matchingTags(sub.match, tags).filter((t) => isAhead(sub.match, t, current));
  if (ahead.length === 0) {
    const runsMatch = current && matchingTags(sub.match, [current]).length > 0;
    return { currentTag, candidates: [], status: runsMatch ? 'up-to-date' : 'no-candidate', detail: runsMatch ? `${service} runs ${currentTag}, the newest matching image` : `no image of ${repo} matches (${describeMatch(sub)}) and is newer than ${currentTag ?? 'nothing'}` };
  }
  const { records } = await readRecords([env.recordsDir]);
  const candidates: FollowCandidate[] = [];
  for (const t of ahead.slice(0, 20)) {
    const c: FollowCandidate = { tag: t.tag, digest: t.digest, pushedAt: t.pushedAt?.toISOString() };
    candidates.push(c);
    const failed = failedBefore(records, service, env.name, t.tag);
    if (opts.exclude?.has(t.tag)) {
      c.skip = { reason: 'signature-rejected', detail: 'refused by the pipeline\'s pre-validation' };
      continue;
    }
    if (failed) {
      c.skip = { reason: 'failed-before', detail: `${t.tag} failed verification in ${env.name} before (${failed.status}, ${failed.startedAt}); it is not retried automatically`, record: path.relative(config.root, failed.file) };
      continue;
    }
    if (sub.minAgeMs > 0 && t.pushedAt && now.getTime() - t.pushedAt.getTime() < sub.minAgeMs) {
      const until = new Date(t.pushedAt.getTime() + sub.minAgeMs);
      c.skip = { reason: 'too-new', detail: `pushed ${t.pushedAt.toISOString()}; it settles until ${until.toISOString()} (minAge)`, until: until.toISOString() };
      continue;
    }
    try {
      const sig = await signatureOf(deps, sub, repo, t.digest, opts.signal);
      if (sig.skip) {
        c.skip = sig.skip;
        continue;
      }
      c.sourceCommit = sig.sourceCommit;
    } catch (err) {
      // Could not observe the signature: no decision about this image, and none about older ones either.
      return { currentTag, candidates, status: 'error', detail: `could not read the signature of ${repo}:${t.tag}: ${err instanceof Error ? err.message : String(err)}` };
    }
    return { currentTag, candidates, chosen: c };
  }
  return { currentTag, candidates, status: 'no-candidate', detail: `none of the ${candidates.length} newer matching image${candidates.length === 1 ? '' : 's'} can be deployed (${[...new Set(candidates.map((c) => c.skip!.reason))].join(', ')})` };
}

export function describeMatch(sub: FollowSubscription): string {
  return sub.match.kind === 'tags' ? `tags ${sub.match.pattern}` : sub.match.kind === 'semver' ? `versions ${sub.match.range}` : 'the newest tag';
}

/** The deployment's reason: the image and, when its signature names it, the source commit. */
export function followReason(sub: FollowSubscription, service: string, c: FollowCandidate): string {
  return `follow ${sub.environment}: ${service}:${c.tag} (${c.digest}) is the newest image matching ${describeMatch(sub)}${c.sourceCommit ? `; source commit ${c.sourceCommit}` : ''}`;
}

const PRE_IMAGE_CHECKS = new Set(['image-exists', 'signature']);

/**
 * One pass over every subscription (of `environment`, when given). `deploy` runs the normal
 * pipeline (the CLI streams it); the follower is the actor.
 */
export async function followOnce(deps: FollowDeps, deploy: (req: DeployRequest) => Promise<PipelineOutcome>, opts: { environment?: string; signal?: AbortSignal } = {}): Promise<FollowResult[]> {
  const results: FollowResult[] = [];
  for (const sub of deps.config.follow.filter((s) => !opts.environment || s.environment === opts.environment)) {
    for (const { service, tag: currentTag } of await subscribedServices(deps.config, sub)) {
      opts.signal?.throwIfAborted();
      const base = { service, environment: sub.environment, currentTag };
      const pause = await readPause(deps.config, sub.environment, service);
      if (pause) {
        results.push({ ...base, status: 'paused', detail: `following is paused by ${pause.by}${pause.at ? ` since ${pause.at}` : ''}${pause.reason ? `: ${pause.reason}` : ''}`, candidates: [], pause });
        continue;
      }
      const refusedByPipeline = new Set<string>();
      const examined: FollowCandidate[] = [];
      for (;;) {
        const ins = await inspectService(deps, sub, service, currentTag, { signal: opts.signal, exclude: refusedByPipeline });
        if (!ins.chosen) {
          results.push({ ...base, status: ins.status!, detail: ins.detail!, candidates: merge(examined, ins.candidates) });
          break;
        }
        const chosen = ins.chosen;
        const outcome = await deploy({ service, environment: sub.environment, tag: chosen.tag, reason: followReason(sub, service, chosen) });
        const summary = { kind: outcome.kind, exitCode: outcome.exitCode, message: outcome.message, tag: outcome.tag, previousTag: outcome.previousTag, commit: outcome.commit, rollbackCommit: outcome.rollbackCommit, record: outcome.record };
        const failedChecks = outcome.checks.filter((c) => c.status === 'failed');
        if (outcome.kind === 'refused' && failedChecks.length > 0 && failedChecks.every((c) => PRE_IMAGE_CHECKS.has(c.name))) {
          // The pipeline's own image checks said no (e.g. the signature after all): try the next older one.
          refusedByPipeline.add(chosen.tag);
          examined.push({ ...chosen, skip: { reason: failedChecks.some((c) => c.name === 'image-exists') ? 'not-found' : 'signature-rejected', detail: failedChecks.map((c) => c.detail ?? c.name).join('; ') } });
          continue;
        }
        const status: FollowStatus = outcome.kind === 'deployed' ? 'deployed' : outcome.kind === 'rolled-back' ? 'rolled-back' : outcome.kind === 'refused' ? 'refused' : 'failed';
        results.push({ ...base, status, detail: outcome.message, candidates: merge(examined, ins.candidates), chosen, outcome: summary });
        break;
      }
    }
  }
  return results;
}

function merge(examined: FollowCandidate[], later: FollowCandidate[]): FollowCandidate[] {
  const seen = new Set(examined.map((c) => c.tag));
  return [...examined, ...later.filter((c) => !seen.has(c.tag))];
}

/** The exit code of a pass: the worst outcome (needs a human > rolled back > refused > fine). */
export function followExitCode(results: readonly FollowResult[]): 0 | 2 | 3 | 4 {
  if (results.some((r) => r.status === 'failed' || r.status === 'error')) return 4;
  if (results.some((r) => r.status === 'rolled-back')) return 3;
  if (results.some((r) => r.status === 'refused')) return 2;
  return 0;
}

// Step 1: fetch origin; which service, which environment, which tag — all read from origin's head
// (the policy too), never from the user's working tree; the tag now in place (for rollback).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { applicationName, CONFIG_FILE, environment, parseConfig, serviceConfig, upstreamOf } from '../config/load';
import type { EnvironmentConfig, GitOpsConfig } from '../config/types';
import { FileProblem } from '../errors';
import { parseImageTags } from '../model/imageTags';
import { shortSha } from '../model/format';
import type { GitPort } from '../ports';
import { syncCheckout } from './execute';
import { readRecords } from '../model/records';
import { tagProblem } from '../model/tags';
import { REASON_MAX } from '../terminal';
import type { Step, StepContext, StepResult } from '../runner';
import { rel, type RunState } from './state';

function usage(s: RunState, message: string): StepResult {
  s.usage = true;
  return { status: 'refused', message };
}

/** A values file's tags at origin's `base` (a FileProblem when it is missing or malformed there). */
async function tagsAt(git: GitPort, base: string, root: string, file: string, tagPath: string, signal: AbortSignal): Promise<{ tags: Map<string, string>; text: string } | FileProblem> {
  const relFile = rel(root, file);
  const text = await git.show(base, relFile, signal);
  if (text === undefined) return new FileProblem(file, `not in origin's ${shortSha(base)}`, undefined, 'Commit and push the values file first.');
  try {
    const t = parseImageTags(text, tagPath, file);
    return { tags: new Map([...t.entries].map(([k, v]) => [k, v.tag])), text };
  } catch (err) {
    if (err instanceof FileProblem) return err;
    throw err;
  }
}

/**
 * The policy as origin's commit has it (environments, services, windows, signing, verification,
 * follow); where and who (registry, git, GitHub, Kubernetes, notifications) stay the user's.
 * `ignored` says when the working tree's file differs and was not used.
 */
export async function policyAt(config: GitOpsConfig, git: GitPort, base: string, env: Record<string, string | undefined>, signal: AbortSignal): Promise<{ config: GitOpsConfig; ignored?: string } | FileProblem> {
  const originText = await git.show(base, CONFIG_FILE, signal);
  const localText = await fs.readFile(path.join(config.root, CONFIG_FILE), 'utf8').catch(() => undefined);
  if (originText === localText) return { config };
  let origin: GitOpsConfig;
  try {
    origin = parseConfig(config.root, originText, path.join(config.root, CONFIG_FILE), env as NodeJS.ProcessEnv);
  } catch (err) {
    if (err instanceof FileProblem) return new FileProblem(err.file, `origin's ${CONFIG_FILE} (${shortSha(base)}): ${err.message}`, err.line, err.hint);
    throw err;
  }
  const merged: GitOpsConfig = { ...config, environments: origin.environments, services: origin.services, tagPath: origin.tagPath, signing: origin.signing, verification: origin.verification, follow: origin.follow };
  return { config: merged, ignored: `your ${CONFIG_FILE} differs from origin's (an uncommitted or unpushed edit); origin's policy applies` };
}

/**
 * The start every run shares (resolve, resume): fetch origin, take its head as the run's base, pull
 * the checkout along when that is safe, take the policy (and trusted keys) from that commit, find the
 * environment. Returns the environment, or the step's refusal or failure.
 */
export async function fromOrigin(s: RunState, ctx: StepContext<'git'>): Promise<{ env: EnvironmentConfig; base: string } | StepResult> {
  const git = ctx.ports.git;
  try {
    await git.fetch(ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const text = `cannot fetch origin: ${err instanceof Error ? err.message : String(err)}; nothing was changed`;
    return { status: 'failed', message: text, cause: { code: 'error', text, system: 'git' } };
  }
  const base = await git.remoteSha(ctx.signal);
  s.base = base;
  // A plain pull when it is safe (clean, nothing ahead), so records and history read the same as origin.
  if (!s.dryRun) await syncCheckout(s, git, base, ctx.log, ctx.signal);
  const policy = await policyAt(s.settings.config, git, base, s.settings.env, ctx.signal);
  if (policy instanceof FileProblem) return usage(s, `${policy.message}${policy.line ? ` (line ${policy.line})` : ''}${policy.hint ? ` — ${policy.hint}` : ''}`);
  const config = policy.config;
  s.settings.config = config;
  s.policyIgnored = policy.ignored;
  if (policy.ignored) ctx.log(policy.ignored, 'warn');
  const readKey = s.settings.readKey;
  // Trusted keys under the repository are origin's too.
  s.settings.readKey = async (file) => {
    const r = path.relative(config.root, file);
    if (r.startsWith('..') || path.isAbsolute(r)) return readKey(file);
    const text = await git.show(base, r.split(path.sep).join('/'));
    if (text === undefined) throw new Error(`${r} is not in origin's ${shortSha(base)} (commit and push it)`);
    return text;
  };
  const env = environment(config, s.environment);
  if (!env) return usage(s, `unknown environment "${s.environment}"; environments: ${config.environments.map((e) => e.name).join(', ')}`);
  return { env, base };
}

export const resolveStep: Step<RunState, 'git'> = {
  name: 'resolve',
  title: 'Resolve service, environment and tag',
  needs: ['git'],
  timeoutMs: 30_000,
  async run(s, ctx) {
    const git = ctx.ports.git;
    const start = await fromOrigin(s, ctx);
    if (!('env' in start)) return start;
    const { env, base } = start;
    const config = s.settings.config;
    const valuesRel = rel(config.root, env.valuesFile);
    const at = await tagsAt(git, base, config.root, env.valuesFile, config.tagPath, ctx.signal);
    if (at instanceof FileProblem) return usage(s, `${valuesRel}${at.line ? `:${at.line}` : ''}: ${at.message}${at.hint ? ` — ${at.hint}` : ''}`);
    const tags = at.tags;
    s.valuesBefore = at.text;
    const current = tags.get(s.service);
    if (current === undefined) {
      return usage(s, `unknown service "${s.service}" in ${env.name}: ${valuesRel} has no tag for it (services: ${[...tags.keys()].join(', ') || 'none'})`);
    }
    const upstream = upstreamOf(config, env.name);

    let tag: string;
    let tagSource: string;
    if (s.requestedTag !== undefined) {
      const problem = tagProblem(s.requestedTag);
      if (problem) return usage(s, `bad tag: ${problem} (OCI tags match [A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
      tag = s.requestedTag;
      tagSource = s.mode === 'rollback' ? '--to' : '--tag';
    } else if (s.mode === 'rollback') {
      const { records } = await readRecords([env.recordsDir]);
      const last = records.find((r) => r.service === s.service && r.environment === env.name && r.status === 'succeeded' && r.tag !== current);
      if (!last) {
        return usage(s, `no earlier succeeded deployment of ${s.service} in ${env.name} to roll back to (no record in ${rel(config.root, env.recordsDir)}); pass --to TAG`);
      }
      tag = last.tag;
      tagSource = `last succeeded record (${last.startedAt})`;
    } else {
      if (!upstream) return usage(s, `${env.name} is the first environment: pass --tag (there is no upstream environment to take the tag from)`);
      const upAt = await tagsAt(git, base, config.root, upstream.valuesFile, config.tagPath, ctx.signal);
      if (upAt instanceof FileProblem) return usage(s, `${rel(config.root, upstream.valuesFile)}: ${upAt.message}`);
      const upTag = upAt.tags.get(s.service);
      if (upTag === undefined) return usage(s, `${upstream.name} has no tag for ${s.service}, so there is nothing to promote; pass --tag`);
      tag = upTag;
      tagSource = `${upstream.name}'s current tag`;
    }
    if (tag === current) {
      if (s.mode === 'rollback') return { status: 'refused', message: `${s.service} in ${env.name} already runs ${current}: nothing to roll back to` };
      // Idempotent: nothing to push; the run verifies what runs and records it.
      s.alreadyRunning = true;
    }
    if (s.reason && s.reason.length > REASON_MAX) return usage(s, `the reason is ${s.reason.length} characters; the limit is ${REASON_MAX}: give the ticket and a short summary`);
    const application = applicationName(env, s.service);
    // Resolved once: every later step reads the target, no field of it is optional any more.
    s.target = Object.freeze({ env, upstream, serviceConfig: serviceConfig(config, s.service), valuesRel, application, tag, tagSource, previousTag: current });
    ctx.log(s.alreadyRunning ? `${s.service} in ${env.name} already has ${current} on origin (${tagSource}): verifying it, nothing to push; application ${application}` : `${s.service} in ${env.name}: ${current} → ${tag} (${tagSource}) on origin's ${shortSha(base)}; application ${application}`);
    return { status: 'succeeded', message: `${s.service} ${env.name}: ${current} → ${tag}`, output: { tag, previousTag: current, application } };
  },
};

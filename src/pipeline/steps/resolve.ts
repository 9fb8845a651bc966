// Step 1: which service, which environment, which tag; the tag now in place (for rollback).
import { applicationName, environment, serviceConfig, upstreamOf } from '../config/load';
import { FileProblem } from '../errors';
import { readImageTags } from '../model/imageTags';
import { readRecords } from '../model/records';
import { tagProblem } from '../model/tags';
import { REASON_MAX } from '../terminal';
import type { Step, StepResult } from '../runner';
import { rel, type RunState } from './state';

function usage(s: RunState, message: string): StepResult {
  s.usage = true;
  return { status: 'refused', message };
}

async function tagsOf(file: string, tagPath: string): Promise<Map<string, string> | FileProblem> {
  try {
    const t = await readImageTags(file, tagPath);
    return new Map([...t.entries].map(([k, v]) => [k, v.tag]));
  } catch (err) {
    if (err instanceof FileProblem) return err;
    throw err;
  }
}

export const resolveStep: Step<RunState, 'git'> = {
  name: 'resolve',
  title: 'Resolve service, environment and tag',
  needs: ['git'],
  timeoutMs: 30_000,
  async run(s, ctx) {
    const config = s.settings.config;
    const env = environment(config, s.environment);
    if (!env) return usage(s, `unknown environment "${s.environment}"; environments: ${config.environments.map((e) => e.name).join(', ')}`);
    s.env = env;
    s.valuesRel = rel(config.root, env.valuesFile);
    const tags = await tagsOf(env.valuesFile, config.tagPath);
    if (tags instanceof FileProblem) return usage(s, `${s.valuesRel}${tags.line ? `:${tags.line}` : ''}: ${tags.message}${tags.hint ? ` — ${tags.hint}` : ''}`);
    const current = tags.get(s.service);
    if (current === undefined) {
      return usage(s, `unknown service "${s.service}" in ${env.name}: ${s.valuesRel} has no tag for it (services: ${[...tags.keys()].join(', ') || 'none'})`);
    }
    s.serviceConfig = serviceConfig(config, s.service);
    s.application = applicationName(env, s.service);
    s.previousTag = current;
    s.upstream = upstreamOf(config, env.name);

    if (s.requestedTag !== undefined) {
      const problem = tagProblem(s.requestedTag);
      if (problem) return usage(s, `bad tag: ${problem} (OCI tags match [A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
      s.tag = s.requestedTag;
      s.tagSource = s.mode === 'rollback' ? '--to' : '--tag';
    } else if (s.mode === 'rollback') {
      const { records } = await readRecords([env.recordsDir]);
      const target = records.find((r) => r.service === s.service && r.environment === env.name && r.status === 'succeeded' && r.tag !== current);
      if (!target) {
        return usage(s, `no earlier succeeded deployment of ${s.service} in ${env.name} to roll back to (no record in ${rel(config.root, env.recordsDir)}); pass --to TAG`);
      }
      s.tag = target.tag;
      s.tagSource = `last succeeded record (${target.startedAt})`;
    } else {
      const up = s.upstream;
      if (!up) return usage(s, `${env.name} is the first environment: pass --tag (there is no upstream environment to take the tag from)`);
      const upTags = await tagsOf(up.valuesFile, config.tagPath);
      if (upTags instanceof FileProblem) return usage(s, `${rel(config.root, up.valuesFile)}: ${upTags.message}`);
      const upTag = upTags.get(s.service);
      if (upTag === undefined) return usage(s, `${up.name} has no tag for ${s.service}, so there is nothing to promote; pass --tag`);
      s.tag = upTag;
      s.tagSource = `${up.name}'s current tag`;
    }
    if (s.tag === current) {
      return { status: 'refused', message: `${s.service} in ${env.name} already runs ${current}: nothing to deploy${s.mode === 'deploy' && s.requestedTag === undefined && s.upstream ? ` (${s.upstream.name} runs the same tag)` : ''}` };
    }
    if (s.reason && s.reason.length > REASON_MAX) return usage(s, `the reason is ${s.reason.length} characters; the limit is ${REASON_MAX}: give the ticket and a short summary`);
    s.headBefore = await ctx.ports.git.headSha(ctx.signal);
    ctx.log(`${s.service} in ${env.name}: ${current} → ${s.tag} (${s.tagSource}); application ${s.application}`);
    return { status: 'succeeded', message: `${s.service} ${env.name}: ${current} → ${s.tag}`, output: { tag: s.tag, previousTag: current, application: s.application } };
  },
};

// The tag ran in the previous environment (and, where required, was verified there by a succeeded
// record). For a rollback: the target ran in this environment before.
import * as path from 'node:path';
import { parseImageTags, readImageTags } from '../model/imageTags';
import { readRecords } from '../model/records';
import type { Ports } from '../ports';
import { rel, shortSha } from '../steps/state';
import type { BeforeCheck } from './check';

/** The newest commit (of the last 200) at which a values file held `tag` for `service`. */
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

export const previousEnvironment: BeforeCheck<'git'> = {
  name: 'previous-environment',
  phase: 'before',
  needs: ['git'],
  async run({ run: s, tag }, ctx) {
    if (s.alreadyRunning) return undefined; // nothing changes: a gate of a change does not apply
    const config = s.settings.config;
    const env = s.env!;
    if (s.mode === 'rollback') {
      const { records } = await readRecords([env.recordsDir]);
      const rec = records.find((r) => r.service === s.service && r.environment === env.name && r.tag === tag && (r.status === 'succeeded' || r.status === 'rollback'));
      if (rec) return { status: 'passed', detail: `${tag} was deployed to ${env.name} before (${rec.status} record ${rec.startedAt})` };
      const seen = await historyHas(ctx.ports.git, s.valuesRel!, s.service, tag, config.tagPath, ctx.signal);
      if (seen) return { status: 'passed', detail: `${tag} ran in ${env.name} before (commit ${shortSha(seen.sha)}, ${seen.date})` };
      return { status: 'failed', detail: `${s.service} ${tag} was never deployed to ${env.name} (no record, not in ${s.valuesRel}'s history): a rollback goes back to a tag that ran here.`, fix: { kind: 'pick-rollback-target', service: s.service, environment: env.name } };
    }
    const up = s.upstream;
    if (!up) return { status: 'skipped', detail: `${s.environment} is the first environment` };
    const upRel = rel(config.root, up.valuesFile);
    let where: string | undefined;
    const upCurrent = await readImageTags(up.valuesFile, config.tagPath).then(
      (t) => t.entries.get(s.service)?.tag,
      () => undefined,
    );
    if (upCurrent === tag) where = `${up.name} runs ${tag} now`;
    else {
      const seen = await historyHas(ctx.ports.git, upRel, s.service, tag, config.tagPath, ctx.signal);
      if (seen) where = `${up.name} ran ${tag} (commit ${shortSha(seen.sha)}, ${seen.date})`;
    }
    const deployUp = { kind: 'deploy-upstream-first', service: s.service, upstream: up.name, tag } as const;
    if (!where) return { status: 'failed', detail: `${s.service} ${tag} was never deployed to ${up.name} (${up.name} runs ${upCurrent ?? 'nothing'}; not in ${upRel}'s history).`, fix: deployUp };
    if (env.requireUpstreamRecord) {
      const { records } = await readRecords([up.recordsDir]);
      const rec = records.find((r) => r.service === s.service && r.environment === up.name && r.tag === tag && r.status === 'succeeded');
      if (!rec) return { status: 'failed', detail: `${where}, but no succeeded deployment record of ${s.service} ${tag} exists in ${rel(config.root, up.recordsDir)}: it was not verified there.`, fix: deployUp };
      return { status: 'passed', detail: `${where}; verified there (record ${path.basename(rec.file)})` };
    }
    return { status: 'passed', detail: where };
  },
};

// The image exists in the registry: its digest (what the signature check verifies and the pods must
// run) and when it was pushed (the start of the change's lead time).
import type { BeforeCheck } from './check';

export const imageExists: BeforeCheck<'registry'> = {
  name: 'image-exists',
  phase: 'before',
  needs: ['registry'],
  async run({ run: s, tag, observed }, ctx) {
    const repo = s.target.serviceConfig.ecrRepository;
    const got = await observed.image();
    if (!got.ok) return { status: 'failed', ...(got.fault ? { fault: got.fault } : {}), detail: `cannot look up ${repo}:${tag} in ECR: ${got.error}. Check the AWS credentials/region (${s.settings.config.registry.region}) and the repository name.` };
    const info = got.info;
    if (info) {
      const pushed = info.pushedAt?.toISOString();
      return { status: 'passed', detail: `${repo}:${tag} is ${info.digest}${pushed ? ` (pushed ${pushed})` : ''}`, learned: { digest: info.digest, ...(pushed ? { imagePushedAt: pushed.replace(/\.\d{3}Z$/, 'Z') } : {}) } };
    }
    let recent = '';
    try {
      const tags = await ctx.ports.registry.listTags(repo, 5, ctx.signal);
      if (tags.length) recent = ` Newest tags there: ${tags.map((t) => t.tag).join(', ')}.`;
    } catch {
      // the hint is optional
    }
    return { status: 'failed', detail: `image ${repo}:${tag} does not exist in ECR (repository ${repo}). Push it first (check the build workflow's push step) or choose an existing tag.${recent}` };
  },
};

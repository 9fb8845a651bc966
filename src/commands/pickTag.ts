import { errorMessage } from '../pipeline/errors';
import type { LoadedState, PipelineHost } from '../providers/pipelineHost';
import { CREDENTIAL_FIX, credentialKindOfError } from '../providers/credentialsParse';
import { tagItems, typedTagItem, type TagCandidates } from '../providers/pickItems';

/**
 * The tag to deploy: the default is what the upstream environment runs; candidates are recent
 * records and the registry's tags (loaded lazily, busy meanwhile, a failure shown as an item);
 * a typed tag is checked against the OCI tag grammar as you type.
 */
export async function pickTag(host: PipelineHost, state: LoadedState, service: string, environment: string, step?: { step: number; totalSteps: number }): Promise<string | undefined> {
  const env = state.environments.find((e) => e.config.name === environment);
  const current = env?.services.find((s) => s.service === service)?.tag;
  const upEnv = env?.upstream ? state.environments.find((e) => e.config.name === env.upstream) : undefined;
  const upTag = upEnv?.services.find((s) => s.service === service)?.tag;
  const base: TagCandidates = {
    service,
    environment,
    current,
    upstream: upEnv && upTag ? { environment: upEnv.config.name, tag: upTag } : undefined,
    records: state.records,
    now: new Date(),
  };
  const item = await host.prompter.pickOrType({
    title: `Deploy ${service} to ${environment}${current ? ` (now ${current})` : ''}: which tag?`,
    placeholder: upTag ? `Enter for ${upTag} (what ${upEnv!.config.name} runs), pick another, or type a tag` : 'Pick a tag or type one',
    ...step,
    initial: tagItems({ ...base, registry: 'loading' }),
    load: async () => {
      try {
        return tagItems({ ...base, registry: await host.listTags(state.config, service) });
      } catch (err) {
        const msg = errorMessage(err);
        const kind = credentialKindOfError(err);
        return tagItems({ ...base, registry: { error: kind ? `${msg} — ${CREDENTIAL_FIX[kind].hint}` : msg } });
      }
    },
    typed: typedTagItem,
  });
  return item?.tag || undefined;
}

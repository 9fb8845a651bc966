// No deployment of this service in this environment is left unfinished on origin: a run that pushed
// and never wrote its record (killed, crashed) must be resumed, rolled back or accepted first.
import { readJournal } from '../journal';
import { shortSha } from '../model/format';
import type { BeforeCheck } from './check';

export const journal: BeforeCheck<'git'> = {
  name: 'journal',
  phase: 'before',
  needs: ['git'],
  async run({ run: s, now }, ctx) {
    if (s.resume || !s.base || !s.env) return undefined;
    const j = await readJournal(ctx.ports.git, s.settings.config, s.env, s.service, s.base, now, ctx.signal);
    const st = j.state;
    if (st.kind === 'running') {
      return { status: 'failed', detail: `another deployment of ${s.service} in ${s.environment} is running: ${st.lease.holder} on ${st.lease.host} since ${st.lease.startedAt} (run ${st.runId}, ${st.lease.tag ?? '?'}); wait for it to finish`, journal: { state: 'running', runId: st.runId } };
    }
    if (st.kind === 'interrupted') {
      const c = st.change;
      const what = st.phase === 'rolling-back' ? `its automatic rollback to ${c.from} (commit ${shortSha(st.rollback?.commit)}) was pushed and never verified` : `${c.to} was pushed (commit ${shortSha(c.commit)}) and never verified`;
      const cmd = `gitops-deploy resume ${s.service} --env ${s.environment}`;
      return {
        status: 'failed',
        detail: `an interrupted deployment of ${s.service} in ${s.environment} has no record: run ${st.runId} by ${c.actor ?? 'unknown'} (${c.from} → ${c.to}); ${what}. Finish it first: ${cmd} (continue and verify), ${cmd} --rollback (back to ${c.from}), or ${cmd} --accept --reason "…"`,
        journal: { state: 'interrupted', runId: st.runId, phase: st.phase, commit: (st.rollback ?? c).commit, from: c.from, to: c.to },
      };
    }
    return { status: 'passed', detail: 'no unfinished deployment of this service on origin' };
  },
};

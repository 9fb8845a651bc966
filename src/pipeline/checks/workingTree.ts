// The values file has no uncommitted change (the run edits it; a local edit would be lost or pushed).
import type { BeforeCheck } from './check';

export const workingTree: BeforeCheck<'git'> = {
  name: 'working-tree',
  phase: 'before',
  needs: ['git'],
  async run({ run: s }, ctx) {
    const dirty = await ctx.ports.git.dirtyFiles(ctx.signal);
    if (dirty.includes(s.valuesRel!)) return { status: 'failed', detail: `${s.valuesRel} has uncommitted changes; commit or discard them first (git diff -- ${s.valuesRel}).` };
    return { status: 'passed', detail: `${s.valuesRel} is unmodified` };
  },
};

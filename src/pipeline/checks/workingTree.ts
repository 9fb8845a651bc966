// The deployment is built on origin's commit, never from the working tree: say what of the user's
// checkout is not part of it (uncommitted edits, local commits, a policy edit), so nobody is surprised.
import type { BeforeCheck } from './check';

export const workingTree: BeforeCheck<'git'> = {
  name: 'working-tree',
  phase: 'before',
  needs: ['git'],
  async run({ run: s }, ctx) {
    const [dirty, ahead] = await Promise.all([ctx.ports.git.dirtyFiles(ctx.signal), ctx.ports.git.localAhead(ctx.signal)]);
    const notes: string[] = [];
    if (dirty.includes(s.valuesRel!)) notes.push(`your uncommitted change to ${s.valuesRel} is not deployed and is left as it is`);
    if (ahead > 0) notes.push(`your branch has ${ahead} commit${ahead === 1 ? '' : 's'} that origin has not; a deployment never pushes them`);
    if (s.policyIgnored) notes.push(s.policyIgnored);
    const base = `built on origin's ${s.base ? s.base.slice(0, 7) : 'head'}`;
    if (notes.length) return { status: 'warning', detail: `${base}; ${notes.join('; ')}`, checkout: { dirty: dirty.includes(s.valuesRel!), localAhead: ahead, policyIgnored: !!s.policyIgnored } };
    return { status: 'passed', detail: `${base}; your checkout has nothing that is left out`, checkout: { dirty: false, localAhead: 0, policyIgnored: false } };
  },
};

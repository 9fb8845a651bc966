import * as assert from 'node:assert/strict';
import { main, type CliOptions } from '../../src/cli';
import { depsOf, makeWorld, WEDNESDAY_10_ET, type World } from './pipelineFakes';

let w: World;
let wiring: CliOptions;
async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--repo', w.root], { out: (s) => out.push(s), err: (s) => err.push(s) }, undefined, wiring);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('CLI deploy / rollback (fake ports)', () => {
  beforeEach(() => {
    w = makeWorld();
    const d = depsOf(w);
    wiring = { ports: () => w.ports, deps: { actor: d.actor, sleep: d.sleep, clock: w.clock } };
  });
  afterEach(() => {
    w.cleanup();
  });

  it('deploys with a human transcript: steps with ✓ and durations, the record path, exit 0', async () => {
    const r = await run(['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.0']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^▸ Resolve service, environment and tag$/m);
    assert.match(r.out, /^✓ Pre-validate \(\d+ ms\) — 8 checks passed$/m);
    assert.match(r.out, /^ {4}✓ signature: verified classic \.sig signature, key cosign\.pub \(ECDSA P-256\)$/m);
    assert.match(r.out, /✓ DEPLOYED \(exit 0\)/);
    assert.match(r.out, /record: docs\/deployments\/stag\/20261121T150000Z-accounts-[a-z]{6}\.md/);
  });

  it('--json prints exactly one JSON object with the outcome and every check', async () => {
    const r = await run(['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.0', '--json']);
    const o = JSON.parse(r.out);
    assert.equal(o.kind, 'deployed');
    assert.equal(o.exitCode, 0);
    assert.match(o.runId, /^20261121T150000Z-[a-z]{6}$/);
    // the record's name carries the run id: two runs can never write the same file
    assert.equal(o.record.path, `docs/deployments/stag/20261121T150000Z-accounts-${o.runId.slice(-6)}.md`);
    assert.ok(o.checks.length >= 15);
  });

  it('a refusal exits 2 and says the fix', async () => {
    w.clock.t = WEDNESDAY_10_ET;
    const r = await run(['deploy', 'accounts', '--env', 'prod', '--reason', 'CHG-1']);
    assert.equal(r.code, 2);
    assert.match(r.err, /⊘ REFUSED \(exit 2\)/);
    assert.match(r.err, /window: prod deployments are blocked now .* the window opens 17:00 EST/);
  });

  it('usage errors exit 64', async () => {
    assert.equal((await run(['deploy'])).code, 64);
    assert.equal((await run(['deploy', 'accounts'])).code, 64);
    assert.match((await run(['deploy', 'accounts', '--env', 'qa'])).err, /unknown environment "qa"; environments: dev, stag, prod/);
    assert.match((await run(['rollback', 'accounts', '--env', 'prod'])).err, /rollback needs --reason/);
    assert.equal((await run(['deploy', 'accounts', '--env', 'stag', '--tag', '-bad'])).code, 64);
    assert.equal((await run(['deploy', 'accounts', '--env', 'stag', '--bogus'])).code, 64);
  });

  it('a verification failure with a rollback exits 3; a failed rollback exits 4 and says what to do', async () => {
    w.cluster.behaviour['1.6.0'] = { health: 'DOWN' };
    assert.equal((await run(['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.0'])).code, 3);
    w.cluster.behaviour['1.6.5'] = { health: 'DOWN' };
    w.registry.images.set('accounts:1.6.5', w.registry.images.get('accounts:1.6.0')!);
    w.git.historyCommit(w.valuesRel('dev'), w.read(w.valuesRel('dev')).replace('1.6.0', '1.6.5'));
    let n = 0;
    const push = w.git.pushCommit.bind(w.git);
    w.git.pushCommit = async (sha: string) => (++n === 2 ? { ok: false, rejected: 'other', message: 'denied' } : push(sha));
    const r = await run(['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.5']);
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.err, /✗✗ FAILED-NEEDS-HUMAN \(exit 4\)/);
    assert.match(r.err, /ROLLBACK FAILED — a human is needed\.\n.*\n.*\n.*Do this now:\n.*1\. set accounts back to 1\.5\.0 in helm\/environments\/stag-env\/image-tags\.yaml/);
  });

  it('masks token-like text in the transcript', async () => {
    const r = await run(['deploy', 'accounts', '--env', 'stag', '--tag', '1.6.0', '--reason', 'fix https://user:ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/x']);
    assert.ok(!r.out.includes('ghp_abc'));
    assert.match(r.out, /https:\/\/\*\*\*@github\.com/);
  });
});

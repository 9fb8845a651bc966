// "Could not observe" is never "failed": the built CLI against the sandbox with injected faults,
// the real @kubernetes/client-node watching through them; asserted on exit codes, the --json
// outcome's fields, origin's history and the record on origin.
import * as assert from 'node:assert/strict';
import type { FaultSwitch, Sandbox, Scenario } from '../../sandbox/index';
import { git } from './helpers/cli';
import { cli, sandboxPerTest, newRecordOnOrigin, originLog, recordsOnOrigin } from './helpers/cli';

function scenario(config?: Record<string, unknown>): Scenario {
  return {
    services: { accounts: { images: { '1.4.0': {}, '1.5.0': {} } }, cards: { images: { '2.1.0': {} } } },
    environments: { dev: { accounts: '1.5.0', cards: '2.1.0' }, stag: { accounts: '1.4.0', cards: '2.1.0' }, prod: { accounts: '1.4.0', cards: '2.1.0' } },
    ...(config ? { config } : {}),
  } as Scenario;
}

/** The fault starts once the change reached origin (the pre-flight saw every system healthy). */
function afterPush(sb: Sandbox, name: FaultSwitch): void {
  sb.events.once('origin-moved', () => sb.faultSwitch(name, true));
}

/** Every ref of origin and its sha: "nothing changed" is this staying equal. */
const originRefs = (sb: Sandbox) => git(['for-each-ref', '--format=%(refname) %(objectname)'], sb.originDir);

const status = (out: { checks: { name: string; status: string }[] }, name: string) => out.checks.find((c) => c.name === name)?.status;

describe('honest under faults (CLI against the sandbox)', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('faults-');
  const start = box.start;

  it('the Argo CD watch failing while GETs work: the healthy deployment succeeds (the wait polls the Application)', async () => {
    const s = await start(scenario());
    s.faultSwitch('argocd-watch-fails', true);
    const before = await recordsOnOrigin(s, 'stag');
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-1', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    const out = JSON.parse(r.stdout);
    assert.equal(out.kind, 'deployed');
    assert.equal(status(out, 'sync'), 'passed');
    assert.deepEqual((await originLog(s)).slice(0, 2), ['Record accounts 1.5.0 in stag: succeeded', 'Deploy accounts to stag: 1.4.0 → 1.5.0']);
    assert.equal((await newRecordOnOrigin(s, 'stag', before)).status, 'succeeded');
    const app = s.app('accounts', 'stag') as any;
    assert.equal(app.status.health.status, 'Healthy');
    assert.equal(s.world.servingTag('stag', 'accounts'), '1.5.0');
  });

  it('Prometheus answering 503 during verification: inconclusive, held, nothing rolled back (exit 4)', async () => {
    const s = await start(scenario());
    afterPush(s, 'prometheus-503');
    const before = await recordsOnOrigin(s, 'stag');
    const logBefore = await originLog(s);
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-2', '--json']);
    assert.equal(r.code, 4, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.kind, 'inconclusive');
    assert.equal(status(out, 'error-rate'), 'inconclusive');
    assert.equal(status(out, 'health'), 'passed');
    assert.equal(out.rollbackCommit, undefined);
    assert.deepEqual(out.decision.unobserved, ['error-rate']);
    assert.deepEqual(out.decision.recheck, { command: 'verify', service: 'accounts', environment: 'stag' });
    assert.equal(out.decision.rollback.to, '1.4.0');
    const log = await originLog(s);
    assert.deepEqual(log.slice(0, log.length - logBefore.length), ['Record accounts 1.5.0 in stag: inconclusive', 'Deploy accounts to stag: 1.4.0 → 1.5.0']);
    const rec = await newRecordOnOrigin(s, 'stag', before);
    assert.equal(rec.status, 'inconclusive');
    assert.equal(rec.checks.find((c) => c.name === 'error-rate')?.status, 'inconclusive');

    // The re-check the decision names: still inconclusive while Prometheus is down, passed once it answers.
    const again = await cli(s, ['verify', 'accounts', '--env', 'stag', '--json']);
    assert.equal(again.code, 4, again.stderr);
    assert.equal(JSON.parse(again.stdout).status, 'inconclusive');
    s.faultSwitch('prometheus-503', false);
    const ok = await cli(s, ['verify', 'accounts', '--env', 'stag', '--json']);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    const rep = JSON.parse(ok.stdout);
    assert.equal(rep.status, 'passed');
    assert.equal(rep.tag, '1.5.0');
    assert.deepEqual(rep.checks.map((c: { name: string }) => c.name).slice(0, 3), ['argocd', 'rollout', 'pods']);
    assert.deepEqual(await originLog(s), log, 'verify changes nothing');
  });

  it('with verification.onInconclusive: rollback the release is rolled back, and the rollback is not "failed" because the metric cannot be read', async () => {
    const s = await start(scenario({ verification: { onInconclusive: 'rollback' } }));
    afterPush(s, 'prometheus-503');
    const before = await recordsOnOrigin(s, 'stag');
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-3', '--json']);
    assert.equal(r.code, 4, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.kind, 'inconclusive');
    assert.equal(out.manualFix, undefined);
    assert.ok(out.rollbackCommit);
    assert.equal(status(out, 'rollback'), 'inconclusive');
    assert.equal(status(out, 'rollback-health'), 'passed');
    assert.equal(status(out, 'rollback-error-rate'), 'inconclusive');
    assert.match((await originLog(s))[1], /^Rollback accounts in stag: 1\.5\.0 → 1\.4\.0/);
    assert.equal((await newRecordOnOrigin(s, 'stag', before)).status, 'inconclusive');
  });

  it('the health route missing (404) during verification: inconclusive, not a failure', async () => {
    const s = await start(scenario());
    afterPush(s, 'health-route-missing');
    const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-4', '--json']);
    assert.equal(r.code, 4, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.kind, 'inconclusive');
    assert.equal(status(out, 'health'), 'inconclusive');
    assert.ok(!(await originLog(s)).some((l) => l.startsWith('Rollback')));
  });

  describe('pre-flight refuses before any change (exit 2, origin untouched)', () => {
    const cases: { name: string; arrange: (s: Sandbox) => void; system: string; check: string }[] = [
      { name: 'an expired/invalid Kubernetes token (401)', arrange: (s) => s.faultSwitch('kube-token-expired', true), system: 'kubernetes', check: 'deployment' },
      { name: 'no permission to patch the Application (SelfSubjectAccessReview)', arrange: (s) => s.denyPermission('patch applications.argoproj.io'), system: 'argocd', check: 'permissions' },
      { name: 'Prometheus answering 503', arrange: (s) => s.faultSwitch('prometheus-503', true), system: 'prometheus', check: 'query' },
      { name: 'the health route missing (404)', arrange: (s) => s.faultSwitch('health-route-missing', true), system: 'health', check: 'route' },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const s = await start(scenario());
        c.arrange(s);
        const refs = await originRefs(s);
        const r = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-9', '--json']);
        assert.equal(r.code, 2, r.stderr + r.stdout.slice(-1500));
        const out = JSON.parse(r.stdout);
        assert.equal(out.kind, 'refused');
        const failed = out.preflight.filter((x: { status: string }) => x.status === 'failed');
        assert.ok(failed.some((x: { system: string; check: string }) => x.system === c.system && x.check === c.check), JSON.stringify(out.preflight, null, 1));
        for (const f of failed) assert.ok(f.fix && f.credentialSource !== undefined || f.system === 'prometheus', JSON.stringify(f));
        if (c.system !== 'prometheus' && c.system !== 'health') assert.ok(failed[0].credentialSource.includes(s.kubeconfigPath), failed[0].credentialSource);
        assert.equal(await originRefs(s), refs, 'origin is untouched');
        assert.equal((await git(['status', '--porcelain'], s.repoDir)).trim(), '', 'the checkout is clean');
        // The transcript says it too, for people.
        const t = await cli(s, ['deploy', 'accounts', '--env', 'stag', '--reason', 'CHG-9']);
        assert.equal(t.code, 2);
      });
    }
  });
});

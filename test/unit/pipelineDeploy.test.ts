import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { planDeployment, runDeployment, runRollback } from '../../src/pipeline/deploy';
import { acquireLock, lockFile } from '../../src/pipeline/lock';
import { parseRecord } from '../../src/pipeline/model/records';
import type { PipelineEvent } from '../../src/pipeline/outcome';
import { depsOf, makeWorld, WEDNESDAY_10_ET, type World, type WorldOptions } from './pipelineFakes';

let w: World;
afterEach(() => w?.cleanup());

function world(o: WorldOptions = {}) {
  w = makeWorld(o);
  return w;
}

async function deploy(req: Parameters<typeof runDeployment>[0], extra = {}) {
  const events: PipelineEvent[] = [];
  const out = await runDeployment(req, depsOf(w, extra), { onEvent: (e) => events.push(e) });
  w.events = events;
  return out;
}

function failed(out: { checks: { name: string; status: string; detail?: string }[] }) {
  return Object.fromEntries(out.checks.filter((c) => c.status === 'failed').map((c) => [c.name, c.detail ?? '']));
}

function record(env: string) {
  const files = w.recordFiles(env).filter((f) => !f.startsWith('20261119'));
  assert.equal(files.length, 1, `one new record in ${env}: ${files.join(', ')}`);
  const rel = `docs/deployments/${env}/${files[0]}`;
  return { rel, text: w.read(rel), rec: parseRecord(w.read(rel), rel) };
}

describe('pipeline deploy', () => {
  describe('a clean deployment', () => {
    it('edits one line, commits it with trailers, pushes, verifies and records', async () => {
      world();
      const before = w.read(w.valuesRel('stag'));
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0', reason: 'CHG-1 statements' });
      assert.equal(out.kind, 'deployed', out.message);
      assert.equal(out.exitCode, 0);
      assert.equal(w.read(w.valuesRel('stag')), before.replace('tag: "1.5.0"', 'tag: "1.6.0"'));
      const deployCommit = w.git.remote.find((c) => c.message.startsWith('Deploy'))!;
      assert.deepEqual(deployCommit.paths, [w.valuesRel('stag')]);
      assert.equal(deployCommit.message.split('\n')[0], 'Deploy accounts to stag: 1.5.0 → 1.6.0');
      for (const t of ['Service: accounts', 'Environment: stag', 'Previous-Tag: 1.5.0', 'Tag: 1.6.0', 'Reason: CHG-1 statements', 'Actor: alice']) assert.ok(deployCommit.message.includes(`\n${t}`), t);
      assert.equal(out.commit, deployCommit.sha);
      const { rec, rel, text } = record('stag');
      assert.equal(out.record?.path, rel);
      assert.equal(out.record?.pushed, true);
      assert.equal(rec.status, 'succeeded');
      assert.equal(rec.tag, '1.6.0');
      assert.equal(rec.previousTag, '1.5.0');
      assert.equal(rec.commit, deployCommit.sha);
      assert.equal(rec.actor, 'alice');
      assert.match(rec.digest!, /^sha256:/);
      assert.deepEqual(rec.checks.map((c) => c.name), ['image-exists', 'signature', 'previous-environment', 'window', 'reason', 'working-tree', 'journal', 'lock', 'preflight-kubernetes', 'preflight-kubernetes-permissions', 'preflight-argocd', 'preflight-argocd-permissions', 'preflight-prometheus', 'preflight-health', 'sync', 'rollout', 'pods', 'restarts', 'running-digest', 'health', 'smoke', 'error-rate', 'resources']);
      assert.ok(rec.checks.every((c) => c.status === 'passed' || c.status === 'skipped'), JSON.stringify(rec.checks));
      assert.match(text, /^# accounts 1\.5\.0 → 1\.6\.0 in stag: succeeded$/m);
      assert.ok(w.git.remote.some((c) => c.paths.includes(rel)), 'the record is pushed');
      assert.deepEqual(w.notifier.events.map((e) => e.kind), ['succeeded']);
      assert.deepEqual(await w.git.dirtyFiles(), []);
    });

    it('resolves the tag from upstream (stag ← dev) when none is given', async () => {
      world();
      const out = await deploy({ service: 'accounts', environment: 'stag' });
      assert.equal(out.kind, 'deployed', out.message);
      assert.equal(out.tag, '1.6.0');
    });

    it('promotes to prod on a Saturday with a reason; the record and the Argo CD calls follow', async () => {
      world();
      const out = await deploy({ service: 'accounts', environment: 'prod', reason: 'CHG-2' });
      assert.equal(out.kind, 'deployed', out.message);
      assert.equal(out.tag, '1.5.0');
      assert.deepEqual(w.argo.calls.slice(0, 2), ['refresh accounts-prod normal', 'wait accounts-prod']);
      assert.equal(record('prod').rec.status, 'succeeded');
    });

    it('emits events in order, ending with pipeline-finished', async () => {
      world();
      await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0' });
      const steps = w.events.filter((e) => e.type === 'step-started').map((e) => (e as any).step);
      assert.deepEqual(steps, ['resolve', 'validate', 'preflight', 'update-values', 'commit', 'push', 'sync', 'rollout', 'verify', 'record']);
      assert.equal(w.events[w.events.length - 1].type, 'pipeline-finished');
      for (const s of steps) {
        const i = w.events.findIndex((e) => e.type === 'step-started' && e.step === s);
        const j = w.events.findIndex((e) => e.type === 'step-finished' && e.step === s);
        assert.ok(i < j, s);
      }
    });

    it('records the workflow run and the window override, and masks tokens', async () => {
      world({ now: WEDNESDAY_10_ET });
      const env = { GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/gitops', GITHUB_WORKFLOW: 'Deploy', GITHUB_ACTOR: 'bob', GITHUB_TOKEN: 'ghs_abcdefghijklmnopqrstuvwx' };
      const out = await deploy({ service: 'accounts', environment: 'prod', reason: 'CHG-9 statement fix', overrideWindow: true, overrideReason: 'SEV1 fix token ghs_abcdefghijklmnopqrstuvwx' }, { env });
      assert.equal(out.kind, 'deployed', out.message);
      const { rec, text } = record('prod');
      assert.deepEqual(rec.workflowRun, { id: 42, attempt: 2, url: 'https://github.com/acme/gitops/actions/runs/42', workflow: 'Deploy', actor: 'bob' });
      assert.deepEqual(rec.windowOverride, { reason: 'SEV1 fix token ***', by: 'alice' });
      assert.deepEqual(out.windowOverride, { reason: 'SEV1 fix token ***', by: 'alice' });
      assert.equal(rec.reason, 'CHG-9 statement fix');
      assert.ok(!text.includes('ghs_abc'));
      assert.equal(rec.checks.find((c) => c.name === 'window')?.status, 'warning');
      const commit = w.git.remote.find((c) => c.message.startsWith('Deploy'))!;
      const trailers = commit.message.split('\n').filter((l) => /^Window-Override(-By)?: /.test(l));
      assert.deepEqual(trailers, ['Window-Override: SEV1 fix token ***', 'Window-Override-By: alice']);
      assert.match(commit.message.split('\n')[2], /^WINDOW OVERRIDE \(emergency, by alice\): SEV1 fix/);
      // The validate step hands the override to readers of its events (the GitHub deployment).
      const validated = w.events.find((e) => e.type === 'step-finished' && e.step === 'validate');
      assert.deepEqual(validated?.type === 'step-finished' && validated.output?.windowOverride, { reason: 'SEV1 fix token ***', by: 'alice' });
    });

    it('an override whose justification repeats the change reason is refused, with the fix as data', async () => {
      world({ now: WEDNESDAY_10_ET });
      const out = await deploy({ service: 'accounts', environment: 'prod', reason: 'CHG-9 statement fix', overrideWindow: true, overrideReason: ' chg-9  statement FIX ' });
      assert.equal(out.kind, 'refused', out.message);
      const window = out.checks.find((c) => c.name === 'window')!;
      assert.equal(window.status, 'failed');
      assert.deepEqual(window.fix, { kind: 'give-override-reason', environment: 'prod', problem: 'same-as-reason' });
      assert.equal(out.windowOverride, undefined);
      assert.equal(w.git.remote.filter((c) => c.message.startsWith('Deploy')).length, 0);
    });
  });

  describe('refusals before any change', () => {
    async function refused(o: WorldOptions, req: Parameters<typeof runDeployment>[0], exitCode = 2) {
      world(o);
      const before = w.read(w.valuesRel(req.environment === 'nope' ? 'stag' : req.environment));
      const remoteBefore = w.git.remote.length;
      const out = await deploy(req);
      assert.equal(out.kind, 'refused', out.message);
      assert.equal(out.exitCode, exitCode);
      assert.equal(w.read(w.valuesRel(req.environment === 'nope' ? 'stag' : req.environment)), before);
      assert.equal(w.git.remote.length, remoteBefore);
      assert.equal(w.git.local.length, remoteBefore);
      assert.equal(out.record, undefined);
      assert.deepEqual(w.recordFiles('prod'), []);
      return out;
    }

    it('missing image names the repository and the fix', async () => {
      const out = await refused({ images: {} }, { service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.match(failed(out)['image-exists'], /image accounts:1\.6\.0 does not exist in ECR \(repository accounts\)\. Push it first/);
    });

    it('unsigned image', async () => {
      const out = await refused({ images: { 'accounts:1.6.0': { signedBy: 'none' } } }, { service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.match(failed(out).signature, /accounts:1\.6\.0 \(sha256:[0-9a-f]{12}…\) rejected \(unsigned\).*Sign it in the build workflow/);
    });

    it('untrusted signer', async () => {
      const out = await refused({ images: { 'accounts:1.6.0': { signedBy: 'untrusted' } } }, { service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.match(failed(out).signature, /does not verify with the trusted key cosign\.pub.*Sign .* with the trusted key/);
    });

    it('signature of another digest', async () => {
      const out = await refused({ images: { 'accounts:1.6.0': { digestMismatch: true } } }, { service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.match(failed(out).signature, /the signature is for sha256:.* not for the image's digest/);
    });

    it('not tested upstream: never in stag', async () => {
      const out = await refused({ images: { 'accounts:1.7.0': {} } }, { service: 'accounts', environment: 'prod', tag: '1.7.0', reason: 'x' });
      assert.match(failed(out)['previous-environment'], /accounts 1\.7\.0 was never deployed to stag \(stag runs 1\.5\.0/);
      assert.deepEqual(out.checks.find((c) => c.name === 'previous-environment')?.fix, { kind: 'deploy-upstream-first', service: 'accounts', upstream: 'stag', tag: '1.7.0' });
    });

    it('not tested upstream: in stag but without a succeeded record (prod requires one)', async () => {
      const out = await refused({ records: [] }, { service: 'accounts', environment: 'prod', reason: 'x' });
      assert.match(failed(out)['previous-environment'], /stag runs 1\.5\.0 now, but no succeeded deployment record of accounts 1\.5\.0 exists in docs\/deployments\/stag/);
    });

    it('window closed on a weekday 10:00 Eastern says when it opens', async () => {
      const out = await refused({ now: WEDNESDAY_10_ET }, { service: 'accounts', environment: 'prod', reason: 'CHG-3' });
      assert.equal(failed(out).window, 'prod deployments are blocked now (blocked hours Mon–Fri 09:00–17:00); the window opens 17:00 EST (in 7 h; it is Wed 10:00 EST now).');
      assert.deepEqual(out.checks.find((c) => c.name === 'window')?.fix, { kind: 'wait-for-window', environment: 'prod', opensAt: '2026-11-18T22:00:00.000Z', opensAtLocal: '17:00 EST', opensIn: '7 h' });
    });

    it('missing reason for prod', async () => {
      const out = await refused({}, { service: 'accounts', environment: 'prod' });
      assert.equal(failed(out).reason, 'prod requires a reason (a change ticket and what/why).');
      assert.deepEqual(out.checks.find((c) => c.name === 'reason')?.fix, { kind: 'give-reason', environment: 'prod', mode: 'deploy' });
    });

    it('window override without a reason', async () => {
      const out = await refused({ now: WEDNESDAY_10_ET }, { service: 'accounts', environment: 'prod', overrideWindow: true, overrideReason: 'SEV1 INC-1 payments down' });
      assert.deepEqual(out.checks.find((c) => c.name === 'reason')?.fix, { kind: 'give-reason', environment: 'prod', mode: 'deploy', forOverride: true });
    });

    it('reports every failed check together', async () => {
      const out = await refused({ now: WEDNESDAY_10_ET, images: {} }, { service: 'accounts', environment: 'prod', tag: '1.9.0' });
      assert.deepEqual(Object.keys(failed(out)).sort(), ['image-exists', 'previous-environment', 'reason', 'window']);
      assert.equal(out.failedStep, 'validate');
      assert.equal(out.cause?.code, 'refused');
    });

    it('bad tag is a usage error (64)', async () => {
      const out = await refused({}, { service: 'accounts', environment: 'stag', tag: 'bad tag!' }, 64);
      assert.match(out.message, /bad tag: the tag "bad tag!" contains " "/);
    });

    it('unknown service is a usage error listing the services', async () => {
      const out = await refused({}, { service: 'acounts', environment: 'stag', tag: '1.6.0' }, 64);
      assert.match(out.message, /unknown service "acounts" in stag: .* \(services: accounts, cards\)/);
    });

    it('unknown environment is a usage error', async () => {
      const out = await refused({}, { service: 'accounts', environment: 'nope', tag: '1.6.0' }, 64);
      assert.match(out.message, /unknown environment "nope"; environments: dev, stag, prod/);
    });

    it('the tag that already runs: verified and recorded as already running, nothing pushed, no sync wait', async () => {
      world();
      const before = w.git.remote.length;
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.5.0' });
      assert.equal(out.kind, 'deployed', out.message);
      assert.equal(out.commit, undefined);
      // only the record reached origin
      assert.equal(w.git.remote.length, before + 1);
      assert.deepEqual(w.git.remote[w.git.remote.length - 1].paths, [out.record!.path]);
      assert.ok(!out.steps.some((r) => r.step === 'sync' || r.step === 'push'));
      assert.deepEqual(out.steps.filter((r) => r.step === 'argo-now').map((r) => r.status), ['succeeded']);
      const rec = parseRecord(w.git.originText(out.record!.path)!, out.record!.path);
      assert.equal(rec.alreadyRunning, true);
      assert.equal(rec.status, 'succeeded');
      assert.equal(rec.runId, out.runId);
    });

    it('a concurrent deployment holds the lock: says who and since when', async () => {
      world();
      const file = await lockFile(w.root, 'stag', 'accounts');
      const held = await acquireLock(file, { actor: 'carol', startedAt: '2026-11-21T14:59:00Z', tag: '1.6.0' });
      assert.ok(held.ok);
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.equal(out.kind, 'refused');
      assert.match(failed(out).lock, /carol \(pid \d+ on .*\) has been deploying since 2026-11-21T14:59:00Z \(tag 1\.6\.0\)\. Wait for it to finish/);
      await held.release();
    });

    it('a stale lock (process gone) is taken over', async () => {
      world();
      const file = await lockFile(w.root, 'stag', 'accounts');
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, JSON.stringify({ pid: 2 ** 22 + 12345, host: require('node:os').hostname(), actor: 'dave', startedAt: '2026-11-20T00:00:00Z' }));
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.equal(out.kind, 'deployed', out.message);
      assert.match(out.checks.find((c) => c.name === 'lock')!.detail!, /took over a stale lock of dave/);
      await assert.rejects(fs.access(file));
    });

    it("an uncommitted change to the values file is left out, named, and left as it is: origin's file is deployed", async () => {
      world();
      await fs.appendFile(path.join(w.root, w.valuesRel('stag')), '# local edit\n');
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.equal(out.kind, 'deployed', out.message);
      const wt = out.checks.find((c) => c.name === 'working-tree')!;
      assert.equal(wt.status, 'warning');
      assert.deepEqual(wt.checkout, { dirty: true, localAhead: 0, policyIgnored: false });
      assert.ok(!w.git.originText(w.valuesRel('stag'))!.includes('# local edit'));
      assert.match(w.git.originText(w.valuesRel('stag'))!, /tag: "1\.6\.0"/);
      // the user's edit is still there, and the checkout was not moved over it
      assert.ok(w.read(w.valuesRel('stag')).endsWith('# local edit\n'));
    });

    it('an earlier tag seen in the upstream values file history passes the upstream check', async () => {
      world({ images: { 'accounts:1.4.5': {}, 'accounts:1.4.0': {}, 'accounts:1.5.0': {} }, records: [] });
      w.git.historyCommit(w.valuesRel('dev'), w.read(w.valuesRel('dev')).replace('1.6.0', '1.4.5'));
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.4.5' });
      assert.equal(out.kind, 'deployed', out.message);
      assert.match(out.checks.find((c) => c.name === 'previous-environment')!.detail!, /dev ran 1\.4\.5 \(commit [0-9a-f]{7}/);
    });
  });

  describe('dry run / plan', () => {
    it('returns the one-line diff, the commit message and the checks, and changes nothing', async () => {
      world();
      const before = w.read(w.valuesRel('prod'));
      const { plan, outcome } = await planDeployment({ service: 'accounts', environment: 'prod', reason: 'CHG-9' }, depsOf(w));
      assert.equal(outcome.kind, 'dry-run');
      assert.equal(outcome.exitCode, 0);
      assert.ok(plan?.wouldProceed);
      assert.equal(plan!.diff, `--- a/helm/environments/prod-env/image-tags.yaml\n+++ b/helm/environments/prod-env/image-tags.yaml\n@@ -4 +4 @@\n-    tag: "1.4.0"  # set by the pipeline\n+    tag: "1.5.0"  # set by the pipeline\n`);
      assert.match(plan!.commitMessage, /^Deploy accounts to prod: 1\.4\.0 → 1\.5\.0\n\nCHG-9\n\nService: accounts\n/);
      assert.equal(w.read(w.valuesRel('prod')), before);
      assert.equal(w.git.local.length, 1);
      assert.deepEqual(w.argo.calls, []);
      assert.deepEqual(w.recordFiles('prod'), []);
      await assert.rejects(fs.access(await lockFile(w.root, 'prod', 'accounts')));
    });

    it('a dry run that would be refused exits 2 with the failing checks', async () => {
      world({ now: WEDNESDAY_10_ET });
      const out = await deploy({ service: 'accounts', environment: 'prod', reason: 'x', dryRun: true });
      assert.equal(out.kind, 'dry-run');
      assert.equal(out.exitCode, 2);
      assert.equal(out.plan?.wouldProceed, false);
      assert.ok(failed(out).window);
    });
  });

  describe('verification failure and rollback', () => {
    // pattern: the one-line cause in the outcome; evidence: the summary of what the failed check gathered (its own field).
    for (const [name, behaviour, pattern, evidence] of [
      ['health DOWN', { health: 'DOWN' }, /health: \/actuator\/health answered DOWN \(HTTP 503\); DOWN: db/, /^HTTP 503, status DOWN, DOWN: db; body \{"status":"DOWN"\}/],
      ['crash loop', { crashLoop: true }, /CrashLoopBackOff \(4 restarts\)/, /log of accounts-1\.6\.0-0 \(previous\): "Exception in thread "main" java\.lang\.IllegalStateException: boom"/],
      ['error rate', { errorRate: 0.2 }, /HTTP 5xx ratio 20\.00% is over the threshold 1\.00%/, /^query .* = 20\.00% \(0\.2\), threshold 1\.00% \(0\.01\)/],
      ['sync failure', { syncFail: true }, /Argo CD sync of [0-9a-f]{7} Failed: admission webhook denied/, /^Argo CD accounts-stag: .*operation Failed: "admission webhook denied/],
    ] as const) {
      it(`${name}: rolls back, verifies the rollback, records and notifies (exit 3)`, async () => {
        world({ behaviour: { '1.6.0': behaviour } });
        const before = w.read(w.valuesRel('stag'));
        const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0', reason: 'try' });
        assert.equal(out.kind, 'rolled-back', out.message);
        assert.equal(out.exitCode, 3);
        assert.match(out.message, pattern);
        assert.equal(w.read(w.valuesRel('stag')), before);
        assert.equal(w.git.originText(w.valuesRel('stag')), before);
        const rb = w.git.remote.find((c) => c.message.startsWith('Rollback'))!;
        assert.equal(rb.message.split('\n')[0], 'Rollback accounts in stag: 1.6.0 → 1.5.0');
        assert.match(rb.message, /\n\nAutomatic rollback: (sync|rollout|verify) failed: /);
        assert.match(rb.message, /\nPrevious-Tag: 1\.6\.0\nTag: 1\.5\.0\n/);
        assert.ok(w.argo.calls.includes(`sync accounts-stag ${rb.sha.slice(0, 7)}`));
        const { rec, text } = record('stag');
        assert.equal(rec.status, 'rolled-back');
        assert.equal(rec.rollbackCommit, rb.sha);
        assert.ok(rec.checks.some((c) => c.status === 'failed'));
        assert.ok(rec.checks.some((c) => c.name === 'rollback-health' && c.status === 'passed'));
        assert.deepEqual(rec.checks.at(-1), { name: 'rollback', status: 'passed', detail: `1.5.0 restored (commit ${rb.sha.slice(0, 7)}) and verified` });
        const failedCheck = rec.checks.find((c) => c.status === 'failed')!;
        assert.ok(failedCheck.evidence?.some((e) => evidence.test(e.summary)), `the record's front matter keeps the evidence summaries: ${JSON.stringify(failedCheck.evidence)}`);
        assert.doesNotMatch(failedCheck.detail!, /Evidence:/, 'the detail is only the detail');
        assert.equal(rec.failedStep, out.steps.find((st) => st.status === 'failed')?.step, 'the record names the failed step');
        assert.doesNotMatch(out.message, /Evidence:/, 'the outcome keeps a one-line cause');
        assert.match(text, /## What happened/);
        assert.match(text, new RegExp(`\\n## Evidence\\n\\n### ${failedCheck.name}: `));
        assert.deepEqual(w.notifier.events.map((e) => e.kind), ['rolled-back']);
        assert.ok(w.events.some((e) => e.type === 'notification' && e.kind === 'rolled-back'));
      });
    }

    it('sync timeout (short configured timeout) rolls back', async () => {
      world({ behaviour: { '1.6.0': { syncHang: true } }, config: 'verification:\n  syncTimeoutSeconds: 0.05\n' });
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.equal(out.kind, 'rolled-back', out.message);
      assert.equal(out.failedStep, 'sync');
      assert.equal(out.cause?.code, 'timeout');
      assert.equal(out.checks.find((c) => c.name === 'sync')?.status, 'failed');
    });

    it('a failed rollback needs a human: loud, with the manual fix (exit 4)', async () => {
      world({ behaviour: { '1.6.0': { health: 'DOWN' } } });
      // the deploy push succeeds, the rollback push is refused by the server
      const origPush = w.git.pushCommit.bind(w.git);
      let n = 0;
      w.git.pushCommit = async (sha: string) => (++n === 2 ? { ok: false, rejected: 'other', message: 'permission denied' } : origPush(sha));
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.equal(out.kind, 'failed-needs-human', out.message);
      assert.equal(out.exitCode, 4);
      assert.match(out.manualFix!, /^ROLLBACK FAILED — a human is needed\./);
      assert.match(out.manualFix!, /set accounts back to 1\.5\.0 in helm\/environments\/stag-env\/image-tags\.yaml/);
      assert.match(out.manualFix!, /git push origin HEAD:main/);
      assert.deepEqual(w.notifier.events.map((e) => e.kind), ['rollback-failed']);
      // the working tree is left as origin has it: the failed deploy's tag, no unpushed rollback commit
      assert.match(w.read(w.valuesRel('stag')), /tag: "1\.6\.0"/);
    });
  });

  describe('push race', () => {
    it('origin moved on another service between the build and the push: built again on the new head, pushed', async () => {
      world();
      const text = w.git.originText(w.valuesRel('stag'))!;
      w.git.beforePush = () => w.git.remoteCommit(w.valuesRel('stag'), text.replace('tag: "2.1.0"', 'tag: "2.2.0"'));
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.equal(out.kind, 'deployed', out.message);
      const origin = w.git.originText(w.valuesRel('stag'))!;
      assert.match(origin, /accounts:\n {2}image:\n {4}tag: "1\.6\.0"/);
      assert.match(origin, /cards:\n {2}image:\n {4}tag: "2\.2\.0"/);
      assert.equal(w.git.calls.filter((c) => c.startsWith('commitOnto helm/')).length, 2);
      assert.ok(!w.git.calls.includes('rebase'));
    });

    it('origin changed the same service between the build and the push: refused, nothing reached origin, the checkout untouched', async () => {
      world();
      const before = w.read(w.valuesRel('stag'));
      w.git.beforePush = () => w.git.remoteCommit(w.valuesRel('stag'), before.replace('tag: "1.5.0"', 'tag: "1.5.1"'));
      const out = await deploy({ service: 'accounts', environment: 'stag', tag: '1.6.0' });
      assert.equal(out.kind, 'refused', out.message);
      assert.equal(out.exitCode, 2);
      assert.equal(out.failedStep, 'push');
      assert.equal(out.cause?.code, 'conflict');
      assert.ok(!w.git.remote.some((c) => c.message.startsWith('Deploy')));
      // the checkout never got a commit of this run; it was only brought up to origin (the other change, the record)
      assert.ok(!w.git.local.some((c) => c.message.startsWith('Deploy')));
      assert.equal(w.read(w.valuesRel('stag')), w.git.originText(w.valuesRel('stag')));
      assert.equal(w.read(w.valuesRel('stag')), before.replace('tag: "1.5.0"', 'tag: "1.5.1"'));
    });
  });

  describe('manual rollback', () => {
    it('defaults to the last succeeded record before the current tag, records status rollback', async () => {
      world({ prod: { accounts: '1.5.0', cards: '2.0.0' }, records: [
        { env: 'prod', service: 'accounts', tag: '1.4.0', status: 'succeeded', startedAt: '2026-11-10T10:00:00Z' },
        { env: 'prod', service: 'accounts', tag: '1.5.0', status: 'succeeded', startedAt: '2026-11-12T10:00:00Z' },
      ], images: { 'accounts:1.4.0': {}, 'accounts:1.5.0': {} } });
      const out = await runRollback({ service: 'accounts', environment: 'prod', reason: 'INC-7 latency' }, depsOf(w));
      assert.equal(out.kind, 'deployed', out.message);
      assert.equal(out.tag, '1.4.0');
      assert.match(w.git.originText(w.valuesRel('prod'))!, /tag: "1\.4\.0"/);
      const files = w.recordFiles('prod').filter((f) => !f.startsWith('202611'.concat('10')) && !f.startsWith('20261112'));
      const rec = parseRecord(w.read(`docs/deployments/prod/${files[0]}`), files[0]);
      assert.equal(rec.status, 'rollback');
      assert.equal(rec.reason, 'INC-7 latency');
      assert.match(out.checks.find((c) => c.name === 'previous-environment')!.detail!, /1\.4\.0 was deployed to prod before/);
    });

    it('refuses a tag that never ran in the environment, and needs a reason', async () => {
      world({ images: { 'accounts:1.3.0': {} } });
      const out = await runRollback({ service: 'accounts', environment: 'prod', to: '1.3.0' }, depsOf(w));
      assert.equal(out.kind, 'refused');
      assert.match(failed(out)['previous-environment'], /accounts 1\.3\.0 was never deployed to prod/);
      assert.match(failed(out).reason, /a rollback needs a reason/);
    });
  });

  describe('interruption', () => {
    it('Ctrl-C during the sync wait stops, leaves a record and prints the rollback command', async () => {
      world({ behaviour: { '1.6.0': { syncHang: true } } });
      const ac = new AbortController();
      const p = runDeployment({ service: 'accounts', environment: 'stag', tag: '1.6.0' }, depsOf(w), {
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'step-started' && e.step === 'sync') queueMicrotask(() => ac.abort(new Error('interrupted (Ctrl-C)')));
        },
      });
      const out = await p;
      assert.equal(out.kind, 'failed-needs-human', out.message);
      assert.equal(out.failedStep, 'sync');
      assert.equal(out.commit, w.git.remote.find((c) => c.message.startsWith('Deploy accounts'))!.sha);
      assert.equal(out.rollbackCommand, 'gitops-deploy rollback accounts --env stag --to 1.5.0 --reason "undo interrupted deployment of 1.6.0"');
      assert.equal(record('stag').rec.status, 'failed');
      assert.ok(!w.git.remote.some((c) => c.message.startsWith('Rollback')));
    });
  });
});

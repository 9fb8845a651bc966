// One describe per pre-deployment check file; each asserts the verdict's fields, not its wording.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { finishBy } from '../../../src/pipeline/checks/finishBy';
import { imageExists } from '../../../src/pipeline/checks/imageExists';
import { lock } from '../../../src/pipeline/checks/lock';
import { previousEnvironment } from '../../../src/pipeline/checks/previousEnvironment';
import { reason } from '../../../src/pipeline/checks/reason';
import { CHECKS } from '../../../src/pipeline/checks/registry';
import { signature } from '../../../src/pipeline/checks/signature';
import { window } from '../../../src/pipeline/checks/window';
import { workingTree } from '../../../src/pipeline/checks/workingTree';
import { PortError } from '../../../src/pipeline/model/cause';
import { sha256, WEDNESDAY_10_ET, SATURDAY, type World } from '../pipelineFakes';
import { resolved, runBefore } from './harness';

const worlds: World[] = [];
async function setup(...a: Parameters<typeof resolved>) {
  const r = await resolved(...a);
  worlds.push(r.w);
  return r;
}
afterEach(() => worlds.splice(0).forEach((w) => w.cleanup()));

describe('checks registry', () => {
  it('lists every check once, each name written once, in phase order', () => {
    const names = CHECKS.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
    const phases = CHECKS.map((c) => c.phase);
    assert.deepEqual(phases, [...phases].sort((a, b) => ['before', 'rollout', 'after'].indexOf(a) - ['before', 'rollout', 'after'].indexOf(b)));
    assert.deepEqual(names, ['image-exists', 'signature', 'previous-environment', 'window', 'finish-by', 'reason', 'working-tree', 'journal', 'lock', 'rollout', 'pods', 'restarts', 'running-digest', 'health', 'smoke', 'error-rate', 'resources']);
  });
});

describe('check image-exists', () => {
  it('passes with the digest and push time learned', async () => {
    const { w, s } = await setup();
    const v = await runBefore(imageExists, w, s);
    assert.equal(v?.status, 'passed');
    assert.deepEqual(v?.learned, { digest: sha256('accounts:1.6.0'), imagePushedAt: '2026-11-19T22:00:00Z' });
  });
  it('fails for a missing tag, learning nothing', async () => {
    const { w, s } = await setup({}, { tag: '9.9.9' });
    const v = await runBefore(imageExists, w, s);
    assert.equal(v?.status, 'failed');
    assert.equal(v?.learned, undefined);
  });
  it('a registry that refuses the credentials: failed, with the typed fault', async () => {
    const { w, s } = await setup();
    w.registry.describeImage = async () => {
      throw new PortError('registry', 'auth', 'ExpiredTokenException');
    };
    const v = await runBefore(imageExists, w, s);
    assert.equal(v?.status, 'failed');
    assert.deepEqual(v?.fault, { system: 'registry', kind: 'auth' });
  });
});

describe('check signature', () => {
  it('verified with the trusted key: passed, the evidence learned', async () => {
    const { w, s } = await setup();
    const v = await runBefore(signature, w, s);
    assert.equal(v?.status, 'passed');
    assert.ok(v?.signature && v.learned?.signature === v.signature);
  });
  it('signed by an untrusted key: failed with the refusal reason', async () => {
    const { w, s } = await setup({ images: { 'accounts:1.6.0': { signedBy: 'untrusted' }, 'accounts:1.5.0': {} } });
    const v = await runBefore(signature, w, s);
    assert.equal(v?.status, 'failed');
    assert.equal(v?.signatureRefusal?.reason, 'untrusted-key');
  });
  it('unsigned: failed, reason unsigned; a missing image: skipped (nothing to verify)', async () => {
    const { w, s } = await setup({ images: { 'accounts:1.6.0': { signedBy: 'none' }, 'accounts:1.5.0': {} } });
    assert.equal((await runBefore(signature, w, s))?.signatureRefusal?.reason, 'unsigned');
    const other = await setup({}, { tag: '9.9.9' });
    assert.equal((await runBefore(signature, other.w, other.s))?.status, 'skipped');
  });
});

describe('check previous-environment', () => {
  it('the tag runs upstream now: passed; never there: failed with the deploy-upstream-first fix', async () => {
    const { w, s } = await setup();
    assert.equal((await runBefore(previousEnvironment, w, s))?.status, 'passed');
    const other = await setup({ images: { 'accounts:1.7.0': {}, 'accounts:1.5.0': {} } }, { tag: '1.7.0' });
    const v = await runBefore(previousEnvironment, other.w, other.s);
    assert.equal(v?.status, 'failed');
    assert.deepEqual(v?.fix, { kind: 'deploy-upstream-first', service: 'accounts', upstream: 'dev', tag: '1.7.0' });
  });
  it('the first environment has no upstream: skipped', async () => {
    const { w, s } = await setup({}, { environment: 'dev', tag: '1.7.0' });
    assert.equal((await runBefore(previousEnvironment, w, s))?.status, 'skipped');
  });
});

describe('check window', () => {
  it('open on a Saturday: passed, with the window as data', async () => {
    const { w, s } = await setup({ now: SATURDAY }, { environment: 'prod', tag: '1.5.0', reason: 'CHG-1' });
    const v = await runBefore(window, w, s);
    assert.equal(v?.status, 'passed');
    assert.equal(v?.window?.open, true);
  });
  it('closed on a weekday at 10:00 ET: failed, opensAt 17:00 ET as a field, and the wait-for-window fix', async () => {
    const { w, s } = await setup({ now: WEDNESDAY_10_ET }, { environment: 'prod', tag: '1.5.0', reason: 'CHG-1' });
    const v = await runBefore(window, w, s);
    assert.equal(v?.status, 'failed');
    assert.deepEqual(v?.window, { open: false, opensAt: '2026-11-18T22:00:00.000Z' });
    assert.equal(v?.fix?.kind, 'wait-for-window');
  });
  it('closed, with an accepted override: a warning, and the override learned', async () => {
    const { w, s } = await setup({ now: WEDNESDAY_10_ET }, { environment: 'prod', tag: '1.5.0', reason: 'CHG-1', overrideWindow: true, overrideReason: 'payments are failing for every customer right now' });
    const v = await runBefore(window, w, s);
    assert.equal(v?.status, 'warning');
    assert.deepEqual(v?.learned?.windowOverride, { reason: 'payments are failing for every customer right now', by: 'alice' });
  });
});

describe('check finish-by', () => {
  it('no window in stag: does not apply (no row)', async () => {
    const { w, s } = await setup();
    assert.equal(await runBefore(finishBy, w, s), undefined);
  });
  it('prod: an estimate is learned', async () => {
    const { w, s } = await setup({ now: SATURDAY }, { environment: 'prod', tag: '1.5.0', reason: 'CHG-1' });
    const v = await runBefore(finishBy, w, s);
    assert.ok(v, 'applies where there is a window');
    assert.equal(typeof v.learned?.estimate?.seconds, 'number');
  });
});

describe('check reason', () => {
  it('prod without a reason: failed with the give-reason fix; with one: passed; stag: skipped', async () => {
    const prod = await setup({ now: SATURDAY }, { environment: 'prod', tag: '1.5.0' });
    assert.deepEqual((await runBefore(reason, prod.w, prod.s))?.fix, { kind: 'give-reason', environment: 'prod', mode: 'deploy' });
    const given = await setup({ now: SATURDAY }, { environment: 'prod', tag: '1.5.0', reason: 'CHG-1' });
    assert.equal((await runBefore(reason, given.w, given.s))?.status, 'passed');
    const stag = await setup();
    assert.equal((await runBefore(reason, stag.w, stag.s))?.status, 'skipped');
  });
});

describe('check working-tree', () => {
  it('clean: passed; a modified values file, local commits, an ignored policy edit: a warning naming each, as fields', async () => {
    const { w, s } = await setup();
    const clean = await runBefore(workingTree, w, s);
    assert.equal(clean?.status, 'passed');
    assert.deepEqual(clean?.checkout, { dirty: false, localAhead: 0, policyIgnored: false });
    w.git.dirtyFiles = async () => [w.valuesRel('stag')];
    w.git.localAhead = async () => 2;
    s.policyIgnored = 'your .gitops-deploy.yaml differs from origin';
    const v = await runBefore(workingTree, w, s);
    assert.equal(v?.status, 'warning');
    assert.deepEqual(v?.checkout, { dirty: true, localAhead: 2, policyIgnored: true });
  });
});

describe('check lock', () => {
  it('acquires (learning the release) and a second run is refused; a dry run only looks', async () => {
    const { w, s } = await setup();
    const first = await runBefore(lock, w, s);
    assert.equal(first?.status, 'passed');
    assert.equal(typeof first?.learned?.releaseLock, 'function');
    assert.equal((await runBefore(lock, w, s))?.status, 'failed');
    await first!.learned!.releaseLock!();
    const dry = await setup({}, { dryRun: true });
    assert.equal((await runBefore(lock, dry.w, dry.s))?.status, 'passed');
    assert.equal(existsSync(path.join(dry.w.root, '.git', 'gitops-deploy')), false, 'a dry run takes no lock');
  });
});

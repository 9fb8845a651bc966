// pinDigest in the sandbox: a values file naming `digest:` beside the tag (written by
// editValuesText) is deployed as repo:tag@digest, so a tag pushed again after the commit does not
// change what runs — the pods' imageID is the pinned digest. Without the pin they pull the new one.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SANDBOX_GIT_IDENTITY, type Sandbox, type Scenario } from '../../sandbox/index';
import { T } from '../../sandbox/kube/types';
import { editValuesText } from '../../src/pipeline/model/imageTags';
import { cli, git, sandboxPerTest } from './helpers/cli';

const VALUES = (env: string) => `helm/environments/${env}-env/image-tags.yaml`;
const SCENARIO: Scenario = {
  services: { accounts: { images: { '1.4.0': {}, '1.5.0': { repushedBeforeRollout: true } } } },
  environments: { dev: { accounts: '1.4.0' }, stag: { accounts: '1.4.0' }, prod: { accounts: '1.4.0' } },
};

/** Commit the values edit to origin and wait for the rollout of accounts in stag to finish. */
async function deployByHand(s: Sandbox, digest: string | undefined): Promise<string[]> {
  const file = path.join(s.repoDir, VALUES('stag'));
  fs.writeFileSync(file, editValuesText(fs.readFileSync(file, 'utf8'), 'accounts', '1.5.0', digest).text);
  const finished = s.waitFor<{ env: string; service: string; tag: string; ok: boolean }>('rollout-finished', (e) => e.env === 'stag' && e.service === 'accounts' && e.tag === '1.5.0', 60_000);
  await git([...SANDBOX_GIT_IDENTITY, 'commit', '-qam', 'Deploy accounts to stag: 1.4.0 → 1.5.0'], s.repoDir);
  await git(['push', '-q', 'origin', 'HEAD:main'], s.repoDir);
  assert.equal((await finished).ok, true);
  return s.world.store
    .list(T.pods, s.scenario.namespaces.stag)
    .filter((p) => p.metadata.labels?.app === 'accounts')
    .map((p) => String((p.status as { containerStatuses: { imageID: string }[] }).containerStatuses[0].imageID));
}

describe('sandbox: a digest pinned in the values file is what runs', function () {
  this.timeout(120_000);
  const box = sandboxPerTest('pinned-digest-');

  it('pinned: the tag is pushed again at rollout, the pods still run the pinned digest', async () => {
    const s = await box.start(SCENARIO);
    const verified = s.registry.find('accounts', { imageTag: '1.5.0' })!.digest;
    const ids = await deployByHand(s, verified);
    assert.notEqual(s.registry.find('accounts', { imageTag: '1.5.0' })!.digest, verified, 'the tag now points to a rebuilt image');
    assert.ok(ids.length > 0);
    assert.deepEqual([...new Set(ids.map((id) => id.split('@')[1]))], [verified]);
  });

  it('not pinned: the same re-push reaches the pods (the digest they run is not the one checked)', async () => {
    const s = await box.start(SCENARIO);
    const verified = s.registry.find('accounts', { imageTag: '1.5.0' })!.digest;
    const ids = await deployByHand(s, undefined);
    const repushed = s.registry.find('accounts', { imageTag: '1.5.0' })!.digest;
    assert.notEqual(repushed, verified);
    assert.deepEqual([...new Set(ids.map((id) => id.split('@')[1]))], [repushed]);
  });
});

describe('pinDigest through the CLI: the verified digest is written beside the tag and is what runs', function () {
  this.timeout(180_000);
  const box = sandboxPerTest('pinned-digest-cli-');

  it('a pinned environment: the commit sets tag and digest; the tag pushed again at rollout does not reach the pods (exit 0); the rollback keeps the pin of the tag before', async () => {
    const s = await box.start({
      ...SCENARIO,
      services: { accounts: { images: { '1.4.0': {}, '1.5.0': { repushedBeforeRollout: true }, '1.6.0': { health: 'DOWN' } } } },
      config: { environments: [{ name: 'dev', namespace: 'dev', pinDigest: true }, { name: 'stag', namespace: 'stag' }, { name: 'prod', namespace: 'prod' }] },
    } as Scenario);
    const verified = s.registry.find('accounts', { imageTag: '1.5.0' })!.digest;
    const r = await cli(s, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.5.0', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const values = await git(['show', `main:${VALUES('dev')}`], s.originDir);
    assert.match(values, new RegExp(`\\n {4}tag: "1\\.5\\.0"\\n {4}digest: "${verified}"\\n`));
    const o = JSON.parse(r.stdout);
    assert.equal(o.digest, verified);
    assert.equal(o.checks.find((c: { name: string }) => c.name === 'running-digest').status, 'passed');
    // a bad tag next: rolled back to 1.5.0 with 1.5.0's digest pinned again
    const bad = await cli(s, ['deploy', 'accounts', '--env', 'dev', '--tag', '1.6.0']);
    assert.equal(bad.code, 3, bad.stdout + bad.stderr);
    assert.equal(await git(['show', `main:${VALUES('dev')}`], s.originDir), values);
  });
});

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { NO_REPO_MESSAGE } from '../../src/providers/noRepoText';
import { createFakeVscode, fakeExtensionContext, installFakeVscode } from '../support/fakeVscode';

const root = path.resolve(__dirname, '../..');
const bundle = path.join(root, 'dist/extension.js');

describe('activation (bundle, outside the editor)', () => {
  const fake = createFakeVscode([path.join(root, 'test/e2e/fixtures/gitops-repo')]);
  let api: any;
  const context = fakeExtensionContext();

  before(function () {
    this.timeout(60_000);
    if (!existsSync(bundle)) execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
    installFakeVscode(fake.api);
    delete (globalThis as any).__gitopsDeploySdks;
    const ext = require(bundle);
    api = ext.activate(context);
  });

  after(() => {
    for (const d of context.subscriptions) d.dispose();
  });

  it('registers every command the manifest contributes', () => {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const ids: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
    for (const id of ['gitopsDeploy.deploy', 'gitopsDeploy.promoteToProduction', 'gitopsDeploy.rollback', 'gitopsDeploy.showRecords', 'gitopsDeploy.refresh']) {
      assert.ok(ids.includes(id), `${id} contributed`);
    }
    for (const id of ids) assert.ok(fake.state.commands.has(id), `${id} registered`);
  });

  it('loads none of the AWS, Kubernetes or GitHub SDKs, even after the tree is produced', async () => {
    const roots = await api.tree.getChildren();
    for (const r of roots) await api.tree.getChildren(r);
    assert.deepEqual((globalThis as any).__gitopsDeploySdks ?? [], []);
  });
});

describe('the manifest: commands findable before the view is opened', () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

  it('activates in a workspace that holds a GitOps repository', () => {
    const events: string[] = manifest.activationEvents;
    assert.ok(events.includes('workspaceContains:helm/environments/*-env/image-tags.yaml'), JSON.stringify(events));
    assert.ok(events.includes('workspaceContains:.gitops-deploy.yaml'), JSON.stringify(events));
  });

  it('hides no palette command behind a context key that only activation sets', () => {
    const gated = (manifest.contributes.menus.commandPalette as { command: string; when?: string }[]).filter((m) => m.when !== undefined && m.when !== 'false');
    assert.deepEqual(gated, []);
    const hidden = manifest.contributes.menus.commandPalette.filter((m: { when?: string }) => m.when === 'false').map((m: { command: string }) => m.command).sort();
    // They need a tree node: a GitHub run, a scheduled promotion, a following service.
    assert.deepEqual(hidden, ['gitopsDeploy.cancelRun', 'gitopsDeploy.cancelScheduled', 'gitopsDeploy.openRun', 'gitopsDeploy.pauseFollowing', 'gitopsDeploy.resumeFollowing']);
  });
});

describe('activation in a workspace without a GitOps repository', () => {
  const fake = createFakeVscode([]);
  const context = fakeExtensionContext();

  before(function () {
    this.timeout(60_000);
    if (!existsSync(bundle)) execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
    installFakeVscode(fake.api);
    delete require.cache[require.resolve(bundle)];
    require(bundle).activate(context);
  });

  after(() => {
    for (const d of context.subscriptions) d.dispose();
  });

  for (const id of ['gitopsDeploy.deploy', 'gitopsDeploy.promoteToProduction', 'gitopsDeploy.rollback', 'gitopsDeploy.refresh', 'gitopsDeploy.createWorkflow']) {
    it(`${id} says what is missing and how to fix it`, async () => {
      fake.state.messages.length = 0;
      await fake.api.commands.executeCommand(id);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(fake.state.messages, [`GitOps Deploy: ${NO_REPO_MESSAGE}`]);
    });
  }
});

describe('the SDK load marker (positive control)', () => {
  it('records an SDK when, and only when, it is imported', async function () {
    this.timeout(60_000);
    const esbuild = await import('esbuild');
    const { sdkMarker } = await import(path.join(root, 'scripts/sdk-marker.mjs'));
    const out = path.join(root, 'out/test/sdk-marker-probe.js');
    await esbuild.build({
      stdin: { contents: "export const load = () => import('@octokit/rest');", resolveDir: root, loader: 'ts' },
      bundle: true, platform: 'node', format: 'cjs', outfile: out, plugins: [sdkMarker], logLevel: 'silent',
    });
    delete (globalThis as any).__gitopsDeploySdks;
    const probe = require(out);
    assert.deepEqual((globalThis as any).__gitopsDeploySdks ?? [], []);
    const m = await probe.load();
    assert.equal(typeof m.Octokit, 'function');
    assert.deepEqual((globalThis as any).__gitopsDeploySdks, ['@octokit/rest']);
  });
});

// One cold activation in this process: bundle load + activate(), with a stand-in `vscode` module.
import * as path from 'node:path';
import { createFakeVscode, fakeExtensionContext, installFakeVscode } from '../test/support/fakeVscode';

const root = process.env.GITOPS_DEPLOY_ROOT ?? path.resolve(__dirname, '..');
const folder = process.argv[2];
const fake = createFakeVscode(folder ? [folder] : []);
installFakeVscode(fake.api);
const t0 = performance.now();
const ext = require(/* webpackIgnore */ path.join(root, 'dist/extension.js'));
const t1 = performance.now();
const api = ext.activate(fakeExtensionContext());
const t2 = performance.now();
void (async () => {
  const envs = await api.tree.getChildren();
  for (const e of envs) await api.tree.getChildren(e);
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({ loadMs: t1 - t0, activateMs: t2 - t1, firstTreeMs: t3 - t2, sdks: (globalThis as any).__gitopsDeploySdks ?? [] }) + '\n');
  process.exit(0);
})();

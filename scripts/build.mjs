// One esbuild script for both bundles: the extension (vscode external) and the headless CLI.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { generate as generateValidator, OUT as VALIDATOR } from './gen-validator.mjs';
import { coreSplit, sdkBuilds, sdkMarker, sdkSplit } from './sdk-marker.mjs';

writeFileSync(VALIDATOR, generateValidator());

const watch = process.argv.includes('--watch');

const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // The SDKs are imported with dynamic import() in src/clients; esbuild keeps them in the bundle
  // but evaluates them only when a step asks for them.
  external: ['vscode'],
  metafile: true,
  plugins: [sdkMarker],
  define: { __GITOPS_DEPLOY_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
};

const builds = [
  // The extension requires each SDK from its own file, only when a step needs it. The CLI:
  // dist/cli.js answers --help and --version alone and loads dist/cli-main.js for a command,
  // which loads the SDKs from dist/sdk/ as the extension does (the deployment workflow ships
  // these files together as a local action).
  { ...common, plugins: [sdkSplit], entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  ...sdkBuilds(common),
  { ...common, plugins: [coreSplit], entryPoints: ['src/cliEntry.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, plugins: [sdkSplit], entryPoints: ['src/cli.ts'], outfile: 'dist/cli-main.js' },
  // The records webview's script (loaded from media/dist/ under its CSP nonce; its source is src/webview/).
  { bundle: true, platform: 'browser', format: 'iife', target: 'es2022', minify: production, logLevel: 'warning', entryPoints: ['src/webview/records.ts'], outfile: 'media/dist/records.js' },
];

if (watch) {
  for (const b of builds) {
    const ctx = await esbuild.context(b);
    await ctx.watch();
  }
  console.log('esbuild: watching');
} else {
  const started = Date.now();
  const results = await Promise.all(builds.map((b) => esbuild.build(b)));
  const fs = await import('node:fs');
  for (const [i, r] of results.entries()) {
    if (r.metafile) fs.writeFileSync(builds[i].outfile + '.meta.json', JSON.stringify(r.metafile));
  }
  console.log(`esbuild: built ${builds.length} bundles (${builds.map((b) => b.outfile).join(', ')}) in ${Date.now() - started} ms`);
}

// npm test — every check in order, stopping at the first failure:
//   typecheck, lint, build, unit (mocha), integration (mocha), e2e (real VS Code, scripts/e2e.mjs).
// A mocha step whose spec globs match no file is skipped (mocha itself fails on "no test files").
// Ends with a plain summary line, "N passed, M failed, K skipped", summed over the mocha suites.
// Tools that are not npm packages (code-server in .tools/, Debian's chromium) are installed by the
// e2e step when missing. Options: --from <step> (start there), --only <step>.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NPM, ROOT, runTee, seconds } from '../test/e2e/harness/tools.mjs';

/** @type {{ name: string, args: string[], mocharc?: string, e2e?: boolean, counts?: boolean }[]} */
const STEPS = [
  { name: 'typecheck', args: ['run', 'typecheck'] },
  { name: 'lint', args: ['run', 'lint'] },
  { name: 'build', args: ['run', 'build'] },
  // --exit: a test that leaves a handle open (server, timer) must not hang CI after the results.
  { name: 'unit', args: ['run', 'test:unit', '--', '--exit'], mocharc: '.mocharc.unit.json', counts: true },
  { name: 'integration', args: ['run', 'test:integration', '--', '--exit'], mocharc: '.mocharc.integration.json', counts: true },
  { name: 'e2e', args: ['run', 'test:e2e', '--', '--no-build'], e2e: true, counts: true },
];

/** No step may take longer (the e2e runner has its own 10-minute limit inside this one). */
const STEP_TIMEOUT_S = Number(process.env.TEST_STEP_TIMEOUT) || 20 * 60;

const argv = process.argv.slice(2);
const opt = (n) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const from = opt('--from');
const only = opt('--only');
let steps = STEPS;
if (from) steps = STEPS.slice(Math.max(0, STEPS.findIndex((s) => s.name === from)));
if (only) steps = STEPS.filter((s) => s.name === only);
if (only && only === 'e2e') steps = [{ ...steps[0], args: ['run', 'test:e2e'] }];

function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files a .mocharc's spec globs match (relative to the repo root). */
function specFiles(mocharc) {
  const { spec = [] } = JSON.parse(fs.readFileSync(path.join(ROOT, mocharc), 'utf8'));
  const out = [];
  for (const glob of [].concat(spec)) {
    const base = glob.split('/').filter((_, i, parts) => !parts.slice(0, i + 1).some((p) => /[*?[{]/.test(p))).join('/');
    const dir = path.join(ROOT, base);
    if (!fs.existsSync(dir)) continue;
    const re = globToRegExp(glob);
    const found = fs.statSync(dir).isFile() ? [''] : fs.readdirSync(dir, { recursive: true });
    for (const f of found) {
      const rel = path.posix.join(base, String(f).split(path.sep).join('/'));
      if (re.test(rel)) out.push(rel);
    }
  }
  return out;
}

/** Counts from mocha's spec reporter epilogue ("  12 passing (3s)", "  1 failing", "  2 pending"). */
function mochaCounts(output) {
  const n = (word) => {
    let sum = 0;
    let seen = false;
    for (const m of output.matchAll(new RegExp(`^\\s*(\\d+) ${word}\\b`, 'gm'))) {
      sum += Number(m[1]);
      seen = true;
    }
    return seen ? sum : undefined;
  };
  return { passed: n('passing'), failed: n('failing'), pending: n('pending') };
}

const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
const t0 = Date.now();
let failedStep;
for (const step of steps) {
  if (step.mocharc && specFiles(step.mocharc).length === 0) {
    lines.push(`  ${step.name.padEnd(12)} skipped (no test files)`);
    console.log(`\n=== ${step.name}: no test files match ${step.mocharc}, skipped`);
    continue;
  }
  console.log(`\n=== ${step.name}: npm ${step.args.join(' ')}`);
  const started = Date.now();
  const { code, output } = await runTee(NPM, step.args, { env: { ...process.env, FORCE_COLOR: '0' }, timeoutMs: STEP_TIMEOUT_S * 1000 });
  const took = seconds(Date.now() - started);
  let detail = '';
  if (step.counts) {
    const c = mochaCounts(output);
    const passed = c.passed ?? 0;
    // A mocha run that failed without a "failing" line (crash, timeout, no browser) counts as one failure.
    const failed = c.failed ?? (code !== 0 ? 1 : 0);
    total.passed += passed;
    total.failed += failed || (code !== 0 ? 1 : 0);
    total.skipped += c.pending ?? 0;
    detail = ` (${passed} passed, ${failed} failed${c.pending ? `, ${c.pending} pending` : ''})`;
  }
  lines.push(`  ${step.name.padEnd(12)} ${code === 0 ? 'ok' : `FAILED (exit ${code})`} in ${took}${detail}`);
  if (code !== 0) {
    failedStep = step.name;
    break;
  }
}

console.log(`\n=== summary (${seconds(Date.now() - t0)})`);
for (const l of lines) console.log(l);
if (failedStep) console.log(`npm test FAILED at step "${failedStep}"`);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failedStep ? 1 : 0);

// The generated workflow: valid YAML with the seed's inputs, choices from the repository, gated by
// the environment, and a script whose every input reaches a real flag of the CLI's parser (run
// with bash and a stand-in `node` that captures its argv), without any shell injection.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { parseArgs } from '../../src/cli';
import { loadRepoState } from '../../src/pipeline/model/repoState';
import { ACTION_PATH, CLI_BUNDLE_PATH, generateAction, generateWorkflow, WORKFLOW_INPUTS, WORKFLOW_PATH, workflowFiles, workflowOptionsFromState } from '../../src/pipeline/github/workflow';

const FIXTURE = path.join(__dirname, '..', 'e2e', 'fixtures', 'gitops-repo');

interface Step { name?: string; uses?: string; run?: string; env?: Record<string, string>; shell?: string }

/** Runs a step's script the way the runner does (bash, its env), with `node` replaced by a recorder; returns node's argv. */
function runStep(step: Step, values: Record<string, string>, extraEnv: Record<string, string> = {}): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-step-'));
  try {
    const out = path.join(dir, 'argv');
    fs.writeFileSync(path.join(dir, 'node'), `#!/bin/bash\nprintf '%s\\0' "$@" > "${out}"\n`, { mode: 0o755 });
    const env: Record<string, string> = { PATH: `${dir}:/usr/bin:/bin`, ...extraEnv };
    for (const [k, v] of Object.entries(step.env ?? {})) {
      // GitHub evaluates ${{ inputs.x }} into the variable's value; the script only sees the value.
      const m = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/.exec(v);
      env[k] = m ? (values[m[1]] ?? '') : v.includes('${{') ? 'evaluated-by-github' : v;
    }
    // As GitHub runs `shell: bash`: bash --noprofile --norc -eo pipefail.
    execFileSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    return fs.readFileSync(out, 'utf8').split('\0').slice(0, -1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('GitHub workflow generator', () => {
  const opts = { services: ['accounts', 'cards', 'gateway', 'loans'], environments: ['dev', 'stag', 'prod'] };
  const wf = YAML.parse(generateWorkflow(opts));
  const deployStep = (wf.jobs.deploy.steps as Step[]).find((s) => s.run?.includes('node "$CLI"'))!;

  it('is valid YAML with workflow_dispatch inputs, choices from the repo, environment gate, concurrency and permissions', async () => {
    const doc = YAML.parseDocument(generateWorkflow(opts));
    assert.deepEqual(doc.errors, []);
    assert.equal(wf.name, 'Deploy Service to Environment');
    const inputs = wf.on.workflow_dispatch.inputs;
    assert.deepEqual(Object.keys(inputs).sort(), Object.keys(WORKFLOW_INPUTS).sort());
    assert.equal(inputs.image_tag.required, false);
    assert.equal(inputs.reason.required, true);
    // The choice lists are the repository's services and environments.
    const state = await loadRepoState(FIXTURE, new Date());
    assert.equal(state.configProblem, undefined);
    const fromRepo = workflowOptionsFromState(state);
    const wf2 = YAML.parse(generateWorkflow(fromRepo));
    assert.deepEqual(wf2.on.workflow_dispatch.inputs.service.options, state.environments.flatMap((e) => e.services.map((s) => s.service)).filter((s, i, a) => a.indexOf(s) === i).sort());
    assert.deepEqual(wf2.on.workflow_dispatch.inputs.environment.options, ['dev', 'stag', 'prod']);
    assert.equal(wf.jobs.deploy.environment, '${{ inputs.environment }}');
    assert.deepEqual(wf.permissions, { contents: 'write', deployments: 'write' });
    assert.match(wf.concurrency.group, /inputs\.service.*inputs\.environment/);
    assert.equal(wf.concurrency['cancel-in-progress'], false);
    assert.equal(deployStep.env!.CLI, CLI_BUNDLE_PATH);
  });

  it('never interpolates an input into a script: inputs reach it only through env', () => {
    for (const text of [generateWorkflow(opts), generateAction()]) {
      const doc = YAML.parse(text);
      const steps: Step[] = doc.jobs ? Object.values(doc.jobs as Record<string, { steps: Step[] }>).flatMap((j) => j.steps) : doc.runs.steps;
      for (const s of steps) if (s.run) assert.ok(!s.run.includes('${{'), `expression in a script: ${s.run}`);
    }
  });

  it('maps every input to a flag the CLI parser accepts, for deploy and rollback, with and without a tag', () => {
    const cases: [Record<string, string>, { command: string; positional: string[]; flags: Record<string, string | true> }][] = [
      [{ operation: 'deploy', service: 'accounts', environment: 'prod', image_tag: '1.6.0', reason: 'CHG-1' }, { command: 'deploy', positional: ['accounts'], flags: { env: 'prod', reason: 'CHG-1', tag: '1.6.0' } }],
      [{ operation: 'deploy', service: 'cards', environment: 'stag', image_tag: '', reason: 'r' }, { command: 'deploy', positional: ['cards'], flags: { env: 'stag', reason: 'r' } }],
      [{ operation: 'rollback', service: 'loans', environment: 'dev', image_tag: '0.9.2', reason: 'bad' }, { command: 'rollback', positional: ['loans'], flags: { env: 'dev', reason: 'bad', to: '0.9.2' } }],
    ];
    const seen = new Set<string>();
    for (const [values, expected] of cases) {
      const argv = runStep(deployStep, values);
      assert.equal(argv[0], CLI_BUNDLE_PATH);
      const parsed = parseArgs(argv.slice(1));
      assert.deepEqual(parsed, expected);
      for (const [name, v] of Object.entries(values)) if (v && argv.includes(v)) seen.add(name);
    }
    assert.deepEqual([...seen].sort(), Object.keys(WORKFLOW_INPUTS).sort(), 'every input reaches the CLI');
  });

  it('passes hostile input through literally', () => {
    const marker = path.join(os.tmpdir(), `pwned-${process.pid}`);
    const reason = `x"; touch ${marker}; echo "$(touch ${marker}) \`touch ${marker}\` --json`;
    const argv = runStep(deployStep, { operation: 'deploy', service: 'accounts', environment: 'dev', image_tag: '', reason });
    assert.equal(parseArgs(argv.slice(1)).flags.reason, reason);
    assert.ok(!fs.existsSync(marker));
  });

  it('the composite action runs the same script on the bundle next to it', () => {
    const action = YAML.parse(generateAction());
    assert.equal(action.runs.using, 'composite');
    const step = action.runs.steps[0] as Step;
    assert.equal(step.shell, 'bash');
    assert.equal(step.env!.CLI, '${{ github.action_path }}/dist/cli.js');
    const argv = runStep({ ...step, env: { ...step.env, CLI: '/actions/gitops-deploy/dist/cli.js' } }, { operation: 'deploy', service: 'accounts', environment: 'stag', image_tag: '1.5.0', reason: 'r' });
    assert.deepEqual(argv, ['/actions/gitops-deploy/dist/cli.js', 'deploy', 'accounts', '--env', 'stag', '--reason', 'r', '--tag', '1.5.0']);
  });

  it('writes the workflow, the action and the CLI bundle; refuses names that cannot be choices', () => {
    assert.deepEqual(workflowFiles(opts, [{ name: 'sdk/x.js', content: '' }, { name: 'cli-main.js', content: '' }, { name: 'cli.js', content: '#!/usr/bin/env node\n' }]).map((f) => f.path), [WORKFLOW_PATH, ACTION_PATH, CLI_BUNDLE_PATH, '.github/actions/gitops-deploy/dist/sdk/x.js', '.github/actions/gitops-deploy/dist/cli-main.js']);
    assert.throws(() => generateWorkflow({ services: ['a: b'], environments: ['dev'] }), /cannot be offered/);
    assert.throws(() => generateWorkflow({ services: [], environments: ['dev'] }), /no services/);
  });
});

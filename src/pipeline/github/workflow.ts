// The GitHub Actions workflow that runs this project's CLI, generated from the repository's
// services and environments (pure: no I/O). It dispatches with the seed process's inputs,
// gates each run with `environment:` (GitHub Environments' required reviewers), serialises runs
// per service and environment, and runs the CLI bundle committed next to it as a local action.
//
// Design choice: the job runs `node .github/actions/gitops-deploy/dist/cli.js …` itself (one
// reviewable file). `.github/actions/gitops-deploy/action.yml` is a *composite* action with the
// same script, so other workflows can `uses: ./.github/actions/gitops-deploy`. A `node20`
// JavaScript action would hand its inputs to the CLI as INPUT_* variables, which the CLI does not
// read. Inputs reach the script only through `env:`; the script quotes every expansion, so no
// input is ever interpolated into shell code (GitHub's script-injection guidance).

import type { GitOpsConfig } from '../config/types';
import { followWorkflowPath, generateFollowWorkflow } from '../follow/workflow';

export const WORKFLOW_FILE = 'deploy-service.yml';
export const WORKFLOW_PATH = `.github/workflows/${WORKFLOW_FILE}`;
export const ACTION_DIR = '.github/actions/gitops-deploy';
export const ACTION_PATH = `${ACTION_DIR}/action.yml`;
export const CLI_BUNDLE_PATH = `${ACTION_DIR}/dist/cli.js`;
export const WORKFLOW_NAME = 'Deploy Service to Environment';

/** The workflow_dispatch inputs and the CLI argument each becomes (checked against the CLI's parser in tests). */
export const WORKFLOW_INPUTS = {
  operation: { env: 'OPERATION', cli: '<command>: deploy | rollback' },
  service: { env: 'SERVICE', cli: '<service> (positional)' },
  environment: { env: 'ENVIRONMENT', cli: '--env' },
  image_tag: { env: 'IMAGE_TAG', cli: '--tag (deploy) / --to (rollback)' },
  reason: { env: 'REASON', cli: '--reason' },
} as const;
export type WorkflowInputName = keyof typeof WORKFLOW_INPUTS;

export interface WorkflowInputs {
  operation: 'deploy' | 'rollback';
  service: string;
  environment: string;
  image_tag?: string;
  reason: string;
}

/** Inputs as the dispatch API takes them (strings; an empty tag means "the upstream's tag"). */
export function dispatchInputs(i: WorkflowInputs): Record<WorkflowInputName, string> {
  return { operation: i.operation, service: i.service, environment: i.environment, image_tag: i.image_tag ?? '', reason: i.reason };
}

export interface WorkflowOptions {
  services: string[];
  environments: string[];
  /** Runner label, default ubuntu-latest. */
  runsOn?: string;
  /** Minutes before GitHub stops the job (default 30). */
  timeoutMinutes?: number;
  /** Environments with follow subscriptions: each gets .github/workflows/follow-{env}.yml. */
  followEnvironments?: string[];
}

export interface GeneratedFile {
  path: string;
  content: string;
}

/** The choice lists from the repository: every service (config and values files) and the environments in promotion order. */
export function workflowOptionsFromState(state: { config?: Pick<GitOpsConfig, 'services' | 'environments'> & Partial<Pick<GitOpsConfig, 'follow'>>; environments: { config: { name: string }; services: { service: string }[] }[] }): WorkflowOptions {
  const services = new Set(Object.keys(state.config?.services ?? {}));
  for (const e of state.environments) for (const s of e.services) services.add(s.service);
  const followEnvironments = [...new Set((state.config?.follow ?? []).map((f) => f.environment))];
  return { services: [...services].sort(), environments: state.environments.map((e) => e.config.name), ...(followEnvironments.length ? { followEnvironments } : {}) };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A YAML double-quoted scalar (JSON strings are valid YAML). */
const q = (s: string): string => JSON.stringify(s);

/** The bash script both the workflow step and the composite action run. `$CLI` is the bundle's path. */
export const RUN_SCRIPT = [
  'set -euo pipefail',
  'args=("$OPERATION" "$SERVICE" --env "$ENVIRONMENT" --reason "$REASON")',
  'if [ -n "${IMAGE_TAG:-}" ]; then',
  '  if [ "$OPERATION" = "rollback" ]; then args+=(--to "$IMAGE_TAG"); else args+=(--tag "$IMAGE_TAG"); fi',
  'fi',
  'node "$CLI" "${args[@]}"',
];

function indent(lines: string[], n: number): string {
  const pad = ' '.repeat(n);
  return lines.map((l) => (l ? pad + l : l)).join('\n');
}

export function checkNames(kind: string, names: string[]): string[] {
  const list = [...new Set(names)];
  if (list.length === 0) throw new Error(`no ${kind} to offer in the workflow`);
  for (const n of list) if (!NAME.test(n)) throw new Error(`${kind.replace(/s$/, '')} name "${n}" cannot be offered as a workflow choice (letters, digits, . _ - only)`);
  return list;
}

/** `.github/workflows/deploy-service.yml`. */
export function generateWorkflow(o: WorkflowOptions): string {
  const services = checkNames('services', o.services);
  const envs = checkNames('environments', o.environments);
  const list = (xs: string[]) => xs.map((x) => `          - ${q(x)}`).join('\n');
  return `# Generated by GitOps Deploy ("Create Deployment Workflow"). Runs the same pipeline as the
# editor and the gitops-deploy CLI: pre-validation, commit, Argo CD sync, verification, record,
# automatic rollback. Production is gated by the GitHub Environment's required reviewers.
# The CLI bundle is committed under ${ACTION_DIR}/ (no unpublished package needed).
name: ${q(WORKFLOW_NAME)}
run-name: "\${{ inputs.operation }} \${{ inputs.service }} to \${{ inputs.environment }}"

on:
  workflow_dispatch:
    inputs:
      operation:
        description: "deploy, or roll back to an earlier tag"
        type: choice
        required: true
        default: "deploy"
        options:
          - "deploy"
          - "rollback"
      service:
        description: "Service"
        type: choice
        required: true
        options:
${list(services)}
      environment:
        description: "Environment"
        type: choice
        required: true
        options:
${list(envs)}
      image_tag:
        description: "Image tag (empty: the upstream environment's tag; for a rollback: the last good tag)"
        type: string
        required: false
        default: ""
      reason:
        description: "Reason (change ticket); required for production"
        type: string
        required: true

permissions:
  contents: write
  deployments: write

concurrency:
  group: "gitops-deploy-\${{ inputs.service }}-\${{ inputs.environment }}"
  cancel-in-progress: false

jobs:
  deploy:
    name: "\${{ inputs.operation }} \${{ inputs.service }} to \${{ inputs.environment }}"
    runs-on: ${q(o.runsOn ?? 'ubuntu-latest')}
    environment: \${{ inputs.environment }}
    timeout-minutes: ${o.timeoutMinutes ?? 30}
    steps:
      - name: Checkout
        uses: actions/checkout@v4
      - name: Git identity for the deployment commits
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
      # Credentials for ECR and the cluster go here (e.g. aws-actions/configure-aws-credentials
      # and a kubeconfig from a secret); the CLI reads the usual AWS_* and KUBECONFIG variables.
      - name: Run GitOps Deploy
        shell: bash
        env:
          OPERATION: \${{ inputs.operation }}
          SERVICE: \${{ inputs.service }}
          ENVIRONMENT: \${{ inputs.environment }}
          IMAGE_TAG: \${{ inputs.image_tag }}
          REASON: \${{ inputs.reason }}
          CLI: ${CLI_BUNDLE_PATH}
          GITHUB_TOKEN: \${{ github.token }}
        run: |
${indent(RUN_SCRIPT, 10)}
`;
}

/** `.github/actions/gitops-deploy/action.yml`: a composite action running the bundled CLI with the runner's Node. */
export function generateAction(): string {
  return `# Generated by GitOps Deploy. The gitops-deploy CLI (dist/cli.js with dist/cli-main.js and the
# SDKs it loads on demand from dist/sdk/; no dependencies to install) run with the runner's Node
# (20 or newer). Usage:
#   - uses: ./${ACTION_DIR}
#     with: { service: accounts, environment: stag, reason: CHG-1 }
name: "GitOps Deploy"
description: "Deploy or roll back a service through the GitOps repository (validate, commit, Argo CD sync, verify, record)"
inputs:
  operation:
    description: "deploy | rollback"
    required: false
    default: "deploy"
  service:
    description: "Service"
    required: true
  environment:
    description: "Environment"
    required: true
  image_tag:
    description: "Image tag (deploy) or the tag to go back to (rollback); empty: the default"
    required: false
    default: ""
  reason:
    description: "Reason"
    required: true
  github-token:
    description: "Token for GitHub Deployments"
    required: false
    default: \${{ github.token }}
runs:
  using: "composite"
  steps:
    - shell: bash
      env:
        OPERATION: \${{ inputs.operation }}
        SERVICE: \${{ inputs.service }}
        ENVIRONMENT: \${{ inputs.environment }}
        IMAGE_TAG: \${{ inputs.image_tag }}
        REASON: \${{ inputs.reason }}
        CLI: \${{ github.action_path }}/dist/cli.js
        GITHUB_TOKEN: \${{ inputs.github-token }}
      run: |
${indent(RUN_SCRIPT, 8)}
`;
}

/** One file of the built CLI, named relative to dist/ (cli.js, cli-main.js, sdk/….js). */
export interface CliFile {
  name: string;
  content: string;
}

/** Every file the "Create Deployment Workflow" command writes, the CLI's files included (cli.js first). */
export function workflowFiles(o: WorkflowOptions, cli: readonly CliFile[]): GeneratedFile[] {
  return [
    { path: WORKFLOW_PATH, content: generateWorkflow(o) },
    { path: ACTION_PATH, content: generateAction() },
    ...[...cli].sort((a, b) => Number(b.name === 'cli.js') - Number(a.name === 'cli.js')).map((f) => ({ path: `${ACTION_DIR}/dist/${f.name}`, content: f.content })),
    ...(o.followEnvironments ?? []).map((environment) => ({ path: followWorkflowPath(environment), content: generateFollowWorkflow({ environment, cliPath: CLI_BUNDLE_PATH, runsOn: o.runsOn, timeoutMinutes: o.timeoutMinutes }) })),
  ];
}

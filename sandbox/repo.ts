import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { GITHUB_ISSUER, RELEASE_SUBJECT_REGEXP } from './sigstore';
import { git, SANDBOX_GIT_IDENTITY } from './git';
import { REGISTRY_ID, REGION } from './registry';
import type { NormalizedScenario, SeedRecord } from './scenario';
import { valuesFile } from './world';

export interface RepoEndpoints { ecr: string; oci?: string; registryType?: 'ecr' | 'oci'; prometheus: string; github: string; kubeconfig: string; context: string; owner: string; repo: string }

function valuesText(s: NormalizedScenario, env: string): string {
  const lines = [
    `# Image tags deployed to the ${env} environment.`,
    '# Argo CD renders helm/charts/<service> with these values; change a tag through GitOps Deploy',
    '# so the change is verified, recorded and can be rolled back.',
  ];
  for (const [service, tag] of Object.entries(s.environments[env])) {
    const shape = s.services[service]?.valuesShape ?? 'image.tag';
    lines.push('');
    if (shape === 'plain') lines.push(`${service}: "${tag}"   # ${service} image tag`);
    else if (shape === 'tag') lines.push(`${service}:`, `  tag: "${tag}"`);
    else lines.push(`${service}:`, '  image:', `    repository: ${REGISTRY_ID}.dkr.ecr.${REGION}.amazonaws.com/${service}`, `    tag: "${tag}"`);
  }
  return lines.join('\n') + '\n';
}

function deepMerge(a: any, b: any): any {
  if (b === undefined) return a;
  if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = deepMerge(a[k], v);
  return out;
}

export function configText(s: NormalizedScenario, e: RepoEndpoints): string {
  // `config.argocd` (e.g. { url }) is a scenario shorthand: merged into every environment's argocd
  // settings, since the config file keeps them per environment.
  // `config.perEnvironment` ({prod: {git: {mode: pull-request}}}) is deep-merged into the named
  // environment's entry, where a `config.environments` list would replace the generated one whole.
  const { argocd, perEnvironment, ...rest } = s.config as { argocd?: Record<string, unknown>; perEnvironment?: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  for (const env of Object.keys(perEnvironment ?? {})) if (!s.envOrder.includes(env)) throw new Error(`scenario: config.perEnvironment.${env} is not an environment (${s.envOrder.join(', ')})`);
  const config = deepMerge({
    environments: s.envOrder.map((env) => deepMerge({
      name: env,
      namespace: s.namespaces[env],
      kubeContext: e.context,
      argocd: { namespace: 'argocd', application: '{service}-{env}', ...(argocd ?? {}) },
      ...(env === 'prod' ? { requireReason: true, window: { timeZone: 'America/New_York', blocked: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }] } } : {}),
    }, perEnvironment?.[env])),
    tagPath: 'auto',
    registry: e.registryType === 'oci' && e.oci ? { type: 'oci', url: e.oci } : { region: REGION, endpoint: e.ecr, registryId: REGISTRY_ID },
    // Keyless from the release workflow, like a real team; cosign.pub for key-signed images; the
    // local Fulcio/Rekor's trusted root.
    signing: { mode: 'verify', publicKeys: ['cosign.pub'], trustedRoot: 'sigstore/trusted_root.json', identities: [{ issuer: GITHUB_ISSUER, subjectRegExp: RELEASE_SUBJECT_REGEXP }] },
    verification: { prometheusUrl: e.prometheus, errorRateThreshold: 0.01, restartThreshold: 0, syncTimeoutSeconds: 120, rolloutTimeoutSeconds: 120 },
    git: { remote: 'origin', branch: 'main' },
    github: { apiUrl: e.github, owner: e.owner, repo: e.repo },
    // No kubeconfig here: the repository never says where credentials come from (KUBECONFIG does).
    kubernetes: { context: e.context },
    // The demo's dev follows the builds of main (gitops-deploy follow).
    ...(s.envOrder.includes('dev') ? { follow: [{ environment: 'dev', tags: '^main-[0-9a-f]{7,40}$' }] } : {}),
  }, rest);
  return '# GitOps Deploy configuration for the sandbox world (see docs/config-format.md).\n# Endpoints point at the local sandbox; ports change on every start.\n' + YAML.stringify(config);
}

const stamp = (iso: string): string => iso.replace(/[-:]/g, '').replace(/\.\d+/, '').replace(/Z?$/, 'Z');

function recordText(r: Required<Pick<SeedRecord, 'service' | 'environment' | 'tag' | 'status' | 'actor' | 'startedAt'>> & SeedRecord, commit: string, digest: string | undefined, previousRecord: string | undefined): string {
  const finished = new Date(Date.parse(r.startedAt) + 66_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const fm: Record<string, unknown> = {
    service: r.service, environment: r.environment, tag: r.tag, ...(r.previousTag ? { previousTag: r.previousTag } : {}), ...(digest ? { digest } : {}),
    status: r.status, startedAt: r.startedAt, finishedAt: finished, actor: r.actor, ...(r.reason ? { reason: r.reason } : {}), commit,
    checks: [
      { name: 'image-exists', status: 'passed', detail: digest ?? 'found' },
      { name: 'signature', status: 'passed', detail: 'verified Sigstore bundle (OCI referrer), keyless: https://github.com/acme/' + r.service + '/.github/workflows/release.yml@refs/heads/main (issuer https://token.actions.githubusercontent.com)' },
      { name: 'health', status: r.status === 'succeeded' ? 'passed' : 'failed', detail: r.status === 'succeeded' ? 'UP' : 'DOWN' },
    ],
    ...(previousRecord ? { previousRecord } : {}),
  };
  const arrow = r.previousTag ? `${r.previousTag} → ${r.tag}` : r.tag;
  const yamlText = YAML.stringify(fm).replace(/^(tag|previousTag): (?!")(.*)$/gm, '$1: "$2"');
  return `---\n${yamlText}---\n# ${r.service} ${arrow} in ${r.environment}: ${r.status}\n\nDeployed by ${r.actor}${r.reason ? ` (${r.reason})` : ''}. Argo CD synced the change and the post-deployment checks passed.\n`;
}

/** Creates DIR/origin.git (bare, main) and the clone DIR/repo with values files, config, cosign.pub and seed records. */
export async function createRepo(dir: string, s: NormalizedScenario, endpoints: RepoEndpoints, publicPem: string, digestOf: (service: string, tag: string) => string | undefined, trustedRoot?: Record<string, unknown>): Promise<{ originDir: string; repoDir: string; head: string }> {
  const originDir = path.join(dir, 'origin.git');
  const repoDir = path.join(dir, 'repo');
  for (const d of [originDir, repoDir]) fs.rmSync(d, { recursive: true, force: true });
  await git(['init', '--quiet', '--bare', '--initial-branch=main', originDir]);
  await git(['init', '--quiet', '--initial-branch=main', repoDir]);
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(repoDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(repoDir, rel), text);
  };
  const commit = async (message: string, when: Date): Promise<string> => {
    await git(['add', '-A'], { cwd: repoDir });
    const date = when.toISOString();
    await git([...SANDBOX_GIT_IDENTITY, 'commit', '--quiet', '-m', message, `--date=${date}`], { cwd: repoDir, env: { GIT_COMMITTER_DATE: date } });
    return (await git(['rev-parse', 'HEAD'], { cwd: repoDir })).trim();
  };
  const t0 = Date.now() - 7 * 86_400_000;
  write('README.md', '# GitOps repository (sandbox)\n\nImage tags per environment live in `helm/environments/{env}-env/image-tags.yaml`;\nArgo CD syncs `main` to the cluster. Deployment records are in `docs/deployments/`.\n');
  write('cosign.pub', publicPem);
  if (trustedRoot) write('sigstore/trusted_root.json', JSON.stringify(trustedRoot, null, 2) + '\n');
  write('.gitops-deploy.yaml', configText(s, endpoints));
  for (const env of s.envOrder) write(valuesFile(env), valuesText(s, env));
  const base = await commit('Set up environments and GitOps Deploy configuration', new Date(t0));

  const records: SeedRecord[] = s.records ?? defaultRecords(s, t0);
  // Oldest first per environment, each naming the previous one's hash (previousRecord: sha256 of the
  // file's bytes, docs/record-format.md): the seed records form the chain `records verify` checks.
  const seeded = records
    .map((r) => ({ ...r, status: r.status ?? 'succeeded', actor: r.actor ?? 'alice', startedAt: r.startedAt ?? new Date(t0 + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z') }))
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const newest = new Map<string, string>();
  for (const full of seeded) {
    const text = recordText(full, base, digestOf(full.service, full.tag), newest.get(full.environment));
    newest.set(full.environment, `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`);
    write(`docs/deployments/${full.environment}/${stamp(full.startedAt)}-${full.service}.md`, text);
  }
  if (records.length) await commit('Record past deployments', new Date(t0 + 86_400_000));
  await git(['remote', 'add', 'origin', originDir], { cwd: repoDir });
  await git(['push', '--quiet', '-u', 'origin', 'main'], { cwd: repoDir });
  const head = (await git(['rev-parse', 'HEAD'], { cwd: repoDir })).trim();
  return { originDir, repoDir, head };
}

/** A succeeded record for every tag each environment runs, so promotions find them "tested upstream". */
function defaultRecords(s: NormalizedScenario, t0: number): SeedRecord[] {
  const out: SeedRecord[] = [];
  const actors = ['alice', 'bob', 'carol'];
  s.envOrder.forEach((env, ei) => {
    Object.entries(s.environments[env]).forEach(([service, tag], si) => {
      const startedAt = new Date(t0 + 3_600_000 * (1 + ei * 6 + si)).toISOString().replace(/\.\d+Z$/, 'Z');
      out.push({ service, environment: env, tag, status: 'succeeded', actor: actors[(ei + si) % actors.length], startedAt, reason: env === 'prod' ? `CHG-${1000 + si} scheduled release` : undefined });
    });
  });
  return out;
}

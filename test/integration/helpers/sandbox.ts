import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import type * as K8sNs from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };
import { ECRClient } from '@aws-sdk/client-ecr';
import YAML from 'yaml';
import type { Sandbox, Scenario } from '../../../sandbox/index';
import { SANDBOX_GIT_IDENTITY } from '../../../sandbox/git';

export function tempDir(prefix = 'gitops-sandbox-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

export type K8s = typeof K8sNs;

/** @kubernetes/client-node and @octokit/rest are ES modules: loaded with import(), as src/clients does. */
export const loadK8s = (): Promise<K8s> => import('@kubernetes/client-node');

export interface KubeClients {
  k8s: K8s;
  kc: K8sNs.KubeConfig;
  core: K8sNs.CoreV1Api;
  apps: K8sNs.AppsV1Api;
  custom: K8sNs.CustomObjectsApi;
  events: K8sNs.EventsV1Api;
  watch: K8sNs.Watch;
  metrics: K8sNs.Metrics;
  log: K8sNs.Log;
}

export async function kubeClients(sb: Sandbox): Promise<KubeClients> {
  const k8s = await loadK8s();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sb.kubeconfigPath);
  kc.setCurrentContext(sb.kubeContext);
  return {
    k8s,
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    events: kc.makeApiClient(k8s.EventsV1Api),
    watch: new k8s.Watch(kc),
    metrics: new k8s.Metrics(kc),
    log: new k8s.Log(kc),
  };
}

export function ecrClient(sb: Sandbox): ECRClient {
  return new ECRClient({ region: 'us-east-1', endpoint: sb.endpoints.ecr, credentials: { accessKeyId: 'AKIASANDBOXEXAMPLE', secretAccessKey: 'sandbox' }, maxAttempts: 1 });
}

export async function octokit(sb: Sandbox, token = sb.githubToken): Promise<Octokit> {
  const { Octokit: OctokitClass } = await import('@octokit/rest');
  return new OctokitClass({ auth: token, baseUrl: sb.endpoints.github, request: { retries: 0 } });
}

/** Commits a change of one service's tag in a fresh clone of origin and pushes it; returns the new sha. */
export async function pushTag(sb: Sandbox, env: string, service: string, tag: string): Promise<string> {
  const dir = tempDir('gitops-clone-');
  try {
    await run('git', ['clone', '--quiet', sb.originDir, dir]);
    const file = path.join(dir, `helm/environments/${env}-env/image-tags.yaml`);
    const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'));
    const at = doc.hasIn([service, 'image', 'tag']) ? [service, 'image', 'tag'] : doc.hasIn([service, 'tag']) ? [service, 'tag'] : [service];
    const node = new YAML.Scalar(tag);
    node.type = 'QUOTE_DOUBLE';
    doc.setIn(at, node);
    fs.writeFileSync(file, doc.toString());
    await run('git', [...SANDBOX_GIT_IDENTITY, 'commit', '--quiet', '-am', `Deploy ${service} ${tag} to ${env}`], dir);
    await run('git', ['push', '--quiet', 'origin', 'HEAD:main'], dir);
    return (await run('git', ['rev-parse', 'HEAD'], dir)).trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Watches a path with client-node's Watch until pred(object) holds; every event type/object is collected. */
export async function watchUntil(w: K8sNs.Watch, apiPath: string, query: Record<string, string>, pred: (type: string, obj: any) => boolean, timeoutMs = 10000): Promise<{ type: string; obj: any }[]> {
  const seen: { type: string; obj: any }[] = [];
  let ctrl: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`watch ${apiPath}: condition not met within ${timeoutMs} ms; saw ${seen.length} events`)), timeoutMs);
      w.watch(apiPath, query, (type, obj) => {
        seen.push({ type, obj });
        if (pred(type, obj)) resolve(seen);
      }, (err) => {
        if (err && (err as Error).name !== 'AbortError') reject(err);
      }).then((c) => (ctrl = c), reject);
    });
  } finally {
    clearTimeout(timer);
    ctrl?.abort();
  }
}

export const BASE_SCENARIO: Scenario = {
  // The classic .sig layout: these tests read the signature layers directly.
  signature: 'classic',
  services: {
    accounts: {
      images: {
        '1.4.0': {}, '1.5.0': {},
        '1.5.1': { signed: false },
        '1.5.2': { signedBy: 'untrusted' },
        '1.6.0': { health: 'DOWN' },
        '1.6.1': { crashLoop: true },
        '1.6.2': { errorRate: 0.25 },
        '1.7.1': { syncFail: true },
      },
    },
    cards: { images: { '2.1.0': {}, '2.2.0': {} } },
    loans: { valuesShape: 'tag', images: { '0.9.3': {} } },
    gateway: { valuesShape: 'plain', images: { '3.0.1': {}, '3.1.0': {} } },
  },
  environments: {
    dev: { accounts: '1.6.0', cards: '2.2.0', loans: '0.9.3', gateway: '3.1.0' },
    stag: { accounts: '1.4.0', cards: '2.1.0', loans: '0.9.3', gateway: '3.0.1' },
    prod: { accounts: '1.6.2', cards: '2.1.0', loans: '0.9.3', gateway: '3.0.1' },
  },
  timing: { podReadySeconds: 0, syncSeconds: 0, runStepSeconds: 0, progressDeadlineSeconds: 0.3 },
};

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ErrorObject } from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { FileProblem } from '../errors';
import { isValidTimeZone } from '../model/window';
import { resolveFollow } from '../model/subscriptions';
import validateSchema from './schemaValidator.generated';
import { hostOf, hostTrusted, loadUserSettings, parseUserSettings, type UserSettings } from './userSettings';
import type {
  BlockedRange,
  EnvironmentConfig,
  Freeze,
  GitOpsConfig,
  ServiceConfig,
  WindowPolicy,
} from './types';

export const CONFIG_FILE = '.gitops-deploy.yaml';

export const DEFAULT_ENVIRONMENTS = ['dev', 'stag', 'prod'];

/** The seed process: production is blocked 9:00–17:00 US Eastern, Monday to Friday. */
export function defaultProdWindow(): WindowPolicy {
  return {
    timeZone: 'America/New_York',
    blocked: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }],
    freezes: [],
  };
}

export const DEFAULT_ERROR_RATE_QUERY =
  'sum(rate(http_server_requests_seconds_count{namespace="$ns",service="$svc",status=~"5..",uri!~"/actuator.*"}[5m]))' +
  ' / sum(rate(http_server_requests_seconds_count{namespace="$ns",service="$svc",uri!~"/actuator.*"}[5m]))';

export const DEFAULT_RESTART_QUERY =
  'sum(increase(kube_pod_container_status_restarts_total{namespace="$ns",pod=~"$svc-.*"}[10m]))';

/** What a repository looks like when it is a GitOps repo even without a config file. */
export function defaultValuesFile(env: string): string {
  return `helm/environments/${env}-env/image-tags.yaml`;
}

function validate(data: unknown): ErrorObject[] {
  return validateSchema(data) ? [] : [...(validateSchema.errors ?? [])];
}

/** Does this folder look like a GitOps repo: a config file or the seed layout's values files? */
export async function isGitOpsRepo(root: string): Promise<boolean> {
  if (await exists(path.join(root, CONFIG_FILE))) return true;
  for (const env of DEFAULT_ENVIRONMENTS) {
    if (await exists(path.join(root, defaultValuesFile(env)))) return true;
  }
  return false;
}

/** The first folder (in order) that is a GitOps repo. */
export async function findRepoRoot(folders: readonly string[]): Promise<string | undefined> {
  for (const folder of folders) {
    if (await isGitOpsRepo(folder)) return folder;
  }
  return undefined;
}

/**
 * Load `.gitops-deploy.yaml` (optional) and apply defaults. An invalid file throws a FileProblem
 * with one message naming the key, what is expected and the line.
 */
export async function loadConfig(root: string, env: NodeJS.ProcessEnv = process.env, user?: UserSettings): Promise<GitOpsConfig> {
  const file = path.join(root, CONFIG_FILE);
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err: any) {
    if (err?.code !== 'ENOENT') throw new FileProblem(file, `cannot read ${CONFIG_FILE}: ${err?.message ?? err}`);
  }
  return parseConfig(root, text, text === undefined ? undefined : file, env, user ?? (await loadUserSettings(env)));
}

export function parseConfig(
  root: string,
  text: string | undefined,
  file = path.join(root, CONFIG_FILE),
  env: NodeJS.ProcessEnv = process.env,
  user: UserSettings = parseUserSettings(undefined, undefined, env),
): GitOpsConfig {
  let raw: any = {};
  let doc: ReturnType<typeof parseDocument> | undefined;
  const lines = new LineCounter();
  if (text !== undefined) {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    if (doc.errors.length) {
      const e = doc.errors[0];
      const line = lines.linePos(e.pos[0]).line;
      throw new FileProblem(file, `${CONFIG_FILE} is not valid YAML: ${e.message.split('\n')[0]}`, line, 'Fix the YAML syntax at that line.');
    }
    raw = doc.toJS() ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new FileProblem(file, `${CONFIG_FILE} must be a mapping of settings (environments, services, …), not ${Array.isArray(raw) ? 'a list' : typeof raw}`, 1);
    }
  }
  const errors = text === undefined ? [] : validate(raw);
  if (errors.length) {
    const err = pickError(errors, raw);
    const keyPath = pointerToPath(err.instancePath);
    const line = doc ? lineOf(doc, lines, keyPath) : undefined;
    throw new FileProblem(file, `${CONFIG_FILE}: ${describeError(err, keyPath, raw)}`, line, 'See docs/config-format.md or the schema completions.');
  }
  return resolve(root, raw, file, text === undefined ? undefined : file, env, doc, lines, user);
}

function resolve(
  root: string,
  raw: any,
  file: string,
  configFile: string | undefined,
  env: NodeJS.ProcessEnv,
  doc: ReturnType<typeof parseDocument> | undefined,
  lines: LineCounter,
  user: UserSettings,
): GitOpsConfig {
  const checkIdentities = (list: any[] | undefined, at: (string | number)[]): void => {
    (list ?? []).forEach((r, j) => {
      try {
        new RegExp(r.subjectRegExp);
      } catch (err) {
        throw new FileProblem(file, `${CONFIG_FILE}: ${[...at, j].join('.')}.subjectRegExp is not a valid regular expression (${err instanceof Error ? err.message : String(err)})`, doc ? lineOf(doc, lines, [...at, j, 'subjectRegExp']) : undefined, 'Escape dots and slashes as in ^https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/heads/main$');
      }
    });
  };
  checkIdentities(raw.signing?.identities, ['signing', 'identities']);
  (raw.environments ?? []).forEach((e: any, i: number) => checkIdentities(e?.signing?.identities, ['environments', i, 'signing', 'identities']));
  const envList: any[] = raw.environments ?? DEFAULT_ENVIRONMENTS.map((name) => ({ name }));
  const seen = new Set<string>();
  const environments: EnvironmentConfig[] = envList.map((e, i) => {
    if (seen.has(e.name)) {
      throw new FileProblem(file, `${CONFIG_FILE}: environments[${i}].name "${e.name}" is listed twice; each environment appears once, in promotion order`, doc ? lineOf(doc, lines, ['environments', i, 'name']) : undefined);
    }
    seen.add(e.name);
    const isProd = e.name === 'prod' || e.name === 'production';
    let window: WindowPolicy | undefined;
    if (e.window === undefined) window = isProd ? defaultProdWindow() : undefined;
    else if (e.window === 'none') window = undefined;
    else {
      const tz = e.window.timeZone ?? 'America/New_York';
      if (!isValidTimeZone(tz)) {
        throw new FileProblem(file, `${CONFIG_FILE}: environments[${i}].window.timeZone "${tz}" is not an IANA time zone (expected e.g. America/New_York, Europe/Berlin, UTC)`, doc ? lineOf(doc, lines, ['environments', i, 'window', 'timeZone']) : undefined);
      }
      window = {
        timeZone: tz,
        blocked: (e.window.blocked ?? []) as BlockedRange[],
        freezes: (e.window.freezes ?? []) as Freeze[],
      };
      window.freezes.forEach((f, j) => {
        if (f.to < f.from) {
          throw new FileProblem(file, `${CONFIG_FILE}: environments[${i}].window.freezes[${j}] "${f.name}" ends (${f.to}) before it starts (${f.from})`, doc ? lineOf(doc, lines, ['environments', i, 'window', 'freezes', j]) : undefined);
        }
      });
    }
    return {
      name: e.name,
      valuesFile: path.resolve(root, e.valuesFile ?? defaultValuesFile(e.name)),
      recordsDir: path.resolve(root, e.recordsDir ?? `docs/deployments/${e.name}`),
      namespace: e.namespace ?? 'default',
      kubeContext: e.kubeContext,
      argocd: {
        namespace: e.argocd?.namespace ?? 'argocd',
        application: e.argocd?.application ?? '{service}-{env}',
        url: e.argocd?.url,
      },
      requireReason: e.requireReason ?? isProd,
      requireUpstreamRecord: e.requireUpstreamRecord ?? isProd,
      window,
      ...finishByOf(e.window, isProd, window),
      ...(e.signing?.identities ? { identities: e.signing.identities } : {}),
      pinDigest: e.pinDigest ?? false,
      git: {
        mode: e.git?.mode ?? raw.git?.mode ?? 'push',
        merge: e.git?.merge ?? raw.git?.merge ?? 'manual',
        labels: e.git?.labels ?? raw.git?.labels ?? ['gitops-deploy', `env:${e.name}`],
        mergeTimeoutMinutes: e.git?.mergeTimeoutMinutes ?? raw.git?.mergeTimeoutMinutes ?? 60,
      },
    };
  });

  const services: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries<any>(raw.services ?? {})) {
    services[name] = serviceDefaults(name, s ?? {});
  }

  return {
    root,
    file: configFile,
    environments,
    services,
    tagPath: raw.tagPath ?? 'auto',
    registry: registrySettings(raw, env, user, file, (keyPath) => (doc ? lineOf(doc, lines, keyPath) : undefined)),
    signing: {
      mode: raw.signing?.mode ?? 'verify',
      publicKeys: (raw.signing?.publicKeys ?? ['cosign.pub']).map((p: string) => path.resolve(root, p)),
      identities: raw.signing?.identities ?? [],
      ...(raw.signing?.trustedRoot ? { trustedRoot: path.resolve(root, raw.signing.trustedRoot) } : {}),
    },
    verification: {
      prometheusUrl: raw.verification?.prometheusUrl,
      errorRateQuery: raw.verification?.errorRateQuery ?? DEFAULT_ERROR_RATE_QUERY,
      errorRateThreshold: raw.verification?.errorRateThreshold ?? 0.01,
      restartQuery: raw.verification?.restartQuery,
      restartThreshold: raw.verification?.restartThreshold ?? 0,
      resourceWarnFraction: raw.verification?.resourceWarnFraction ?? 0.9,
      resourceFailOnExceed: raw.verification?.resourceFailOnExceed ?? false,
      syncTimeoutSeconds: raw.verification?.syncTimeoutSeconds ?? 300,
      rolloutTimeoutSeconds: raw.verification?.rolloutTimeoutSeconds ?? 300,
      onInconclusive: raw.verification?.onInconclusive ?? 'hold',
    },
    git: { remote: raw.git?.remote ?? 'origin', branch: raw.git?.branch ?? 'main', signCommits: raw.git?.signCommits ?? false },
    github: githubSettings(raw, env, user),
    // Never from the repository: a committed kubeconfig's exec plugin would run any command.
    kubernetes: { kubeconfig: user.kubernetes.kubeconfig, context: user.kubernetes.context ?? raw.kubernetes?.context },
    ignored: raw.kubernetes?.kubeconfig ? [{ key: 'kubernetes.kubeconfig', why: `a kubeconfig (and its exec plugins) never comes from the repository; set it in ${user.file ?? 'the user config (~/.config/gitops-deploy/config.yaml)'} or KUBECONFIG` }] : [],
    notify: { webhookUrl: raw.notify?.webhookUrl },
    follow: resolveFollow(raw.follow, root, file, environments.map((e) => e.name), (keyPath) => (doc ? lineOf(doc, lines, keyPath) : undefined)),
  };
}

/** window.finishBy: true / { marginMinutes } / false; default on (no margin) for prod's window. */
function finishByOf(raw: any, isProd: boolean, window: WindowPolicy | undefined): { finishBy?: { marginMinutes: number } } {
  if (!window) return {};
  const f = raw && typeof raw === 'object' ? raw.finishBy : undefined;
  if (f === false || (f === undefined && !isProd)) return {};
  return { finishBy: { marginMinutes: typeof f === 'object' && f ? (f.marginMinutes ?? 0) : 0 } };
}

export function serviceDefaults(name: string, s: Partial<ServiceConfig> = {}): ServiceConfig {
  const sub = (p: string) => p.replace(/\{service\}/g, name);
  return {
    name,
    ecrRepository: s.ecrRepository ?? name,
    port: s.port ?? 8080,
    healthPath: s.healthPath ?? '/actuator/health',
    deployment: sub(s.deployment ?? '{service}-deployment'),
    k8sService: sub(s.k8sService ?? '{service}'),
    healthUrl: s.healthUrl,
  };
}

/** The config of a service, declared or defaulted. */
export function serviceConfig(config: GitOpsConfig, service: string): ServiceConfig {
  return config.services[service] ?? serviceDefaults(service);
}

export function environment(config: GitOpsConfig, name: string): EnvironmentConfig | undefined {
  return config.environments.find((e) => e.name === name);
}

/** The environment before this one in promotion order. */
export function upstreamOf(config: GitOpsConfig, name: string): EnvironmentConfig | undefined {
  const i = config.environments.findIndex((e) => e.name === name);
  return i > 0 ? config.environments[i - 1] : undefined;
}

export function downstreamOf(config: GitOpsConfig, name: string): EnvironmentConfig | undefined {
  const i = config.environments.findIndex((e) => e.name === name);
  return i >= 0 && i + 1 < config.environments.length ? config.environments[i + 1] : undefined;
}

export function applicationName(env: EnvironmentConfig, service: string): string {
  return env.argocd.application.replace(/\{service\}/g, service).replace(/\{env\}/g, env.name);
}

/** github.apiUrl: the user's (GITHUB_API_URL, the user config) wins; a repository-named host gets no token unless trusted. */
function githubSettings(raw: any, env: NodeJS.ProcessEnv, user: UserSettings): GitOpsConfig['github'] {
  const mine = env.GITHUB_API_URL || user.github.apiUrl;
  const apiUrl = mine ?? raw.github?.apiUrl ?? 'https://api.github.com';
  const untrusted = !mine && raw.github?.apiUrl && !hostTrusted(apiUrl, user) ? hostOf(apiUrl) ?? apiUrl : undefined;
  return { apiUrl, owner: raw.github?.owner, repo: raw.github?.repo, ...(untrusted ? { untrustedHost: untrusted } : {}) };
}

/** The environment variable naming the OCI registry's URL from the user's side (wins over registry.url). */
export const REGISTRY_URL_VAR = 'GITOPS_DEPLOY_REGISTRY_URL';

/** registry: ECR (default) or an OCI registry; a repository-named OCI URL gets no credentials unless its host is trusted. */
function registrySettings(raw: any, env: NodeJS.ProcessEnv, user: UserSettings, file: string, lineAt: (keyPath: (string | number)[]) => number | undefined): GitOpsConfig['registry'] {
  const type = raw.registry?.type ?? 'ecr';
  const base = {
    type,
    region: raw.registry?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    endpoint: raw.registry?.endpoint,
    registryId: raw.registry?.registryId,
  };
  if (type !== 'oci') return base;
  const mine = env[REGISTRY_URL_VAR] || undefined;
  const url = mine ?? raw.registry?.url;
  if (!url) {
    throw new FileProblem(file, `${CONFIG_FILE}: registry.url is required when registry.type is oci (the registry's base URL, e.g. https://ghcr.io), or set ${REGISTRY_URL_VAR}`, lineAt(['registry', 'type']));
  }
  if (mine && !/^https?:\/\//.test(mine)) throw new FileProblem(file, `${REGISTRY_URL_VAR} must be an http(s) URL (got ${JSON.stringify(mine)})`);
  const untrusted = !mine && !hostTrusted(url, user) ? hostOf(url) ?? url : undefined;
  return { ...base, url: url.replace(/\/+$/, ''), ...(untrusted ? { untrustedHost: untrusted } : {}) };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

// ---- error messages -------------------------------------------------------------------------

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function showPath(p: (string | number)[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out || '(top level)';
}

function getAt(raw: any, p: (string | number)[]): any {
  return p.reduce((v, k) => (v == null ? undefined : v[k]), raw);
}

/** The most useful error: the deepest one, preferring the object branch of a oneOf for objects. */
function pickError(errors: ErrorObject[], raw: any): ErrorObject {
  const relevant = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
  const candidates = relevant.filter((e) => {
    // Inside `window`, errors of the "none" string branch are noise when the value is an object.
    const value = getAt(raw, pointerToPath(e.instancePath));
    if ((e.keyword === 'type' && (e.params as any).type === 'string') || (e.keyword === 'enum' && (e.params as any).allowedValues?.[0] === 'none')) {
      return typeof value !== 'object' || value === null ? true : false;
    }
    return true;
  });
  const pool = candidates.length ? candidates : errors;
  return pool.reduce((best, e) => (e.instancePath.length > best.instancePath.length ? e : best), pool[0]);
}

function describeError(err: ErrorObject, keyPath: (string | number)[], raw: any): string {
  const at = showPath(keyPath);
  const value = getAt(raw, keyPath);
  const got = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
  const p: any = err.params;
  switch (err.keyword) {
    case 'additionalProperties':
      return `unknown key "${p.additionalProperty}" in ${at}${suggest(p.additionalProperty, err)}`;
    case 'required':
      return `${at === '(top level)' ? '' : at + ': '}missing required key "${p.missingProperty}"`;
    case 'type':
      return `${at} must be ${article(p.type)}${got}`;
    case 'enum':
      return `${at} must be one of ${p.allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}${got}`;
    case 'pattern': {
      const desc = (err.parentSchema as any)?.description;
      return `${at} is not valid${got}: expected ${desc ? desc.replace(/\.$/, '') : `to match ${p.pattern}`}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${at} must be ${p.comparison} ${p.limit}${got}`;
    case 'minItems':
      return `${at} must list at least ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'minLength':
      return `${at} must not be empty`;
    case 'propertyNames':
      return `${at} has an invalid name "${p.propertyName}"`;
    case 'not':
      return `${at} must be a path inside the repository (relative, no "..")${got}`;
    default:
      return `${at} ${err.message ?? 'is invalid'}${got}`;
  }
}

function article(type: string): string {
  const t = type === 'object' ? 'a mapping' : type === 'array' ? 'a list' : type === 'integer' ? 'a whole number' : `a ${type}`;
  return t;
}

function suggest(key: string, err: ErrorObject): string {
  const props = Object.keys(((err.parentSchema as any)?.properties ?? {}) as object);
  const close = props.find((p) => p.toLowerCase() === key.toLowerCase() || levenshtein(p, key) <= 2);
  return close ? `: did you mean "${close}"?` : props.length ? ` (expected one of ${props.join(', ')})` : '';
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function lineOf(doc: ReturnType<typeof parseDocument>, lines: LineCounter, keyPath: (string | number)[]): number | undefined {
  // Walk as deep as the path exists; report the line of the deepest node found.
  let node: YamlNode | null | undefined = doc.contents as YamlNode;
  let best: number | undefined = node?.range ? node.range[0] : undefined;
  for (const key of keyPath) {
    if (isMap(node)) {
      const pair = node.items.find((it: any) => it.key?.value === key || it.key?.source === key);
      if (!pair) break;
      const k: any = pair.key;
      if (k?.range) best = k.range[0];
      node = pair.value as YamlNode;
      if (node?.range && !isMap(node) && !isSeq(node)) best = node.range[0];
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as YamlNode;
      if (node?.range) best = node.range[0];
    } else break;
  }
  return best === undefined ? undefined : lines.linePos(best).line;
}

// Reading the kube contexts and AWS profiles a person can pick: pure parsers (no `vscode`, no
// Kubernetes or AWS SDK), unit-tested.
import { portErrorOf, type FaultSystem } from '../pipeline/model/cause';
import { credentialFault, type PipelineOutcome } from '../pipeline/outcome';
import { parse } from 'yaml';

export interface KubeContextInfo {
  name: string;
  cluster?: string;
  namespace?: string;
  user?: string;
  current: boolean;
  /** The kubeconfig file it came from. */
  file: string;
}

/** Contexts of one kubeconfig file's text; throws with the file named when it is not YAML. */
export function kubeContexts(text: string, file: string): KubeContextInfo[] {
  let doc: any;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object') return [];
  const current = typeof doc['current-context'] === 'string' ? doc['current-context'] : undefined;
  const list = Array.isArray(doc.contexts) ? doc.contexts : [];
  return list
    .filter((c: any) => c && typeof c.name === 'string')
    .map((c: any) => ({ name: c.name, cluster: c.context?.cluster, namespace: c.context?.namespace, user: c.context?.user, current: c.name === current, file }));
}

/** KUBECONFIG's files (":"-separated; ";" on Windows), else ~/.kube/config. */
export function kubeconfigFiles(env: Record<string, string | undefined>, home: string, configured?: string, platform = process.platform): string[] {
  if (configured) return [configured];
  const sep = platform === 'win32' ? ';' : ':';
  const fromEnv = (env.KUBECONFIG ?? '').split(sep).filter(Boolean);
  return fromEnv.length ? fromEnv : [`${home}/.kube/config`];
}

export interface AwsProfileInfo {
  name: string;
  /** Where it is defined. */
  sources: ('config' | 'credentials')[];
  region?: string;
  /** sso, role (source_profile/role_arn), keys, process… for the description. */
  kind?: string;
}

function iniSections(text: string): { name: string; values: Record<string, string> }[] {
  const out: { name: string; values: Record<string, string> }[] = [];
  let cur: { name: string; values: Record<string, string> } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[\s*([^\]]+?)\s*\]/.exec(line);
    if (sec) {
      cur = { name: sec[1], values: {} };
      out.push(cur);
      continue;
    }
    const kv = /^([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (kv && cur && !/^\s/.test(raw)) cur.values[kv[1].toLowerCase()] = kv[2].trim();
  }
  return out;
}

/** Profiles of ~/.aws/config (`[default]`, `[profile x]`) and ~/.aws/credentials (`[x]`). */
export function awsProfiles(configText: string, credentialsText: string): AwsProfileInfo[] {
  const byName = new Map<string, AwsProfileInfo>();
  const get = (name: string) => {
    let p = byName.get(name);
    if (!p) byName.set(name, (p = { name, sources: [] }));
    return p;
  };
  for (const s of iniSections(configText)) {
    const m = /^(?:profile\s+)?(\S+)$/.exec(s.name);
    if (!m || /^(sso-session|services)\s/.test(s.name) || (s.name !== 'default' && !s.name.startsWith('profile '))) continue;
    const p = get(m[1]);
    p.sources.push('config');
    p.region ??= s.values.region;
    p.kind ??= s.values.sso_session || s.values.sso_start_url ? 'sso' : s.values.role_arn ? 'role' : s.values.credential_process ? 'process' : s.values.aws_access_key_id ? 'keys' : undefined;
  }
  for (const s of iniSections(credentialsText)) {
    const p = get(s.name.trim());
    p.sources.push('credentials');
    p.kind ??= s.values.aws_access_key_id ? 'keys' : undefined;
  }
  return [...byName.values()].sort((a, b) => (a.name === 'default' ? -1 : b.name === 'default' ? 1 : a.name.localeCompare(b.name)));
}

export type CredentialKind = 'aws' | 'kube' | 'github';

const CREDENTIAL_OF: Partial<Record<FaultSystem, CredentialKind>> = { registry: 'aws', cluster: 'kube', argocd: 'kube', github: 'github' };

/** Which credential to fix for an outcome, from its typed fault (never from its wording). */
export function credentialKind(o: Pick<PipelineOutcome, 'cause' | 'fault'>): CredentialKind | undefined {
  const system = credentialFault(o);
  return system && CREDENTIAL_OF[system];
}

/** Which credential to fix for an error thrown by an adapter (a PortError), if any. */
export function credentialKindOfError(err: unknown): CredentialKind | undefined {
  const p = portErrorOf(err);
  return p ? credentialKind({ fault: { system: p.system, kind: p.kind } }) : undefined;
}

/** How to fix a credential problem, for messages. */
export const CREDENTIAL_FIX: Record<CredentialKind, { action: string; hint: string }> = {
  aws: { action: 'Select AWS Profile', hint: 'The AWS credentials for ECR: choose a profile (GitOps Deploy: Select AWS Profile, setting gitopsDeploy.awsProfile), or sign in (aws sso login --profile …).' },
  kube: { action: 'Select Kubernetes Context', hint: 'The Kubernetes credentials: choose the kube context (GitOps Deploy: Select Kubernetes Context, setting gitopsDeploy.kubeContext) and check that it can reach the cluster (kubectl --context … get ns).' },
  github: { action: 'Sign in to GitHub', hint: 'The GitHub token: sign in to GitHub from the Accounts menu (scopes repo, workflow).' },
};

/** The button that fixes a credential, by its kind (its id) and with the command's title as label. */
export function credentialAction(kind: CredentialKind): { id: CredentialKind; label: string } {
  return { id: kind, label: CREDENTIAL_FIX[kind].action };
}

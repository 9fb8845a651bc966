// A repository may name an endpoint that would receive one of your credentials (today: github.apiUrl
// and the GitHub token). The configuration marks such a host `untrustedHost` unless you trusted it on
// your side (GITHUB_API_URL, the user config's trustedHosts, GITOPS_DEPLOY_TRUSTED_HOSTS). In the
// editor you are asked once per host; the answer is kept in the extension's global state (your
// machine, never the workspace). Pure: the editor (pipelineHost.ts) shows the question and stores it.
import type { GitOpsConfig } from '../pipeline/config/types';
import type { Choice } from './prompter';

/** A remembered answer for a host. */
export type HostAnswer = 'trust' | 'deny';

/** The globalState key of the remembered answers ({ "host:port": "trust" | "deny" }). */
export const HOST_TRUST_KEY = 'gitopsDeploy.hostTrust';

export interface CredentialRequest {
  /** What would be sent, for people ("GitHub token"). */
  credential: string;
  /** `host` or `host:port`, as matched. */
  host: string;
  /** The repository's URL for it. */
  url: string;
  /** The repository key that names it. */
  key: string;
}

/** What to do before a run about the repository-named GitHub host. */
export type TrustStep =
  /** Nothing to decide: the host is the user's or GitHub's, or no token would be sent anyway. */
  | { kind: 'none' }
  /** Trusted before: send the token. */
  | { kind: 'send'; host: string }
  /** Refused before: run without sending it. */
  | { kind: 'withhold'; host: string }
  /** Ask the person. */
  | { kind: 'ask'; request: CredentialRequest };

export function githubTrustStep(github: GitOpsConfig['github'], hasToken: boolean, remembered: Readonly<Record<string, HostAnswer>>): TrustStep {
  const host = github.untrustedHost;
  if (!host || !hasToken || !github.owner || !github.repo) return { kind: 'none' };
  const answer = remembered[host];
  if (answer === 'trust') return { kind: 'send', host };
  if (answer === 'deny') return { kind: 'withhold', host };
  return { kind: 'ask', request: { credential: 'GitHub token', host, url: github.apiUrl, key: 'github.apiUrl' } };
}

/** The buttons of the question, by id: "Don't trust" is what Enter presses, Escape cancels the run. */
export type TrustChoice = 'trust' | 'deny' | 'cancel';

export function trustQuestion(r: CredentialRequest): { message: string; detail: string; buttons: Choice<TrustChoice>[]; focused: TrustChoice; dismiss: TrustChoice } {
  return {
    message: `The repository asks to send your ${r.credential} to ${r.host}. Trust this host?`,
    detail: [
      `.gitops-deploy.yaml sets ${r.key} to ${r.url}. A repository is shared data: a host it names receives your ${r.credential} only if you trust it.`,
      `Trust: send it to ${r.host}, now and in later runs. Don't trust: the run goes on without sending it (nothing is reported there), and you are not asked again. Cancel: stop here; nothing is changed.`,
      'The answer is kept on this machine, never in the workspace ("GitOps Deploy: Forget Trusted Hosts" clears it).',
    ].join('\n\n'),
    buttons: [
      { id: 'deny', label: "Don't trust" },
      { id: 'trust', label: `Trust ${r.host}` },
      { id: 'cancel', label: 'Cancel' },
    ],
    focused: 'deny',
    dismiss: 'cancel',
  };
}

/** The remembered answers with one more. */
export function rememberAnswer(remembered: Readonly<Record<string, HostAnswer>> | undefined, host: string, answer: HostAnswer): Record<string, HostAnswer> {
  return { ...(remembered ?? {}), [host]: answer };
}

/** The configuration with its GitHub host trusted: the token may be sent there. */
export function trustGitHubHost(config: GitOpsConfig): GitOpsConfig {
  const { untrustedHost: _trusted, ...github } = config.github;
  return { ...config, github };
}

/** Remembered answers as stored in globalState (anything else there is ignored). */
export function readAnswers(v: unknown): Record<string, HostAnswer> {
  const out: Record<string, HostAnswer> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [host, a] of Object.entries(v)) if (a === 'trust' || a === 'deny') out[host] = a;
  return out;
}

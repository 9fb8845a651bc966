// Nothing token-like reaches a transcript or a record: credentials in URLs, bearer tokens, AWS
// keys, GitHub tokens, JWTs, `token=…` pairs, and the literal values of secret variables.

const SECRET_VARS = ['GITHUB_TOKEN', 'GH_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'ARGOCD_AUTH_TOKEN', 'KUBE_TOKEN'];

const PATTERNS: [RegExp, string][] = [
  [/\b(https?:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1***@'],
  [/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 ***'],
  [/\b(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})\b/g, '***'],
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '***'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, '***'],
  [/\b(password|passwd|secret|token|api[_-]?key|access[_-]?key)(["']?\s*[:=]\s*["']?)[^\s"',;&]{4,}/gi, '$1$2***'],
];

/** Replace anything token-like with ***. `env` adds the literal values of secret variables. */
export function maskSecrets(text: string, env: Record<string, string | undefined> = {}): string {
  let out = text;
  for (const name of SECRET_VARS) {
    const v = env[name];
    if (v && v.length >= 6) out = out.split(v).join('***');
  }
  for (const [re, sub] of PATTERNS) out = out.replace(re, sub);
  return out;
}

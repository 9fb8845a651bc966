import * as path from 'node:path';

/** The ready banner: one "label  value" line each, labels padded to the longest so none runs into its URL. */
export function banner(dir: string, repo: string, origin: string, endpoints: object): string {
  const rows: [string, string][] = [['repo', `${repo}  (origin ${origin})`], ...Object.entries(endpoints).map(([k, v]): [string, string] => [k, String(v)]), ['env', `source ${path.join(dir, 'sandbox.env')}`]];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return [`GitOps sandbox ready in ${dir}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`)].join('\n');
}

// The CLI's records commands beyond the list: `insights`, `records verify`, `records export`.
import * as path from 'node:path';
import { recordsGit } from './clients/recordsGit';
import { exportEvidencePack } from './commands/exportEvidenceCore';
import { loadConfig } from './pipeline/config/load';
import { UserError } from './pipeline/errors';
import { computeInsights, parsePeriod, type DoraMeasures, type Insights } from './pipeline/model/dora';
import { formatSpan } from './pipeline/model/format';
import { loadRepoState } from './pipeline/model/repoState';
import { trailText, verifyTrail } from './pipeline/recordsVerify';

type Out = { out: (s: string) => void; err: (s: string) => void };
interface Args {
  positional: string[];
  flags: Record<string, string | true>;
}

const str = (a: Args, name: string): string | undefined => (typeof a.flags[name] === 'string' ? (a.flags[name] as string) : undefined);
const repoRoot = (a: Args) => path.resolve(str(a, 'repo') ?? process.cwd());

function period(a: Args, now: Date) {
  try {
    return parsePeriod(str(a, 'since'), str(a, 'until'), now);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

function checkEnv(env: string | undefined, names: string[]): void {
  if (env && !names.includes(env)) throw new UserError(`unknown environment "${env}" (environments: ${names.join(', ')})`);
}

const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;

/** The four measures of one row, as text lines. */
export function measureLines(m: DoraMeasures): string[] {
  const f = m.deploymentFrequency;
  const band = (b: string | undefined) => (b ? `[${b}]` : '[no data]');
  const lt = m.leadTime;
  const cfr = m.changeFailureRate;
  const ttr = m.timeToRestore;
  return [
    `  deployment frequency  ${band(f.band).padEnd(10)} ${f.deployments} in ${Math.round(f.days)} days (${f.perWeek >= 1 ? f.perWeek.toFixed(1) : f.perWeek.toFixed(2)}/week)`,
    `  lead time             ${band(lt.band).padEnd(10)} ${lt.medianMs === undefined ? 'no sample' : `median ${formatSpan(lt.medianMs)}, p90 ${formatSpan(lt.p90Ms!)} (${lt.count} deployments)`}`,
    `  change failure rate   ${band(cfr.band).padEnd(10)} ${cfr.rate === undefined ? 'no change' : `${pct(cfr.rate)} (${cfr.failures} of ${cfr.changes} changes)`}`,
    `  time to restore       ${band(ttr.band).padEnd(10)} ${ttr.medianMs === undefined ? 'nothing restored' : `median ${formatSpan(ttr.medianMs)}, max ${formatSpan(ttr.maxMs!)}`} (${ttr.incidents} incident(s)${ttr.open ? `, ${ttr.open} not restored` : ''})`,
  ];
}

export function insightsText(r: Insights): string[] {
  const lines = [`DORA measures ${r.period.since.slice(0, 10)} → ${r.period.until.slice(0, 10)}`];
  if (!r.measures.length) lines.push('no records in these environments');
  for (const m of r.measures) {
    lines.push('', `${m.environment} · ${m.service ?? 'all services'}`, ...measureLines(m));
  }
  return lines;
}

export async function insightsCommand(a: Args, io: Out): Promise<number> {
  if (a.positional.length) throw new UserError(`unexpected argument "${a.positional[0]}"`);
  const root = repoRoot(a);
  const now = new Date();
  const state = await loadRepoState(root, now);
  if (state.configProblem) throw new UserError(state.configProblem);
  const envs = state.environments.map((e) => e.config.name);
  const environment = str(a, 'env');
  checkEnv(environment, envs);
  const p = period(a, now);
  const result = computeInsights(state.records, { ...p, environment, service: str(a, 'service'), environmentOrder: envs });
  if (a.flags.json) io.out(JSON.stringify(result, null, 2));
  else for (const l of insightsText(result)) io.out(l);
  for (const pr of state.recordProblems) io.err(`warning: record skipped: ${path.relative(root, pr.file)}: ${pr.message}`);
  return 0;
}

/** `records verify [--env E] [--json]`: 0 when the trail is intact, 4 when it is not. */
export async function verifyCommand(a: Args, io: Out, signal: AbortSignal): Promise<number> {
  const root = repoRoot(a);
  const config = await loadConfig(root);
  const environment = str(a, 'env');
  checkEnv(environment, config.environments.map((e) => e.name));
  const v = await verifyTrail(config, recordsGit(root), { environment, signal });
  if (a.flags.json) io.out(JSON.stringify(v, null, 2));
  else for (const l of trailText(v)) (v.ok ? io.out : l.startsWith('✓') ? io.out : io.err)(l);
  return v.ok ? 0 : 4;
}

/** `records export --env E [--since] [--until] --out DIR`: evidence.json and evidence.html in DIR. */
export async function exportCommand(a: Args, io: Out, signal: AbortSignal): Promise<number> {
  if (a.positional.length) throw new UserError(`unexpected argument "${a.positional[0]}"`);
  const environment = str(a, 'env');
  if (!environment) throw new UserError('records export needs --env <environment> (the environment whose changes go in the pack)');
  const outFlag = str(a, 'out');
  if (!outFlag) throw new UserError('records export needs --out DIR (a new or empty folder for evidence.json and evidence.html)');
  const root = repoRoot(a);
  const config = await loadConfig(root);
  checkEnv(environment, config.environments.map((e) => e.name));
  const now = new Date();
  const p = period(a, now);
  const out = path.resolve(outFlag);
  // The environment reviews of the changes' GitHub Actions runs, when GitHub is configured and a token set.
  const pack = await exportEvidencePack(config, { environment, since: p.since, until: p.until, out, now, signal, githubToken: process.env.GITHUB_TOKEN ?? process.env.GH_TOKEN });
  io.out(`${path.join(out, 'evidence.html')}, ${path.join(out, 'evidence.json')}: ${pack.summary.changes} change(s) in ${environment} from ${pack.period.since} to ${pack.period.until}; trail ${pack.trail.intact ? 'intact' : `BROKEN (${pack.trail.problems.filter((x) => x.kind !== 'fork').length} problem(s))`}`);
  return 0;
}

// GitHub Deployments for every deployment, whichever executor runs it: a reporter subscribed to
// the pipeline's events (the core does not know about it). After the push it creates a
// deployment for the environment and the commit and sets `in_progress`; when the pipeline
// finishes, `success` / `failure` / `error` with log_url at the record (its blob URL) or the run.
// An automatic rollback also gets its own deployment for the rollback commit. The service's
// earlier successful deployment in the environment is marked `inactive`. A failing GitHub call never fails the
// deployment: it becomes a warning.
import type { PipelineEvent } from '../outcome';
import type { PipelineOutcome } from '../outcome';
import { maskSecrets } from '../mask';
import type { WindowOverride } from '../model/override';
import { recordBlobUrl, type DeploymentState, type GitHubPort, type GitHubRepoRef } from './port';

export interface ReporterOptions {
  port: GitHubPort;
  repo: GitHubRepoRef;
  /** The branch records are pushed to (config.git.branch). */
  branch: string;
  /** Full sha of HEAD right after a push (the pushed commit); default: the short sha in the step message. */
  headSha?: () => Promise<string>;
  /** The Actions run this deployment runs in, for log_url before the record exists. */
  runUrl?: string;
  /** Environments whose deployments GitHub marks as production. */
  productionEnvironments?: string[];
  warn: (message: string) => void;
  /** Values to mask in warnings (GITHUB_TOKEN…). */
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** What the pipeline runs (its events name the service and environment only at the end). */
  request: { service: string; environment: string; mode: 'deploy' | 'rollback' };
}

export interface DeploymentReporter {
  /** Subscribe this to the pipeline's events (RunControl.onEvent); never throws. */
  onEvent(e: PipelineEvent): void;
  /** Resolves when every GitHub call queued so far has finished (await before exiting). */
  flush(): Promise<void>;
  /** Deployment ids created, in order (for tests and the transcript). */
  readonly deploymentIds: number[];
}

interface Current {
  id: number;
  environment: string;
}

/** The run URL from GitHub Actions' variables, when the pipeline runs in a workflow. */
export function runUrlFromEnv(env: Record<string, string | undefined>): string | undefined {
  if (!env.GITHUB_RUN_ID || !env.GITHUB_SERVER_URL || !env.GITHUB_REPOSITORY) return undefined;
  return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}

export function createDeploymentReporter(o: ReporterOptions): DeploymentReporter {
  let chain: Promise<void> = Promise.resolve();
  let deploy: Current | undefined;
  /** Set by the validate step's output when the window was overridden (an emergency). */
  let windowOverride: WindowOverride | undefined;
  const context = o.request;
  const ids: number[] = [];
  const env = o.env ?? {};

  const enqueue = (what: string, fn: () => Promise<void>) => {
    chain = chain.then(fn).catch((err: unknown) => o.warn(maskSecrets(`GitHub deployment: ${what} failed: ${err instanceof Error ? err.message : String(err)}`, env)));
  };

  const sha = async (message: string | undefined): Promise<string> => {
    if (o.headSha) {
      try {
        return await o.headSha();
      } catch {
        // fall back to the message
      }
    }
    const m = /\b([0-9a-f]{7,40})\b/.exec(message ?? '');
    if (!m) throw new Error('the pushed commit is unknown');
    return m[1];
  };

  const create = async (ref: string, environment: string, description: string, task: string, payload: Record<string, unknown>): Promise<Current> => {
    const d = await o.port.createDeployment({ ref, environment, description: description.slice(0, 140), task, payload, productionEnvironment: o.productionEnvironments?.includes(environment) }, o.signal);
    ids.push(d.id);
    return { id: d.id, environment };
  };

  const status = async (c: Current, state: DeploymentState, description: string, logUrl: string | undefined) => {
    await o.port.createDeploymentStatus(c.id, { state, description: description.slice(0, 140), logUrl, autoInactive: false }, o.signal);
    if (state === 'success') await deactivateOthers(c);
  };

  // Only this service's earlier deployments: an environment holds many services, and GitHub's
  // own auto_inactive would retire every other service's deployment there too.
  const deactivateOthers = async (c: Current) => {
    const list = await o.port.listDeployments({ environment: c.environment, perPage: 30 }, o.signal);
    for (const d of list) {
      if (d.id === c.id || (d.payload as { service?: string } | undefined)?.service !== context.service) continue;
      const [latest] = await o.port.listDeploymentStatuses(d.id, o.signal);
      if (latest?.state === 'success') await o.port.createDeploymentStatus(d.id, { state: 'inactive', description: `superseded by deployment ${c.id}`, autoInactive: false }, o.signal);
    }
  };

  const logUrlFor = (out: PipelineOutcome): string | undefined => (out.record?.pushed ? recordBlobUrl(o.repo, o.branch, out.record.path) : o.runUrl);

  const finish = (out: PipelineOutcome) => {
    const current = deploy;
    if (!current) return; // refused or dry run: nothing reached origin, no deployment
    const url = logUrlFor(out);
    const what = `${out.service} ${out.tag ?? ''} in ${out.environment}`;
    const override = out.windowOverride ? ' (WINDOW OVERRIDE)' : '';
    if (out.kind === 'deployed') enqueue('success status', () => status(current, 'success', `${out.mode === 'rollback' ? 'rolled back' : 'deployed'} ${what} and verified${override}`, url));
    else if (out.kind === 'rolled-back') {
      enqueue('failure status', () => status(current, 'failure', `${what} failed verification; rolled back to ${out.previousTag ?? 'the previous tag'}`, url));
      if (out.rollbackCommit) {
        const rb = out.rollbackCommit;
        enqueue('rollback deployment', async () => {
          const c = await create(rb, out.environment, `Automatic rollback of ${out.service} to ${out.previousTag ?? '?'}`, 'deploy:rollback', { service: out.service, tag: out.previousTag, rollbackOf: out.tag, mode: 'rollback' });
          await status(c, 'success', `rolled back ${out.service} to ${out.previousTag ?? '?'} and verified`, url);
        });
      }
    } else enqueue('failure status', () => status(current, out.kind === 'failed-needs-human' && !out.rollbackCommand ? 'failure' : 'error', maskSecrets(out.message.split('\n')[0], env), url));
  };

  return {
    deploymentIds: ids,
    flush: async () => {
      // Calls queued while flushing are awaited too.
      let last: Promise<void> | undefined;
      while (last !== chain) {
        last = chain;
        await chain;
      }
    },
    onEvent(e: PipelineEvent) {
      try {
        if (e.type === 'step-finished' && e.step === 'validate' && e.output?.windowOverride) windowOverride = e.output.windowOverride as WindowOverride;
        if (e.type === 'step-finished' && e.step === 'push' && e.status === 'succeeded' && !deploy) {
          const message = e.message;
          const override = windowOverride;
          enqueue('create', async () => {
            const ref = await sha(message);
            const what = `${context.mode === 'rollback' ? 'Rollback' : 'Deploy'} ${context.service}`;
            const c = await create(ref, context.environment, override ? `WINDOW OVERRIDE: ${what} (emergency: ${override.reason})` : what, 'deploy', { service: context.service, mode: context.mode, ...(override ? { windowOverride: override } : {}) });
            deploy = c;
            await status(c, 'in_progress', `${context.mode === 'rollback' ? 'rolling back' : 'deploying'} ${context.service}: waiting for Argo CD and verifying`, o.runUrl);
          });
        }
        if (e.type === 'pipeline-finished') enqueue('final status', async () => finish(e.outcome));
      } catch (err) {
        o.warn(`GitHub deployment: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}

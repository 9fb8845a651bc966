// What cli.ts hands to the commands that live in their own files (follow, scheduled): the same
// ports factory, pipeline deps and streaming as deploy/rollback, without an import cycle.
import type { GitOpsConfig } from '../pipeline/config/types';
import type { DeployRequest, PipelineDeps, PipelineOutcome } from '../pipeline/outcome';
import type { Ports } from '../pipeline/ports';

export interface ParsedArgs {
  command: string;
  positional: string[];
  flags: Record<string, string | true>;
}

export type Out = { out: (s: string) => void; err: (s: string) => void };

export interface CliWiring {
  ports(config: GitOpsConfig, environment: string, vars: NodeJS.ProcessEnv): Ports;
  /** Test overrides of the pipeline deps (clock, sleep, actor). */
  depsOverride: Partial<PipelineDeps>;
  /** The repository's config (--repo or cwd); with envName, it must know the environment. */
  config(args: ParsedArgs, envName: string | undefined, vars: NodeJS.ProcessEnv): Promise<{ root: string; config: GitOpsConfig }>;
  /** Run a deployment as the CLI does (transcript unless json, GitHub deployment reporting). */
  deploy(c: { config: GitOpsConfig; ports: Ports; envName: string; service: string; vars: NodeJS.ProcessEnv; mask: (t: string) => string; actor?: string }, request: DeployRequest, opts: { json: boolean; dryRun: boolean }, io: Out, signal: AbortSignal): Promise<PipelineOutcome>;
  printOutcome(outcome: PipelineOutcome, io: Out, mask: (t: string) => string): void;
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

import { execFile } from 'node:child_process';

export const SANDBOX_GIT_IDENTITY = ['-c', 'user.name=GitOps Sandbox', '-c', 'user.email=sandbox@gitops.invalid'];

/** Runs git with an argument array (never a shell string). */
export function git(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd: opts.cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...(opts.env ?? {}) } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Reads a file at a commit of a (bare) repository; undefined when it does not exist. */
export async function showFile(gitDir: string, sha: string, file: string): Promise<string | undefined> {
  try {
    return await git(['--git-dir', gitDir, 'show', `${sha}:${file}`]);
  } catch {
    return undefined;
  }
}

// Commit a few repository files (schedules, pause markers) and push them, as the pipeline does its
// records: one commit of exactly these paths; a push race is retried with fetch + rebase; when the
// push cannot succeed the local commit is undone, so the checkout is never left ahead of origin.
import type { GitPort } from './ports';

export type RepoChangeResult = { ok: true; commit: string } | { ok: false; message: string };

export async function commitAndPush(git: GitPort, paths: string[], message: string, signal?: AbortSignal): Promise<RepoChangeResult> {
  const before = await git.headSha(signal);
  try {
    await git.commit(paths, message, signal);
  } catch (err) {
    await git.restore(paths, signal).catch(() => undefined);
    return { ok: false, message: `git commit failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  let last = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const r = await git.push(signal);
    if (r.ok) return { ok: true, commit: await git.headSha(signal) };
    last = r.message;
    if (r.rejected !== 'non-fast-forward') break;
    await git.fetch(signal);
    if (!(await git.rebaseOntoRemote(signal))) {
      last = `origin moved and the rebase conflicted: ${r.message}`;
      break;
    }
  }
  // Undo: the change did not reach origin, so it must not stay in the checkout either.
  await git.resetHard(before, new AbortController().signal).catch(() => undefined);
  return { ok: false, message: `git push failed: ${last}; the local commit was undone` };
}

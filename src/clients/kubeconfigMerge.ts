// Loading a kubeconfig the standard way (kubectl / client-go `clientcmd` loading rules): every file of
// KUBECONFIG in order, missing ones skipped, the first file to define a cluster, user or context by name
// wins (entries are not merged field by field), the first `current-context` wins, and relative paths
// (certificate-authority, client-certificate, client-key, tokenFile, an exec command with a "/") are
// relative to the file that names them. client-node 1.x's own merge throws on a repeated name and lets
// the last current-context win, so the files are merged here and handed to it as one document.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

export interface KubeconfigFile {
  path: string;
  /** The parsed YAML document (any shape: checked here). */
  doc: unknown;
}

type Entry = { name: string; [k: string]: unknown };

function entries(doc: any, key: 'clusters' | 'users' | 'contexts'): Entry[] {
  const list = doc && typeof doc === 'object' ? doc[key] : undefined;
  return Array.isArray(list) ? list.filter((e: any): e is Entry => !!e && typeof e === 'object' && typeof e.name === 'string' && e.name !== '') : [];
}

const abs = (dir: string, p: unknown): unknown => (typeof p === 'string' && p !== '' && !path.isAbsolute(p) ? path.resolve(dir, p) : p);

function absolutise(kind: 'clusters' | 'users' | 'contexts', e: Entry, dir: string): Entry {
  if (kind === 'clusters') {
    const c = e.cluster as Record<string, unknown> | undefined;
    return c && typeof c === 'object' ? { ...e, cluster: { ...c, 'certificate-authority': abs(dir, c['certificate-authority']) } } : e;
  }
  if (kind === 'users') {
    const u = e.user as Record<string, unknown> | undefined;
    if (!u || typeof u !== 'object') return e;
    const out: Record<string, unknown> = { ...u };
    for (const k of ['client-certificate', 'client-key', 'tokenFile']) if (k in u) out[k] = abs(dir, u[k]);
    const exec = u.exec as Record<string, unknown> | undefined;
    // client-go: a relative exec command containing a path separator is relative to the kubeconfig's directory;
    // a bare name is looked up in PATH.
    if (exec && typeof exec === 'object' && typeof exec.command === 'string' && exec.command.includes('/')) out.exec = { ...exec, command: abs(dir, exec.command) };
    return { ...e, user: out };
  }
  return e;
}

/** One kubeconfig document from several, by the kubectl rules (first definition of a name wins). */
export function mergeKubeconfigs(files: KubeconfigFile[]): Record<string, unknown> {
  const merged: Record<'clusters' | 'users' | 'contexts', Entry[]> = { clusters: [], users: [], contexts: [] };
  let current: string | undefined;
  for (const f of files) {
    const dir = path.dirname(f.path);
    for (const kind of ['clusters', 'users', 'contexts'] as const) {
      for (const e of entries(f.doc, kind)) if (!merged[kind].some((x) => x.name === e.name)) merged[kind].push(absolutise(kind, e, dir));
    }
    const cc = (f.doc as any)?.['current-context'];
    if (current === undefined && typeof cc === 'string' && cc !== '') current = cc;
  }
  return { apiVersion: 'v1', kind: 'Config', ...merged, ...(current ? { 'current-context': current } : {}) };
}

/** KUBECONFIG's files (the platform's list separator), empty entries dropped. */
export function kubeconfigList(value: string | undefined): string[] {
  return (value ?? '').split(path.delimiter).filter(Boolean);
}

/**
 * Reads and merges the files that exist (a missing file in KUBECONFIG is skipped, as kubectl does);
 * throws naming the file that is not a kubeconfig. Returns the YAML text and the files read.
 */
export function readKubeconfigs(paths: string[]): { text: string; files: string[] } {
  const files: KubeconfigFile[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = fs.readFileSync(p, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`${p}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = YAML.parse(text);
    } catch (err) {
      throw new Error(`${p} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) throw new Error(`${p} is not a kubeconfig (a YAML map with clusters, users, contexts)`);
    files.push({ path: path.resolve(p), doc });
  }
  return { text: YAML.stringify(mergeKubeconfigs(files)), files: files.map((f) => f.path) };
}

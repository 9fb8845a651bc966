/** Patch application for the simulated API server: JSON merge patch (RFC 7386), a strategic-merge approximation, JSON patch (RFC 6902). */

export class PatchError extends Error {}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: any, patch: any): any {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, any> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge: like a merge patch, but lists of objects with a `name` merge by name (containers, env, ports…). */
export function strategicMergePatch(target: any, patch: any): any {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, any> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else if (Array.isArray(v) && Array.isArray(out[k]) && v.every((x) => isObj(x) && typeof x.name === 'string')) {
      const merged = [...out[k]];
      for (const item of v) {
        const i = merged.findIndex((x) => isObj(x) && x.name === item.name);
        if (item.$patch === 'delete') {
          if (i >= 0) merged.splice(i, 1);
        } else if (i >= 0) merged[i] = strategicMergePatch(merged[i], item);
        else merged.push(item);
      }
      out[k] = merged;
    } else out[k] = strategicMergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer: ${path}`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function jsonPatch(target: any, ops: unknown): any {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops) {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw new PatchError('invalid json patch operation');
    const parts = pointer(op.path);
    const read = (ps: string[]): any => ps.reduce((o, p) => (o === undefined ? undefined : o[p]), doc);
    const parentPath = parts.slice(0, -1);
    const last = parts[parts.length - 1];
    const parent = read(parentPath);
    switch (op.op) {
      case 'test':
        if (JSON.stringify(read(parts)) !== JSON.stringify(op.value)) throw new PatchError(`testing value ${op.path} failed`);
        break;
      case 'add':
      case 'replace': {
        if (parts.length === 0) { doc = structuredClone(op.value); break; }
        if (parent === undefined || typeof parent !== 'object') throw new PatchError(`doc is missing path: "${op.path}"`);
        if (Array.isArray(parent)) {
          const i = last === '-' ? parent.length : Number(last);
          if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchError(`invalid index ${last}`);
          if (op.op === 'add') parent.splice(i, 0, structuredClone(op.value));
          else parent[i] = structuredClone(op.value);
        } else {
          if (op.op === 'replace' && !(last in parent)) throw new PatchError(`replace operation does not apply: doc is missing key: ${op.path}`);
          parent[last] = structuredClone(op.value);
        }
        break;
      }
      case 'remove':
        if (parent === undefined || !(last in parent)) throw new PatchError(`remove operation does not apply: doc is missing path: "${op.path}"`);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

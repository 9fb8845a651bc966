import type { KObj } from './store';

type Req = { key: string; op: 'eq' | 'ne' | 'in' | 'notin' | 'exists' | '!exists'; values: string[] };

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

export class SelectorError extends Error {}

export function parseLabelSelector(s: string | null | undefined): Req[] {
  if (!s) return [];
  return splitTop(s).map((part) => {
    let m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part);
    if (m) return { key: m[1], op: m[2] === '!=' ? 'ne' : 'eq', values: [m[3]] } as Req;
    m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) return { key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()) } as Req;
    m = /^(!?)([\w./-]+)$/.exec(part);
    if (m) return { key: m[2], op: m[1] ? '!exists' : 'exists', values: [] } as Req;
    throw new SelectorError(`unable to parse requirement: ${part}`);
  });
}

function matchReq(value: string | undefined, r: Req): boolean {
  switch (r.op) {
    case 'eq': return value === r.values[0];
    case 'ne': return value !== r.values[0];
    case 'in': return value !== undefined && r.values.includes(value);
    case 'notin': return value === undefined || !r.values.includes(value);
    case 'exists': return value !== undefined;
    case '!exists': return value === undefined;
  }
}

export function matchLabels(obj: KObj, reqs: Req[]): boolean {
  const labels = (obj.metadata.labels ?? {}) as Record<string, string>;
  return reqs.every((r) => matchReq(labels[r.key], r));
}

const FIELD_OK = /^(metadata\.name|metadata\.namespace|status\.phase|spec\.nodeName|involvedObject\.\w+|regarding\.\w+|reason|type|source|reportingComponent|spec\.destination\.namespace)$/;

export function parseFieldSelector(s: string | null | undefined): Req[] {
  if (!s) return [];
  return splitTop(s).map((part) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${part}'; can't understand '${part}'`);
    if (!FIELD_OK.test(m[1])) throw new SelectorError(`field label not supported: ${m[1]}`);
    return { key: m[1], op: m[2] === '!=' ? 'ne' : 'eq', values: [m[3]] } as Req;
  });
}

export function matchFields(obj: KObj, reqs: Req[]): boolean {
  return reqs.every((r) => {
    let v: any = obj;
    for (const p of r.key.split('.')) v = v?.[p];
    if (r.key === 'source' && v && typeof v === 'object') v = v.component;
    return matchReq(v === undefined || v === null ? '' : String(v), r);
  });
}

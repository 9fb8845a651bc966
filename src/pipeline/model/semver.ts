// A small semantic-version range: space-separated comparators (>=1.4.0 <2), caret (^1.4.0),
// tilde (~1.4), x-ranges (1.x) and exact versions; a leading "v" on tags is accepted.
// Pre-release versions (1.4.0-rc.1) match only a comparator that names a pre-release of the same core.

export interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

export function compareVersions(a: Version, b: Version): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] - b[k];
  if (!a.pre.length || !b.pre.length) return (a.pre.length ? -1 : 0) + (b.pre.length ? 1 : 0);
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

type Op = '>=' | '>' | '<' | '<=' | '=';
interface Comparator {
  op: Op;
  v: Version;
}

export interface SemverRange {
  test(tag: string): boolean;
  parse(tag: string): Version | undefined;
  /** Compare two tags as versions (non-versions sort first). */
  compare(a: string, b: string): number;
}

const PARTIAL = /^v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?(?:-([0-9A-Za-z.-]+))?$/;

function expand(token: string): Comparator[] {
  const m = /^(\^|~|>=|<=|>|<|=)?(.*)$/.exec(token)!;
  const op = m[1] ?? '';
  const p = PARTIAL.exec(m[2]);
  if (!p) throw new Error(`"${token}" is not a version comparator (e.g. >=1.4.0, ^1.4.0, ~1.4, 1.x)`);
  const wild = (s: string | undefined) => s === undefined || s === 'x' || s === '*';
  const [maj, min, pat] = [p[1], p[2], p[3]];
  const pre = p[4] ? p[4].split('.') : [];
  const n = (s: string | undefined) => (wild(s) ? 0 : Number(s));
  const v: Version = { major: n(maj), minor: n(min), patch: n(pat), pre };
  const ver = (major: number, minor: number, patch: number): Version => ({ major, minor, patch, pre: [] });
  if (wild(maj)) return op === '' || op === '=' || op === '>=' ? [] : [{ op: '<', v: ver(0, 0, 0) }];
  if (op === '^') {
    const hi = v.major > 0 || wild(min) ? ver(v.major + 1, 0, 0) : v.minor > 0 || wild(pat) ? ver(0, v.minor + 1, 0) : ver(0, 0, v.patch + 1);
    return [{ op: '>=', v }, { op: '<', v: hi }];
  }
  if (op === '~') return [{ op: '>=', v }, { op: '<', v: wild(min) ? ver(v.major + 1, 0, 0) : ver(v.major, v.minor + 1, 0) }];
  if (op === '' || op === '=') {
    if (wild(min)) return [{ op: '>=', v }, { op: '<', v: ver(v.major + 1, 0, 0) }];
    if (wild(pat)) return [{ op: '>=', v }, { op: '<', v: ver(v.major, v.minor + 1, 0) }];
    return [{ op: '=', v }];
  }
  return [{ op: op as Op, v }];
}

export function parseRange(text: string): SemverRange {
  const tokens = text.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new Error('the range is empty');
  const comparators = tokens.flatMap(expand);
  const holds = (v: Version, c: Comparator) => {
    const d = compareVersions(v, c.v);
    return c.op === '>=' ? d >= 0 : c.op === '>' ? d > 0 : c.op === '<' ? d < 0 : c.op === '<=' ? d <= 0 : d === 0;
  };
  const allowsPre = (v: Version) => comparators.some((c) => c.v.pre.length && c.v.major === v.major && c.v.minor === v.minor && c.v.patch === v.patch);
  return {
    parse: parseVersion,
    test(tag) {
      const v = parseVersion(tag);
      if (!v) return false;
      if (v.pre.length && !allowsPre(v)) return false;
      return comparators.every((c) => holds(v, c));
    },
    compare(a, b) {
      const x = parseVersion(a);
      const y = parseVersion(b);
      if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
      return compareVersions(x, y);
    },
  };
}

/**
 * A fast reader for the front matter records have: block mappings and sequences of mappings, to any
 * depth, of plain or quoted scalars and integers (what serializeRecord writes, the signature
 * evidence included). It returns undefined at anything
 * else and the caller uses the full YAML parser; a unit test checks both agree. Parsing 10,000
 * records with the full parser takes seconds; this takes a fraction of that.
 */
const JSON_ESCAPES = /\\(?!["\\/bfnrt]|u[0-9a-fA-F]{4})/;
// Plain scalars YAML 1.2 (core schema) reads as something other than a string.
const NON_STRING_PLAIN = /^(?:[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE)$/;
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const FAIL = Symbol('fail');
// Whitespace other than space, tab and line feeds (and control characters): the scanner below only
// knows spaces and tabs, so a text with any of these goes to the full parser.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const ODD_SPACE = /[\x00-\x08\x0b-\x1f\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
// First characters of a plain scalar that YAML reads otherwise (indicators); "-" is one unless a
// character other than space or "-" follows it.
const INDICATOR = new Set('&*!|>{}[]%@`,?:#-'.split('').map((c) => c.charCodeAt(0)));
// First characters NON_STRING_PLAIN can match.
const NON_STRING_FIRST = new Set('+-.0123456789tTfF'.split('').map((c) => c.charCodeAt(0)));
// Plain integers read as numbers (rekorLogIndex, workflowRun.id, estimate.seconds); other numbers go to the full parser.
const INTEGER = /^(?:0|-?[1-9]\d{0,14})$/;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const DASH = 45;
const COLON = 58;

/** Length of the `key:` at the start of `line` (the key is [A-Za-z_][A-Za-z0-9_-]*), or -1. */
function keyEnd(line: string, from: number): number {
  const c0 = line.charCodeAt(from);
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122) || c0 === 95)) return -1;
  for (let j = from + 1; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === DASH) continue;
    return c === COLON ? j : -1;
  }
  return -1;
}

/** After `key:` at `colon`: where the value starts (past the spaces), or -1 when no space or end follows the colon. */
function valueStart(line: string, colon: number): number {
  let p = colon + 1;
  if (p < line.length && line.charCodeAt(p) !== SPACE) return -1;
  while (p < line.length && line.charCodeAt(p) === SPACE) p++;
  return p;
}

/** Columns of leading spaces and tabs. */
function indentOf(l: string): number {
  let j = 0;
  while (j < l.length && (l.charCodeAt(j) === SPACE || l.charCodeAt(j) === TAB)) j++;
  return j;
}

/** Blank, or only a comment. */
function skip(l: string): boolean {
  const j = indentOf(l);
  return j === l.length || l.charCodeAt(j) === HASH;
}

function scalar(raw: string): string | number | null | typeof FAIL {
  const s = raw.trim();
  const c0 = s.charCodeAt(0);
  if (c0 === 34 /* " */) {
    const end = closingDouble(s);
    if (end < 0 || !isTrailingComment(s.slice(end + 1))) return FAIL;
    const inner = s.slice(1, end);
    if (inner.includes('\\') && JSON_ESCAPES.test(inner)) return FAIL;
    try {
      return JSON.parse(`"${inner}"`) as string;
    } catch {
      return FAIL;
    }
  }
  if (c0 === 39 /* ' */) {
    let i = 1;
    let out = '';
    for (;;) {
      const q = s.indexOf("'", i);
      if (q < 0) return FAIL;
      out += s.slice(i, q);
      if (s.charCodeAt(q + 1) === 39) {
        out += "'";
        i = q + 2;
        continue;
      }
      return isTrailingComment(s.slice(q + 1)) ? out : FAIL;
    }
  }
  if (INDICATOR.has(c0)) {
    const c1 = s.charCodeAt(1);
    if (!(c0 === DASH && s.length > 1 && c1 !== SPACE && c1 !== DASH)) return FAIL;
  }
  const hash = s.indexOf(' #');
  const v = hash < 0 ? s : s.slice(0, hash).trimEnd();
  if (v.includes(': ') || v.endsWith(':') || v.includes('\t')) return FAIL;
  if (NULLS.has(v)) return null;
  if (NON_STRING_FIRST.has(v.charCodeAt(0)) && NON_STRING_PLAIN.test(v)) return INTEGER.test(v) ? Number(v) : FAIL;
  return v;
}

function closingDouble(s: string): number {
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \\ */) i++;
    else if (c === 34) return i;
  }
  return -1;
}

function isTrailingComment(rest: string): boolean {
  return rest.trim() === '' || /^ +#/.test(rest);
}

type Value = string | number | null | Value[] | { [key: string]: Value };

/**
 * The front matter as a mapping: block mappings and sequences of mappings nested to any depth,
 * with scalars (strings, integers, null) and empty [] / {}; undefined at anything else.
 */
export function fastFrontMatter(text: string): Record<string, Value> | undefined {
  if (text.includes('\r')) {
    text = text.replace(/\r\n/g, '\n');
    if (text.includes('\r')) return undefined;
  }
  if (text.includes('\t') || ODD_SPACE.test(text)) return undefined;
  const lines = text.split('\n').filter((l) => !skip(l));
  if (lines.length && indentOf(lines[0]) !== 0) return undefined;
  const out: Record<string, Value> = {};
  const end = mapping(lines, 0, 0, out);
  return end === lines.length ? out : undefined;
}

/**
 * The block mapping whose keys are at column `indent`, from lines[i], into `into`. Returns the index
 * of the first line after it, or -1 at anything the fast reader does not take.
 */
function mapping(lines: string[], i: number, indent: number, into: { [key: string]: Value }): number {
  while (i < lines.length) {
    const line = lines[i];
    const ind = indentOf(line);
    if (ind < indent) break;
    if (ind > indent) return -1;
    const colon = keyEnd(line, ind);
    const start = colon < 0 ? -1 : valueStart(line, colon);
    if (start < 0) return -1;
    const key = intern(line.slice(ind, colon));
    // A key seen before, or one the object already has from its prototype: the full parser decides.
    if (into[key] !== undefined || key === '__proto__') return -1;
    const rest = line.slice(start);
    const trimmed = rest.trim();
    i++;
    const deeper = i < lines.length && indentOf(lines[i]) > indent;
    if (trimmed === '[]' || trimmed === '{}') {
      if (deeper) return -1;
      into[key] = trimmed === '[]' ? [] : {};
      continue;
    }
    if (trimmed !== '' && trimmed.charCodeAt(0) !== HASH) {
      const v = scalar(rest);
      if (v === FAIL || deeper) return -1; // a continuation line: the full parser reads it
      into[key] = v;
      continue;
    }
    if (!deeper) {
      // `key:` alone: null, unless a sequence follows at the key's own column (the full parser reads that)
      if (i < lines.length && indentOf(lines[i]) === indent && isItem(lines[i], indent)) return -1;
      into[key] = null;
      continue;
    }
    const child = indentOf(lines[i]);
    if (isItem(lines[i], child)) {
      const items: Value[] = [];
      i = sequence(lines, i, child, items);
      into[key] = items;
    } else {
      const map: { [key: string]: Value } = {};
      i = mapping(lines, i, child, map);
      into[key] = map;
    }
    if (i < 0) return -1;
  }
  return i;
}

// Keys sliced from the text are new strings each time; storing them as property names makes V8 look
// each up in its string table (the largest cost here). The same few keys recur in every record: use
// one string per key name. Bounded, as a record folder may hold anything.
const KEYS = new Map<string, string>();
function intern(key: string): string {
  const known = KEYS.get(key);
  if (known !== undefined) return known;
  if (KEYS.size < 1000) KEYS.set(key, key);
  return key;
}

const isItem = (l: string, at: number) => l.charCodeAt(at) === DASH && l.charCodeAt(at + 1) === SPACE;

/** A block sequence of mappings (`- key: value` items) at column `indent`. */
function sequence(lines: string[], i: number, indent: number, into: Value[]): number {
  while (i < lines.length) {
    const line = lines[i];
    const ind = indentOf(line);
    if (ind < indent) break;
    if (ind > indent || !isItem(line, ind)) return -1;
    const at = indentOf2(line, ind + 2);
    if (at === line.length || keyEnd(line, at) < 0) return -1; // only mappings as items
    // The item's first key sits on the dash's line: read it as if the dash were spaces.
    lines[i] = ' '.repeat(at) + line.slice(at);
    const item: { [key: string]: Value } = {};
    i = mapping(lines, i, at, item);
    if (i < 0) return -1;
    into.push(item);
  }
  return i;
}

/** Past the spaces and tabs from `from`. */
function indentOf2(l: string, from: number): number {
  let j = from;
  while (j < l.length && (l.charCodeAt(j) === SPACE || l.charCodeAt(j) === TAB)) j++;
  return j;
}

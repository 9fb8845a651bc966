/**
 * A fast reader for the front matter records have: top-level scalars, maps of scalars and
 * sequences of maps of scalars (what serializeRecord writes). It returns undefined at anything
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

function scalar(raw: string): string | null | typeof FAIL {
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
  if (NON_STRING_FIRST.has(v.charCodeAt(0)) && NON_STRING_PLAIN.test(v)) return FAIL;
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

type Value = string | null | Record<string, string | null> | Record<string, string | null>[] | [];

export function fastFrontMatter(text: string): Record<string, Value> | undefined {
  if (text.includes('\r')) {
    text = text.replace(/\r\n/g, '\n');
    if (text.includes('\r')) return undefined;
  }
  if (ODD_SPACE.test(text)) return undefined;
  const lines = text.split('\n');
  const out: Record<string, Value> = {};
  // Keys seen: a Set, because `key in out` with a key sliced from the text takes V8's slow path
  // (it was a third of the time spent here).
  const seen = new Set<string>();
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (skip(line)) {
      i++;
      continue;
    }
    const c0 = line.charCodeAt(0);
    if (c0 === SPACE || c0 === TAB) return undefined;
    const colon = keyEnd(line, 0);
    const start = colon < 0 ? -1 : valueStart(line, colon);
    if (start < 0) return undefined;
    const key = line.slice(0, colon);
    if (seen.has(key) || key === '__proto__') return undefined;
    seen.add(key);
    const rest = line.slice(start);
    const trimmed = rest.trim();
    i++;
    if (trimmed === '[]') {
      out[key] = [];
      continue;
    }
    if (trimmed === '{}') {
      out[key] = {};
      continue;
    }
    if (trimmed !== '' && trimmed.charCodeAt(0) !== HASH) {
      const v = scalar(rest);
      if (v === FAIL) return undefined;
      if (i < lines.length && !skip(lines[i]) && indentOf(lines[i]) > 0) return undefined; // continuation
      out[key] = v;
      continue;
    }
    // A nested block: the lines indented below the key.
    const block: string[] = [];
    while (i < lines.length && (skip(lines[i]) || indentOf(lines[i]) > 0)) {
      if (!skip(lines[i])) block.push(lines[i]);
      i++;
    }
    if (block.length === 0) {
      out[key] = null;
      continue;
    }
    const nested = parseBlock(block);
    if (nested === undefined) return undefined;
    out[key] = nested;
  }
  return out;
}

/** `key: scalar` at `from` in `l` into `into`; false when it is anything else. */
function entry(l: string, from: number, into: Record<string, string | null>, seen: string[]): boolean {
  const colon = keyEnd(l, from);
  const start = colon < 0 ? -1 : valueStart(l, colon);
  if (start < 0) return false;
  const key = l.slice(from, colon);
  if (seen.includes(key) || key === '__proto__') return false;
  seen.push(key);
  const rest = l.slice(start);
  if (rest.trim() === '') return false;
  const v = scalar(rest);
  if (v === FAIL) return false;
  into[key] = v;
  return true;
}

function parseBlock(block: string[]): Record<string, string | null> | Record<string, string | null>[] | undefined {
  const indent = indentOf(block[0]);
  if (block[0].slice(0, indent).includes('\t')) return undefined;
  if (block[0].charCodeAt(indent) === DASH && block[0].charCodeAt(indent + 1) === SPACE) {
    const items: Record<string, string | null>[] = [];
    let current: Record<string, string | null> | undefined;
    let itemIndent = -1;
    let seen: string[] = [];
    for (const l of block) {
      const ind = indentOf(l);
      let at = ind;
      if (ind === indent && l.charCodeAt(ind) === DASH && l.charCodeAt(ind + 1) === SPACE) {
        current = {};
        seen = [];
        items.push(current);
        at = indentOf2(l, ind + 2);
        itemIndent = at;
      } else if (ind !== itemIndent || !current) return undefined;
      if (!entry(l, at, current!, seen)) return undefined;
    }
    return items;
  }
  const map: Record<string, string | null> = {};
  const seen: string[] = [];
  for (const l of block) {
    if (indentOf(l) !== indent) return undefined;
    if (!entry(l, indent, map, seen)) return undefined;
  }
  return map;
}

/** Past the spaces and tabs from `from`. */
function indentOf2(l: string, from: number): number {
  let j = from;
  while (j < l.length && (l.charCodeAt(j) === SPACE || l.charCodeAt(j) === TAB)) j++;
  return j;
}

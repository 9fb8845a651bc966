import { Scalar } from 'yaml';
import type { TagPath } from '../config/types';

/** One service's tag in a values file: where it is, byte for byte. */
export interface TagEntry {
  service: string;
  tag: string;
  /** Key path of the scalar in the document. */
  path: string[];
  /** 1-based line of the tag scalar. */
  line: number;
  /** Byte offsets [start, end) of the scalar's source text (quotes included). */
  range: [number, number];
  style: Scalar.Type;
}

/**
 * A fast reader for the plain shape values files almost always have: block mappings of plain or
 * simply quoted scalars, with comments. It returns undefined as soon as it meets anything else
 * (flow collections, anchors, aliases, tags, block or multi-line scalars, escapes, sequences,
 * duplicate keys, tabs, documents markers), and the caller then uses the full YAML parser. A unit
 * test checks that both agree on generated files. Reading 500 services × 3 environments with the
 * full parser takes ~100 ms cold; this takes a few.
 */
interface Line {
  indent: number;
  key: string;
  /** The value's text (quotes included), or undefined for a nested mapping. */
  value?: string;
  valueStart: number;
  lineNo: number;
}

const PLAIN_KEY = /^([A-Za-z_][A-Za-z0-9_./-]*)[ ]*:(?=[ ]|$)/;
const SPECIAL_KEYS = /^(true|false|null)$/i;
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

function scanLines(text: string): Line[] | undefined {
  const out: Line[] = [];
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    lineNo++;
    let line = text.slice(pos, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const start = pos;
    pos = end + 1;
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const indent = line.length - trimmed.length;
    if (line.slice(0, indent).includes('\t')) return undefined;
    const m = PLAIN_KEY.exec(trimmed);
    if (!m || SPECIAL_KEYS.test(m[1])) return undefined; // sequences, quoted/complex/non-string keys, directives, markers…
    let rest = trimmed.slice(m[0].length);
    const restOffset = start + indent + m[0].length;
    const lead = rest.length - rest.trimStart().length;
    rest = rest.trimStart();
    const valueStart = restOffset + lead;
    if (rest === '' || rest.startsWith('#')) {
      out.push({ indent, key: m[1], valueStart, lineNo });
      continue;
    }
    let value: string;
    let after: string;
    if (rest[0] === '"') {
      const close = rest.indexOf('"', 1);
      if (close < 0) return undefined;
      value = rest.slice(0, close + 1);
      if (value.includes('\\')) return undefined;
      after = rest.slice(close + 1);
    } else if (rest[0] === "'") {
      const close = rest.indexOf("'", 1);
      if (close < 0 || rest[close + 1] === "'") return undefined;
      value = rest.slice(0, close + 1);
      after = rest.slice(close + 1);
    } else {
      if (!/^[A-Za-z0-9_.~+-]/.test(rest)) return undefined; // & * ! | > { [ % @ ` and friends
      const hash = rest.search(/[ ]#/);
      value = (hash < 0 ? rest : rest.slice(0, hash)).trimEnd();
      after = hash < 0 ? '' : rest.slice(hash);
      if (/: |:$|[{}[\],]/.test(value)) return undefined;
    }
    // After the value only a comment may follow, separated by a space.
    if (after !== '' && !/^[ ]+#/.test(after) && after.trim() !== '') return undefined;
    out.push({ indent, key: m[1], value, valueStart, lineNo });
  }
  return out;
}

interface MapNode {
  entries: Map<string, MapNode | Line>;
}

function build(lines: Line[]): MapNode | undefined {
  const root: MapNode = { entries: new Map() };
  const stack: { indent: number; node: MapNode }[] = [{ indent: -1, node: root }];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    while (stack.length > 1 && l.indent <= stack[stack.length - 1].indent) stack.pop();
    const parent = stack[stack.length - 1];
    // Siblings must share one indentation: a mapping's children start at its first child's indent.
    const siblingIndent = (parent as { childIndent?: number }).childIndent;
    if (siblingIndent === undefined) (parent as { childIndent?: number }).childIndent = l.indent;
    else if (siblingIndent !== l.indent) return undefined;
    if (parent.node.entries.has(l.key)) return undefined; // duplicate key: let the parser report it
    if (l.value === undefined) {
      const next = lines[i + 1];
      if (!next || next.indent <= l.indent) {
        parent.node.entries.set(l.key, { ...l, value: '' }); // an empty value (null)
        continue;
      }
      const child: MapNode = { entries: new Map() };
      parent.node.entries.set(l.key, child);
      stack.push({ indent: l.indent, node: child });
    } else {
      const next = lines[i + 1];
      if (next && next.indent > l.indent) return undefined; // a continuation line or odd nesting
      parent.node.entries.set(l.key, l);
    }
  }
  return root;
}

function entryOf(service: string, path: string[], line: Line | MapNode | undefined): TagEntry | undefined {
  if (!line || 'entries' in line || line.value === undefined) return undefined;
  const v = line.value;
  const style = v[0] === '"' ? Scalar.QUOTE_DOUBLE : v[0] === "'" ? Scalar.QUOTE_SINGLE : Scalar.PLAIN;
  if (style === Scalar.PLAIN && NULLS.has(v)) return undefined;
  const tag = style === Scalar.PLAIN ? v : v.slice(1, -1);
  return { service, tag, path, line: line.lineNo, range: [line.valueStart, line.valueStart + v.length], style: style as Scalar.Type };
}

function childOf(node: MapNode | Line | undefined, key: string): MapNode | Line | undefined {
  return node && 'entries' in node ? node.entries.get(key) : undefined;
}

/** The tags of a values file, or undefined when the file needs the full YAML parser. */
export function fastParseImageTags(text: string, tagPath: TagPath): Map<string, TagEntry> | undefined {
  if (text.charCodeAt(0) === 0xfeff) return undefined;
  const lines = scanLines(text);
  if (!lines) return undefined;
  const root = build(lines);
  if (!root) return undefined;
  const entries = new Map<string, TagEntry>();
  if (tagPath === 'auto') {
    for (const [service, node] of root.entries) {
      if (!('entries' in node)) {
        const e = entryOf(service, [service], node);
        if (e) entries.set(service, e);
        continue;
      }
      const image = childOf(node, 'image');
      const e = entryOf(service, [service, 'image', 'tag'], childOf(image, 'tag')) ?? entryOf(service, [service, 'tag'], childOf(node, 'tag'));
      if (e) entries.set(service, e);
    }
    return entries;
  }
  const parts = tagPath.split('.');
  const at = parts.indexOf('{service}');
  if (at < 0) return undefined;
  let parent: MapNode | Line | undefined = root;
  for (const k of parts.slice(0, at)) parent = childOf(parent, k);
  if (!parent || !('entries' in parent)) return entries;
  for (const [service, node] of parent.entries) {
    let n: MapNode | Line | undefined = node;
    const suffix = parts.slice(at + 1);
    for (const k of suffix) n = childOf(n, k);
    const e = entryOf(service, [...parts.slice(0, at), service, ...suffix], n);
    if (e) entries.set(service, e);
  }
  return entries;
}

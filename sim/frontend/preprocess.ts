// The preprocessor subset the simulator needs: conditionals evaluated against kconfig, #define/#undef recorded,
// kernel annotations blanked. Every removed line stays as an empty line so line numbers stay exact.

import { typeArgumentsAsNames } from './type-name-arguments.ts';
import type { FrontendNote, Kconfig, MacroDef } from './ast.ts';
import { evalIfExpr } from './if-expr.ts';
import { seedPredefined } from './predefined-macros.ts';
import { BLANK_KEYWORDS, BLANK_PREFIXES, BLANK_TOPLEVEL_CALLS, BLANK_WITH_ARGS, REWRITE_KEYWORDS } from './kernel-attributes.ts';

export interface PreprocessResult {
  text: string;
  /** Macros this file defines in active regions and does not #undef later, in order. */
  macros: MacroDef[];
  /** Names this file #undefs in active regions. */
  undefs: string[];
  notes: FrontendNote[];
}

export function preprocess(text: string, file: string, kconfig: Kconfig, knownMacros?: Map<string, MacroDef>): PreprocessResult {
  const table = new Map(knownMacros ?? []);
  seedPredefined(table, kconfig);
  return preprocessInto(text, file, kconfig, table);
}

interface Cond {
  /** Whether the enclosing region is active. */
  parent: boolean;
  /** Whether some branch of this conditional was taken already. */
  taken: boolean;
  active: boolean;
  line: number;
}

/** Like preprocess, but reads and updates `macros` in place (the way a chain of #includes shares one table). */
export function preprocessInto(
  text: string,
  file: string,
  kconfig: Kconfig,
  macros: Map<string, MacroDef>,
  /** Called at each #include in an active region, where it is (the includer may read the header's macros into `macros` then). */
  onInclude?: (spec: string, quoted: boolean) => void,
): PreprocessResult {
  const lines = text.split('\n');
  const out: string[] = new Array(lines.length);
  const notes: FrontendNote[] = [];
  const defined: MacroDef[] = [];
  const undefs: string[] = [];
  const stack: Cond[] = [];
  const active = (): boolean => (stack.length ? stack[stack.length - 1].active : true);
  let inComment = false;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const trimmed = line.trimStart();
    if (!inComment && trimmed.startsWith('#')) {
      // Gather continuation lines into one logical directive.
      let j = i;
      const parts = [line];
      while (lines[j].replace(/\r$/, '').endsWith('\\') && j + 1 < lines.length) {
        j++;
        parts.push(lines[j]);
      }
      const logical = parts.map((p) => p.replace(/\r$/, '').replace(/\\$/, '')).join('\n');
      inComment = endsInComment(logical, false);
      for (let k = i; k <= j; k++) out[k] = '';
      directive(logical.trimStart().slice(1).trimStart(), i + 1);
      i = j;
      if (inComment) {
        // A block comment opened on a directive line: blank it up to its end so no stray `*/` is left behind.
        for (i = i + 1; i < lines.length; i++) {
          const end = lines[i].indexOf('*/');
          if (end < 0) { out[i] = ''; continue; }
          out[i] = ' '.repeat(end + 2) + (active() ? lines[i].slice(end + 2) : '');
          inComment = endsInComment(lines[i].slice(end + 2), false);
          if (inComment) continue;
          break;
        }
      }
      continue;
    }
    out[i] = active() ? line : '';
    inComment = endsInComment(line, inComment);
  }
  for (const c of stack) {
    notes.push({ kind: 'parse-error', text: `unterminated #if at ${file}:${c.line}`, loc: { file, line: c.line } });
  }

  function directive(d: string, line: number): void {
    const m = /^([a-z_]+)\s*([\s\S]*)$/.exec(d);
    if (!m) return; // `#` alone, or `# 12 "file"` line markers
    const [, name, rest] = m;
    const arg = stripComments(rest).trim();
    switch (name) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        const parent = active();
        let v = false;
        if (parent) {
          if (name === 'if') v = evaluate(arg, line);
          else {
            const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(arg)?.[0] ?? '';
            const isDef = macros.has(id) || (id.startsWith('CONFIG_') && evaluate(`defined(${id})`, line));
            v = name === 'ifdef' ? isDef : !isDef;
          }
        }
        stack.push({ parent, taken: v, active: parent && v, line });
        return;
      }
      case 'elif':
      case 'elifdef':
      case 'elifndef': {
        const c = stack[stack.length - 1];
        if (!c) { notes.push({ kind: 'parse-error', text: `#${name} without #if at ${file}:${line}`, loc: { file, line } }); return; }
        if (!c.parent || c.taken) { c.active = false; return; }
        let v: boolean;
        if (name === 'elif') v = evaluate(arg, line);
        else { const isDef = macros.has(arg); v = name === 'elifdef' ? isDef : !isDef; }
        c.active = v;
        c.taken = v;
        return;
      }
      case 'else': {
        const c = stack[stack.length - 1];
        if (!c) { notes.push({ kind: 'parse-error', text: `#else without #if at ${file}:${line}`, loc: { file, line } }); return; }
        c.active = c.parent && !c.taken;
        c.taken = true;
        return;
      }
      case 'endif':
        if (!stack.pop()) notes.push({ kind: 'parse-error', text: `#endif without #if at ${file}:${line}`, loc: { file, line } });
        return;
      case 'define': {
        if (!active()) return;
        const def = parseDefine(rest, file, line);
        if (!def) { notes.push({ kind: 'parse-error', text: `malformed #define at ${file}:${line}`, loc: { file, line } }); return; }
        macros.set(def.name, def);
        const old = defined.findIndex((x) => x.name === def.name);
        if (old >= 0) defined.splice(old, 1);
        defined.push(def);
        return;
      }
      case 'undef': {
        if (!active()) return;
        const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(arg)?.[0];
        if (!id) return;
        macros.delete(id);
        undefs.push(id);
        const old = defined.findIndex((x) => x.name === id);
        if (old >= 0) defined.splice(old, 1);
        return;
      }
      case 'include': {
        if (!active() || !onInclude) return;
        const inc = /^(?:<([^>]+)>|"([^"]+)")/.exec(arg);
        if (inc) onInclude(inc[1] ?? inc[2], inc[2] !== undefined);
        return;
      }
      default:
        return; // #error, #warning, #pragma, #line: nothing to model
    }
  }

  function evaluate(expr: string, line: number): boolean {
    const r = evalIfExpr(expr, kconfig, macros);
    if (r.unknown.length) {
      notes.push({
        kind: 'info',
        text: `#if at ${file}:${line}: took ${[...new Set(r.unknown)].join(', ')} as 0 in "${expr.replace(/\s+/g, ' ')}"`,
        loc: { file, line },
      });
    }
    return r.value !== 0;
  }

  const body = typeArgumentsAsNames(blankAnnotations(out.join('\n'), macros));
  return { text: body, macros: defined, undefs, notes };
}

/** Whether a block comment is still open at the end of `line`, given whether one was open at its start. */
function endsInComment(line: string, open: boolean): boolean {
  let i = 0;
  while (i < line.length) {
    if (open) {
      const e = line.indexOf('*/', i);
      if (e < 0) return true;
      open = false;
      i = e + 2;
      continue;
    }
    const c = line[i];
    if (c === '"' || c === "'") {
      i++;
      while (i < line.length && line[i] !== c) i += line[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '/' && line[i + 1] === '/') return false;
    if (c === '/' && line[i + 1] === '*') { open = true; i += 2; continue; }
    i++;
  }
  return open;
}

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?(\*\/|$)/g, ' ').replace(/\/\/.*$/gm, '');
}

/** Parses the part after `#define`: name, optional (params), body with continuations kept as newlines. */
export function parseDefine(rest: string, file: string, line: number): MacroDef | null {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(\(([^)]*)\))?/.exec(rest);
  if (!m) return null;
  const name = m[1];
  let params: string[] | null = null;
  let variadic = false;
  if (m[2] !== undefined) {
    params = [];
    for (const raw of m[3].split(',').map((p) => p.trim()).filter(Boolean)) {
      if (raw === '...') variadic = true;
      else if (raw.endsWith('...')) { variadic = true; params.push(raw.slice(0, -3).trim()); }
      else params.push(raw);
    }
  }
  // Comments in a body become spaces (newlines kept so body line i is the directive's line + i).
  const body = rest
    .slice(m[0].length)
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/\/\/.*$/gm, '')
    .replace(/^[ \t]+/, '')
    .replace(/\s+$/, '');
  return { name, params, variadic, body, file, line };
}

// Identifiers, plus numbers so that a suffix like the `UL` of `1UL` is never taken for a name.
const IDENT = /[A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_.]*/g;
const BLANK_SET = new Set(BLANK_KEYWORDS);
const ARGS_SET = new Set(BLANK_WITH_ARGS);
const TOPLEVEL_SET = new Set(BLANK_TOPLEVEL_CALLS);

/**
 * Blanks kernel annotations (keeping columns and newlines): the keyword table, keyword(args) forms,
 * symbol-export statements, and identifiers that are object-like macros with an empty body.
 */
export function blankAnnotations(text: string, macros?: ReadonlyMap<string, MacroDef>): string {
  // Edits are collected as [from, to, replacement] and applied once: cheaper than rewriting per character.
  const edits: Array<[number, number, string]> = [];
  const blank = (from: number, to: number): void => {
    edits.push([from, to, text.slice(from, to).replace(/[^\n]/g, ' ')]);
  };
  IDENT.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = IDENT.exec(text))) {
    const w = m[0];
    const start = m.index;
    const end = start + w.length;
    const first = w.charCodeAt(0);
    if (first >= 48 && first <= 57) continue;
    // Every annotation starts with '_' or a lower-case letter, except the export statements and macros.
    const rewrite = first === 95 ? REWRITE_KEYWORDS[w] : undefined;
    if (rewrite !== undefined) {
      edits.push([start, end, rewrite.padEnd(w.length, ' ')]);
      continue;
    }
    if (BLANK_SET.has(w) || (first === 95 && BLANK_PREFIXES.some((p) => w.startsWith(p)))) {
      if (ARGS_SET.has(w)) {
        const close = matchParen(text, end);
        if (close > 0) { blank(start, close + 1); IDENT.lastIndex = close + 1; continue; }
      }
      blank(start, end);
      continue;
    }
    if (ARGS_SET.has(w)) {
      const close = matchParen(text, end);
      if (close > 0) { blank(start, close + 1); IDENT.lastIndex = close + 1; }
      continue;
    }
    // `static DEFINE_RATELIMIT_STATE(rs, ...);` inside a function: a macro that declares a static local. Unknown
    // to the parser as a macro, a storage class before a call is a parse error that swallows the statement
    // after it; without the keyword it is a statement of its own.
    if (w === 'static' && /^[ \t]+$/.test(text.slice(text.lastIndexOf('\n', start - 1) + 1, start)) && /^[ \t]+[A-Za-z_]\w*[ \t]*\(/.test(text.slice(end, end + 200))) {
      blank(start, end);
      continue;
    }
    if (TOPLEVEL_SET.has(w) && (start === 0 || text[start - 1] === '\n')) {
      const close = matchParen(text, end);
      if (close > 0) {
        let stop = close + 1;
        while (stop < text.length && (text[stop] === ' ' || text[stop] === '\t')) stop++;
        if (text[stop] === ';') stop++;
        blank(start, stop);
        IDENT.lastIndex = stop;
      }
      continue;
    }
    if (macros && macros.size) {
      const def = macros.get(w);
      if (def && def.params === null && def.body === '' && !w.startsWith('CONFIG_')) blank(start, end);
    }
  }
  if (!edits.length) return text;
  const parts: string[] = [];
  let at = 0;
  for (const [from, to, rep] of edits) {
    parts.push(text.slice(at, from), rep);
    at = to;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** Index of the `)` matching the first `(` at or after `from` (only whitespace before it), or -1. */
function matchParen(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n')) i++;
  if (text[i] !== '(') return -1;
  let depth = 0;
  for (; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

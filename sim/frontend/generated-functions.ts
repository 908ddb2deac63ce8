// Functions that a file defines through macros at file scope (page-flags.h: `PAGEFLAG(Locked, locked, PF_NO_TAIL)`
// defines PageLocked, SetPageLocked, ...). Such invocations are expanded the way cpp would (# and ## included),
// parsed, and blanked out of the text so tree-sitter does not stumble on them. Their functions sit on the
// invocation's line.

import type { Parser } from 'web-tree-sitter';
import type { FrontendNote, FunctionDef, MacroDef } from './ast.ts';
import { parseCWith, type ConvertOptions } from './parse-c.ts';
import { blankAnnotations } from './preprocess.ts';

interface Tok {
  v: string;
  hide: ReadonlySet<string>;
  /** Came from a macro argument: expanded on rescan even when its macro is not a generator. */
  fromArg: boolean;
}

const TOKEN = /\s+|[A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_.]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|##|#|->|\+\+|--|<<=|>>=|<<|>>|[-+*\/%&|^!=<>]=|&&|\|\||\.\.\.|[^\s]/g;
const EMPTY: ReadonlySet<string> = new Set();
const MAX_STEPS = 20000;

/** A macro whose expansion defines functions or builds names: worth expanding even when not from an argument. */
export function isGenerator(def: MacroDef, macros: ReadonlyMap<string, MacroDef>, depth = 0): boolean {
  if (def.params === null) return false;
  if (/##/.test(def.body) || /\b(static|inline|void|int|bool|long)\b[^;{}]*\([^;{}]*\)\s*\{/.test(def.body)) return true;
  // PAGEFLAG() only calls TESTPAGEFLAG() and SETPAGEFLAG(): a generator by what it invokes.
  if (depth > 8) return false;
  for (const w of def.body.match(/[A-Za-z_][A-Za-z0-9_]*(?=\s*\()/g) ?? []) {
    const d = macros.get(w);
    if (d && d !== def && isGenerator(d, macros, depth + 1)) return true;
  }
  return false;
}

function lex(text: string): string[] {
  return (text.match(TOKEN) ?? []).filter((t) => !/^\s+$/.test(t));
}

/** cpp-style expansion of a token list, limited to generators and argument-sourced names. */
export function expandTokens(input: Tok[], macros: ReadonlyMap<string, MacroDef>, budget = { n: MAX_STEPS }): Tok[] {
  const out: Tok[] = [];
  const rest = input.slice();
  while (rest.length) {
    if (budget.n-- <= 0) { out.push(...rest); break; }
    const t = rest.shift()!;
    const def = /^[A-Za-z_]/.test(t.v) ? macros.get(t.v) : undefined;
    if (!def || t.hide.has(t.v) || !(t.fromArg || isGenerator(def, macros))) { out.push(t); continue; }
    const hide = new Set(t.hide);
    hide.add(def.name);
    if (def.params === null) {
      rest.unshift(...lex(def.body).map((v) => ({ v, hide, fromArg: t.fromArg })));
      continue;
    }
    if (rest[0]?.v !== '(') { out.push(t); continue; }
    const args: Tok[][] = [[]];
    let depth = 0;
    let i = 1;
    for (; i < rest.length; i++) {
      const v = rest[i].v;
      if (v === '(') depth++;
      else if (v === ')') { if (depth === 0) break; depth--; }
      else if (v === ',' && depth === 0 && !(def.variadic && args.length > def.params.length)) { args.push([]); continue; }
      args[args.length - 1].push(rest[i]);
    }
    if (i >= rest.length) { out.push(t); continue; } // unbalanced: leave as is
    rest.splice(0, i + 1);
    const body = lex(def.body);
    const argOf = (name: string): Tok[] | undefined => {
      const pi = def.params!.indexOf(name);
      if (pi >= 0) return args[pi] ?? [];
      if (name === '__VA_ARGS__' && def.variadic) {
        return args.slice(def.params!.length).flatMap((a, k) => (k ? [{ v: ',', hide: EMPTY, fromArg: true }, ...a] : a));
      }
      return undefined;
    };
    const subst: Array<Tok | { paste: true }> = [];
    for (let k = 0; k < body.length; k++) {
      const v = body[k];
      if (v === '#' && k + 1 < body.length && argOf(body[k + 1])) {
        const raw = argOf(body[k + 1])!.map((x) => x.v).join(' ');
        subst.push({ v: JSON.stringify(raw), hide, fromArg: false });
        k++;
        continue;
      }
      if (v === '##') { subst.push({ paste: true }); continue; }
      const a = argOf(v);
      if (a) {
        const pasted = body[k - 1] === '##' || body[k + 1] === '##';
        const toks = pasted ? a : expandTokens(a.map((x) => ({ ...x, fromArg: false })), macros, budget);
        subst.push(...toks.map((x) => ({ v: x.v, hide: new Set([...x.hide, ...hide]), fromArg: true })));
        continue;
      }
      subst.push({ v, hide, fromArg: false });
    }
    // Token pasting: glue the tokens on both sides of each ##.
    const glued: Tok[] = [];
    for (let k = 0; k < subst.length; k++) {
      const s = subst[k];
      if ('paste' in s) {
        const next = subst[k + 1];
        const prev = glued.pop();
        if (next && !('paste' in next)) {
          glued.push({ v: (prev?.v ?? '') + next.v, hide, fromArg: true });
          k++;
        } else if (prev) glued.push(prev);
        continue;
      }
      glued.push(s);
    }
    rest.unshift(...glued);
  }
  return out;
}

export function expandText(text: string, macros: ReadonlyMap<string, MacroDef>): string {
  return expandTokens(lex(text).map((v) => ({ v, hide: EMPTY, fromArg: false })), macros).map((t) => t.v).join(' ');
}

export interface GeneratedResult {
  /** The text with the generator invocations blanked (columns and newlines kept). */
  text: string;
  functions: FunctionDef[];
  notes: FrontendNote[];
}

export function expandMacroGeneratedFunctions(
  parser: Parser,
  text: string,
  file: string,
  macros: ReadonlyMap<string, MacroDef>,
  opts: ConvertOptions,
  /**
   * The macro reads are being recorded (parse-cache.ts): no shortcut through the whole table (whether it has
   * any generator), which would make the result depend on every macro; the scan below reads only the names
   * the text uses, and gives the same result.
   */
  recording = false,
): GeneratedResult {
  const functions: FunctionDef[] = [];
  const notes: FrontendNote[] = [];
  const hasGenerator = recording || [...macros.values()].some((d) => isGenerator(d, macros));
  if (!hasGenerator) return { text, functions, notes };
  const chars = text.split('');
  let depth = 0;
  let line = 1;
  const ident = /[A-Za-z_][A-Za-z0-9_]*/y;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') { line++; continue; }
    if (c === '/' && text[i + 1] === '*') { const e = text.indexOf('*/', i + 2); const end = e < 0 ? text.length : e + 1; line += countNl(text, i, end); i = end; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i + 1 < text.length && text[i + 1] !== '\n') i++; continue; }
    if (c === '"' || c === "'") { i++; while (i < text.length && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1; continue; }
    if (c === '{') { depth++; continue; }
    if (c === '}') { depth = Math.max(0, depth - 1); continue; }
    if (depth !== 0 || !/[A-Za-z_]/.test(c) || (i > 0 && /[A-Za-z0-9_]/.test(text[i - 1]))) continue;
    ident.lastIndex = i;
    const m = ident.exec(text);
    if (!m) continue;
    const def = macros.get(m[0]);
    if (!def || !isGenerator(def, macros)) { i += m[0].length - 1; continue; }
    let j = i + m[0].length;
    while (j < text.length && /\s/.test(text[j])) j++;
    if (text[j] !== '(') { i += m[0].length - 1; continue; }
    let pd = 0;
    for (; j < text.length; j++) {
      if (text[j] === '(') pd++;
      else if (text[j] === ')' && --pd === 0) break;
    }
    if (j >= text.length) break;
    const invocation = text.slice(i, j + 1);
    const expanded = blankAnnotations(expandText(invocation, macros).replace(/\n/g, ' '), macros);
    const parsed = parseCWith(parser, expanded, file, { ...opts, lineOffset: line - 1 });
    if (parsed.functions.length) {
      functions.push(...parsed.functions);
      notes.push(...parsed.notes);
      for (let k = i; k <= j; k++) if (chars[k] !== '\n') chars[k] = ' ';
      let k = j + 1;
      while (k < text.length && (text[k] === ' ' || text[k] === '\t')) k++;
      if (text[k] === ';') chars[k] = ' ';
    }
    line += countNl(text, i, j);
    i = j;
  }
  return { text: chars.join(''), functions, notes };
}

function countNl(text: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to && k < text.length; k++) if (text[k] === '\n') n++;
  return n;
}

// Evaluates the expression of an #if / #elif line against kconfig and the macros known so far.
// Anything it cannot evaluate counts as 0, and says so in `unknown`, so the caller can leave a note.

import type { Kconfig, MacroDef } from './ast.ts';

export interface IfResult {
  value: number;
  /** Identifiers or constructs that were taken as 0. */
  unknown: string[];
}

interface Tok {
  t: 'id' | 'num' | 'op' | 'str';
  v: string;
  hide?: Set<string>;
}

const OPS = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '##', '(', ')', ',', '!', '~', '+', '-', '*', '/', '%', '<', '>', '&', '|', '^', '?', ':', '#'];

export function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\\') { i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') break;
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j])) j++;
      out.push({ t: 'id', v: text.slice(i, j) });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_.]/.test(text[j])) j++;
      out.push({ t: 'num', v: text.slice(i, j) });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out.push({ t: c === "'" ? 'num' : 'str', v: text.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    out.push({ t: 'op', v: op ?? c });
    i += op ? op.length : 1;
  }
  return out;
}

/** Parses a C integer literal (hex, octal, binary, suffixes) or a char literal; NaN when it is not one. */
export function parseCNumber(text: string): number {
  if (text.startsWith("'")) {
    const body = text.slice(1, -1);
    if (body.length === 1) return body.charCodeAt(0);
    const esc: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34 };
    if (body.startsWith('\\') && body.length === 2 && body[1] in esc) return esc[body[1]];
    return NaN;
  }
  // tree-sitter-c folds a leading minus into the literal ("-1").
  if (/^-\s*[0-9]/.test(text)) return -parseCNumber(text.replace(/^-\s*/, ''));
  const s = text.replace(/[uUlL]+$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[bB][01]+$/.test(s)) return parseInt(s.slice(2), 2);
  if (/^0[0-7]+$/.test(s)) return parseInt(s.slice(1), 8);
  if (/^[0-9]+$/.test(s)) return parseInt(s, 10);
  return NaN;
}

/** The numeric value of a kconfig option: y/m → 1, n/missing → 0, numbers as numbers. */
export function kconfigValue(kconfig: Kconfig, name: string): number | undefined {
  const v = kconfig[name] ?? kconfig[name.replace(/^CONFIG_/, '')];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (v === 'y' || v === 'm') return 1;
  if (v === 'n' || v === '') return 0;
  const n = parseCNumber(v);
  return Number.isNaN(n) ? undefined : n;
}

function kconfigTristate(kconfig: Kconfig, name: string): 'y' | 'm' | 'n' {
  const v = kconfig[name] ?? kconfig[name.replace(/^CONFIG_/, '')];
  if (v === 'y' || v === true) return 'y';
  if (v === 'm') return 'm';
  if (typeof v === 'number') return v !== 0 ? 'y' : 'n';
  return 'n';
}

/** Value of IS_ENABLED / IS_BUILTIN / IS_MODULE / IS_REACHABLE for a config option, or undefined for other names. */
export function kconfigPredicate(kconfig: Kconfig, pred: string, option: string, moduleDefined = false): number | undefined {
  const ts = kconfigTristate(kconfig, option);
  switch (pred) {
    case 'IS_ENABLED': return ts !== 'n' ? 1 : 0;
    case 'IS_BUILTIN': return ts === 'y' ? 1 : 0;
    case 'IS_MODULE': return ts === 'm' ? 1 : 0;
    case 'IS_REACHABLE': return ts === 'y' || (ts === 'm' && moduleDefined) ? 1 : 0;
    default: return undefined;
  }
}

const MAX_EXPANSIONS = 2000;

export function evalIfExpr(text: string, kconfig: Kconfig, macros: ReadonlyMap<string, MacroDef>): IfResult {
  const unknown: string[] = [];
  let toks = tokenize(text);
  let budget = MAX_EXPANSIONS;
  let pos = 0;

  const isDefined = (name: string): boolean =>
    macros.has(name) || (name.startsWith('CONFIG_') && kconfigTristate(kconfig, name) !== 'n') ||
    (kconfig[name] !== undefined && kconfigValue(kconfig, name) !== 0);

  /** Replaces the macro call at toks[pos] by its expansion; false when it is not expandable. */
  function expandAt(): boolean {
    const tok = toks[pos];
    const def = macros.get(tok.v);
    if (!def || tok.hide?.has(tok.v) || budget-- <= 0) return false;
    const hide = new Set(tok.hide ?? []);
    hide.add(tok.v);
    const body = tokenize(def.body).map((t) => ({ ...t, hide }));
    if (def.params === null) {
      toks.splice(pos, 1, ...body);
      return true;
    }
    if (toks[pos + 1]?.v !== '(') return false;
    const args: Tok[][] = [[]];
    let depth = 0;
    let j = pos + 2;
    for (; j < toks.length; j++) {
      const v = toks[j].t === 'op' ? toks[j].v : '';
      if (v === '(') depth++;
      if (v === ')') { if (depth === 0) break; depth--; }
      if (v === ',' && depth === 0 && !(def.variadic && args.length > def.params.length)) { args.push([]); continue; }
      args[args.length - 1].push(toks[j]);
    }
    const out: Tok[] = [];
    for (const t of body) {
      const pi = t.t === 'id' ? def.params.indexOf(t.v) : -1;
      if (pi >= 0) out.push(...(args[pi] ?? []));
      else if (t.t === 'id' && t.v === '__VA_ARGS__' && def.variadic) out.push(...args.slice(def.params.length).flatMap((a, i) => (i ? [{ t: 'op' as const, v: ',' }, ...a] : a)));
      else out.push(t);
    }
    toks.splice(pos, j + 1 - pos, ...out);
    return true;
  }

  function peek(): Tok | undefined { return toks[pos]; }
  function next(): Tok | undefined { return toks[pos++]; }
  function expectOp(v: string): void { if (peek()?.v === v) pos++; }

  function primary(): number {
    for (;;) {
      const t = peek();
      if (!t) { unknown.push('(missing operand)'); return 0; }
      if (t.t === 'op') {
        pos++;
        if (t.v === '(') { const v = ternary(); expectOp(')'); return v; }
        if (t.v === '!') return primary() ? 0 : 1;
        if (t.v === '~') return ~primary();
        if (t.v === '-') return -primary();
        if (t.v === '+') return primary();
        unknown.push(`operator ${t.v}`);
        return 0;
      }
      if (t.t === 'num') { pos++; const n = parseCNumber(t.v); if (Number.isNaN(n)) { unknown.push(t.v); return 0; } return n; }
      if (t.t === 'str') { pos++; unknown.push(t.v); return 0; }
      // identifier
      if (t.v === 'defined') {
        pos++;
        const paren = peek()?.v === '(';
        if (paren) pos++;
        const name = next();
        if (paren) expectOp(')');
        return name && isDefined(name.v) ? 1 : 0;
      }
      if (['IS_ENABLED', 'IS_BUILTIN', 'IS_MODULE', 'IS_REACHABLE'].includes(t.v) && toks[pos + 1]?.v === '(' && !macros.has(t.v)) {
        pos += 2;
        const opt = next();
        expectOp(')');
        return kconfigPredicate(kconfig, t.v, opt?.v ?? '', macros.has('MODULE')) ?? 0;
      }
      if (t.v === 'true') { pos++; return 1; }
      if (t.v === 'false') { pos++; return 0; }
      if (macros.has(t.v) && expandAt()) continue;
      pos++;
      if (t.v.startsWith('CONFIG_')) {
        const v = kconfigValue(kconfig, t.v);
        return v ?? 0;
      }
      // An unknown function-like name: skip its arguments.
      if (peek()?.v === '(') {
        let depth = 0;
        for (; pos < toks.length; pos++) {
          if (toks[pos].v === '(') depth++;
          if (toks[pos].v === ')' && --depth === 0) { pos++; break; }
        }
        unknown.push(`${t.v}()`);
        return 0;
      }
      unknown.push(t.v);
      return 0;
    }
  }

  const PREC: Record<string, number> = {
    '*': 10, '/': 10, '%': 10, '+': 9, '-': 9, '<<': 8, '>>': 8, '<': 7, '>': 7, '<=': 7, '>=': 7,
    '==': 6, '!=': 6, '&': 5, '^': 4, '|': 3, '&&': 2, '||': 1,
  };

  function binary(minPrec: number): number {
    let left = primary();
    for (;;) {
      const t = peek();
      if (!t || t.t !== 'op' || PREC[t.v] === undefined || PREC[t.v] < minPrec) return left;
      pos++;
      const right = binary(PREC[t.v] + 1);
      left = applyOp(t.v, left, right);
    }
  }

  function ternary(): number {
    const c = binary(1);
    if (peek()?.v !== '?') return c;
    pos++;
    const a = ternary();
    expectOp(':');
    const b = ternary();
    return c ? a : b;
  }

  const value = toks.length ? ternary() : (unknown.push('(empty expression)'), 0);
  if (pos < toks.length) unknown.push(`trailing ${toks.slice(pos).map((t) => t.v).join(' ')}`);
  return { value, unknown };
}

function applyOp(op: string, a: number, b: number): number {
  switch (op) {
    case '*': return a * b;
    case '/': return b === 0 ? 0 : Math.trunc(a / b);
    case '%': return b === 0 ? 0 : a % b;
    case '+': return a + b;
    case '-': return a - b;
    case '<<': return a * 2 ** b;
    case '>>': return Math.floor(a / 2 ** b);
    case '<': return a < b ? 1 : 0;
    case '>': return a > b ? 1 : 0;
    case '<=': return a <= b ? 1 : 0;
    case '>=': return a >= b ? 1 : 0;
    case '==': return a === b ? 1 : 0;
    case '!=': return a !== b ? 1 : 0;
    case '&': return a & b;
    case '^': return a ^ b;
    case '|': return a | b;
    case '&&': return a && b ? 1 : 0;
    case '||': return a || b ? 1 : 0;
    default: return 0;
  }
}

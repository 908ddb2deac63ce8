// Function-like macro expansion on the AST: the macro body is parsed once, then parameter identifiers are
// replaced by the argument expressions at each use. Token pasting (##) and stringification (#) are done on the
// body's text first (pasteArguments), for arguments that are single tokens.

import type { Expr, Loc, MacroDef, Stmt } from './ast.ts';
import { tokenize } from './if-expr.ts';

/** Why a macro body cannot be expanded on the AST, or null when it can. */
export function unexpandableWhy(def: MacroDef): string | null {
  const toks = tokenize(stripVaComma(def.body));
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.t !== 'op') continue;
    if (t.v === '##') return `${def.name} pastes tokens (##)`;
    if (t.v === '#' && toks[i + 1]?.t === 'id' && (def.params?.includes(toks[i + 1].v) || toks[i + 1].v === '__VA_ARGS__')) {
      return `${def.name} stringifies an argument (#)`;
    }
  }
  return null;
}

/**
 * The macro's body with its `##` and `#` done for these arguments: `ss ## _enabled_key` with ss =
 * memory_cgrp_subsys is `memory_cgrp_subsys_enabled_key`. Null when the body has neither, or an argument
 * pasted is not a single token (an identifier or a number), which cpp would paste into no C at all.
 */
export function pasteArguments(def: MacroDef, args: Expr[]): MacroDef | null {
  const body = stripVaComma(def.body);
  const params = def.params ?? [];
  const toks = tokenize(body);
  const hasPaste = toks.some((t) => t.t === 'op' && t.v === '##');
  const hasStr = toks.some((t, i) => t.t === 'op' && t.v === '#' && toks[i + 1]?.t === 'id' && params.includes(toks[i + 1].v));
  if (!hasPaste && !hasStr) return null;
  let bad = false;
  const token = (name: string): string => {
    const i = params.indexOf(name);
    if (i < 0) return name;
    const a = args[i];
    if (!a) return '';
    if (a.k === 'id') return a.name;
    if (a.k === 'num') return String(a.v);
    bad = true;
    return name;
  };
  let text = body
    // Operands of ## that are parameters become their argument's token, then the ## joins the two.
    .replace(/\b([A-Za-z_]\w*)(?=\s*##)/g, (_m, w: string) => token(w))
    .replace(/(##\s*)([A-Za-z_]\w*)\b/g, (_m, op: string, w: string) => op + token(w))
    .replace(/\s*##\s*/g, '');
  // #param: the argument's text as a string literal.
  text = text.replace(/(^|[^#])#\s*([A-Za-z_]\w*)\b/g, (m, pre: string, w: string) => {
    const i = params.indexOf(w);
    return i < 0 ? m : `${pre}${JSON.stringify(args[i] ? exprText(args[i]) : '')}`;
  });
  if (bad) return null;
  return { ...def, body: text };
}

/** GNU `, ## __VA_ARGS__` only drops a comma before empty varargs; on the AST the splice does that anyway. */
export function stripVaComma(body: string): string {
  return body.replace(/,\s*##\s*__VA_ARGS__/g, ', __VA_ARGS__');
}

/** `__stringify(x)` is stringification by name: as a string literal it can sit in a string concatenation. */
export function inlineStringify(body: string): string {
  return body.replace(/\b__stringify\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g, (_m, arg: string) => JSON.stringify(arg.trim()));
}

/** Whether a macro body is statement-like and must be parsed as statements, not as an expression. */
export function looksLikeStatements(body: string): boolean {
  const b = body.trim();
  return /^(do|if|for|while|switch|return|goto|break|continue)\b/.test(b) || /;\s*$/.test(b) || /^\{/.test(b);
}

/** A short C rendering of an expression, for substituting into type text and for reports. */
export function exprText(e: Expr): string {
  switch (e.k) {
    case 'num': return String(e.v);
    case 'str': return JSON.stringify(e.v);
    case 'id': return e.name;
    case 'call': return `${exprText(e.callee)}(${e.args.map(exprText).join(', ')})`;
    case 'member': return `${exprText(e.obj)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'index': return `${exprText(e.obj)}[${exprText(e.index)}]`;
    case 'unary': return `${e.op}${exprText(e.arg)}`;
    case 'postfix': return `${exprText(e.arg)}${e.op}`;
    case 'binary': return `(${exprText(e.left)} ${e.op} ${exprText(e.right)})`;
    case 'assign': return `${exprText(e.target)} ${e.op} ${exprText(e.value)}`;
    case 'cond': return `(${exprText(e.test)} ? ${exprText(e.then)} : ${exprText(e.else)})`;
    case 'cast': return `(${e.type})${exprText(e.arg)}`;
    case 'sizeof': return `sizeof(${e.text})`;
    case 'comma': return `(${e.exprs.map(exprText).join(', ')})`;
    case 'init': return `{ ${e.fields.map((f) => (f.name ? `.${f.name} = ` : '') + exprText(f.value)).join(', ')} }`;
    case 'stmtexpr': return '({ ... })';
    case 'unmodelled': return e.text;
  }
}

/**
 * Replaces parameters in a parsed macro body. Body nodes take the call site's loc (the trace should stay in the
 * calling function); argument nodes keep their own.
 */
export function substitute<T extends Expr | Stmt>(body: T, def: MacroDef, args: Expr[], loc: Loc): T {
  const params = def.params ?? [];
  const byName = new Map<string, Expr>();
  params.forEach((p, i) => byName.set(p, args[i] ?? { k: 'unmodelled', text: '', why: `${def.name}: missing argument ${p}`, loc }));
  const varargs = def.variadic ? args.slice(params.length) : [];
  const vaExpr = (): Expr => (varargs.length === 1 ? varargs[0] : { k: 'comma', exprs: varargs, loc });
  const typeSubst = (t: string): string =>
    t.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (w) => {
      const a = byName.get(w) ?? (w === '__VA_ARGS__' && def.variadic ? vaExpr() : undefined);
      return a ? exprText(a) : w;
    });

  const walk = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(walk);
    if (!n || typeof n !== 'object') return n;
    const o = n as Record<string, unknown>;
    if (o.k === 'id') {
      const name = o.name as string;
      const a = byName.get(name);
      if (a) return structuredClone(a);
      if (name === '__VA_ARGS__' && def.variadic) return structuredClone(vaExpr());
    }
    if (o.k === 'call') {
      const callArgs = (o.args as Expr[]).flatMap((a) =>
        a.k === 'id' && a.name === '__VA_ARGS__' && def.variadic ? varargs.map((v) => structuredClone(v)) : [walk(a) as Expr],
      );
      return { ...o, callee: walk(o.callee), args: callArgs, loc };
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(o)) {
      if (key === 'loc') out.loc = loc;
      else if ((key === 'type' && typeof v === 'string') || (key === 'text' && o.k === 'sizeof')) out[key] = typeSubst(v as string);
      else if (key === 'field' && typeof v === 'string') {
        const a = byName.get(v);
        out.field = a && a.k === 'id' ? a.name : v;
      } else if ((key === 'label' || key === 'name') && typeof v === 'string' && o.k !== 'id') {
        const a = byName.get(v);
        out[key] = a && a.k === 'id' ? a.name : v;
      } else out[key] = walk(v);
    }
    return out;
  };
  return walk(body) as T;
}

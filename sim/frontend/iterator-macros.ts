// Iterator macros (`list_for_each_entry(pos, head, member) { ... }`, `for_each_process(p) ...`) are for-loops
// whose header lives in a #define. Where the tree defines the macro as a `for (...)` header, the call is turned
// back into that header so the loop and its body run as plain C; where it does not, the caller keeps it unmodelled.
import type { MacroDef } from './ast.ts';

/** How deep one iterator may be defined through another (`for_each_thread` → `__for_each_thread` → `list_for_each_entry_rcu`). */
const MAX_DEPTH = 6;

/** The `for (...)` header that the iterator call `call` (e.g. `list_for_each_entry(p, &l, lru)`) stands for, or null. */
export function iteratorForHeader(call: string, macro: (name: string) => MacroDef | undefined, depth = 0): string | null {
  if (depth > MAX_DEPTH) return null;
  const parsed = splitCall(call);
  if (!parsed) return null;
  const def = macro(parsed.name);
  if (!def || def.params === null) return null;
  const text = substitute(def, parsed.args);
  if (text === null) return null;
  const body = text.trim();
  if (/^for\s*\(/.test(body)) {
    const close = matchingParen(body, body.indexOf('('));
    // Only a bare header: anything after it (a body, a trailing `if`) is not a plain loop header.
    return close === body.length - 1 ? body : null;
  }
  return iteratorForHeader(body, macro, depth + 1);
}

/** `NAME(arg, arg)` spanning the whole text, with its arguments split at top-level commas. */
export function splitCall(text: string): { name: string; args: string[] } | null {
  const t = text.trim();
  const m = /^([A-Za-z_]\w*)\s*\(/.exec(t);
  if (!m) return null;
  const open = m[0].length - 1;
  const close = matchingParen(t, open);
  if (close !== t.length - 1) return null;
  const inner = t.slice(open + 1, close);
  const args: string[] = [];
  let depth = 0, start = 0, quote = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      args.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (inner.trim() !== '' || args.length) args.push(inner.slice(start).trim());
  return { name: m[1], args: args.map((a) => a.replace(/\s+/g, ' ')) };
}

/** Index of the parenthesis closing the one at `open`, skipping string and character literals; -1 if none. */
function matchingParen(t: string, open: number): number {
  let depth = 0, quote = '';
  for (let i = open; i < t.length; i++) {
    const c = t[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** The macro body with its parameters replaced; null for stringizing or token pasting, which text cannot redo safely. */
function substitute(def: MacroDef, args: string[]): string | null {
  const params = def.params ?? [];
  if (/##|#\s*[A-Za-z_]/.test(def.body)) return null;
  if (!def.variadic && args.length !== params.length && !(params.length === 0 && args.length === 0)) return null;
  if (def.variadic && args.length < params.length) return null;
  const values = new Map<string, string>();
  params.forEach((p, i) => values.set(p, args[i] ?? ''));
  if (def.variadic) values.set('__VA_ARGS__', args.slice(params.length).join(', '));
  return def.body.replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[A-Za-z_]\w*/g, (tok) => values.get(tok) ?? tok);
}

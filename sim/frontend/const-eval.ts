// Folds an AST expression to an integer when it is a compile-time constant (enum values, numeric macros).

import type { Expr } from './ast.ts';

/** The value of a constant expression, or undefined; `lookup` gives the values of named constants. */
export function constEval(e: Expr, lookup: (name: string) => number | undefined, depth = 0): number | undefined {
  if (depth > 100) return undefined;
  const ev = (x: Expr): number | undefined => constEval(x, lookup, depth + 1);
  switch (e.k) {
    case 'num': return e.v;
    case 'id': return lookup(e.name);
    case 'cast': return ev(e.arg);
    case 'unary': {
      const a = ev(e.arg);
      if (a === undefined) return undefined;
      switch (e.op) {
        case '!': return a ? 0 : 1;
        case '-': return -a;
        case '+': return a;
        case '~': return ~a;
        default: return undefined;
      }
    }
    case 'binary': {
      const a = ev(e.left);
      if (a === undefined) return undefined;
      if (e.op === '&&' && !a) return 0;
      if (e.op === '||' && a) return 1;
      const b = ev(e.right);
      if (b === undefined) return undefined;
      return cBinary(e.op, a, b);
    }
    case 'cond': {
      const t = ev(e.test);
      if (t === undefined) return undefined;
      return t ? ev(e.then) : ev(e.else);
    }
    case 'comma': return e.exprs.length ? ev(e.exprs[e.exprs.length - 1]) : undefined;
    default: return undefined;
  }
}

/** C's binary operators on integers; undefined for division by zero and unknown operators. */
export function cBinary(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b ? Math.trunc(a / b) : undefined;
    case '%': return b ? a % b : undefined;
    case '<<': return a * 2 ** b;
    case '>>': return Math.floor(a / 2 ** b);
    // Bit operations on 64-bit values (flag masks like 1UL << 40), where JS's own are 32-bit.
    case '&': return bits(a, b, (x, y) => x & y);
    case '|': return bits(a, b, (x, y) => x | y);
    case '^': return bits(a, b, (x, y) => x ^ y);
    case '&&': return a && b ? 1 : 0;
    case '||': return a || b ? 1 : 0;
    case '==': return a === b ? 1 : 0;
    case '!=': return a !== b ? 1 : 0;
    case '<': return a < b ? 1 : 0;
    case '<=': return a <= b ? 1 : 0;
    case '>': return a > b ? 1 : 0;
    case '>=': return a >= b ? 1 : 0;
    default: return undefined;
  }
}

function bits(a: number, b: number, f: (x: bigint, y: bigint) => bigint): number {
  return Number.isInteger(a) && Number.isInteger(b) ? Number(f(BigInt(a), BigInt(b))) : 0;
}

// The simulator's own C AST: plain, serialisable data, independent of tree-sitter.
// The front end turns tree-sitter nodes into these; the interpreter compiles these to bytecode.

export interface Loc {
  file: string;
  line: number;
}

export type Expr =
  | { k: 'num'; v: number; loc: Loc }
  | { k: 'str'; v: string; loc: Loc }
  | { k: 'id'; name: string; loc: Loc }
  | { k: 'call'; callee: Expr; args: Expr[]; loc: Loc }
  /** a.b (arrow false) or a->b (arrow true). */
  | { k: 'member'; obj: Expr; field: string; arrow: boolean; loc: Loc }
  | { k: 'index'; obj: Expr; index: Expr; loc: Loc }
  /** Prefix ops: ! - + ~ * (deref) & (address of) ++ --. */
  | { k: 'unary'; op: '!' | '-' | '+' | '~' | '*' | '&' | '++' | '--'; arg: Expr; loc: Loc }
  /** Postfix ++ and --. */
  | { k: 'postfix'; op: '++' | '--'; arg: Expr; loc: Loc }
  /** + - * / % << >> & | ^ && || == != < <= > >= */
  | { k: 'binary'; op: string; left: Expr; right: Expr; loc: Loc }
  /** = += -= *= /= %= &= |= ^= <<= >>= */
  | { k: 'assign'; op: string; target: Expr; value: Expr; loc: Loc }
  | { k: 'cond'; test: Expr; then: Expr; else: Expr; loc: Loc }
  | { k: 'cast'; type: string; arg: Expr; loc: Loc }
  | { k: 'sizeof'; text: string; loc: Loc }
  | { k: 'comma'; exprs: Expr[]; loc: Loc }
  /** Compound literal or initializer list `{ .a = 1 }`; fields by name when designated, else by position. */
  | { k: 'init'; fields: Array<{ name: string | null; value: Expr }>; loc: Loc }
  /** GNU statement expression ({ ... }); its value is the last expression statement. */
  | { k: 'stmtexpr'; body: Stmt[]; loc: Loc }
  /** Something the front end could not turn into C it models. */
  | { k: 'unmodelled'; text: string; why: string; loc: Loc };

export type Stmt =
  | { k: 'block'; body: Stmt[]; loc: Loc }
  /** A local declaration; `type` is the type text ("struct page *", "int"). */
  | { k: 'decl'; name: string; type: string; init?: Expr; loc: Loc }
  | { k: 'expr'; e: Expr; loc: Loc }
  | { k: 'if'; test: Expr; then: Stmt; else?: Stmt; loc: Loc }
  | { k: 'while'; test: Expr; body: Stmt; loc: Loc }
  | { k: 'do'; body: Stmt; test: Expr; loc: Loc }
  | { k: 'for'; init?: Stmt; test?: Expr; update?: Expr; body: Stmt; loc: Loc }
  | { k: 'return'; e?: Expr; loc: Loc }
  | { k: 'break'; loc: Loc }
  | { k: 'continue'; loc: Loc }
  | { k: 'goto'; label: string; loc: Loc }
  | { k: 'label'; label: string; body: Stmt; loc: Loc }
  /** `cases[i].values` empty means `default:`; bodies fall through as in C. */
  | { k: 'switch'; test: Expr; cases: Array<{ values: Expr[]; body: Stmt[] }>; loc: Loc }
  | { k: 'empty'; loc: Loc }
  | { k: 'unmodelled'; text: string; why: string; loc: Loc };

export interface Param {
  name: string;
  type: string;
}

export interface FunctionDef {
  name: string;
  file: string;
  /** First and last line (1-based) in the original file. */
  line: number;
  endLine: number;
  returnType: string;
  params: Param[];
  body: Stmt;
  isStatic: boolean;
  isInline: boolean;
}

export interface MacroDef {
  name: string;
  /** null for an object-like macro. */
  params: string[] | null;
  variadic: boolean;
  body: string;
  file: string;
  line: number;
}

/** A note the front end leaves for the report: e.g. "unmodelled: put_page at include/linux/mm.h:812 (...)". */
export interface FrontendNote {
  kind: 'unmodelled' | 'parse-error' | 'info';
  text: string;
  loc?: Loc;
}

/** Kconfig values: "y", "m", "n", a number or a string. Missing options are "n". */
export type Kconfig = Record<string, string | number | boolean>;

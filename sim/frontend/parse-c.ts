// Turns tree-sitter's tree of a preprocessed C file into the simulator's AST (ast.ts): functions, enum constants,
// global initializers. Whatever it cannot model becomes an `unmodelled` node plus a note, never an exception.

import { createRequire } from 'node:module';
import { Parser, Language, type Node } from 'web-tree-sitter';
import type { Expr, FrontendNote, FunctionDef, Kconfig, Loc, MacroDef, Param, Stmt } from './ast.ts';
import { constEval } from './const-eval.ts';
import { kconfigPredicate, kconfigValue, parseCNumber } from './if-expr.ts';
import { callArguments, onlyTypeArgumentErrors } from './type-arguments.ts';
import { iteratorForHeader } from './iterator-macros.ts';

let parserPromise: Promise<Parser> | null = null;

/** One tree-sitter C parser per process (Parser.init and the grammar load are slow; reuse them). */
export function getCParser(): Promise<Parser> {
  if (!parserPromise) {
    parserPromise = (async () => {
      await Parser.init();
      const require = createRequire(import.meta.url);
      const lang = await Language.load(require.resolve('tree-sitter-c/tree-sitter-c.wasm'));
      const p = new Parser();
      p.setLanguage(lang);
      return p;
    })();
  }
  return parserPromise;
}

export interface EnumConstant {
  name: string;
  value: number;
  line: number;
}

/** A file-scope variable, with its initializer when it has one (`static const struct x ops = { ... }`). */
export interface GlobalDef {
  name: string;
  type: string;
  init?: Expr;
  isStatic: boolean;
  file: string;
  line: number;
}

export interface ParsedFile {
  functions: FunctionDef[];
  enums: EnumConstant[];
  globals: GlobalDef[];
  notes: FrontendNote[];
}

export interface ConvertOptions {
  /** Folds IS_ENABLED(CONFIG_X) and friends, and CONFIG_X identifiers with numeric values. */
  kconfig?: Kconfig;
  /** Values of names defined elsewhere (earlier enums, numeric macros), for enum constants. */
  lookupConstant?: (name: string) => number | undefined;
  /** Added to tree-sitter rows: loc.line = row + 1 + lineOffset. */
  lineOffset?: number;
  /**
   * Convert function bodies on first access of `body` (re-parsing just the body) instead of up front: a header
   * like mm.h has hundreds of inlines and a scenario runs a handful. Notes from late conversions go to `lateNotes`.
   */
  lazyBodies?: boolean;
  lateNotes?: FrontendNote[];
  /**
   * Converts a body left lazy on its first use, given how (`convert`, which puts its notes in the array it is
   * given): the program's cache of conversions (CProgram.converted), which may hand back the body an earlier
   * run converted instead. Without it the body is converted here, its notes going to `lateNotes`.
   */
  lateBody?: (def: FunctionDef, text: string, row: number, convert: (notes: FrontendNote[]) => Stmt) => Stmt;
  /** The tree's macros, for iterator macros whose definition is a for-loop header. */
  macro?: (name: string) => MacroDef | undefined;
}

export async function parseC(text: string, file: string, opts: ConvertOptions = {}): Promise<ParsedFile> {
  return parseCWith(await getCParser(), text, file, opts);
}

export function parseCWith(parser: Parser, text: string, file: string, opts: ConvertOptions = {}): ParsedFile {
  const out: ParsedFile = { functions: [], enums: [], globals: [], notes: [] };
  let tree;
  try {
    tree = parser.parse(text);
  } catch (err) {
    out.notes.push({ kind: 'parse-error', text: `${file}: tree-sitter failed: ${String(err)}`, loc: { file, line: 1 } });
    return out;
  }
  if (!tree) {
    out.notes.push({ kind: 'parse-error', text: `${file}: tree-sitter returned no tree`, loc: { file, line: 1 } });
    return out;
  }
  try {
    const cv = new Converter(file, opts, out.notes, parser);
    cv.topLevel(tree.rootNode, out);
  } finally {
    tree.delete();
  }
  return out;
}

const WRAP_EXPR = 'void __kbot_wrap(void) { return ';
const WRAP_STMT = 'void __kbot_wrap(void) { ';

/** Parses a C expression (e.g. a macro body); nodes carry `loc.file` and `loc.line` plus their line within `text`. */
export async function parseExpression(text: string, loc: Loc, opts: ConvertOptions = {}): Promise<Expr> {
  const parser = await getCParser();
  return parseExpressionWith(parser, text, loc, opts).expr;
}

export function parseExpressionWith(parser: Parser, text: string, loc: Loc, opts: ConvertOptions = {}): { expr: Expr; notes: FrontendNote[] } {
  const notes: FrontendNote[] = [];
  const tree = parser.parse(`${WRAP_EXPR}${text}\n; }`);
  if (!tree) return { expr: { k: 'unmodelled', text, why: 'tree-sitter returned no tree', loc }, notes };
  try {
    const cv = new Converter(loc.file, { ...opts, lineOffset: loc.line - 1, lazyBodies: false }, notes, parser);
    const fn = tree.rootNode.firstNamedChild;
    const body = fn?.type === 'function_definition' ? fn.childForFieldName('body') : null;
    const ret = body?.namedChildCount === 1 ? body.firstNamedChild : null;
    if (!ret || ret.type !== 'return_statement' || ret.hasError || tree.rootNode.hasError) {
      return { expr: { k: 'unmodelled', text, why: 'not a C expression', loc }, notes };
    }
    const e = ret.firstNamedChild;
    if (!e) return { expr: { k: 'unmodelled', text, why: 'empty expression', loc }, notes };
    return { expr: cv.expr(e), notes };
  } finally {
    tree.delete();
  }
}

/** Parses C statements (e.g. a `do { ... } while (0)` macro body). */
export async function parseStatements(text: string, loc: Loc, opts: ConvertOptions = {}): Promise<Stmt[]> {
  const parser = await getCParser();
  return parseStatementsWith(parser, text, loc, opts).stmts;
}

export function parseStatementsWith(parser: Parser, text: string, loc: Loc, opts: ConvertOptions = {}): { stmts: Stmt[]; notes: FrontendNote[] } {
  const notes: FrontendNote[] = [];
  const tree = parser.parse(`${WRAP_STMT}${text}\n}`);
  if (!tree) return { stmts: [{ k: 'unmodelled', text, why: 'tree-sitter returned no tree', loc }], notes };
  try {
    const cv = new Converter(loc.file, { ...opts, lineOffset: loc.line - 1, lazyBodies: false }, notes, parser);
    const fn = tree.rootNode.firstNamedChild;
    const body = fn?.type === 'function_definition' ? fn.childForFieldName('body') : null;
    if (!body || tree.rootNode.namedChildCount !== 1) {
      return { stmts: [{ k: 'unmodelled', text, why: 'not C statements', loc }], notes };
    }
    const b = cv.stmt(body);
    return { stmts: b.k === 'block' ? b.body : [b], notes };
  } finally {
    tree.delete();
  }
}

/** Collapses whitespace and writes pointers as "struct page *", "char **". */
export function normalizeType(t: string): string {
  return t
    .replace(/\s+/g, ' ')
    .replace(/\s*\*\s*/g, ' *')
    .replace(/\* \*/g, '**')
    .replace(/\*\s+\*/g, '**')
    .replace(/\( \*/g, '(*')
    .replace(/\s*\)/g, ')')
    .replace(/\(\s*/g, '(')
    .replace(/\s*,\s*/g, ', ')
    .replace(/\s*\[\s*/g, ' [')
    .replace(/\s*\]/g, ']')
    .replace(/\*\s+\[/g, '*[')
    .trim();
}

const ITERATOR_WHY = 'parse error (an iterator-style macro?)';
/** Statements that can follow an iterator macro call as its loop body. */
const ITERATOR_BODIES = /^(compound|expression|if|for|while|do|return|switch)_statement$/;
const STMT_LEAVES = new Set(['expression_statement', 'declaration', 'return_statement', 'goto_statement', 'break_statement', 'continue_statement']);

class Converter {
  private fn = '';
  constructor(
    private readonly file: string,
    private readonly opts: ConvertOptions,
    private readonly notes: FrontendNote[],
    private readonly parser: Parser,
  ) {}

  private loc(n: Node): Loc {
    return { file: this.file, line: n.startPosition.row + 1 + (this.opts.lineOffset ?? 0) };
  }

  /**
   * `ITER(args) body` as the for-loop the tree's #define of ITER stands for, or null when the tree does not define
   * ITER as a `for (...)` header. The body keeps its own lines.
   */
  private iteratorLoop(callText: string, call: Node, body: Node): Stmt | null {
    const lookup = this.opts.macro;
    if (!lookup) return null;
    const header = iteratorForHeader(callText.trim().replace(/;$/, ''), lookup);
    if (!header) return null;
    const loc = this.loc(call);
    const gap = body.startPosition.row - call.startPosition.row;
    const tree = this.parser.parse(`${WRAP_STMT}${header.replace(/\s+/g, ' ')}${'\n'.repeat(gap)} ${body.text}\n}`);
    if (!tree) return null;
    try {
      const cv = new Converter(this.file, { ...this.opts, lineOffset: loc.line - 1, lazyBodies: false }, this.notes, this.parser);
      cv.fn = this.fn;
      const fn = tree.rootNode.firstNamedChild;
      const block = fn?.type === 'function_definition' ? fn.childForFieldName('body') : null;
      const loop = block?.namedChildCount === 1 ? block.firstNamedChild : null;
      return loop?.type === 'for_statement' ? cv.stmt(loop) : null;
    } finally {
      tree.delete();
    }
  }

  private unmodelledE(n: Node, why: string): Expr {
    const loc = this.loc(n);
    this.note(loc, why);
    return { k: 'unmodelled', text: n.text, why, loc };
  }

  private unmodelledS(n: Node, why: string): Stmt {
    const loc = this.loc(n);
    this.note(loc, why);
    return { k: 'unmodelled', text: n.text, why, loc };
  }

  private note(loc: Loc, why: string): void {
    this.notes.push({ kind: 'unmodelled', text: `unmodelled: ${this.fn || '<file scope>'} at ${loc.file}:${loc.line} (${why})`, loc });
  }

  // ---- file scope ----

  topLevel(root: Node, out: ParsedFile): void {
    const enumValues = new Map<string, number>();
    for (const list of root.descendantsOfType('enumerator_list')) {
      if (list) this.enumList(list, enumValues, out.enums);
    }
    this.scope(root, out);
  }

  private scope(node: Node, out: ParsedFile): void {
    const kids = node.namedChildren;
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i];
      if (!c) continue;
      if (c.type === 'function_definition') {
        const f = this.functionDef(c);
        if (f) out.functions.push(f);
      } else if (c.type === 'declaration') {
        this.globals(c, out.globals);
      } else if (c.type === 'ERROR') {
        const before = out.functions.length;
        this.recoverInError(c, out);
        if (out.functions.length === before) {
          out.notes.push({ kind: 'parse-error', text: `parse error at ${this.file}:${this.loc(c).line}: ${c.text.slice(0, 60).replace(/\s+/g, ' ')}`, loc: this.loc(c) });
        }
      } else if (c.type === 'linkage_specification' || c.type === 'declaration_list') {
        this.scope(c, out);
      }
    }
  }

  /** Functions inside an ERROR node: whole function_definitions, or a declarator followed by a body. */
  private recoverInError(err: Node, out: ParsedFile): void {
    const kids = err.namedChildren;
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i];
      if (!c) continue;
      if (c.type === 'function_definition') {
        const f = this.functionDef(c);
        if (f) out.functions.push(f);
      } else if (c.type === 'ERROR') {
        this.recoverInError(c, out);
      } else if (c.type === 'compound_statement' && i > 0) {
        const prev = kids[i - 1];
        const fd = prev ? findFunctionDeclarator(prev) : null;
        if (prev && fd) {
          const f = this.functionFrom(prev, fd, c, prev);
          if (f) out.functions.push(f);
        }
      } else if (c.type === 'declaration') {
        this.globals(c, out.globals);
      }
    }
  }

  private functionDef(n: Node): FunctionDef | null {
    const decl = n.childForFieldName('declarator');
    const body = n.childForFieldName('body');
    const fd = decl ? findFunctionDeclarator(decl) : null;
    if (!fd || !body) return null;
    return this.functionFrom(n, fd, body, decl);
  }

  private functionFrom(head: Node, fd: Node, body: Node, declTop: Node | null): FunctionDef | null {
    const nameNode = innermostIdentifier(fd.childForFieldName('declarator'));
    if (!nameNode) return null;
    const name = nameNode.text;
    let isStatic = false;
    let isInline = false;
    const typeParts: string[] = [];
    for (const c of head.children) {
      if (!c) continue;
      if (declTop && c.startIndex >= declTop.startIndex) break;
      if (c.type === 'storage_class_specifier') {
        if (c.text === 'static') isStatic = true;
        if (c.text === 'inline') isInline = true;
        continue;
      }
      if (c.type === 'attribute_specifier' || c.type === 'ms_declspec_modifier' || c.type === 'attribute_declaration') continue;
      if (c.type === 'function_declarator' || c.type === 'pointer_declarator') break;
      typeParts.push(c.text);
    }
    // Pointer stars between the top declarator and the function declarator belong to the return type.
    let stars = '';
    for (let d: Node | null = declTop; d && d.id !== fd.id; d = d.childForFieldName('declarator')) {
      if (d.type === 'pointer_declarator') stars += '*';
      if (d.type !== 'pointer_declarator' && d.type !== 'parenthesized_declarator') break;
    }
    const returnType = normalizeType(`${typeParts.join(' ')} ${stars}`);
    const saved = this.fn;
    this.fn = name;
    const params = this.params(fd.childForFieldName('parameters'));
    const def: FunctionDef = {
      name,
      file: this.file,
      line: head.startPosition.row + 1 + (this.opts.lineOffset ?? 0),
      endLine: body.endPosition.row + 1 + (this.opts.lineOffset ?? 0),
      returnType,
      params,
      body: { k: 'empty', loc: this.loc(body) },
      isStatic,
      isInline,
    };
    if (this.opts.lazyBodies) lazyBody(def, this.parser, body.text, body.startPosition.row + (this.opts.lineOffset ?? 0), this.opts);
    else def.body = this.stmt(body);
    this.fn = saved;
    return def;
  }

  /** Converts a body parsed on its own (lazy mode); `fn` names the function in notes. */
  bodyOf(fn: string, node: Node): Stmt {
    this.fn = fn;
    return this.stmt(node);
  }

  private params(list: Node | null): Param[] {
    if (!list) return [];
    const out: Param[] = [];
    for (const p of list.namedChildren) {
      if (!p) continue;
      if (p.type === 'variadic_parameter' || p.text === '...') { out.push({ name: '...', type: '...' }); continue; }
      if (p.type !== 'parameter_declaration') continue;
      const d = p.childForFieldName('declarator');
      const id = innermostIdentifier(d);
      if (!id) {
        if (p.text.trim() === 'void') continue;
        out.push({ name: '', type: normalizeType(p.text) });
        continue;
      }
      out.push({ name: id.text, type: typeWithout(p, id) });
    }
    return out;
  }

  private globals(n: Node, out: GlobalDef[]): void {
    const isStatic = n.children.some((c) => c?.type === 'storage_class_specifier' && c.text === 'static');
    for (const d of n.childrenForFieldName('declarator')) {
      if (!d) continue;
      if (findFunctionDeclarator(d) && d.type !== 'init_declarator') continue; // a prototype
      const target = d.type === 'init_declarator' ? d.childForFieldName('declarator') : d;
      const id = innermostIdentifier(target);
      if (!id) continue;
      const value = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      out.push({
        name: id.text,
        type: declType(n, target, id),
        init: value ? this.expr(value) : undefined,
        isStatic,
        file: this.file,
        line: this.loc(d).line,
      });
    }
  }

  private enumList(list: Node, values: Map<string, number>, out: EnumConstant[]): void {
    let next = 0;
    const lookup = (name: string): number | undefined => values.get(name) ?? this.opts.lookupConstant?.(name);
    for (const e of list.namedChildren) {
      if (!e || e.type !== 'enumerator') continue;
      const name = e.childForFieldName('name')?.text;
      if (!name) continue;
      const vNode = e.childForFieldName('value');
      let v: number | undefined = next;
      if (vNode) {
        const saved = this.notes.length;
        v = constEval(this.expr(vNode), lookup);
        this.notes.length = saved;
        if (v === undefined) {
          this.notes.push({ kind: 'info', text: `enum constant ${name} at ${this.file}:${this.loc(e).line}: cannot evaluate "${vNode.text}"`, loc: this.loc(e) });
          continue;
        }
      }
      values.set(name, v);
      out.push({ name, value: v, line: this.loc(e).line });
      next = v + 1;
    }
  }

  // ---- statements ----

  stmt(n: Node): Stmt {
    const loc = this.loc(n);
    if (n.type === 'ERROR') return this.unmodelledS(n, /^goto\s*\*/.test(n.text) ? 'computed goto' : 'parse error');
    if (STMT_LEAVES.has(n.type) && n.hasError && !onlyTypeArgumentErrors(n)) {
      if (n.type === 'goto_statement') return this.unmodelledS(n, 'computed goto');
      return this.unmodelledS(n, n.type === 'expression_statement' && /^\s*[A-Za-z_]\w*\s*\(/.test(n.text) ? ITERATOR_WHY : 'parse error');
    }
    switch (n.type) {
      case 'compound_statement': {
        const body: Stmt[] = [];
        const kids = n.namedChildren.filter((c) => c && c.type !== 'comment') as Node[];
        for (let i = 0; i < kids.length; i++) {
          const c = kids[i];
          const list = this.stmtList(c);
          const last = list[list.length - 1];
          // `list_for_each_entry(...) { ... }`: the loop body belongs to the unmodelled iterator, not to the block.
          if (last?.k === 'unmodelled' && last.why === ITERATOR_WHY && kids[i + 1] && ITERATOR_BODIES.test(kids[i + 1].type)) {
            const loop = this.iteratorLoop(c.text, c, kids[i + 1]);
            if (loop) {
              // The iterator's definition is a for-loop header: it runs as that loop, body and all.
              if (this.notes[this.notes.length - 1]?.text.endsWith(`(${ITERATOR_WHY})`)) this.notes.pop();
              list[list.length - 1] = loop;
            } else {
              // Not a loop header the tree defines: a loop whose test cannot be modelled (running it stops the
              // actor, as before), with its body kept, so what the body calls is still seen.
              list[list.length - 1] = { k: 'while', test: { k: 'unmodelled', text: last.text, why: last.why, loc: last.loc }, body: this.stmt(kids[i + 1]), loc: last.loc };
            }
            i++;
          }
          // `goto *table[op];` parses as an ERROR `goto` and an expression statement `*table[op];`.
          if (last?.k === 'unmodelled' && last.text.trim() === 'goto' && kids[i + 1]) {
            last.text = `goto ${kids[i + 1].text}`;
            last.why = 'computed goto';
            this.notes.pop();
            this.note(last.loc, last.why);
            i++;
          }
          body.push(...list);
        }
        return { k: 'block', body, loc };
      }
      case 'declaration': {
        const list = this.decls(n);
        return list.length === 1 ? list[0] : { k: 'block', body: list, loc };
      }
      case 'expression_statement': {
        const e = n.firstNamedChild;
        if (!e || e.type === 'comment') return { k: 'empty', loc };
        // `fallthrough;` is an attribute statement once its __attribute__ is blanked.
        if (e.type === 'identifier' && e.text === 'fallthrough') return { k: 'empty', loc };
        return { k: 'expr', e: this.expr(e), loc };
      }
      case 'if_statement': {
        const cond = n.childForFieldName('condition');
        const cons = n.childForFieldName('consequence');
        const alt = n.childForFieldName('alternative');
        if (!cond || !cons) return this.unmodelledS(n, 'incomplete if');
        const elseStmt = alt ? (alt.type === 'else_clause' ? alt.namedChildren.find((x) => x && x.type !== 'comment') : alt) : null;
        return { k: 'if', test: this.cond(cond), then: this.stmt(cons), ...(elseStmt ? { else: this.stmt(elseStmt) } : {}), loc };
      }
      case 'while_statement': {
        const cond = n.childForFieldName('condition');
        const body = n.childForFieldName('body');
        if (!cond || !body) return this.unmodelledS(n, 'incomplete while');
        return { k: 'while', test: this.cond(cond), body: this.stmt(body), loc };
      }
      case 'do_statement': {
        const cond = n.childForFieldName('condition');
        const body = n.childForFieldName('body');
        if (!cond || !body) return this.unmodelledS(n, 'incomplete do-while');
        return { k: 'do', body: this.stmt(body), test: this.cond(cond), loc };
      }
      case 'for_statement': {
        const init = n.childForFieldName('initializer');
        const cond = n.childForFieldName('condition');
        const update = n.childForFieldName('update');
        const body = n.childForFieldName('body');
        if (!body) return this.unmodelledS(n, 'incomplete for');
        const s: Stmt = { k: 'for', body: this.stmt(body), loc };
        if (init) s.init = init.type === 'declaration' ? this.stmt(init) : { k: 'expr', e: this.expr(init), loc: this.loc(init) };
        if (cond) s.test = this.expr(cond);
        if (update) s.update = this.expr(update);
        return s;
      }
      case 'return_statement': {
        const e = n.firstNamedChild;
        return e && e.type !== 'comment' ? { k: 'return', e: this.expr(e), loc } : { k: 'return', loc };
      }
      case 'break_statement': return { k: 'break', loc };
      case 'continue_statement': return { k: 'continue', loc };
      case 'goto_statement': {
        const label = n.childForFieldName('label');
        if (!label || n.hasError) return this.unmodelledS(n, 'computed goto');
        return { k: 'goto', label: label.text, loc };
      }
      case 'labeled_statement': {
        const label = n.childForFieldName('label');
        const kids = n.namedChildren.filter((x) => x && x.type !== 'comment' && x.id !== label?.id);
        const body = kids[kids.length - 1];
        return { k: 'label', label: label?.text ?? '', body: body ? this.stmt(body) : { k: 'empty', loc }, loc };
      }
      case 'switch_statement': {
        const cond = n.childForFieldName('condition');
        const body = n.childForFieldName('body');
        if (!cond || !body) return this.unmodelledS(n, 'incomplete switch');
        const cases: Array<{ values: Expr[]; body: Stmt[] }> = [];
        for (const c of body.namedChildren) {
          if (!c || c.type === 'comment') continue;
          if (c.type !== 'case_statement') {
            if (cases.length) cases[cases.length - 1].body.push(...this.stmtList(c));
            else cases.push({ values: [], body: [this.unmodelledS(c, 'statement before the first case label')] });
            continue;
          }
          const value = c.childForFieldName('value');
          const stmts: Stmt[] = [];
          for (const s of c.namedChildren) {
            if (!s || s.type === 'comment' || s.id === value?.id) continue;
            stmts.push(...this.stmtList(s));
          }
          cases.push({ values: value ? [this.expr(value)] : [], body: stmts });
        }
        return { k: 'switch', test: this.cond(cond), cases, loc };
      }
      case 'attributed_statement': {
        const inner = n.namedChildren.filter((x) => x && x.type !== 'attribute_declaration');
        return inner[0] ? this.stmt(inner[0]) : { k: 'empty', loc };
      }
      case 'type_definition':
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
      case 'comment':
        return { k: 'empty', loc };
      case 'case_statement':
        return this.unmodelledS(n, 'case label outside a switch');
      case 'function_definition': {
        // `for_each_process (p) { ... }` parses as a function definition inside the body.
        const body = n.childForFieldName('body');
        const loop = body ? this.iteratorLoop(n.text.slice(0, body.startIndex - n.startIndex), n, body) : null;
        return loop ?? this.unmodelledS(n, ITERATOR_WHY);
      }
      default:
        return this.unmodelledS(n, `statement kind ${n.type}`);
    }
  }

  /** A statement that may expand to several (declarations with several declarators). */
  private stmtList(n: Node): Stmt[] {
    if (n.type === 'declaration' && (!n.hasError || onlyTypeArgumentErrors(n))) return this.decls(n);
    return [this.stmt(n)];
  }

  private decls(n: Node): Stmt[] {
    const out: Stmt[] = [];
    for (const d of n.childrenForFieldName('declarator')) {
      if (!d) continue;
      const target = d.type === 'init_declarator' ? d.childForFieldName('declarator') : d;
      const id = innermostIdentifier(target);
      if (!id) { out.push(this.unmodelledS(d, 'declaration without a name')); continue; }
      if (target && target.type === 'function_declarator') continue; // a local prototype
      const value = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      const s: Stmt = { k: 'decl', name: id.text, type: declType(n, target, id), loc: this.loc(d) };
      if (value) s.init = this.expr(value);
      out.push(s);
    }
    return out.length ? out : [{ k: 'empty', loc: this.loc(n) }];
  }

  private cond(n: Node): Expr {
    return n.type === 'parenthesized_expression' && n.namedChildCount === 1 && n.firstNamedChild?.type !== 'compound_statement'
      ? this.expr(n.firstNamedChild!)
      : this.expr(n);
  }

  // ---- expressions ----

  expr(n: Node): Expr {
    const loc = this.loc(n);
    switch (n.type) {
      case 'identifier': {
        if (n.text.startsWith('CONFIG_') && this.opts.kconfig) {
          const v = kconfigValue(this.opts.kconfig, n.text);
          if (v !== undefined) return { k: 'num', v, loc };
        }
        return { k: 'id', name: n.text, loc };
      }
      case 'number_literal':
      case 'char_literal': {
        const v = parseCNumber(n.text);
        return Number.isNaN(v) ? this.unmodelledE(n, 'not an integer literal') : { k: 'num', v, loc };
      }
      case 'true': return { k: 'num', v: 1, loc };
      case 'false': return { k: 'num', v: 0, loc };
      case 'null': return { k: 'num', v: 0, loc };
      case 'string_literal': return { k: 'str', v: stringContent(n), loc };
      case 'concatenated_string': {
        const parts = n.namedChildren.map((c) => (!c ? '' : c.type === 'string_literal' ? stringContent(c) : `<${c.text}>`));
        return { k: 'str', v: parts.join(''), loc };
      }
      case 'parenthesized_expression': {
        const inner = n.namedChildren.filter((c) => c && c.type !== 'comment');
        if (inner.length !== 1 || n.hasError && inner[0]?.type !== 'compound_statement') return this.unmodelledE(n, 'parse error');
        const c = inner[0]!;
        if (c.type === 'compound_statement') {
          const b = this.stmt(c);
          return { k: 'stmtexpr', body: b.k === 'block' ? b.body : [b], loc };
        }
        return this.expr(c);
      }
      case 'call_expression': {
        const fn = n.childForFieldName('function');
        const argList = n.childForFieldName('arguments');
        if (!fn || !argList) return this.unmodelledE(n, 'incomplete call');
        const args = argList.namedChildren.filter((a) => a && a.type !== 'comment') as Node[];
        if (fn.type === 'identifier' && this.opts.kconfig && args.length === 1 && args[0].type === 'identifier') {
          const v = kconfigPredicate(this.opts.kconfig, fn.text, args[0].text);
          if (v !== undefined) return { k: 'num', v, loc };
        }
        if (argList.hasError) {
          if (!onlyTypeArgumentErrors(argList)) return this.unmodelledE(n, 'parse error in arguments');
          // A type name argument (container_of(p, struct foo, m)) reads as its text.
          const typed = callArguments(argList).map((a): Expr => a.kind === 'type' ? { k: 'str', v: a.text, loc: this.loc(a.node) } : this.expr(a.node));
          return { k: 'call', callee: this.expr(fn), args: typed, loc };
        }
        return { k: 'call', callee: this.expr(fn), args: args.map((a) => this.expr(a)), loc };
      }
      case 'field_expression': {
        const obj = n.childForFieldName('argument');
        const field = n.childForFieldName('field');
        const op = n.childForFieldName('operator')?.text ?? (n.text.includes('->') ? '->' : '.');
        if (!obj || !field) return this.unmodelledE(n, 'incomplete member access');
        return { k: 'member', obj: this.expr(obj), field: field.text, arrow: op === '->', loc };
      }
      case 'subscript_expression': {
        const obj = n.childForFieldName('argument');
        const idx = n.childForFieldName('index') ?? n.namedChildren.filter((c) => c && c.id !== obj?.id)[0];
        if (!obj || !idx) return this.unmodelledE(n, 'incomplete subscript');
        return { k: 'index', obj: this.expr(obj), index: this.expr(idx), loc };
      }
      case 'unary_expression':
      case 'pointer_expression': {
        const op = n.childForFieldName('operator')?.text;
        const arg = n.childForFieldName('argument');
        if (!arg || !op || !['!', '-', '+', '~', '*', '&'].includes(op)) return this.unmodelledE(n, `unary operator ${op ?? '?'}`);
        // `&&label` (GNU label address) reads as & applied to &label.
        if (op === '&' && arg.type === 'pointer_expression' && arg.childForFieldName('operator')?.text === '&') return this.unmodelledE(n, 'label address (&&label)');
        return { k: 'unary', op: op as '!', arg: this.expr(arg), loc };
      }
      case 'update_expression': {
        const opNode = n.childForFieldName('operator');
        const arg = n.childForFieldName('argument');
        if (!opNode || !arg) return this.unmodelledE(n, 'incomplete ++/--');
        const op = opNode.text as '++' | '--';
        return opNode.startIndex < arg.startIndex ? { k: 'unary', op, arg: this.expr(arg), loc } : { k: 'postfix', op, arg: this.expr(arg), loc };
      }
      case 'binary_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        const op = n.childForFieldName('operator')?.text;
        if (!l || !r || !op) return this.unmodelledE(n, 'incomplete binary expression');
        return { k: 'binary', op, left: this.expr(l), right: this.expr(r), loc };
      }
      case 'assignment_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        const op = n.childForFieldName('operator')?.text;
        if (!l || !r || !op) return this.unmodelledE(n, 'incomplete assignment');
        return { k: 'assign', op, target: this.expr(l), value: this.expr(r), loc };
      }
      case 'conditional_expression': {
        const c = n.childForFieldName('condition');
        const t = n.childForFieldName('consequence');
        const e = n.childForFieldName('alternative');
        if (!c || !e) return this.unmodelledE(n, 'incomplete ?:');
        const test = this.expr(c);
        // GNU `a ?: b`: the test's value is the result when true.
        return { k: 'cond', test, then: t ? this.expr(t) : test, else: this.expr(e), loc };
      }
      case 'cast_expression': {
        const t = n.childForFieldName('type');
        const v = n.childForFieldName('value');
        if (!t || !v) return this.unmodelledE(n, 'incomplete cast');
        return { k: 'cast', type: normalizeType(t.text), arg: this.expr(v), loc };
      }
      case 'offsetof_expression': {
        // offsetof(type, member): a call of the macro, the type as its text (as for container_of's).
        const t = n.childForFieldName('type');
        const m = n.childForFieldName('member');
        if (!t || !m) return this.unmodelledE(n, 'incomplete offsetof');
        return { k: 'call', callee: { k: 'id', name: 'offsetof', loc }, args: [{ k: 'str', v: normalizeType(t.text), loc }, { k: 'id', name: m.text, loc }], loc };
      }
      case 'sizeof_expression': {
        const t = n.childForFieldName('type') ?? n.childForFieldName('value');
        return { k: 'sizeof', text: t ? normalizeType(t.text) : n.text, loc };
      }
      case 'comma_expression': {
        const exprs: Expr[] = [];
        const walk = (x: Node): void => {
          if (x.type === 'comma_expression') {
            const l = x.childForFieldName('left');
            const r = x.childForFieldName('right');
            if (l) walk(l);
            if (r) walk(r);
          } else exprs.push(this.expr(x));
        };
        walk(n);
        return { k: 'comma', exprs, loc };
      }
      case 'initializer_list': return this.initList(n);
      case 'compound_literal_expression': {
        const t = n.childForFieldName('type');
        const v = n.childForFieldName('value');
        if (!t || !v) return this.unmodelledE(n, 'incomplete compound literal');
        return { k: 'cast', type: normalizeType(t.text), arg: this.expr(v), loc };
      }
      case 'generic_expression': return this.generic(n);
      case 'gnu_asm_expression': return this.unmodelledE(n, 'inline asm');
      case 'compound_statement': {
        const b = this.stmt(n);
        return { k: 'stmtexpr', body: b.k === 'block' ? b.body : [b], loc };
      }
      case 'ERROR': return this.unmodelledE(n, 'parse error');
      default:
        return this.unmodelledE(n, `expression kind ${n.type}`);
    }
  }

  private initList(n: Node): Expr {
    const fields: Array<{ name: string | null; value: Expr }> = [];
    for (const c of n.namedChildren) {
      if (!c || c.type === 'comment') continue;
      if (c.type === 'initializer_pair') {
        const designators = c.childrenForFieldName('designator').filter(Boolean) as Node[];
        const value = c.childForFieldName('value');
        const name = designators
          .map((d) => (d.type === 'field_designator' ? d.text.replace(/^\s*\.\s*/, '') : d.text.replace(/\s+/g, '')))
          .join('.')
          .replace(/\.\[/g, '[');
        fields.push({ name: name || null, value: value ? this.expr(value) : this.unmodelledE(c, 'designator without value') });
      } else {
        fields.push({ name: null, value: this.expr(c) });
      }
    }
    return { k: 'init', fields, loc: this.loc(n) };
  }

  /** _Generic selects by static type, which the simulator does not track: take the non-const association, and say so. */
  private generic(n: Node): Expr {
    const kids = n.namedChildren.filter((c) => c && c.type !== 'comment') as Node[];
    const assoc: Array<{ type: string; value: Node }> = [];
    for (let i = 1; i + 1 < kids.length; i += 2) {
      if (kids[i].type !== 'type_descriptor' && kids[i].text !== 'default') break;
      assoc.push({ type: normalizeType(kids[i].text), value: kids[i + 1] });
    }
    if (!assoc.length) return this.unmodelledE(n, '_Generic without associations');
    const pick = assoc.find((a) => !/\bconst\b/.test(a.type) && a.type !== 'default') ?? assoc[0];
    const loc = this.loc(n);
    this.notes.push({ kind: 'info', text: `${this.fn || '<file scope>'} at ${loc.file}:${loc.line}: _Generic taken as its "${pick.type}" association`, loc });
    return this.expr(pick.value);
  }
}

const BODY_WRAP = 'void __kbot_body(void) ';

/** The text and first row of each body left lazy (what the parse cache keeps instead of the converted body). */
export const lazyBodySource = new WeakMap<FunctionDef, { text: string; row: number }>();

/** Makes `def.body` a getter that parses and converts the body text on first use, then keeps the result. */
export function lazyBody(def: FunctionDef, parser: Parser, text: string, rowOffset: number, opts: ConvertOptions): void {
  let cached: Stmt | undefined;
  lazyBodySource.set(def, { text, row: rowOffset });
  Object.defineProperty(def, 'body', {
    enumerable: true,
    configurable: true,
    get(): Stmt {
      if (cached) return cached;
      const convert = (notes: FrontendNote[]): Stmt => {
        const tree = parser.parse(BODY_WRAP + text);
        const fn = tree?.rootNode.firstNamedChild;
        const body = fn?.type === 'function_definition' ? fn.childForFieldName('body') : null;
        const cv = new Converter(def.file, { ...opts, lineOffset: rowOffset, lazyBodies: false }, notes, parser);
        try {
          return body ? cv.bodyOf(def.name, body) : { k: 'unmodelled', text, why: 'body did not re-parse', loc: { file: def.file, line: def.line } };
        } finally {
          tree?.delete();
        }
      };
      cached = opts.lateBody ? opts.lateBody(def, text, rowOffset, convert) : convert(opts.lateNotes ?? []);
      return cached;
    },
    set(v: Stmt) {
      cached = v;
    },
  });
}

function stringContent(n: Node): string {
  const t = n.text;
  const m = /^[LuU8]*"([\s\S]*)"$/.exec(t);
  return m ? m[1] : t;
}

/** The function_declarator under a declarator chain (pointer/parenthesized/attributed declarators). */
function findFunctionDeclarator(n: Node): Node | null {
  let d: Node | null = n;
  for (let i = 0; d && i < 20; i++) {
    if (d.type === 'function_declarator') {
      // `int (*f(void))(int)` — the outer one is the returned function type; prefer the inner.
      const inner = d.childForFieldName('declarator');
      const deeper = inner && inner.type !== 'identifier' ? findFunctionDeclarator(inner) : null;
      return deeper ?? d;
    }
    if (d.type === 'declaration' || d.type === 'init_declarator' || d.type === 'pointer_declarator' || d.type === 'parenthesized_declarator' || d.type === 'attributed_declarator') {
      d = d.childForFieldName('declarator') ?? d.namedChildren.find((c) => c && /declarator/.test(c.type)) ?? null;
      continue;
    }
    return null;
  }
  return null;
}

function innermostIdentifier(n: Node | null): Node | null {
  let d: Node | null = n;
  for (let i = 0; d && i < 20; i++) {
    if (d.type === 'identifier' || d.type === 'field_identifier' || d.type === 'type_identifier') return d;
    const next: Node | null = d.childForFieldName('declarator') ?? d.namedChildren.find((c) => c && /declarator|identifier/.test(c.type)) ?? null;
    d = next;
  }
  return null;
}

/** A node's text with the name cut out: "const struct page *page" → "const struct page *". */
function typeWithout(n: Node, id: Node): string {
  const t = n.text;
  const a = id.startIndex - n.startIndex;
  return normalizeType(t.slice(0, a) + t.slice(a + (id.endIndex - id.startIndex)));
}

/** The type of one declarator of a declaration: specifiers (without storage class) plus the declarator's shape. */
function declType(decl: Node, target: Node | null, id: Node): string {
  const parts: string[] = [];
  const kids = decl.children;
  for (let i = 0; i < kids.length; i++) {
    const c = kids[i];
    if (!c) continue;
    if (decl.fieldNameForChild(i) === 'declarator') break;
    if (c.type === 'storage_class_specifier' || c.type === 'attribute_specifier' || c.type === 'comment') continue;
    parts.push(c.text);
  }
  const shape = target ? typeWithout(target, id) : '';
  return normalizeType(`${parts.join(' ')} ${shape}`);
}

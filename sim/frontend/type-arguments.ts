// Type names passed as macro arguments: container_of(ptr, struct foo, member), list_entry(p, struct page, lru),
// offsetof(struct foo, member). C has no expression for a type, so tree-sitter reads `struct foo` there as an
// ERROR (the keyword) followed by an identifier. The argument becomes its type text, so the call itself is
// kept (and the model may know the macro) instead of the whole statement becoming a parse error.
import type { Node } from 'web-tree-sitter';

const TAG = /^(struct|union|enum)$/;

const isName = (n: Node | null): n is Node => !!n && (n.type === 'identifier' || n.type === 'type_identifier');

/**
 * Whether `err` is half of a `struct name` argument. tree-sitter marks either half: an ERROR holding the tag
 * keyword before the name, or the keyword read as an identifier and an ERROR holding the name after it.
 */
function isTagError(err: Node): boolean {
  const p = err.parent;
  if (!p || p.type !== 'argument_list') return false;
  // Siblings by position: web-tree-sitter does not always link an ERROR node to its siblings.
  const kids = p.children;
  const at = kids.findIndex((k) => k?.id === err.id);
  if (TAG.test(err.text.trim())) return isName(kids[at + 1] ?? null);
  const prev = at > 0 ? kids[at - 1] : null;
  return !!prev && prev.type === 'identifier' && TAG.test(prev.text) && err.namedChildCount === 1 && isName(err.namedChild(0));
}

/** Whether every error under `n` is a type-name argument (and there is at least one). */
export function onlyTypeArgumentErrors(n: Node): boolean {
  if (!n.hasError) return false;
  const errors = n.descendantsOfType('ERROR').filter((e): e is Node => !!e);
  if (n.type === 'ERROR') errors.push(n);
  if (!errors.length || !errors.every(isTagError)) return false;
  // A missing token (say an unclosed parenthesis) is an error tree-sitter does not mark with an ERROR node.
  return !hasMissing(n);
}

function hasMissing(n: Node): boolean {
  if (n.isMissing) return true;
  for (const c of n.children) if (c && hasMissing(c)) return true;
  return false;
}

export type Argument = { kind: 'expr'; node: Node } | { kind: 'type'; text: string; node: Node };

/** The arguments of a call, a `struct name` pair read as one type argument. */
export function callArguments(argList: Node): Argument[] {
  const out: Argument[] = [];
  const kids = argList.children.filter((c): c is Node => !!c && c.type !== 'comment');
  for (let i = 0; i < kids.length; i++) {
    const c = kids[i];
    if (c.type === 'ERROR' && isTagError(c) && TAG.test(c.text.trim())) {
      const name = kids[i + 1];
      out.push({ kind: 'type', text: `${c.text.trim()} ${name.text}`, node: c });
      i++;
      continue;
    }
    const next = kids[i + 1];
    if (c.type === 'identifier' && TAG.test(c.text) && next?.type === 'ERROR' && isTagError(next)) {
      out.push({ kind: 'type', text: `${c.text} ${next.text.trim()}`, node: c });
      i++;
      continue;
    }
    if (c.isNamed) out.push({ kind: 'expr', node: c });
  }
  return out;
}

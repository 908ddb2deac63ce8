// Message-IDs arrive from mail in either form ("<x@y>" or "x@y") and from hostile senders; these helpers
// compare them by their bare form and put only a clean, bracketed form into headers.

/** The id without angle brackets, whitespace or line breaks: safe to place inside <...> in a header. */
export function bareId(id: string): string {
  return id.replace(/[\s<>]/g, '');
}

export function bracketId(id: string): string {
  return `<${bareId(id)}>`;
}

export function sameId(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && bareId(a) === bareId(b);
}

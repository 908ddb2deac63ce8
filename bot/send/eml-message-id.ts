// The Message-ID header of a prepared .eml, read from its header block only.

export function emlMessageId(eml: string): string | null {
  const end = eml.search(/\r?\n\r?\n/);
  const head = end >= 0 ? eml.slice(0, end) : eml;
  const m = /^Message-ID:[ \t]*(.*)$/im.exec(head);
  return m ? m[1]!.trim() : null;
}

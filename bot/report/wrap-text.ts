// Reflows prose to a column limit the way a mail reader expects, leaving preformatted lines alone.

/**
 * Wraps `text` at `width` columns. Paragraphs (separated by blank lines) are refilled; lines that start
 * with whitespace, '>' or '|' are kept exactly (code, quotes, tables); "- ", "* " and "1. " start list
 * items with a hanging indent. A word longer than the width (a URL) stays whole on its own line.
 */
export function wrapText(text: string, width = 72): string[] {
  const out: string[] = [];
  let prose: { lead: string; words: string[] } | null = null;
  const flush = () => {
    if (prose) out.push(...fill(prose.words, prose.lead, width));
    prose = null;
  };
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trimEnd();
    if (line === '') {
      flush();
      out.push('');
    } else if (/^[\s>|]/.test(line)) {
      flush();
      out.push(line);
    } else {
      const item = /^([-*]|\d+[.)])\s+/.exec(line);
      if (item || !prose) {
        flush();
        prose = { lead: item ? item[0] : '', words: [] };
        prose.words.push(...line.slice(item ? item[0].length : 0).split(/\s+/).filter(Boolean));
      } else {
        prose.words.push(...line.split(/\s+/).filter(Boolean));
      }
    }
  }
  flush();
  // No blank lines at either end, and never two in a row.
  return out.filter((l, i) => l !== '' || (i > 0 && out[i - 1] !== '')).join('\n').trim().split('\n');
}

function fill(words: string[], lead: string, width: number): string[] {
  const lines: string[] = [];
  const hang = ' '.repeat(lead.length);
  let cur = lead;
  let empty = true;
  for (const w of words) {
    if (!empty && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = hang + w;
    } else {
      cur = empty ? cur + w : `${cur} ${w}`;
    }
    empty = false;
  }
  if (!empty || lead) lines.push(cur.trimEnd());
  return lines;
}

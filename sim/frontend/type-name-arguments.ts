// The kernel's typed helpers take a type as their first argument: min_t(unsigned long, a, b),
// max_t(u64, ...), clamp_t(int, ...). A one-word type parses as an identifier, but `unsigned long` or
// `struct page *` does not parse as an argument at all, and the whole statement would be lost. Such a type
// argument is rewritten into one identifier of the same length (columns and lines stay exact); the model
// reads these helpers by their other arguments.

const TYPED_HELPERS = ['min_t', 'max_t', 'clamp_t', 'typecheck'];
const CALL = new RegExp(`\\b(?:${TYPED_HELPERS.join('|')})\\s*\\(`, 'g');
/** A C type spelled with more than one token: keywords, names, stars. */
const MULTI_WORD_TYPE = /^\s*(?:(?:const|volatile|signed|unsigned|long|short|int|char|struct|union|enum|[A-Za-z_]\w*)\s+)+(?:[A-Za-z_]\w*)?\s*\**\s*$|^\s*[A-Za-z_]\w*\s*\*+\s*$/;

export function typeArgumentsAsNames(text: string): string {
  return typeofAsNames(typeArgumentsOfHelpersAsNames(text));
}

const TYPEOF = /\b(?:typeof|__typeof__|__typeof|typeof_unqual|__typeof_unqual__)\s*\(/g;

/**
 * GNU `typeof(expr)` as a type (set_mask_bits()'s `typeof(*(ptr)) old__;`) does not parse in the C grammar:
 * it becomes one identifier of the same length, a type name as good as any to a model that reads values.
 */
function typeofAsNames(text: string): string {
  if (!text.includes('typeof')) return text;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(TYPEOF)) {
    const start = m.index!;
    if (start < last) continue;
    let depth = 0;
    let end = -1;
    for (let i = start + m[0].length - 1; i < text.length; i++) {
      const c = text[i];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        end = i + 1;
        break;
      } else if (c === '\n' || c === ';' || c === '{') break;
    }
    if (end < 0) continue;
    out += text.slice(last, start) + '__kbot_typeof'.padEnd(end - start, '_').slice(0, Math.max(end - start, 1));
    last = end;
  }
  return out + text.slice(last);
}

function typeArgumentsOfHelpersAsNames(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(CALL)) {
    const start = m.index! + m[0].length;
    // The first argument runs to the first comma at depth 0.
    let depth = 0;
    let end = -1;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) {
        end = i;
        break;
      } else if (c === ';' || c === '{') break;
    }
    if (end < 0) continue;
    const arg = text.slice(start, end);
    if (!MULTI_WORD_TYPE.test(arg) || !/\s|\*/.test(arg.trim())) continue;
    out += text.slice(last, start) + arg.replace(/[ \t*]/g, (ch, off: number) => (off < arg.search(/\S/) || off > arg.trimEnd().length - 1 ? ch : '_'));
    last = end;
  }
  return out + text.slice(last);
}

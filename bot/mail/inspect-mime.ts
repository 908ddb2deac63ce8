// mailparser is lenient: a multipart without its boundary or a truncated base64 body parses into a silently
// shortened text. A patch cut short must not be applied, so we look at the MIME structure ourselves first.

export interface MimeFacts {
  /** Why the structure is broken, or undefined when it is sound. */
  broken?: string;
  /** Declared charsets of the text parts. */
  charsets: string[];
}

const MAX_DEPTH = 8;

export function inspectMime(raw: Buffer): MimeFacts {
  const facts: MimeFacts = { charsets: [] };
  inspectEntity(raw.toString('latin1'), facts, 0);
  return facts;
}

function inspectEntity(entity: string, facts: MimeFacts, depth: number): void {
  if (facts.broken || depth > MAX_DEPTH) return;
  const split = /\r?\n\r?\n/.exec(entity);
  const headerText = split ? entity.slice(0, split.index) : entity;
  const body = split ? entity.slice(split.index + split[0].length) : '';
  const headers = readHeaders(headerText);
  const contentType = headers.get('content-type') ?? 'text/plain';
  const type = contentType.split(';')[0].trim().toLowerCase();
  const charset = param(contentType, 'charset');
  if (type.startsWith('text/') && charset) facts.charsets.push(charset);

  if (type.startsWith('multipart/')) {
    const boundary = param(contentType, 'boundary');
    if (!boundary) {
      facts.broken = `broken MIME: ${type} without a boundary parameter`;
      return;
    }
    const lines = body.split(/\r?\n/);
    const open = `--${boundary}`;
    const close = `--${boundary}--`;
    const starts: number[] = [];
    let closed = false;
    lines.forEach((l, i) => {
      const t = l.trimEnd();
      if (t === close) closed = true;
      else if (t === open && !closed) starts.push(i);
    });
    if (starts.length === 0) {
      facts.broken = `broken MIME: ${type} boundary "${boundary}" never appears in the body`;
      return;
    }
    if (!closed) {
      facts.broken = `broken MIME: ${type} ends without its closing boundary (truncated message?)`;
      return;
    }
    const closeAt = lines.findIndex((l) => l.trimEnd() === close);
    for (let k = 0; k < starts.length; k++) {
      const end = k + 1 < starts.length ? starts[k + 1] : closeAt;
      inspectEntity(lines.slice(starts[k] + 1, end).join('\n'), facts, depth + 1);
    }
    return;
  }
  if (type === 'message/rfc822') {
    inspectEntity(body, facts, depth + 1);
    return;
  }
  const encoding = (headers.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  if (encoding === 'base64') {
    const data = body.replace(/\s+/g, '');
    if (/[^A-Za-z0-9+/=]/.test(data)) facts.broken = 'broken MIME: base64 body holds characters outside base64';
    else if (data.length % 4 !== 0 || /=[^=]/.test(data))
      facts.broken = `broken MIME: base64 body of ${data.length} characters is truncated (not a multiple of 4)`;
  }
}

function readHeaders(text: string): Map<string, string> {
  const map = new Map<string, string>();
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!map.has(name)) map.set(name, line.slice(colon + 1).trim());
  }
  return map;
}

function param(headerValue: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(headerValue);
  return m ? (m[1] ?? m[2]) : undefined;
}

// Reads the bracketed prefix of a patch mail subject the way b4 does: "[PATCH v3 2/5] mm: fix x" and friends.
import type { SubjectInfo } from '../types.ts';

const REPLY_PREFIX = /^\s*(re|aw|sv|antw)\s*(\[\d+\])?\s*:\s*/i;
const FORWARD_PREFIX = /^\s*(fwd?|wg)\s*:\s*/i;
const BRACKET_GROUP = /^\s*\[([^\]]*)\]\s*/;

export function parseSubject(subject: string): SubjectInfo {
  let rest = subject.replace(/\s+/g, ' ').trim();
  let isReply = false;
  const prefixes: string[] = [];

  // Re:/Fwd: may come before or between bracket groups ("[PATCH] Re: x" is rare but seen).
  for (;;) {
    const reply = REPLY_PREFIX.exec(rest);
    if (reply) {
      isReply = true;
      rest = rest.slice(reply[0].length);
      continue;
    }
    const fwd = FORWARD_PREFIX.exec(rest);
    if (fwd) {
      rest = rest.slice(fwd[0].length);
      continue;
    }
    const group = BRACKET_GROUP.exec(rest);
    if (group) {
      prefixes.push(...splitPrefixWords(group[1]));
      rest = rest.slice(group[0].length);
      continue;
    }
    break;
  }

  let isPatch = false;
  let isRfc = false;
  let version: number | null = null;
  let index: number | null = null;
  let total: number | null = null;
  const treeTags: string[] = [];
  for (const word of prefixes) {
    const upper = word.toUpperCase();
    const fraction = /^(\d+)\/(\d+)$/.exec(word);
    const ver = /^v(\d+)$/i.exec(word);
    if (upper === 'PATCH') isPatch = true;
    else if (upper === 'RFC') isRfc = true;
    else if (fraction) {
      index = Number(fraction[1]);
      total = Number(fraction[2]);
    } else if (ver) version = Number(ver[1]);
    else if (upper === 'RESEND') continue;
    else treeTags.push(word);
  }
  // "[RFC 1/2]" without the word PATCH is still a posted series.
  if (!isPatch && isRfc && index !== null) isPatch = true;

  return {
    title: rest.trim(),
    prefixes,
    isPatch,
    isRfc,
    isReply,
    version: version ?? 1,
    revisionInferred: version === null,
    index: index ?? 1,
    total: total ?? 1,
    treeTags,
  };
}

/** "PATCHv2 net-next 01/12" → ["PATCH", "v2", "net-next", "01/12"]; commas separate words too ("PATCH,v2"). */
function splitPrefixWords(inside: string): string[] {
  const words: string[] = [];
  for (const w of inside.split(/[\s,]+/)) {
    if (!w) continue;
    const glued = /^(PATCH|RFC)(v\d+)$/i.exec(w);
    if (glued) words.push(glued[1], glued[2]);
    else words.push(w);
  }
  return words;
}

/** The title used to recognise versions of one series: case and whitespace do not matter. */
export function normalizeTitle(title: string): string {
  return title.toLowerCase().replace(/\s+/g, ' ').trim();
}

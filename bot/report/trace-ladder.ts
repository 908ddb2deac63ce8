// The interleaving as a ladder, as an LKMM litmus test or a syzbot report shows one: a line per step,
// indented by CPU, the C the step ran and the page's refcount after it. Where each step is in the tree goes
// into a legend below, numbered by step, so three CPUs fit in 80 columns.
import type { TraceStep } from '../../analyzers/types.ts';

/** What a reader is shown of one step: its C, and where that C is (none for a step kbot stands in for). */
export interface ShownStep {
  text: string;
  at?: { file: string; line: number; func: string };
  standIn?: string;
}

export interface Ladder {
  lines: string[];
  legend: string[];
}

/**
 * The C a step ran, as a reader of the tree would point at it. An atomic op inside a refcount helper in a
 * header (page_ref_dec_return() in page_ref.h) is shown as the call that led there from the code that made it
 * (`if (get_page_unless_zero(head))` in mm/memory-failure.c); a step that changes the page's life (a call
 * through ->page_free) is shown where it is, as is every step in a .c file.
 */
export function shownStep(s: TraceStep, prev?: TraceStep, neighbours: TraceStep[] = []): ShownStep {
  if (s.standIn) return { text: `(${s.op})`, standIn: s.standIn };
  const bare = s.op.replace(/^[\w >]+: /, '').replace(/ = -?\d+$/, '');
  const frames = s.frames ?? [];
  const lifeChange = !!prev && (JSON.stringify(prev.pageState) !== JSON.stringify(s.pageState) || JSON.stringify(prev.freeList) !== JSON.stringify(s.freeList));
  const primitive = /^(atomic\w*|assuming)\b/.test(bare);
  if (s.file.startsWith('include/') && (primitive || !lifeChange)) {
    const caller = [...frames].reverse().find((f) => f.file && !f.file.startsWith('include/') && f.code);
    // Else, for an atomic op, the call into the header it is in (page_ref.h's helpers call each other).
    const f = caller ?? (primitive ? [...frames].reverse().find((x) => x.file !== s.file && x.code) ?? frames.at(-1) : undefined);
    if (f?.code) return { text: tidy(f.code), at: { file: f.file, line: f.line, func: f.func } };
  }
  const at = { file: s.file, line: s.line, func: s.func };
  const assumed = /^assuming (.+) is (\S+) at \S+$/.exec(bare);
  if (assumed) return { text: `${assumed[1]} /* assumed ${assumed[2]} */`, at };
  // A plain load or store is shown as its line; two steps of one line (a ++) say which is which.
  if (/^(read|store)\b/.test(bare) || !bare) {
    if (!s.code) return { text: bare || s.op, at };
    const twin = neighbours.some((n) => n !== s && n.cpu === s.cpu && n.file === s.file && n.line === s.line);
    return { text: twin ? `${tidy(s.code)} /* ${bare.startsWith('store') ? 'store' : 'load'} */` : tidy(s.code), at };
  }
  return { text: bare, at };
}

function tidy(code: string): string {
  return code.replace(/\s*\{$/, '').replace(/^\}\s*/, '').trim();
}

/** The page's refcount and life after a step: "1 in use", "1 free", "1 free x2" (twice on the free list). */
function pageCell(s: TraceStep, pages: string[]): string {
  if (pages.length !== 1) return pages.map((p) => `${p}=${s.refcount[p] ?? '?'}`).join(' ');
  const p = pages[0]!;
  const state = s.pageState?.[p];
  const onList = (s.freeList ?? []).filter((x) => x === p).length;
  const life = state === 'free' ? (onList > 1 ? `free x${onList}` : 'free') : state === 'allocated' ? 'in use' : state ?? '';
  return `${s.refcount[p] ?? '?'} ${life}`.trim();
}

/**
 * `numbers`: the steps' numbers in the whole interleaving, where `trace` shows only some of it (a reply shows
 * the start and the end of a long one); a gap in them gets a line saying how many steps are not shown.
 */
export function traceLadder(trace: TraceStep[], width = 80, numbers?: number[], gapNote?: (hidden: number) => string): Ladder {
  const num = (i: number) => numbers?.[i] ?? i + 1;
  const cpus = [...new Set(trace.map((s) => s.cpu))].sort(byCpuNumber);
  const roleOf = new Map<string, string>();
  for (const s of trace) if (!roleOf.has(s.cpu) && s.actor) roleOf.set(s.cpu, s.actor);
  const pages = [...new Set(trace.flatMap((s) => Object.keys(s.refcount)))];
  const shown = trace.map((s, i) => shownStep(s, trace[i - 1], [trace[i - 1], trace[i + 1]].filter((x): x is TraceStep => !!x)));
  const cells = trace.map((s) => pageCell(s, pages));
  const numW = Math.max(4, String(num(trace.length - 1)).length);
  const pageW = Math.max(4, ...cells.map((c) => c.length));
  const lead = 2 + numW + 2 + pageW + 2;
  const col = Math.max(...cpus.map((c) => Math.max(c.length, (roleOf.get(c) ?? '').length))) + 2;
  const indent = (cpu: string) => lead + cpus.indexOf(cpu) * col;
  const row = (num: string, page: string, cells: Array<[string, string]>) => {
    let line = `  ${num.padStart(numW)}  ${page.padEnd(pageW)}  `;
    for (const [cpu, text] of cells) line = line.padEnd(indent(cpu)) + text;
    return line.trimEnd();
  };
  const lines = [
    row('step', 'page', cpus.map((c) => [c, c])),
    row('', '', cpus.map((c) => [c, roleOf.get(c) ?? ''])),
    row('', '', cpus.map((c) => [c, '-'.repeat(Math.max(c.length, (roleOf.get(c) ?? '').length))])),
  ];
  trace.forEach((s, i) => {
    const room = Math.max(24, width - indent(s.cpu));
    const [first, ...more] = fold(shown[i]!.text, room);
    if (i > 0 && num(i) > num(i - 1) + 1) lines.push(`  ${gapNote?.(num(i) - num(i - 1) - 1) ?? `... ${num(i) - num(i - 1) - 1} steps not shown ...`}`);
    lines.push(row(String(num(i)), cells[i]!, [[s.cpu, first!]]));
    for (const m of more) lines.push(row('', '', [[s.cpu, `  ${m}`]]));
  });

  // The legend: each place once, with the steps that ran there.
  const places = new Map<string, { steps: number[]; what: string }>();
  shown.forEach((sh, i) => {
    const what = sh.at ? `${sh.at.file}:${sh.at.line} ${sh.at.func}()` : `not tree code: ${sh.standIn}`;
    const p = places.get(what) ?? { steps: [], what };
    p.steps.push(num(i));
    places.set(what, p);
  });
  const entries = [...places.values()].map((p) => ({ label: stepRanges(p.steps), what: p.what }));
  const labelW = Math.max(...entries.map((e) => e.label.length));
  const legend = entries.flatMap((e) => {
    const head = `  ${e.label.padStart(labelW)}  `;
    const [first, ...more] = fold(e.what, Math.max(24, width - head.length));
    return [head + first, ...more.map((m) => ' '.repeat(head.length + 2) + m)];
  });
  return { lines, legend };
}

/** 4,5,6,9 → "4-6,9". */
function stepRanges(steps: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    let j = i;
    while (j + 1 < steps.length && steps[j + 1] === steps[j]! + 1) j++;
    out.push(j > i ? `${steps[i]}-${steps[j]}` : String(steps[i]));
    i = j;
  }
  return out.join(',');
}

/** Splits text at spaces into pieces of at most `room` columns (a longer word is cut). */
function fold(text: string, room: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let w = word;
    while (w.length > room) {
      if (cur) out.push(cur);
      out.push(w.slice(0, room));
      w = w.slice(room);
      cur = '';
    }
    const next = cur ? `${cur} ${w}` : w;
    // Continuation lines are indented two more columns.
    if (next.length > (out.length ? room - 2 : room)) {
      out.push(cur);
      cur = w;
    } else cur = next;
  }
  if (cur || !out.length) out.push(cur);
  return out;
}

function byCpuNumber(a: string, b: string): number {
  const n = (s: string) => Number(/\d+/.exec(s)?.[0] ?? Number.MAX_SAFE_INTEGER);
  return n(a) - n(b) || a.localeCompare(b);
}

// The interleaving as a compact per-CPU table: one row per step, the moving CPU's column naming the
// function and line, then the page state after the step.
import type { TraceStep } from '../../analyzers/types.ts';

/** Table lines, indented two spaces, columns padded; no line is wrapped. */
export function traceTable(trace: TraceStep[]): string[] {
  const cpus = [...new Set(trace.map((s) => s.cpu))].sort(byCpuNumber);
  const actorOf = new Map<string, string>();
  for (const s of trace) if (!actorOf.has(s.cpu) && s.actor) actorOf.set(s.cpu, s.actor);
  const pages = [...new Set(trace.flatMap((s) => Object.keys(s.refcount)))];
  const statePages = [...new Set(trace.flatMap((s) => Object.keys(s.pageState ?? {})))];
  const hasFreeList = trace.some((s) => s.freeList !== undefined);
  const onePage = pages.length === 1 && statePages.length <= 1;

  const header = [
    '#',
    ...cpus.map((c) => (actorOf.has(c) ? `${c} (${actorOf.get(c)})` : c)),
    ...pages.map((p) => (onePage ? 'ref' : `ref(${p})`)),
    ...(hasFreeList ? ['free list'] : []),
    ...statePages.map((p) => (onePage ? 'page' : `page(${p})`)),
    'what happened',
  ];
  const rows = trace.map((s, i) => [
    String(i + 1),
    ...cpus.map((c) => (c === s.cpu ? `${callName(s.func)} ${s.file}:${s.line}` : '')),
    ...pages.map((p) => (p in s.refcount ? String(s.refcount[p]) : '')),
    ...(hasFreeList ? [s.freeList ? `[${s.freeList.join(', ')}]` : ''] : []),
    ...statePages.map((p) => s.pageState?.[p] ?? ''),
    s.op,
  ]);
  const table = [header, header.map((h) => '-'.repeat(h.length)), ...rows];
  const widths = header.map((_, col) => Math.max(...table.map((r) => r[col]!.length)));
  return table.map((r) => ('  ' + r.map((cell, col) => cell.padEnd(widths[col]!)).join('  ')).trimEnd());
}

function callName(func: string): string {
  return func.endsWith(')') ? func : `${func}()`;
}

function byCpuNumber(a: string, b: string): number {
  const n = (s: string) => Number(/\d+/.exec(s)?.[0] ?? Number.MAX_SAFE_INTEGER);
  return n(a) - n(b) || a.localeCompare(b);
}

// The interleaving as a mermaid sequenceDiagram, which GitHub renders in a comment: one participant per CPU
// (with its role) and the page; each step an arrow from its CPU to the page labelled with the C it ran (as
// the mail's ladder shows it, shownStep()), then the page's refcount and state after it.
import type { TraceStep } from '../../analyzers/types.ts';
import { shownStep } from '../report/trace-ladder.ts';

export function mermaidSequence(trace: TraceStep[]): string[] {
  const cpus = [...new Set(trace.map((s) => s.cpu))];
  const pages = [...new Set(trace.flatMap((s) => Object.keys(s.refcount)))];
  const lines = ['```mermaid', 'sequenceDiagram'];
  for (const c of cpus) {
    const role = trace.find((s) => s.cpu === c)?.actor;
    lines.push(`  participant ${ident(c)} as ${text(role ? `${c} (${role})` : c)}`);
  }
  lines.push(`  participant page as ${text(pages.length === 1 ? pages[0]! : 'pages')}`);
  trace.forEach((s, i) => {
    const shown = shownStep(s, trace[i - 1], [trace[i - 1], trace[i + 1]].filter((x): x is TraceStep => !!x));
    const where = shown.at ? ` (${shown.at.file}:${shown.at.line})` : ' (kbot stands in for the driver)';
    lines.push(`  ${ident(s.cpu)}->>page: ${i + 1}. ${text(shown.text + where)}`);
    lines.push(`  Note right of page: ${text(pageState(s, pages))}`);
  });
  lines.push('```');
  return lines;
}

function pageState(s: TraceStep, pages: string[]): string {
  return pages
    .map((p) => {
      const onList = (s.freeList ?? []).filter((x) => x === p).length;
      const state = s.pageState?.[p] === 'free' ? (onList > 1 ? `free x${onList}` : 'free') : s.pageState?.[p] === 'allocated' ? 'in use' : (s.pageState?.[p] ?? '');
      return `${pages.length > 1 ? `${p}: ` : ''}refcount ${s.refcount[p] ?? '?'}${state ? ` ${state}` : ''}`;
    })
    .join(', ');
}

function ident(cpu: string): string {
  return cpu.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Mermaid reads ';' as the end of a statement and '#' as the start of an entity code, and a line break
 * ends the message: those are written as entity codes.
 */
function text(s: string): string {
  return s.replace(/#/g, '#35;').replace(/;/g, '#59;').replace(/[\r\n]+/g, ' ');
}

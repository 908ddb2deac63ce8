// The order a reader meets findings in: the worst first (severity), then the surest (confidence); findings
// equal on both keep the analyzers' own order (a race's results stay together, as the simulator gave them).
import type { Confidence, Finding, Severity } from './types.ts';

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const CONFIDENCE_RANK: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };

export function compareFindings(a: Pick<Finding, 'severity' | 'confidence'>, b: Pick<Finding, 'severity' | 'confidence'>): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    CONFIDENCE_RANK[a.confidence ?? 'medium'] - CONFIDENCE_RANK[b.confidence ?? 'medium'];
}

/** A ranked copy (Array.prototype.sort is stable). */
export function rankFindings<T extends Pick<Finding, 'severity' | 'confidence'>>(findings: T[]): T[] {
  return [...findings].sort(compareFindings);
}

// A finding's id, as maintainers write it in "#kbot invalid <finding-id>". It is made from what the finding
// says (analyzer, category, scenario instance, title), not from the patch or the commit, so the same finding
// in the next version of the series, or on a rerun on a newer tree, has the same id.
import { createHash } from 'node:crypto';
import type { Finding } from '../../analyzers/types.ts';

export function findingId(f: Pick<Finding, 'analyzer' | 'category' | 'scenario' | 'title'>): string {
  return createHash('sha256').update(`${f.analyzer}\n${f.category}\n${f.scenario ?? ''}\n${f.title}`).digest('hex').slice(0, 10);
}

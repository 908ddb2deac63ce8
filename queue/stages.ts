// The service's job types, one queue each (queue/jobs/<stage>.ts), in pipeline order. `send` has one queue per
// configured list (its rate limit is the list's) besides the default one.
export const STAGES = ['ingest', 'series', 'apply', 'analyze', 'analyzer', 'report', 'send', 'tree-update', 'command'] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(s: string): s is Stage {
  return (STAGES as readonly string[]).includes(s);
}

/** The send queue of a list ('send' for mail to no configured list). BullMQ queue names may not hold ':'. */
export function sendQueueName(list: string | null): string {
  return list ? `send-${list.replace(/[^A-Za-z0-9._@-]/g, '_')}` : 'send';
}

// Runtime schemas of the pipeline's data as it travels in job payloads (JSON). They check the fields the jobs
// rely on and pass the rest through: the full shapes are the types in bot/types.ts.
import { z } from 'zod';
import { UnrecoverableError } from 'bullmq';
import type { ApplyResult, Message, Series } from '../bot/types.ts';
import type { Finding } from '../analyzers/types.ts';

export const messageSchema = z.looseObject({
  messageId: z.string().min(1),
  subject: z.string(),
  parsedSubject: z.looseObject({ index: z.number().int(), total: z.number().int(), version: z.number().int() }),
  from: z.object({ name: z.string(), address: z.string() }),
  references: z.array(z.string()),
  source: z.string(),
}).transform((m) => m as unknown as Message);

export const seriesSchema = z.looseObject({
  id: z.string().min(1),
  title: z.string(),
  version: z.number().int(),
  total: z.number().int(),
  patches: z.array(z.unknown()),
  missing: z.array(z.number().int()),
}).transform((s) => s as unknown as Series);

export const applyResultSchema = z.looseObject({
  status: z.enum(['applied', 'failed', 'refused', 'skipped']),
  base: z.looseObject({ commit: z.string(), source: z.string(), why: z.string() }).nullable(),
  head: z.string().optional(),
}).transform((a) => a as unknown as ApplyResult);

export const findingSchema = z.looseObject({
  analyzer: z.string(),
  category: z.string(),
  severity: z.enum(['error', 'warning', 'info']),
  title: z.string(),
}).transform((f) => f as unknown as Finding);

/** A payload that does not match its schema will not match on a retry either: a permanent failure. */
export function parsePayload<T extends z.ZodType>(schema: T, data: unknown, what: string): z.output<T> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new UnrecoverableError(`bad ${what} payload: ${first ? `${first.path.join('.') || '(top)'}: ${first.message}` : 'invalid'}`);
  }
  return r.data;
}

// Runtime schemas of the pipeline's data as it travels in job payloads (JSON). They check the fields the jobs
// rely on and pass the rest through: the full shapes are the types in bot/types.ts.
import { z } from 'zod';
import { UnrecoverableError } from 'bullmq';
import type { ApplyResult, Message, Series } from '../bot/types.ts';
import type { Finding } from '../analyzers/types.ts';

/**
 * Checks a value against `shape` and passes the value itself on, unchanged: a parsed copy would reorder its
 * keys, and the reply's Message-ID is a hash of the findings' JSON, which must be the one `kbot review` makes.
 */
function checked<T>(shape: z.ZodType) {
  return z.unknown().superRefine((v, ctx) => {
    const r = shape.safeParse(v);
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
  }).transform((v) => v as T);
}

export const messageSchema = checked<Message>(z.looseObject({
  messageId: z.string().min(1),
  subject: z.string(),
  parsedSubject: z.looseObject({ index: z.number().int(), total: z.number().int(), version: z.number().int() }),
  from: z.object({ name: z.string(), address: z.string() }),
  references: z.array(z.string()),
  source: z.string(),
}));

export const seriesSchema = checked<Series>(z.looseObject({
  id: z.string().min(1),
  title: z.string(),
  version: z.number().int(),
  total: z.number().int(),
  patches: z.array(z.unknown()),
  missing: z.array(z.number().int()),
}));

export const applyResultSchema = checked<ApplyResult>(z.looseObject({
  status: z.enum(['applied', 'failed', 'refused', 'skipped']),
  base: z.looseObject({ commit: z.string(), source: z.string(), why: z.string() }).nullable(),
  head: z.string().optional(),
}));

export const findingSchema = checked<Finding>(z.looseObject({
  analyzer: z.string(),
  category: z.string(),
  severity: z.enum(['error', 'warning', 'info']),
  title: z.string(),
}));

/** A payload that does not match its schema will not match on a retry either: a permanent failure. */
export function parsePayload<T extends z.ZodType>(schema: T, data: unknown, what: string): z.output<T> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new UnrecoverableError(`bad ${what} payload: ${first ? `${first.path.join('.') || '(top)'}: ${first.message}` : 'invalid'}`);
  }
  return r.data;
}

/** A review run again at a maintainer's command (queue/jobs/command.ts): who asked, where, and on what. */
export const rerunSchema = z.strictObject({
  channel: z.enum(['mail', 'github']),
  by: z.string(),
  /** The command mail's Message-ID, or the comment's URL: also what makes the rerun's job ids new. */
  via: z.string(),
  at: z.string(),
  /** A branch of the tree to apply on; the tree's HEAD when left out. */
  branch: z.string().optional(),
  subject: z.string().optional(),
});
export type Rerun = z.output<typeof rerunSchema>;

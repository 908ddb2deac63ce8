// Entry points of the ingest → parse → assemble stages:
//   readSource(input) → RawMessage[]  →  parseMessages(raws) → Message[]  →  assembleSeries(messages) → Series[]
// Message-IDs are kept with angle brackets everywhere ("<id@host>"), as in the headers.
export { readSource, type ReadSourceOptions, type SourceContents, type SourceKind } from './read-source.ts';
export { IngestError } from './ingest-error.ts';
export { DEFAULT_MAX_MESSAGE_BYTES } from './limits.ts';
export { parseMessage, parseMessages, isRejected, type ParseLimits } from '../mail/parse-message.ts';
export { parseSubject, normalizeTitle } from '../mail/parse-subject.ts';
export { splitPatch, type SplitPatch } from '../mail/split-patch.ts';
export { normalizeMessageId } from '../mail/message-id.ts';
export { assembleSeries, type Assembly } from '../series/assemble-series.ts';

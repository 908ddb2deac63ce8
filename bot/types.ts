// The pipeline's data types. Every stage is a plain function from one of these to the next, so the CLI
// can call them in a row and a queue job can call any one of them with a serialised payload.
import type { Coverage, Finding } from '../analyzers/types.ts';

/** One message as it came from a source, before any parsing. */
export interface RawMessage {
  /** The message bytes (RFC 5322), base64 when serialised. */
  raw: Buffer;
  /** Where it came from, e.g. "mbox:/path#3", "maildir:/path/cur/x", "public-inbox:/path@<sha>". */
  source: string;
  receivedAt?: string;
}

export interface SubjectInfo {
  /** The subject with the bracketed prefix and any "Re:" removed. */
  title: string;
  /** Every word inside the brackets, e.g. ["PATCH", "mm-unstable", "v3", "2/5"]. */
  prefixes: string[];
  isPatch: boolean;
  isRfc: boolean;
  isReply: boolean;
  /** 1 when no vN was given; `revisionInferred` says so. */
  version: number;
  revisionInferred: boolean;
  /** i of i/N; 1 for a lone [PATCH]; 0 for a cover letter. */
  index: number;
  /** N of i/N; 1 for a lone [PATCH]. */
  total: number;
  /** Prefix words that are not PATCH/RFC/vN/i/N, e.g. "mm-unstable" (used to pick a base branch). */
  treeTags: string[];
}

export interface FileDiff {
  /** Path before (null for a new file) and after (null for a deleted file), without a/ b/. */
  from: string | null;
  to: string | null;
  /** The whole `diff --git` section, as text. */
  text: string;
  hunks: Hunk[];
  /** Git extended header facts that matter for safety. */
  newMode?: string;
  isSymlink: boolean;
  isBinary: boolean;
  renameFrom?: string;
  renameTo?: string;
}

export interface Hunk {
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Lines with their leading ' ', '+' or '-'. */
  lines: string[];
}

export interface Trailer {
  name: string;
  value: string;
}

export interface Message {
  messageId: string;
  subject: string;
  parsedSubject: SubjectInfo;
  from: { name: string; address: string };
  to: string[];
  cc: string[];
  date?: string;
  inReplyTo?: string;
  references: string[];
  /** Plain text body (the first text/plain part, or the decoded body). */
  body: string;
  /** The patch text (from "---"/"diff --git" on), when the message carries one. */
  patch?: string;
  diff?: FileDiff[];
  trailers: Trailer[];
  /** base-commit: and prerequisite-patch-id: as given in the message. */
  baseCommit?: string;
  prerequisitePatchIds: string[];
  /** Things noticed while parsing that do not stop the message from being used. */
  problems: string[];
  source: string;
  /** Raw header lines, kept for threading replies. */
  headers: Array<[string, string]>;
}

export interface Rejected {
  messageId: string | null;
  source: string;
  reason: string;
}

export interface ParseResult {
  messages: Message[];
  rejected: Rejected[];
}

export interface Series {
  /** Stable id: the Message-ID of the cover letter, or of patch 1 when there is no cover. */
  id: string;
  title: string;
  version: number;
  revisionInferred: boolean;
  total: number;
  isRfc: boolean;
  treeTags: string[];
  /** parts[0] is the cover letter (may be null), parts[i] patch i/N (null when missing). */
  cover: Message | null;
  patches: Array<Message | null>;
  /** 1-based indexes of missing patches. */
  missing: number[];
  /** Message-ID of the newer series that supersedes this one, if any. */
  supersededBy?: string;
  /** Older versions of the same series, by id. */
  olderVersions: string[];
  baseCommit?: string;
  prerequisitePatchIds: string[];
  problems: string[];
}

export type BaseSource = 'base-commit' | 'cli' | 'subject-branch' | 'head';

export interface BaseChoice {
  commit: string;
  source: BaseSource;
  /** Human sentence: why this base was used (and what was tried first). */
  why: string;
  /** Subject tags that are no key of branch_map: never looked up in the tree (a tag is a name, not a revision). */
  ignoredTags?: string[];
}

export type ApplyStatus = 'applied' | 'failed' | 'refused' | 'skipped';

export interface ApplyResult {
  status: ApplyStatus;
  base: BaseChoice | null;
  /** Commit after the last applied patch (status applied). */
  head?: string;
  /** 1-based index and Message-ID of the patch that failed or was refused. */
  patchIndex?: number;
  patch?: string;
  file?: string;
  hunk?: string;
  detail?: string;
}

export interface ReplyDraft {
  inReplyTo: string;
  references: string[];
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  body: string;
  /** The whole RFC 5322 message, ready to send. */
  eml: string;
}

export interface SeriesReview {
  series: Series;
  apply: ApplyResult;
  findings: Finding[];
  notes: string[];
  /** What each analyzer checked (absent when no analyzer ran: the series was skipped or did not apply). */
  coverage?: Coverage[];
  reply: ReplyDraft | null;
  /** Every reply composed (one per patch with findings); `reply` is the first. Absent means [reply]. */
  replies?: ReplyDraft[];
  verdict: string;
}

/** What one `kbot review` run produces; rendered as text or as the JSON contract (README). */
export interface ReviewResult {
  tree: { path: string; head: string };
  series: SeriesReview[];
  rejected: Rejected[];
  /** configHash() of the config the review ran under. */
  configHash?: string;
}

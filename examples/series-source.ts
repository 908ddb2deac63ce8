// The shape of a patch series source under examples/series-src/: each patch is a list of edits on the example
// tree, so a series is regenerated (make-series.ts) against the tree as it is and always matches it.

export interface Person {
  name: string;
  email: string;
}

/** Replace the one occurrence of `find` in `path` (it is an error if there are none or several). */
export interface ReplaceEdit {
  path: string;
  find: string;
  replace: string;
}

/** Create `path` with the contents of `from` (relative to examples/series-src/). */
export interface CreateEdit {
  path: string;
  from: string;
}

export type Edit = ReplaceEdit | CreateEdit;

export interface PatchSource {
  /** Subject without the [PATCH i/N] prefix. */
  subject: string;
  /** Commit message body, trailers included. */
  body: string;
  /** RFC 2822 or git date, e.g. "2017-05-22 12:51:53 -0400". */
  date: string;
  edits: Edit[];
}

export interface SeriesSource {
  /** File name of the generated mbox, without .mbox. */
  name: string;
  /** examples/trees/<tree>. */
  tree: string;
  author: Person;
  to: string[];
  cc: string[];
  /** "v2" and the like, or empty. */
  version?: string;
  /** Cover letter; a series of one patch may go without. */
  cover?: { subject: string; body: string; date: string };
  /**
   * Commits made on the tree before the series and left out of it, so that the series is written against a tree
   * the reader does not have (a patch that does not apply).
   */
  prep?: Edit[];
  /** Put base-commit: in the mail (default true; never when prep is set, that base exists nowhere). */
  withBase?: boolean;
  /** The git version in the mails' signature (default 2.13.0, of the 2017 series). */
  gitVersion?: string;
  patches: PatchSource[];
}

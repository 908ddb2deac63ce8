// What analyzers see and what they return. Analyzers are pure: the tree reaches them only through TreeView.
import type { Judgement } from '../sim/judge.ts';
import type { SimOptions } from '../sim/run-scenario.ts';
import type { Scenario } from '../sim/scenarios/scenario.ts';

/** Read-only access to a tree at one commit. Implemented over git (bot/) and in memory (tests). */
export interface TreeView {
  /** The commit (or a label for in-memory trees). */
  readonly commit: string;
  /** File text, or null when the path does not exist at this commit. */
  readFile(path: string): Promise<string | null>;
  /** Every file path under prefix (all files when omitted), sorted. */
  listFiles(prefix?: string): Promise<string[]>;
  /**
   * Lines matching a regular expression, in files under the given path prefixes (all files when omitted).
   * The pattern must mean the same as a JavaScript RegExp and as POSIX ERE (git grep -E): use [0-9] not \d,
   * no lookarounds; \b and \w are fine.
   */
  grep(pattern: string, paths?: string[]): Promise<GrepHit[]>;
  /**
   * Lines holding any of `words` as a whole word (letters, digits and _ on neither side), in files under the
   * path prefixes (all files when omitted). One search for many names: on a git tree one fixed-string
   * `git grep -w -F`, far cheaper than the same alternation as a regular expression.
   */
  grepWords(words: string[], paths?: string[]): Promise<GrepHit[]>;
}

export interface GrepHit {
  path: string;
  line: number;
  text: string;
}

export type Severity = 'error' | 'warning' | 'info';

/** The stable finding vocabulary (documented in the README). */
export type Category =
  | 'speculative-get-on-free-page'
  | 'double-free'
  | 'use-after-free'
  | 'refcount-underflow'
  | 'page-leak'
  | 'page-life-change'
  | 'assertion'
  | 'unmodelled'
  | 'hot-path-cost'
  | 'checkpatch'
  | 'analyzer-error';

/**
 * How sure the analyzer is of a finding, for ranking within a severity: `high` when the tree's own code shows it
 * (an interleaving the simulator ran, a cost counted from the C), `medium` for a tool's pattern match
 * (checkpatch) or a count that had to leave something out, `low` for a guess. Absent means medium.
 */
export type Confidence = 'high' | 'medium' | 'low';

export interface TraceStep {
  /** "CPU0", "CPU1" ... */
  cpu: string;
  /** The actor's role in the scenario, e.g. "owner", "walker". */
  actor: string;
  /** For a walker: the tree's walker function the actor runs (runs can race several different ones). */
  walker?: string;
  /** The C function executing the step, and where it is in the tracked tree. */
  func: string;
  file: string;
  line: number;
  /** What the step did, e.g. "atomic_dec_return(&page->_refcount) = 1". */
  op: string;
  /** Refcount of each page after the step, by page name. */
  refcount: Record<string, number>;
  /** Driver free list (page names) after the step, when the scenario has one. */
  freeList?: string[];
  /** The page's life state after the step, by page name: "allocated" | "free". */
  pageState?: Record<string, string>;
  /** The call chain above func, outermost first: "put_page (include/linux/mm.h:812)". */
  via?: string[];
  /** The same chain as data, each frame with the C text of the line it is at (the call it made). */
  frames?: TraceFrame[];
  /** The C text of file:line as the tree has it, trimmed: "int count = page_ref_dec_return(page);". */
  code?: string;
  /**
   * Set when the step is kbot's own stand-in, not tree code (a scenario's driver waiting for the page to be
   * free, or re-allocating it in a tree with no driver): what it does, in words. file and line then name
   * the scenario, not the tree.
   */
  standIn?: string;
  /**
   * What this step assumed about a value the simulator does not know (a call the tree lacks, a field never set):
   * "assuming pfn_valid_within(pfn) is true at mm/compaction.c:120".
   */
  assumptions?: string[];
}

/** One frame of a step's call chain: the function and the line of it that made the call. */
export interface TraceFrame {
  func: string;
  file: string;
  line: number;
  code?: string;
}

export interface Finding {
  analyzer: string;
  category: Category;
  severity: Severity;
  confidence?: Confidence;
  title: string;
  /** Explanation in plain text, already wrapped or wrappable. */
  detail?: string;
  /** Message-ID of the patch that introduced it (the cover letter's for series-wide findings). */
  patch: string | null;
  /** Tree paths it concerns. */
  files: string[];
  /** The diff lines it is about (with leading '+', '-', ' '). */
  hunk: string[];
  /** Where the hunk lives: file and new-side line. */
  hunkFile?: string;
  /** Call sites worth reading, "file:line". */
  callSites?: string[];
  trace?: TraceStep[];
  /** The scenario that produced it, for the simulator. */
  scenario?: string;
  /** What went wrong, one sentence (detail starts with it). */
  message?: string;
  /**
   * What was run and what it showed about the code around it (detail's other sentences): the same for every
   * finding of one scenario instance, so a reply says it once.
   */
  context?: string;
  /** C lines of the fix's shape (a static key and the test behind it), shown as code after the detail. */
  suggestion?: string[];
  /** The speculative reference sites a page-life finding concerns, and what keeps each off the page. */
  sites?: SiteVerdict[];
  /** How to run again what found it: the commit simulated and the simulator's budget. */
  run?: { rev: string; walkers: number; maxStates: number; maxSeconds: number };
}

export interface SiteVerdict {
  /** "mm/memory-failure.c:65" */
  at: string;
  func: string;
  /** The check that keeps the site off such a page, when one does ("PageLRU(page)"). */
  guardedBy?: string;
  /** Why it cannot meet such a page when no check of its own is the reason. */
  ruledOut?: string;
}

/** One patch of the series as analyzers see it. */
export interface PatchInput {
  index: number;
  messageId: string;
  subject: string;
  /**
   * The patch as mail, as `git format-patch` writes it (From:, Subject:, then the body with the diff), for
   * tools that read a patch whole (checkpatch.pl).
   */
  mail?: string;
  /** Parsed file diffs of this patch. */
  files: Array<{ from: string | null; to: string | null; hunks: Array<{ header: string; newStart: number; lines: string[] }> }>;
}

/** Where analyzers keep what they learned of a commit (bot/ gives one under the work dir; tests may not). */
export interface FactsCache {
  get(key: string): Promise<unknown | null>;
  put(key: string, value: unknown): Promise<void>;
}

export interface AnalyzerInput {
  seriesId: string;
  title: string;
  coverMessageId: string | null;
  patches: PatchInput[];
  before: TreeView;
  after: TreeView;
  /** Files the series touches (new paths), so what is read of the tree after it can be limited to them. */
  touched?: string[];
  cache?: FactsCache;
  /** Threads an analyzer may spread its work over (sim.jobs), each with its own views of the same two trees. */
  threads?: AnalyzerThreads;
}

/**
 * Other threads for refcount-sim's scenario runs: each runs simulate() for a part of the instances, on its
 * own views of the trees before and after the series, and answers their judgements.
 */
export interface AnalyzerThreads {
  /** Threads besides the analyzer's own. */
  count: number;
  simulate(part: SimulatePart): Promise<Judgement[]>;
}

/** A part of a series' simulation, as the analyzer would call simulate() for it. */
export interface SimulatePart {
  scenarios: Scenario[];
  options: SimOptions;
  changedLines: string[];
  hunks: Array<{ file: string; newStart: number; lines: string[] }>;
  /** The instances to run, in this order (ids as simulate() names them). */
  onlyIds: string[];
}

export interface AnalyzerResult {
  findings: Finding[];
  /** Plain sentences for the report ("refcount-sim: nothing to check: the series touches no refcount code"). */
  notes: string[];
  /** What the analyzer checked, said even when it found nothing. */
  coverage?: Coverage;
}

/** One analyzer's account of its run: what it looked at, whether it could, and what it found. */
export interface Coverage {
  analyzer: string;
  /** ran: it checked what `checked` says (`limits` says where a config limit cut it short); skipped: nothing
   *  of the series was its business or the tree lacks what it needs (`checked` says which); failed: it crashed
   *  or the tool it runs failed. */
  status: 'ran' | 'skipped' | 'failed';
  /** One or two sentences: what was checked ("4 functions the series changes; 1 on a hot path: put_page()"). */
  checked: string;
  /** How many findings it returned. */
  findings: number;
  /** Limits from the config that cut the run short, said where they were hit. */
  limits?: string[];
}

export interface Analyzer {
  name: string;
  run(input: AnalyzerInput, signal?: AbortSignal): Promise<AnalyzerResult>;
  /**
   * Optional: start reading the tree before the series while the series is still being applied. `run` gets
   * the same `before` view and may reuse what was read. Errors are left for `run` to meet again.
   */
  prepare?(input: Omit<AnalyzerInput, 'after'>): void;
}

// What seed.pml's asserts mean in kbot's words, and which variant of the model mirrors which kbot walker.

/** seed.pml's assert expressions as pan prints them, and the kbot violation category each one checks. */
export const SEED_ASSERTIONS: Readonly<Record<string, string>> = {
  '!(pfree)': 'speculative-get-on-free-page',
  '(nfree==0)': 'double-free',
  '(users==0)': 'use-after-free',
};

/** kbot categories for the asserts pan reported; an assert the table does not know keeps its text. */
export function spinCategories(assertions: Record<string, number>): string[] {
  return [...new Set(Object.keys(assertions).map((a) => SEED_ASSERTIONS[a] ?? `assert ${a}`))].sort();
}

/**
 * Preprocessor symbols that make seed.pml mirror kbot's instance for `walker` (the function kbot enters as the
 * pfn walker), or null when no variant of the model does.
 */
export function seedDefines(walker: string | undefined): string[] | null {
  if (walker === 'memory_failure') return [];
  if (walker === 'get_hwpoison_page') return ['WALKER_GET_HWPOISON_PAGE'];
  return null;
}

// Kernel annotation keywords that tree-sitter's C grammar cannot parse. The preprocessor blanks them
// (keeping columns) before parsing. Data only: add a keyword here when a tree breaks on one.

/** Keywords removed outright (replaced by spaces). */
export const BLANK_KEYWORDS: readonly string[] = [
  '__must_check', 'noinline', 'noinline_for_stack', '__noinline', '__init', '__exit', '__cold', '__hot',
  '__pure', '__attribute_const__', 'notrace', '__maybe_unused', '__always_unused', '__used', '__weak', '__ref',
  '__meminit', '__meminitdata', '__initdata', '__initconst', '__refdata', '__ro_after_init', '__init_or_module',
  '__devinit', '__cpuinit', '__sched', '__latent_entropy', '__read_mostly', '__rcu', '__percpu', '__user',
  '__iomem', '__force', '__bitwise', '__private', '__randomize_layout', '__no_randomize_layout', '__packed',
  '__visible', 'asmlinkage', '__noreturn', '__flatten', '__gnu_inline', '__kprobes', '__nocfi', '__noinstr',
  'noinstr', '__deprecated', '__nonstring', '__designated_init', '__cacheline_aligned',
  '__cacheline_aligned_in_smp', '____cacheline_aligned', '____cacheline_aligned_in_smp', '__data_racy',
  '__kernel', '__safe', '__nocast', '__malloc', '__no_kcsan', '__no_kasan', '__no_sanitize_address',
  '__no_sanitize_thread', '__no_sanitize_undefined', '__no_sanitize_memory', '__no_sanitize_coverage',
  '__no_stack_protector', '__noscs', '__overloadable', '__always_unused', '__mustcheck', '__ksym', '__unused',
  '__assume_aligned', '__fix_address', '__always_used', '__cleanup_disabled',
];

/** Prefixes of keyword families removed outright (`__no_sanitize_*`). */
export const BLANK_PREFIXES: readonly string[] = ['__no_sanitize_', '__no_profile'];

/** Keywords followed by a parenthesised argument list; keyword and arguments are removed. */
export const BLANK_WITH_ARGS: readonly string[] = [
  '__attribute__', '__attribute', '__aligned', '__acquires', '__releases', '__must_hold', '__printf', '__scanf',
  '__section', '__alloc_size', '__counted_by', '__cond_acquires', '__cond_releases', '__diagnose_as', '__realloc_size',
  '__assume_aligned', '__designated_init', '__nonnull', '__returns_nonnull', '__access', '__cleanup', '__guarded_by',
  '__pt_guarded_by', '__acquires_shared', '__releases_shared', '__must_hold_shared', '__cond_acquires_shared',
  '__no_context_analysis', '__context__', '__malloc_attr', '__alloc_size__', '__warn_unused_result',
  '__builtin_assume_aligned_attr', '__uninitialized_var_attr',
];

/** Keywords replaced by a keyword tree-sitter knows (padded to the same width). */
export const REWRITE_KEYWORDS: Readonly<Record<string, string>> = {
  __always_inline: 'inline',
  __inline__: 'inline',
  __inline: 'inline',
  __volatile__: 'volatile',
  __const: 'const',
  __signed__: 'signed',
  __restrict: '',
  __restrict__: '',
  __asm__: 'asm',
};

/** Top-level statements that register a symbol and carry no code; removed with their arguments and `;`. */
export const BLANK_TOPLEVEL_CALLS: readonly string[] = [
  'EXPORT_SYMBOL', 'EXPORT_SYMBOL_GPL', 'EXPORT_SYMBOL_NS', 'EXPORT_SYMBOL_NS_GPL', 'EXPORT_SYMBOL_GPL_FUTURE',
  'EXPORT_SYMBOL_FOR_MODULES', 'EXPORT_UNUSED_SYMBOL', 'EXPORT_UNUSED_SYMBOL_GPL', 'EXPORT_TRACEPOINT_SYMBOL',
  'EXPORT_TRACEPOINT_SYMBOL_GPL', 'NOKPROBE_SYMBOL', 'ALLOW_ERROR_INJECTION', 'MODULE_LICENSE', 'MODULE_AUTHOR',
  'MODULE_DESCRIPTION', 'MODULE_IMPORT_NS', 'module_init', 'module_exit', 'late_initcall', 'core_initcall',
  'subsys_initcall', 'early_initcall', 'arch_initcall', 'fs_initcall', 'device_initcall', 'postcore_initcall',
  'pure_initcall', 'EXPORT_PER_CPU_SYMBOL', 'EXPORT_PER_CPU_SYMBOL_GPL', 'EXPORT_STATIC_CALL',
  'EXPORT_STATIC_CALL_GPL', 'EXPORT_STATIC_CALL_TRAMP', 'EXPORT_STATIC_CALL_TRAMP_GPL', 'MODULE_PARM_DESC',
];

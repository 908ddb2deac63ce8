// Scenarios are data (YAML in this folder, or given in config): which pages, which actors, which tree
// functions each actor runs, with a little glue C where needed. A new scenario needs no code.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const PageSchema = z.object({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  pfn: z.number().int().nonnegative().default(0x1000),
  zone: z.string().default('ZONE_NORMAL'),
  /** Whether pfn_to_online_page() finds it (device memory is never online). */
  online: z.boolean().default(true),
  flags: z.array(z.string()).default([]),
  /**
   * ZONE_DEVICE pages: the pgmap type, an enum constant the tree must define; with a list, the first the tree
   * defines (MEMORY_DEVICE_PUBLIC became MEMORY_DEVICE_COHERENT over the eras).
   */
  pgmap: z.object({ type: z.union([z.string(), z.array(z.string()).min(1)]) }).optional(),
});

const ActorSchema = z.object({
  role: z.string(),
  /** Glue C run by this actor; the scenario's pages are in scope by name, and `pfn` is the first page's pfn. */
  glue: z.string().optional(),
  /**
   * Stand for the tree's lockless pfn walkers: one instance per pfn walker the tree facts say can meet this
   * scenario's page type (sim/facts), and one running `fallback`, a walker that checks nothing.
   */
  walkers: z
    .object({
      fallback: z.string().optional(),
    })
    .optional(),
  /**
   * Stand for the functions the series adds or changes whose code touches a page's refcount or life: one
   * instance per such function. The actor calls it as a caller holding its pages (`holds`) would, with the
   * scenario's page for its first page or folio parameter and unknowns for the rest, then drops the
   * references it held (`after`, glue C; default: put_page() of each held page).
   */
  series: z.object({ after: z.string().optional() }).optional(),
  /** The allocator may take references on a free page: that is how a page is handed out. */
  allocator: z.boolean().default(false),
  /**
   * Hand the page out through the tree's own driver allocation function (one beside the free callback that
   * returns a page or folio), once the page is free; `glue` is used when the tree has none.
   */
  allocates: z.boolean().default(false),
  /** Pages this actor holds one reference on when the scenario starts (the owner's). */
  holds: z.array(z.string()).default([]),
  /** Copies of this actor (symmetric); "walkers" means the --walkers option. */
  count: z.union([z.number().int().positive(), z.literal('walkers')]).default(1),
});

export const ScenarioSchema = z.object({
  name: z.string(),
  intent: z.string(),
  /**
   * Enum constants the tree must have for the scenario to apply, and the callback fields through which freed
   * pages go back to their driver (a stand-in driver takes them where the tree registers none).
   */
  requires: z
    .object({
      enums: z.array(z.string()).default([]),
      callbacks: z.array(z.string()).default([]),
    })
    .default({ enums: [], callbacks: [] }),
  pages: z.array(PageSchema).min(1),
  /** Fields through which the tree registers the pages' free callback (pgmap->page_free, ops->folio_free). */
  callbackFields: z.array(z.string()).default(['page_free', 'folio_free']),
  /**
   * Refcount values the page may have while free, tried in order from one reference per holder over each: the
   * first the tree's own put path frees at shows the driver's free list. The run's start and free count come
   * from the page's life where it can be run (run-scenario.ts pageLife()); elsewhere this first one is used,
   * and that is named.
   */
  freeRefcounts: z.array(z.number().int()).default([0, 1]),
  /** The glue that drops the owner's last reference; used to probe the tree's free refcount. */
  release: z.string().default('put_page(page);'),
  actors: z.array(ActorSchema).min(1),
  expect: z.enum(['ok', 'violation']).default('ok'),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioActor = z.infer<typeof ActorSchema>;
export type ScenarioPage = z.infer<typeof PageSchema>;

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** Parses one scenario from YAML text; errors name the field. */
export function parseScenario(text: string, origin = 'scenario'): Scenario {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new ScenarioError(`${origin}: not YAML: ${(e as Error).message}`);
  }
  return scenarioOf(data, origin);
}

/** Checks one scenario as its YAML reads (what parseScenario() does after the YAML); errors name the field. */
export function scenarioOf(data: unknown, origin = 'scenario'): Scenario {
  const r = ScenarioSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ScenarioError(`${origin}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return r.data;
}

// Symmetry reduction for identical actors (e.g. N pfn walkers running the same code): states that differ only by
// which of the identical actors is where are one state. The interpreter calls canonicalKey() from its key().
//
// Sound only when the actors of a group are interchangeable: same code, same initial locals, and the shared part
// of the key does not name them by index (a lock owner recorded as "actor 2" breaks it; record such facts in the
// actor's own key instead). A system using it must set `symmetric: true` so the explorer does not carry sleep
// sets across visits (actor numbers differ between two states with one key).

/** Separators that cannot occur in keys made of printable text. */
const ACTOR_SEP = '\u0001';
const SHARED_SEP = '\u0002';

/**
 * The key of a state up to permutations inside each group: the keys of the actors of a group are sorted and put
 * back in the group's positions. groups are lists of actor indices; actors in no group keep their place.
 */
export function canonicalKey(sharedKey: string, actorKeys: readonly string[], groups: readonly (readonly number[])[]): string {
  let keys: string[] | undefined;
  for (const group of groups) {
    if (group.length < 2) continue;
    const sorted = group.map((a) => actorKeys[a] ?? '').sort();
    // Positions sorted too, so [2, 0] and [0, 2] name the same group.
    const places = group.slice().sort((x, y) => x - y);
    keys ??= actorKeys.slice();
    for (let i = 0; i < places.length; i++) keys[places[i]!] = sorted[i]!;
  }
  return sharedKey + SHARED_SEP + (keys ?? actorKeys).join(ACTOR_SEP);
}

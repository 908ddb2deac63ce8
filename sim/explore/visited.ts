// The explorer's visited set for systems that give their states as integer vectors (TransitionSystem.vector):
// an open-addressing hash table in typed arrays. Each state's exact vector is kept (length-prefixed, in one
// growing Int32Array), and a lookup compares the whole vector after the hash matches: two different states are
// never taken for one (no fingerprints, no bitstate: nothing is lost to collisions, which only cost a probe).
// Per state: its vector (4 bytes an entry, plus 4 for its length), its offset and hash (8), and 2 slots of the
// table at most (load kept under 1/2: 8).

import type { TransitionSystem } from './types.ts';

/** Hashes an integer vector (FNV-1a over its words, then a final avalanche). */
export function hashVector(v: ArrayLike<number>): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < v.length; i++) {
    h = Math.imul(h ^ v[i]!, 0x01000193);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

export class VectorSet {
  /** State index + 1 per slot, 0 when empty. */
  private slots = new Int32Array(1 << 8);
  private mask = (1 << 8) - 1;
  /** Per state: where its vector starts in the arena, and its hash. */
  private offsets = new Int32Array(1 << 7);
  private hashes = new Int32Array(1 << 7);
  private arena = new Int32Array(1 << 11);
  private top = 0;
  size = 0;

  /** The index of the state with vector v, or -1. */
  get(v: ArrayLike<number>): number {
    return this.find(v, hashVector(v));
  }

  has(v: ArrayLike<number>): boolean {
    return this.get(v) >= 0;
  }

  /** Adds v (which must not be in the set) as state number `size`; returns that number. */
  add(v: ArrayLike<number>): number {
    const h = hashVector(v);
    const i = this.size++;
    if (i >= this.offsets.length) {
      this.offsets = grow(this.offsets, this.offsets.length * 2);
      this.hashes = grow(this.hashes, this.hashes.length * 2);
    }
    if (this.top + v.length + 1 > this.arena.length) this.arena = grow(this.arena, Math.max(this.arena.length * 2, this.top + v.length + 1));
    this.offsets[i] = this.top;
    this.hashes[i] = h;
    this.arena[this.top++] = v.length;
    this.arena.set(v, this.top);
    this.top += v.length;
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(i, h);
    return i;
  }

  /** Bytes held by the table, its vectors and their bookkeeping. */
  get bytes(): number {
    return this.slots.byteLength + this.offsets.byteLength + this.hashes.byteLength + this.arena.byteLength;
  }

  private find(v: ArrayLike<number>, h: number): number {
    const { slots, mask, arena, offsets, hashes } = this;
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const e = slots[p]!;
      if (e === 0) return -1;
      const i = e - 1;
      if (hashes[i] !== h) continue;
      let o = offsets[i]!;
      if (arena[o++] !== v.length) continue;
      let k = 0;
      while (k < v.length && arena[o + k] === v[k]) k++;
      if (k === v.length) return i;
    }
  }

  private place(i: number, h: number): void {
    let p = h & this.mask;
    while (this.slots[p] !== 0) p = (p + 1) & this.mask;
    this.slots[p] = i + 1;
  }

  private rehash(n: number): void {
    this.slots = new Int32Array(n);
    this.mask = n - 1;
    for (let i = 0; i < this.size; i++) this.place(i, this.hashes[i]!);
  }
}

/** A state's key: the system's integer vector when it gives one (TransitionSystem.vector), else its text key. */
export type StateKey = string | ArrayLike<number>;

/**
 * States numbered in the order they are added, by their key: integer vectors in a VectorSet when the system
 * gives them, else text keys in a Map. Both searches keep their visited states in one (explore.ts, bounded.ts).
 */
export class StateIndex<S> {
  readonly vectors: boolean;
  private readonly text = new Map<string, number>();
  private readonly table = new VectorSet();

  constructor(private readonly sys: Pick<TransitionSystem<S, unknown>, 'key' | 'vector'>) {
    this.vectors = typeof sys.vector === 'function';
  }

  /** s's key; with `extra`, that number is part of it (the bounded search's running actor). */
  keyOf(s: S, extra?: number): StateKey {
    if (!this.vectors) return extra === undefined ? this.sys.key(s) : `${this.sys.key(s)}|${extra}`;
    const v = this.sys.vector!(s);
    if (extra === undefined) return v;
    // A new array each call (TransitionSystem.vector): the number goes on its end.
    const a = Array.isArray(v) ? (v as number[]) : Array.from(v);
    a.push(extra);
    return a;
  }

  /** The number of the state with this key, or -1. */
  get(k: StateKey): number {
    return this.vectors ? this.table.get(k as ArrayLike<number>) : (this.text.get(k as string) ?? -1);
  }

  /** Adds a key not in the index as state number `size`; returns that number. */
  add(k: StateKey): number {
    if (this.vectors) return this.table.add(k as ArrayLike<number>);
    const i = this.text.size;
    this.text.set(k as string, i);
    return i;
  }

  get size(): number {
    return this.vectors ? this.table.size : this.text.size;
  }

  /** Bytes of the vector table (text keys: not measured). */
  get bytes(): number | undefined {
    return this.vectors ? this.table.bytes : undefined;
  }
}

function grow(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

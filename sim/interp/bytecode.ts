// Bytecode of the simulator's C subset. A function compiles to a flat array of instructions for a
// stack machine; an actor's state is then a few small arrays, cheap to copy and to hash.
import type { Loc } from '../frontend/ast.ts';

/**
 * Values: numbers are C integers; strings are pointers:
 *   "o3"          object 3 (a struct page, a pgmap, a driver struct ...; embedded structs share their container)
 *   "o3/_refcount" the address of a field of object 3
 *   "L2:5"        the address of local 5 in frame 2 of the running actor
 *   "fn:name"     a function pointer
 *   "u_..."       a value the model does not know (see machine.ts): a call the tree lacks, a field never written
 * NULL and false are 0.
 */
export type Value = number | string;

export type Op =
  | 'const' // a: value
  | 'lload' // a: local index
  | 'lstore' // a: local index (pops)
  | 'laddr' // a: local index
  | 'fload' // a: field; pops pointer
  | 'fstore' // a: field; pops value then pointer
  | 'faddr' // a: field; pops pointer
  | 'deref' // pops pointer
  | 'istore' // pops value then pointer
  | 'bin' // a: operator
  | 'un' // a: operator
  | 'jmp' // a: target
  | 'jz' // a: target (pops)
  | 'jnz' // a: target (pops)
  | 'call' // a: function name, b: argc
  | 'callptr' // b: argc; pops args then the function pointer
  | 'builtin' // a: name, b: argc
  | 'ret' // pops the return value
  | 'pop'
  | 'dup'
  | 'unmodelled'; // a: message; stops the actor

export interface Instr {
  op: Op;
  a?: Value;
  b?: number;
  loc: Loc;
  /** Text for traces, e.g. the callee name and arguments; on an if's jz, the condition. */
  text?: string;
  /**
   * callptr through a named field (ops->free): the functions the tree stores in that field, resolved at compile
   * time, for when the pointer the code holds is unknown. Where each was registered is kept for traces.
   */
  targets?: Array<{ fn: string; file: string; line: number }>;
  /**
   * On the jz of a BUG_ON()-style assertion, its text: an assertion whose condition the model does not know is
   * taken to hold (the kernel's own invariant), never to fire.
   */
  assert?: string;
}

export interface CompiledFunction {
  name: string;
  file: string;
  line: number;
  params: string[];
  paramTypes: string[];
  nlocals: number;
  localNames: string[];
  code: Instr[];
  /** Glue functions written in a scenario, not taken from the tree. */
  glue: boolean;
  /** The machine's cache, per instruction of `code` (that array), of what its op may need (machine.ts); not compiled. */
  opFlags?: { code: Instr[]; flags: Uint8Array; ops: Uint8Array };
}

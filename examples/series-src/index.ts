// Every example series make-series.ts knows, in the order they are generated.

import type { SeriesSource } from '../series-source.ts';
import { hmmDevprivFreeAt1 } from './hmm-devpriv-free-at-1.ts';
import { hmmDevprivFreeAt0 } from './hmm-devpriv-free-at-0.ts';
import { noRefcount } from './no-refcount.ts';
import { doesNotApply } from './does-not-apply.ts';
import { folioDevprivFreeAt1 } from './folio-devpriv-free-at-1.ts';
import { fsdaxIdleAt1 } from './fsdax-idle-at-1.ts';

export const allSeries: SeriesSource[] = [
  hmmDevprivFreeAt1,
  hmmDevprivFreeAt0,
  noRefcount,
  doesNotApply,
  folioDevprivFreeAt1,
  fsdaxIdleAt1,
];

// How far V8 lets the heap grow past what is live before it collects again.
//
// Left to itself, V8 sizes both generations for throughput: a fast-allocating batch run grows the old generation to
// about four times what is live, and the young generation from 2 to 32 MB (twice the largest semi-space). tpot2misp
// shares its host with T-Pot and Elasticsearch, so it trades some CPU for memory:
// - the old generation is collected once it has grown by a quarter (a fixed factor of 1.25);
// - the young generation stays at its start size (semi-space growth factor 1): it holds a document or two in flight,
//   and what outlives that is held until a delivery anyway.
// Measured with the benchmark (docs/troubleshooting.md#memory): peak RSS 191 MB on 500,000 documents, 367 MB with
// V8's own choices; about 20 % more CPU.
//
// V8 reads both flags while it runs (at each collection, at each young-generation resize), so setting them at
// start-up takes effect, unlike the heap's size limits, fixed when the process starts. Node.js refuses both in
// NODE_OPTIONS: a value of the operator's own on node's command line is kept, and so is a young-generation size
// given there or in NODE_OPTIONS (`--max-semi-space-size`, which NODE_OPTIONS takes).
import { setFlagsFromString } from 'node:v8';

interface HeapSetting {
  readonly flag: string;
  /** The operator's own choice of the same thing (V8 takes its flags with dashes or underscores). */
  readonly own: RegExp;
}

const SETTINGS: readonly HeapSetting[] = [
  { flag: '--heap-growing-percent=25', own: /^--heap[-_]growing[-_]percent(=|$)/ },
  { flag: '--semi-space-growth-factor=1', own: /^--(max[-_]semi[-_]space[-_]size|min[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)(=|$)/ },
];

/** Sets tpot2misp's heap growth, except what the operator set on node's command line or in NODE_OPTIONS; returns the flags set. */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env['NODE_OPTIONS'] ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  const set: string[] = [];
  for (const { flag, own } of SETTINGS) {
    if (given.some((arg) => own.test(arg))) continue;
    setFlagsFromString(flag);
    set.push(flag);
  }
  return set;
}

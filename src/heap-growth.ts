// How far V8 lets the heap grow past what is live before it collects again.
//
// V8 picks that factor itself, between 1.1 and 4, and a fast-allocating batch run gets close to 4: the heap fills
// with hundreds of MB of garbage not yet collected, most of the process's resident memory. tpot2misp shares its host
// with T-Pot and Elasticsearch, so it trades some CPU for memory: a fixed factor of 1.5. Measured with the benchmark
// (docs/troubleshooting.md#memory): peak RSS 470–555 → 287–298 MB on its default run, 600 → 321 MB on 500,000
// documents; CPU 10–20 % more, wall time within this machine's noise.
//
// The flag is read at every collection, so setting it at start-up takes effect (unlike the heap's size limits,
// which V8 fixes when the process starts: those stay NODE_OPTIONS's). Node.js refuses this flag in NODE_OPTIONS;
// a value given on node's own command line (0: V8's own choice) is kept.
import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING_PERCENT = 50;
// V8 takes its flags with dashes or underscores.
const OWN_FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/** Sets V8's heap growing factor to 1.5, unless node was started with its own `--heap-growing-percent`. */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => OWN_FLAG.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}

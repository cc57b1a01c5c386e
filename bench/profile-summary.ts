/**
 * Where the time went, from a V8 CPU profile (`node --cpu-prof`): self time by function and by
 * package or source file, highest first.
 *
 *   node --import tsx bench/profile-summary.ts CPU.….cpuprofile [--top 25] [--last 10]
 *
 * `--last S`: only the samples of the profile's last S seconds (the measured load, without the
 * start-up and seeding before it).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

// Piped into `head`, the reader may go away early: that is the end, not an error.
process.stdout.on('error', () => process.exit(0));

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, last: { type: 'string' } } });
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfTime = new Map<number, number>();
const span = profile.timeDeltas.reduce((a, b) => a + b, 0);
const from = values.last === undefined ? -Infinity : span - Number(values.last) * 1e6;
let at = 0;
profile.samples.forEach((id, i) => {
  at += profile.timeDeltas[i] ?? 0;
  if (at >= from) selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfTime.values()].reduce((a, b) => a + b, 0);

function place(url: string): string {
  if (url === '') return '(native/V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const src = /\/(src|dist)\/(.*)$/.exec(url);
  return src ? `${src[1]}/${src[2]}` : url;
}

const fns = new Map<string, number>();
const places = new Map<string, number>();
for (const [id, t] of selfTime) {
  const n = byId.get(id)!;
  const f = `${n.callFrame.functionName || '(anonymous)'} ${place(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  fns.set(f, (fns.get(f) ?? 0) + t);
  const p = place(n.callFrame.url);
  places.set(p, (places.get(p) ?? 0) + t);
}
const show = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title} (self time, ${(total / 1e6).toFixed(2)} s sampled)\n`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}\n`);
  }
};
// Total time: a function's own time plus everything it called (counted once per call path, so a
// function that calls itself is not counted twice).
const totals = new Map<string, number>();
const name = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${place(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
function walk(id: number, onPath: Set<string>): number {
  const n = byId.get(id)!;
  let t = selfTime.get(id) ?? 0;
  const key = name(n);
  const fresh = !onPath.has(key);
  if (fresh) onPath.add(key);
  for (const child of n.children ?? []) t += walk(child, onPath);
  if (fresh) {
    onPath.delete(key);
    totals.set(key, (totals.get(key) ?? 0) + t);
  }
  return t;
}
walk(profile.nodes[0]!.id, new Set());
show('By package or file', places);
show('By function', fns);
show('By function, with what it called', totals);

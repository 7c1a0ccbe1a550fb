/**
 * A separate process for the concurrency and crash tests: `node worker.ts MODE DIR ...`, bundled (test/helpers/ts-loader.ts bundledScript)
 *   add DIR I [scoped] add route I (one read-modify-write; scoped: reading only its line) and exit
 *   hold DIR           take the lock, print "LOCKED", then wait forever (to be SIGKILLed)
 *   churn DIR N START  write big states of N routes tagged START, START+1, ... forever,
 *                      printing "committed TAG" after each write
 */
import { emptyState, updateState } from '../../src/state/index.ts';
import { routeKey } from '../../src/state/format.ts';
import { addRoute, bigState, makeRoute } from './helpers.ts';

const [mode, dir, a, b] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: worker.ts MODE DIR ...');

if (mode === 'add') {
  const i = Number(a);
  const scope = b === 'scoped' ? { routes: [routeKey(makeRoute(i))], apps: [] } : undefined;
  await updateState(dir, (s) => addRoute(s, makeRoute(i)), { lockTimeoutMs: 60_000, scope });
} else if (mode === 'hold') {
  await updateState(dir, () => {
    process.stdout.write('LOCKED\n');
    return new Promise<never>(() => {
      setInterval(() => undefined, 1000);
    });
  });
} else if (mode === 'churn') {
  const n = Number(a);
  process.stdout.write('ready\n');
  for (let tag = Number(b); ; tag++) {
    await updateState(dir, () => bigState(emptyState(), n, String(tag)), { lockTimeoutMs: 60_000 });
    process.stdout.write(`committed ${tag}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}

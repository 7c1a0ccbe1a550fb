// The TypeScript loader of the test suite: `node --import ./test/loader/register.mjs file.test.ts`.
// Node 20 cannot run .ts files itself; this loader compiles each one with esbuild (a
// devDependency, which also bundles the CLI) and keeps the output in a cache keyed by the source's
// hash. It does the one thing of tsx (the loader before) the suite needs: for a suite that starts
// ~80 test processes and dozens of worker processes, tsx's start-up (its hooks and its bundle,
// loaded on two threads) cost ~0.95 s of CPU per test process on this 2-core machine (a test file
// that imports src/main.ts, warm cache), this loader ~0.5 s; `node -e 0` is ~0.12 s.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

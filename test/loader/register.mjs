// The TypeScript loader of the test suite: `node --import ./test/loader/register.mjs file.test.ts`.
// Node 20 cannot run .ts files itself; this loader compiles each one with esbuild (a
// devDependency, which also bundles the CLI) and keeps the output in a cache keyed by the source's
// hash. It does one thing tsx does (tsx was the loader before): for a suite that starts ~80 test
// processes and ~60 worker processes, tsx's start-up (its hooks and its bundle, loaded on two
// threads) was ~0.45 s of CPU each, this one's ~0.1 s. test/loader/README.md has the figures.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

import { pathToFileURL } from 'node:url';

/** Node's arguments that run a .ts file as the test suite does (test/loader/register.mjs). */
export const TS_NODE_ARGS: readonly string[] = ['--import', pathToFileURL(new URL('../loader/register.mjs', import.meta.url).pathname).href];

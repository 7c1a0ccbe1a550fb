// The binary's first module: answers --version without loading anything else, then hands over.
// (Built as dist/entry.cjs; `./main.ts` is dist/cli.cjs there. No top-level await: CommonJS.)
declare const CFMESH_VERSION: string;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${CFMESH_VERSION}\n`);
} else {
  void import('./main.ts').then(({ run }) => run(argv));
}

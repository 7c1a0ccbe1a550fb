// The binary's first module: answers --version without loading anything else, then hands over.
declare const CFMESH_VERSION: string;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${CFMESH_VERSION}\n`);
} else {
  const { run } = await import('./main.ts');
  await run(argv);
}

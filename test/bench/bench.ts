// `npm run bench`: measures cfmesh against floors taken IN THE SAME RUN (the machine may be shared
// and noisy, so only ratios are compared with the goals), prints a table and writes JSON.
// It measures; it never fails the test suite. Each figure is a function that may return
// { skipped } when what it needs (a command, a test server) is not on this branch yet.
//
// Environment: BENCH_RUNS (start-up runs, default 15), BENCH_LARGE_RUNS (10k/40k runs, default 5),
// BENCH_ONLY (comma-separated figure ids), BENCH_TIMEOUT_MS (per large run, default 300000),
// BENCH_LABEL (also writes .bench/results-<label>.json), BENCH_BIN (the cfmesh binary to measure),
// BENCH_KEEP_SCRATCH=1 (the scratch directory is left for the caller to remove: its removal, ~340,000
// files after the -o DIR figures, slows file creation on ext4 for minutes, so a run right after
// another would measure the first one's removal; see retire()).
import { spawnSync } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appName, generateManifest, generateShape, TWO_APP_MANIFEST, type GeneratedManifest, type ManifestShape } from './generate.ts';
import { HAVE_GNU_TIME, median, runNode, type Run, type SpawnSpec } from './measure.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const benchDir = join(root, '.bench');
// BENCH_BIN measures another build (e.g. a checkout of main) with this harness
const bin = process.env['BENCH_BIN'] ?? join(root, 'bin/cfmesh.js');
const env = (name: string, fallback: number) => (process.env[name] && /^\d+$/.test(process.env[name] as string) ? Number(process.env[name]) : fallback);
const RUNS = env('BENCH_RUNS', 15);
const LARGE_RUNS = env('BENCH_LARGE_RUNS', 5);
const TIMEOUT_MS = env('BENCH_TIMEOUT_MS', 300_000);
const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim()).filter(Boolean);

interface Series {
  readonly label: string;
  readonly medianMs: number;
  readonly runsMs: readonly number[];
  readonly maxRssKiB?: number | undefined;
  /** Median user+system CPU time, when measured: a check on wall times taken on a busy machine. */
  readonly cpuMedianMs?: number | undefined;
  readonly note?: string | undefined;
  readonly timedOut?: boolean | undefined;
}

interface Goal {
  readonly text: string;
  readonly max?: number;
  readonly min?: number;
}

interface Figure {
  readonly id: string;
  readonly title: string;
  readonly subject?: Series;
  readonly floor?: Series;
  /** subject / floor, or another dimensionless figure the goal is about. */
  readonly value?: number;
  readonly valueText?: string;
  readonly goal?: Goal;
  readonly met?: boolean;
  readonly skipped?: string;
  readonly extra?: Record<string, unknown>;
}

type FigureFn = (ctx: Ctx) => Promise<Figure> | Figure;

interface Ctx {
  readonly scratch: string;
  readonly inputs: Map<number, { path: string; generated: GeneratedManifest }>;
  readonly results: Map<string, Figure>;
  helpText?: string;
  /** CFMESH_HOME of a state that `push` filled with the 10,000-app manifest (made once). */
  state10k?: { home: string } | { skipped: string };
}

// ---------------------------------------------------------------------------------------------
// helpers

function series(label: string, runs: readonly Run[], note?: string): Series {
  const ok = runs.filter((r) => !r.timedOut);
  const rss = runs.map((r) => r.maxRssKiB).filter((v): v is number => v !== undefined);
  const cpu = ok.map((r) => r.cpuMs).filter((v): v is number => v !== undefined);
  return {
    label,
    medianMs: ok.length > 0 ? median(ok.map((r) => r.ms)) : Number.NaN,
    runsMs: runs.map((r) => Math.round(r.ms * 10) / 10),
    maxRssKiB: rss.length > 0 ? Math.max(...rss) : undefined,
    cpuMedianMs: cpu.length > 0 ? median(cpu) : undefined,
    note,
    timedOut: runs.some((r) => r.timedOut) || undefined,
  };
}

function check(run: Run, what: string): Run {
  if (!run.timedOut && run.status !== 0) throw new Error(`${what} exited ${run.status}: ${run.stderr.slice(0, 500)}`);
  return run;
}

/** Floor and subject alternate, so drift on a shared machine hits both alike. */
function interleaved(scratch: string, floor: SpawnSpec, subject: SpawnSpec, runs: number, warmups: number): { floor: Run[]; subject: Run[] } {
  const f: Run[] = [];
  const s: Run[] = [];
  for (let i = 0; i < warmups + runs; i++) {
    const a = check(runNode(floor, scratch), 'floor');
    const b = check(runNode(subject, scratch), 'subject');
    if (i >= warmups) {
      f.push(a);
      s.push(b);
    }
  }
  return { floor: f, subject: s };
}

function ratioFigure(id: string, title: string, floor: Series, subject: Series, goal: Goal, extra?: Record<string, unknown>): Figure {
  const value = subject.medianMs / floor.medianMs;
  // the median of run-by-run ratios (floor and subject ran back to back), less hit by load swings
  const paired = median(subject.runsMs.map((ms, i) => ms / (floor.runsMs[i] ?? Number.NaN)));
  const cpu = subject.cpuMedianMs !== undefined && floor.cpuMedianMs !== undefined ? subject.cpuMedianMs / floor.cpuMedianMs : undefined;
  return { id, title, floor, subject, value, valueText: `${value.toFixed(2)}×`, goal, met: meets(value, goal), extra: { ...extra, pairedRatio: paired, cpuRatio: cpu } };
}

function meets(value: number, goal: Goal): boolean {
  if (!Number.isFinite(value)) return false;
  if (goal.max !== undefined && value > goal.max) return false;
  if (goal.min !== undefined && value < goal.min) return false;
  return true;
}

function input(ctx: Ctx, apps: number, pathHost = 0): { path: string; generated: GeneratedManifest } {
  const id = apps + pathHost * 1e9;
  let known = ctx.inputs.get(id);
  if (!known) {
    const generated = generateManifest(apps, { pathHost });
    const path = join(benchDir, pathHost > 0 ? `manifest-${apps}-paths-${pathHost}.yml` : `manifest-${apps}.yml`);
    writeFileSync(path, generated.text);
    known = { path, generated };
    ctx.inputs.set(id, known);
  }
  return known;
}

function cfmeshHelp(ctx: Ctx): string {
  if (ctx.helpText === undefined) {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    ctx.helpText = `${r.stdout}${r.stderr}`;
  }
  return ctx.helpText;
}

function hasCommand(ctx: Ctx, name: string): boolean {
  return new RegExp(`^\\s+${name}\\b`, 'm').test(cfmeshHelp(ctx));
}

const NODE_E0: SpawnSpec = { args: ['-e', '0'] };

// ---------------------------------------------------------------------------------------------
// figures

const version: FigureFn = ({ scratch }) => {
  const r = interleaved(scratch, NODE_E0, { args: [bin, '--version'] }, RUNS, 2);
  return ratioFigure('version', '`cfmesh --version`', series('node -e 0', r.floor), series('cfmesh --version', r.subject), { text: '≤ 1.3×', max: 1.3 });
};

const convertSmall: FigureFn = ({ scratch }) => {
  const path = join(benchDir, 'manifest-2.yml');
  writeFileSync(path, TWO_APP_MANIFEST);
  const r = interleaved(scratch, NODE_E0, { args: [bin, 'convert', '-f', path] }, RUNS, 2);
  return ratioFigure('convert-2', '`cfmesh convert -f` two apps', series('node -e 0', r.floor), series('cfmesh convert (2 apps)', r.subject), { text: '≤ 1.6×', max: 1.6 });
};

function convertLarge(apps: number, id: string): FigureFn {
  return (ctx) => {
    const { path } = input(ctx, apps);
    const yamlOut = join(benchDir, `out-${apps}.yaml`);
    const jsonOut = join(benchDir, `out-${apps}.json`);
    const subject: SpawnSpec = { args: [bin, 'convert', '-f', path], rss: true, timeoutMs: TIMEOUT_MS };
    // one untimed run each way: warms the disk cache, gives the floor its resources and a byte check
    const first = check(runNode({ ...subject, stdoutTo: yamlOut }, ctx.scratch), `convert ${apps}`);
    if (first.timedOut) {
      return { id, title: `\`convert\` ${apps.toLocaleString('en')} apps`, subject: series(`cfmesh convert (${apps})`, [first]), valueText: `> ${TIMEOUT_MS / 1000} s`, goal: { text: '≤ 2×', max: 2 }, met: false, extra: { timedOut: true } };
    }
    check(runNode({ args: [bin, 'convert', '-f', path, '--output', 'json'], stdoutTo: jsonOut, timeoutMs: TIMEOUT_MS }, ctx.scratch), `convert ${apps} json`);
    const floorSpec: SpawnSpec = { args: [join(root, 'test/bench/yaml-floor.mjs'), path, jsonOut], rss: true, cwd: root };
    const floorOut = join(benchDir, `floor-${apps}.yaml`);
    check(runNode({ ...floorSpec, stdoutTo: floorOut }, ctx.scratch), 'yaml floor');
    const identical = readFileSync(floorOut).equals(readFileSync(yamlOut));
    const resources = (JSON.parse(readFileSync(jsonOut, 'utf8')) as { items: unknown[] }).items.length;
    const r = interleaved(ctx.scratch, floorSpec, subject, LARGE_RUNS, 0);
    const inProcess = r.floor.map((run) => Number(/floor-ms ([\d.]+)/.exec(run.stderr)?.[1] ?? Number.NaN));
    const floor = series('yaml floor (whole process)', r.floor, `parse+render in-process median ${median(inProcess).toFixed(0)} ms`);
    return ratioFigure(id, `\`convert\` ${apps.toLocaleString('en')} apps`, floor, series(`cfmesh convert (${apps.toLocaleString('en')} apps)`, r.subject), { text: '≤ 2×', max: 2 }, {
      resources,
      outputBytes: readFileSync(yamlOut).length,
      inputBytes: readFileSync(path).length,
      floorInProcessMedianMs: median(inProcess),
      floorOutputIdentical: identical,
    });
  };
}

const scaling: FigureFn = (ctx) => {
  // 10k and 40k back to back, so a change in the machine's load hits both
  const small = input(ctx, 10_000).path;
  const { path } = input(ctx, 40_000);
  const s10: Run[] = [];
  const s40: Run[] = [];
  for (let i = 0; i < Math.max(1, Math.min(LARGE_RUNS, 3)); i++) {
    s10.push(check(runNode({ args: [bin, 'convert', '-f', small], rss: true, timeoutMs: TIMEOUT_MS }, ctx.scratch), 'convert 10000'));
    const run = check(runNode({ args: [bin, 'convert', '-f', path], rss: true, timeoutMs: TIMEOUT_MS }, ctx.scratch), 'convert 40000');
    s40.push(run);
    if (run.timedOut) break;
  }
  const big = series('cfmesh convert (40,000 apps)', s40);
  const base = series('cfmesh convert (10,000 apps)', s10);
  const value = big.medianMs / base.medianMs;
  const goal = { text: '≤ 4.6×', max: 4.6 };
  const cpu = big.cpuMedianMs !== undefined && base.cpuMedianMs !== undefined ? big.cpuMedianMs / base.cpuMedianMs : undefined;
  return {
    id: 'scaling',
    title: 'scaling: `convert` 40,000 vs 10,000 apps',
    floor: base,
    subject: big,
    value,
    valueText: big.timedOut ? `> ${TIMEOUT_MS / 1000} s` : `${value.toFixed(2)}×`,
    goal,
    met: !big.timedOut && meets(value, goal),
    extra: { cpuRatio: cpu },
  };
};

const MEMORY_GOAL_MIB = 400;

const memory: FigureFn = (ctx) => {
  const small = ctx.results.get('scaling')?.floor?.maxRssKiB ?? ctx.results.get('convert-10k')?.subject?.maxRssKiB;
  const big = ctx.results.get('scaling')?.subject?.maxRssKiB;
  if (!HAVE_GNU_TIME) return { id: 'memory', title: 'peak RSS at 40,000 apps', skipped: '/usr/bin/time is not installed' };
  if (small === undefined || big === undefined) {
    const why = ctx.results.get('scaling')?.subject?.timedOut ? 'the 40,000-app convert timed out' : 'needs convert-10k and scaling in the same run';
    return { id: 'memory', title: 'peak RSS at 40,000 apps', skipped: small === undefined ? why : `${why} (10k: ${(small / 1024).toFixed(0)} MiB)` };
  }
  const base = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '-e', '0'], { encoding: 'utf8' });
  const baseKiB = Number(base.stderr.trim().split('\n').pop());
  const growth = (big - baseKiB) / (small - baseKiB);
  return {
    id: 'memory',
    title: 'peak RSS at 40,000 apps',
    value: big / 1024,
    valueText: `${(big / 1024).toFixed(0)} MiB (10k: ${(small / 1024).toFixed(0)} MiB; above node's ${(baseKiB / 1024).toFixed(0)} MiB: ${growth.toFixed(2)}× for 4× apps)`,
    goal: { text: `≤ ${MEMORY_GOAL_MIB} MiB; linear (≤ 4.6× above node's own for 4× apps)`, max: MEMORY_GOAL_MIB },
    met: big / 1024 <= MEMORY_GOAL_MIB && growth <= 4.6,
    extra: { peakRssKiB40k: big, peakRssKiB10k: small, nodeBaselineKiB: baseKiB, growthAboveBaseline: growth },
  };
};

/** The 10,000-app manifest pushed into a fresh state, once per run (update-route and completion read it). */
function state10k(ctx: Ctx): { home: string } | { skipped: string } {
  if (ctx.state10k) return ctx.state10k;
  if (!hasCommand(ctx, 'push')) return (ctx.state10k = { skipped: 'no `push` command to prepare the state with' });
  const { path } = input(ctx, 10_000);
  const home = mkdtempSync(join(ctx.scratch, 'home-'));
  const push = runNode({ args: [bin, 'push', '-f', path], env: { ...process.env, CFMESH_HOME: home }, timeoutMs: TIMEOUT_MS }, ctx.scratch);
  if (push.status !== 0) return (ctx.state10k = { skipped: `\`cfmesh push -f\` of the 10k manifest failed (exit ${push.status}): ${push.stderr.split('\n')[0] ?? ''}` });
  return (ctx.state10k = { home });
}

const updateRoute: FigureFn = (ctx) => {
  const title = '`update-route` on 10,000 routes';
  if (!hasCommand(ctx, 'update-route')) return { id: 'update-route', title, skipped: 'no `update-route` command in `cfmesh --help` on this branch' };
  const state = state10k(ctx);
  if ('skipped' in state) return { id: 'update-route', title, skipped: state.skipped };
  const { generated } = input(ctx, 10_000);
  const childEnv = { ...process.env, CFMESH_HOME: state.home };
  const { app, domain, hostname } = generated.splitApp;
  let n = 0;
  const subject = (): SpawnSpec => ({ args: [bin, 'update-route', app, domain, '--hostname', hostname, '--weight', String(n++ % 2 === 0 ? 60 : 90)], env: childEnv });
  const f: Run[] = [];
  const s: Run[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const a = check(runNode(NODE_E0, ctx.scratch), 'floor');
    const b = check(runNode(subject(), ctx.scratch), 'update-route');
    if (i >= 2) {
      f.push(a);
      s.push(b);
    }
  }
  return ratioFigure('update-route', title, series('node -e 0', f), series('cfmesh update-route', s), { text: '≤ 2.5×', max: 2.5 });
};

/**
 * A TAB on the state of 10,000 routes (`cfmesh __complete`, what the completion scripts run): the
 * work is one read of the state by line, bounded by what the TAB asks for. `words` are after
 * `__complete`; the last is the word being completed.
 */
function completion(id: string, title: string, words: (split: GeneratedManifest['splitApp']) => string[], minCandidates: number): FigureFn {
  return (ctx) => {
    if (!hasCommand(ctx, 'completion')) return { id, title, skipped: 'no `completion` command in `cfmesh --help` on this branch' };
    const state = state10k(ctx);
    if ('skipped' in state) return { id, title, skipped: state.skipped };
    const args = [bin, '__complete', ...words(input(ctx, 10_000).generated.splitApp)];
    const env = { ...process.env, CFMESH_HOME: state.home };
    // the answer is checked once: the candidates the figure claims are there
    const check = spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const lines = check.stdout.trimEnd().split('\n');
    if (check.status !== 0 || check.stderr !== '' || !/^:\d+$/.test(lines.at(-1) ?? '') || lines.length - 1 < minCandidates) {
      return { id, title, skipped: `failed: exit ${check.status}, ${lines.length - 1} candidates (want ≥ ${minCandidates}), stderr ${JSON.stringify(check.stderr.slice(0, 200))}` };
    }
    const r = interleaved(ctx.scratch, NODE_E0, { args, env }, RUNS, 2);
    return ratioFigure(id, title, series('node -e 0', r.floor), series(`cfmesh __complete (${lines.length - 1} candidates)`, r.subject), { text: '≤ 2.5×', max: 2.5 }, { candidates: lines.length - 1 });
  };
}

const completeApps = completion('complete-apps', 'TAB: `update-route <TAB>` on 10,000 routes (every app and domain)', () => ['update-route', ''], 10_000);
const completeHosts = completion('complete-hosts', 'TAB: `update-route APP DOMAIN --hostname split-1<TAB>`', (s) => ['update-route', s.app, s.domain, '--hostname', 'split-1'], 10);

const kubeApply: FigureFn = async (ctx) => {
  const title = 'apply 1,000 resources to the test API server';
  const serverFile = join(root, 'test/kube/api-server.ts');
  const helpersFile = join(root, 'test/kube/helpers.ts');
  const applyFile = join(root, 'src/kube/apply.ts');
  for (const f of [serverFile, helpersFile, applyFile]) if (!existsSync(f)) return { id: 'kube-apply', title, skipped: `${f.slice(root.length)} is not on this branch (branch kube-client)` };
  // resources: the first 1,000 of a convert of a manifest large enough to give them
  const { path } = input(ctx, 1_500);
  const jsonOut = join(benchDir, 'out-1500.json');
  check(runNode({ args: [bin, 'convert', '-f', path, '--output', 'json'], stdoutTo: jsonOut }, ctx.scratch), 'convert 1500');
  const resources = (JSON.parse(readFileSync(jsonOut, 'utf8')) as { items: unknown[] }).items.slice(0, 1000);
  type Server = { close(): Promise<void> };
  type Client = { close(): Promise<void> };
  const serverMod = (await import(serverFile)) as { startKubeApiServer(opts?: object): Promise<Server> };
  const helpers = (await import(helpersFile)) as { clientFor(server: Server): Client };
  const applyMod = (await import(applyFile)) as { applyResources(client: Client, resources: readonly unknown[], opts: object): Promise<{ ok: boolean; items: readonly unknown[] }> };
  const rates: number[] = [];
  const runsMs: number[] = [];
  for (let i = 0; i < 1 + Math.min(RUNS, 5); i++) {
    const server = await serverMod.startKubeApiServer();
    const client = helpers.clientFor(server);
    try {
      const start = process.hrtime.bigint();
      const report = await applyMod.applyResources(client, resources, { namespace: 'default', prune: false, dryRun: false, forceConflicts: false, toolVersion: 'bench' });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (!report.ok) throw new Error('apply reported a failure');
      if (i > 0) {
        runsMs.push(ms);
        rates.push((resources.length * 1000) / ms);
      }
    } finally {
      await client.close();
      await server.close();
    }
  }
  const rate = median(rates);
  const goal = { text: '≥ 500 resources/s', min: 500 };
  return { id: 'kube-apply', title, subject: { label: `applyResources (${resources.length}, fresh server each run)`, medianMs: median(runsMs), runsMs }, value: rate, valueText: `${rate.toFixed(0)} resources/s`, goal, met: meets(rate, goal) };
};

/**
 * A command on the cluster as the state: `routes --target kubernetes` against the API double (its own
 * process, on loopback: TLS, a token, one list of VirtualServices after `push` put some there). What
 * it adds to Node's start is loading undici, one TLS handshake and a request or two; the goal keeps
 * that bounded. V8's tier-up of undici's WebAssembly HTTP parser (a TurboFan compile the process
 * waited for at exit, ~0.2 s; src/http/undici.ts) took it from ~4.2× to ~3.1× `node -e 0`.
 */
const clusterRoutes: FigureFn = async (ctx) => {
  const title = '`routes --target kubernetes` against the test API server';
  const home = mkdtempSync(join(ctx.scratch, 'cluster-'));
  const kubeconfig = join(home, 'kubeconfig');
  const double = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/bench/kube-double.ts'), kubeconfig], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      double.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      double.once('exit', (code) => reject(new Error(`the API double exited (${String(code)}) before it was ready`)));
    });
    const childEnv = { ...process.env, CFMESH_HOME: join(home, 'cfmesh'), KUBECONFIG: kubeconfig };
    check(runNode({ args: [bin, 'push', '-f', join(root, 'test/workflows/docs-fixtures/reviews.yml'), '--target', 'kubernetes'], env: childEnv }, ctx.scratch), 'push --target kubernetes');
    const r = interleaved(ctx.scratch, NODE_E0, { args: [bin, 'routes', '--target', 'kubernetes', '--json'], env: childEnv }, RUNS, 2);
    return ratioFigure('cluster-routes', title, series('node -e 0', r.floor), series('cfmesh routes --target kubernetes', r.subject), { text: '≤ 3.5×', max: 3.5 });
  } finally {
    double.stdin.end();
    await new Promise((resolve) => {
      if (double.exitCode !== null) resolve(undefined);
      else double.once('exit', resolve);
    });
  }
};

// A 10 MB flood of YAML tokens is refused by the pre-scan before the lexer runs (the tests prove that
// by counting the work: test/core/prescan.test.ts); this is what it costs, against a bare node start.
const flood: FigureFn = ({ scratch }) => {
  const path = join(benchDir, 'flood-block-sequence.yml');
  writeFileSync(path, `applications: [{name: a}]\nx:\n${'- x\n'.repeat(2_500_000)}`);
  // Not `interleaved`: the subject is meant to exit 1.
  const r = { floor: [] as Run[], subject: [] as Run[] };
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    r.floor.push(check(runNode(NODE_E0, scratch), 'floor'));
    const run = runNode({ args: [bin, 'validate', '-f', path] }, scratch);
    if (run.status !== 1 || !/INPUT_TOO_LARGE/.test(run.stderr)) throw new Error(`the flood was not refused as INPUT_TOO_LARGE: ${run.stderr.slice(0, 300)}`);
    r.subject.push(run);
  }
  const subject = series('cfmesh validate, 10 MB block sequence (refused)', r.subject);
  const extra = median(r.subject.map((x) => x.ms)) - median(r.floor.map((x) => x.ms));
  const goal = { text: '≤ 1 s over a bare node start', max: 1000 };
  return { id: 'flood', title: 'a 10 MB flood of YAML tokens refused', subject, floor: series('node -e 0', r.floor), value: extra, valueText: `+${extra.toFixed(0)} ms`, goal, met: meets(extra, goal) };
};


/** Two sizes of one command back to back, so a change in the machine's load hits both. */
function growthFigure(id: string, title: string, small: { label: string; run: () => Run }, big: { label: string; run: () => Run }, runs: number, goal: Goal): Figure {
  const s: Run[] = [];
  const b: Run[] = [];
  for (let i = 0; i < runs; i++) {
    s.push(small.run());
    const run = big.run();
    b.push(run);
    if (run.timedOut) break;
  }
  const base = series(small.label, s);
  const subject = series(big.label, b);
  const value = subject.medianMs / base.medianMs;
  const paired = median(subject.runsMs.map((ms, i) => ms / (base.runsMs[i] ?? Number.NaN)));
  const cpu = subject.cpuMedianMs !== undefined && base.cpuMedianMs !== undefined ? subject.cpuMedianMs / base.cpuMedianMs : undefined;
  return { id, title, floor: base, subject, value, valueText: subject.timedOut ? `> ${TIMEOUT_MS / 1000} s` : `${value.toFixed(2)}×`, goal, met: !subject.timedOut && meets(value, goal), extra: { pairedRatio: paired, cpuRatio: cpu } };
}

const GROWTH_RUNS = Math.max(1, Math.min(LARGE_RUNS, 3));

function pushRun(ctx: Ctx, path: string, what: string): Run {
  // An empty state each time: a new CFMESH_HOME, removed untimed afterwards.
  const home = mkdtempSync(join(ctx.scratch, 'push-'));
  try {
    return check(runNode({ args: [bin, 'push', '-f', path], env: { ...process.env, CFMESH_HOME: home }, rss: true, timeoutMs: TIMEOUT_MS }, ctx.scratch), what);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const push5k: FigureFn = (ctx) => {
  const title = '`push -f` of 5,000 apps into an empty state';
  if (!hasCommand(ctx, 'push')) return { id: 'push-5k', title, skipped: 'no `push` command in `cfmesh --help` on this branch' };
  const { path } = input(ctx, 5_000);
  const floor: SpawnSpec = { args: [bin, 'convert', '-f', path], rss: true, timeoutMs: TIMEOUT_MS };
  const f: Run[] = [];
  const s: Run[] = [];
  for (let i = 0; i < 1 + LARGE_RUNS; i++) {
    const a = check(runNode(floor, ctx.scratch), 'convert 5000');
    const b = pushRun(ctx, path, 'push 5000');
    if (i > 0) {
      f.push(a);
      s.push(b);
    }
  }
  return ratioFigure('push-5k', title, series('cfmesh convert (5,000 apps)', f), series('cfmesh push -f (5,000 apps, empty state)', s), { text: '≤ 1.5×', max: 1.5 });
};

const pushGrowth: FigureFn = (ctx) => {
  const title = 'growth: `push -f` 10,000 vs 5,000 apps';
  if (!hasCommand(ctx, 'push')) return { id: 'push-growth', title, skipped: 'no `push` command in `cfmesh --help` on this branch' };
  const small = input(ctx, 5_000).path;
  const big = input(ctx, 10_000).path;
  return growthFigure('push-growth', title, { label: 'cfmesh push -f (5,000 apps)', run: () => pushRun(ctx, small, 'push 5000') }, { label: 'cfmesh push -f (10,000 apps)', run: () => pushRun(ctx, big, 'push 10000') }, GROWTH_RUNS, { text: '≤ 2.3×', max: 2.3 });
};

/** update-route on the split app of a 10,000-app state whose app 0 is also on a host of `paths` path routes. */
function pathHostState(ctx: Ctx, paths: number): { env: NodeJS.ProcessEnv; args: (weight: number) => SpawnSpec } {
  const { path, generated } = input(ctx, 10_000, paths);
  const home = mkdtempSync(join(ctx.scratch, `home-paths-${paths}-`));
  const env = { ...process.env, CFMESH_HOME: home };
  const push = runNode({ args: [bin, 'push', '-f', path], env, timeoutMs: TIMEOUT_MS }, ctx.scratch);
  if (push.status !== 0) throw new Error(`\`cfmesh push -f\` of the ${paths}-path manifest failed (exit ${push.status}): ${push.stderr.split('\n')[0] ?? ''}`);
  const { app, domain, hostname } = generated.splitApp;
  return { env, args: (weight) => ({ args: [bin, 'update-route', app, domain, '--hostname', hostname, '--weight', String(weight)], env }) };
}

const updateRoutePaths: FigureFn = (ctx) => {
  const title = '`update-route` on 10,000 routes, the app also on a host with 500 path routes';
  if (!hasCommand(ctx, 'update-route') || !hasCommand(ctx, 'push')) return { id: 'update-route-paths', title, skipped: 'no `update-route`/`push` command on this branch' };
  const many = pathHostState(ctx, 500);
  const few = pathHostState(ctx, 100);
  const f: Run[] = [];
  const s: Run[] = [];
  const s100: Run[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const weight = i % 2 === 0 ? 60 : 90;
    const a = check(runNode(NODE_E0, ctx.scratch), 'floor');
    const b = check(runNode(many.args(weight), ctx.scratch), 'update-route (500 paths)');
    const c = check(runNode(few.args(weight), ctx.scratch), 'update-route (100 paths)');
    if (i >= 2) {
      f.push(a);
      s.push(b);
      s100.push(c);
    }
  }
  ctx.results.set('update-route-paths:100', { id: 'update-route-paths:100', title: '', subject: series('cfmesh update-route (100 paths)', s100) });
  return ratioFigure('update-route-paths', title, series('node -e 0', f), series('cfmesh update-route (500 paths)', s), { text: '≤ 2.5×', max: 2.5 });
};

const updateRoutePathsGrowth: FigureFn = (ctx) => {
  const title = 'growth: that `update-route`, 500 vs 100 path routes on the host';
  const few = ctx.results.get('update-route-paths:100')?.subject;
  const many = ctx.results.get('update-route-paths')?.subject;
  if (!few || !many) return { id: 'update-route-paths-growth', title, skipped: 'needs update-route-paths in the same run' };
  const value = many.medianMs / few.medianMs;
  const paired = median(many.runsMs.map((ms, i) => ms / (few.runsMs[i] ?? Number.NaN)));
  const goal = { text: '≤ 1.3×', max: 1.3 };
  return { id: 'update-route-paths-growth', title, floor: few, subject: many, value, valueText: `${value.toFixed(2)}×`, goal, met: meets(value, goal), extra: { pairedRatio: paired } };
};

/**
 * Moves a directory of an earlier run out of the way, into the scratch directory (removed after the
 * last figure), instead of removing it now. On ext4 (this machine's file system), creating a file
 * within minutes of many removals costs far more: the inode allocator skips inodes freed in the
 * last 30 s (plus the dirty-writeback window while their inode table block is dirty), reading each
 * candidate's inode block (`find_inode_bit` -> `recently_deleted` in perf's profile of a run). A
 * run of 34,000 files removed just before a timed run made the next run's file creations several
 * times slower, the floor's included (its runs took 5.5 s, 12 s and 26 s in one benchmark); the
 * timed runs now create files with no mass removal behind them.
 */
function retire(ctx: Ctx, path: string): void {
  if (!existsSync(path)) return;
  try {
    renameSync(path, join(ctx.scratch, `retired-${Date.now()}-${Math.random().toString(36).slice(2)}`));
  } catch {
    rmSync(path, { recursive: true, force: true }); // another file system: removed as before
  }
}

/** The reference output of `convert -o DIR` for a manifest, and the same files as one bundle for the write floor. */
function outputDirReference(ctx: Ctx, apps: number): { manifest: string; ref: string; bundle: string; files: number } {
  const { path } = input(ctx, apps);
  const ref = join(benchDir, `dir-ref-${apps}`);
  retire(ctx, ref);
  check(runNode({ args: [bin, 'convert', '-f', path, '-o', ref], timeoutMs: TIMEOUT_MS }, ctx.scratch), `convert ${apps} -o DIR`);
  const names = readdirSync(ref).sort();
  const bundle = join(benchDir, `dir-bundle-${apps}.json`);
  writeFileSync(bundle, JSON.stringify(names.map((name) => [name, readFileSync(join(ref, name), 'utf8')])));
  return { manifest: path, ref, bundle, files: names.length };
}

function sameTree(a: string, b: string): boolean {
  const names = readdirSync(a).sort();
  const other = readdirSync(b).sort();
  if (names.join('\n') !== other.join('\n')) return false;
  return names.every((name) => readFileSync(join(a, name)).equals(readFileSync(join(b, name))));
}

interface DirRuns {
  readonly empty: { floor: Run[]; subject: Run[] };
  readonly upToDate: { floor: Run[]; subject: Run[] };
  readonly files: number;
}

/**
 * Flushes the dirty data of earlier runs to disk, untimed, before a timed run that writes files. The
 * write floor makes no fsync: without this, the 18 MB and 34,000 inodes it leaves dirty are flushed
 * by whatever syncs next, which is the cfmesh run right after it (its one syncfs makes its own files
 * durable, and the file system's other dirty data with them), while the floor always follows a run
 * that left nothing dirty. Measured (medians of 7 interleaved runs, session 8): cfmesh 7.4–7.8 s
 * right after a floor run, 6.3 s right after another cfmesh run. So each timed run of
 * either side starts with nothing dirty; each still pays all its own work (the floor its writes,
 * cfmesh its writes and its sync).
 */
function settleDisk(): void {
  spawnSync('sync', [], { stdio: 'ignore' });
}

/** `convert -o DIR` into an empty DIR and into an up-to-date one, each interleaved with its floor. */
function outputDirRuns(ctx: Ctx, apps: number, runs: number): DirRuns {
  const { manifest, ref, bundle, files } = outputDirReference(ctx, apps);
  const empty = { floor: [] as Run[], subject: [] as Run[] };
  for (let i = 0; i < runs; i++) {
    const floorDir = join(ctx.scratch, `dir-floor-${apps}-${i}`);
    settleDisk();
    empty.floor.push(check(runNode({ args: [join(root, 'test/bench/write-floor.mjs'), bundle, floorDir], rss: true, timeoutMs: TIMEOUT_MS }, ctx.scratch), 'write floor'));
    if (i === 0 && !sameTree(floorDir, ref)) throw new Error('the write floor did not write the reference files');
    const dir = join(ctx.scratch, `dir-cfmesh-${apps}-${i}`);
    settleDisk();
    empty.subject.push(check(runNode({ args: [bin, 'convert', '-f', manifest, '-o', dir], rss: true, timeoutMs: TIMEOUT_MS }, ctx.scratch), `convert ${apps} -o DIR`));
    if (i === 0 && !sameTree(dir, ref)) throw new Error('convert -o DIR into an empty directory did not write the reference files');
    // Both directories stay until the scratch directory is removed, after the last figure: see retire().
  }
  const upToDate = { floor: [] as Run[], subject: [] as Run[] };
  for (let i = 0; i < runs; i++) {
    upToDate.floor.push(check(runNode({ args: [join(root, 'test/bench/read-floor.mjs'), ref], rss: true, timeoutMs: TIMEOUT_MS }, ctx.scratch), 'read floor'));
    const run = check(runNode({ args: [bin, 'convert', '-f', manifest, '-o', ref], rss: true, timeoutMs: TIMEOUT_MS }, ctx.scratch), `convert ${apps} -o DIR (up to date)`);
    if (!new RegExp(`: 0 written, ${files - 1} unchanged, 0 removed`).test(run.stderr)) throw new Error(`an up-to-date DIR was not left alone: ${run.stderr.trim().split('\n').pop() ?? ''}`);
    upToDate.subject.push(run);
  }
  return { empty, upToDate, files };
}

function dirRuns(ctx: Ctx, apps: number): DirRuns {
  const key = `output-dir:${apps}`;
  const known = ctx.results.get(key)?.extra?.['runs'] as DirRuns | undefined;
  if (known) return known;
  const runs = outputDirRuns(ctx, apps, apps >= 40_000 ? LARGE_RUNS : GROWTH_RUNS);
  ctx.results.set(key, { id: key, title: '', extra: { runs } });
  return runs;
}

const outputDirEmpty: FigureFn = (ctx) => {
  const r = dirRuns(ctx, 40_000);
  return ratioFigure('output-dir-empty', '`convert -o DIR`, 40,000 apps, empty DIR', series('node: temp file + rename per file', r.empty.floor), series(`cfmesh convert -o DIR (${r.files} files)`, r.empty.subject), { text: '≤ 2×', max: 2 }, { files: r.files });
};

const outputDirUpToDate: FigureFn = (ctx) => {
  const r = dirRuns(ctx, 40_000);
  return ratioFigure('output-dir-up-to-date', '`convert -o DIR`, 40,000 apps, DIR up to date', series('node: read every file once', r.upToDate.floor), series('cfmesh convert -o DIR (nothing to write)', r.upToDate.subject), { text: '≤ 2×', max: 2 }, { files: r.files });
};

function dirGrowth(id: string, title: string, pick: (r: DirRuns) => Run[]): FigureFn {
  return (ctx) => {
    const big = series('40,000 apps', pick(dirRuns(ctx, 40_000)));
    const small = series('10,000 apps', pick(dirRuns(ctx, 10_000)));
    const value = big.medianMs / small.medianMs;
    const goal = { text: '≤ 4.6×', max: 4.6 };
    const cpu = big.cpuMedianMs !== undefined && small.cpuMedianMs !== undefined ? big.cpuMedianMs / small.cpuMedianMs : undefined;
    return { id, title, floor: small, subject: big, value, valueText: `${value.toFixed(2)}×`, goal, met: meets(value, goal), extra: { cpuRatio: cpu } };
  };
}

/**
 * Growth on a manifest of another shape (generate.ts generateShape): `convert` of 10,000 apps
 * against 2,500, interleaved, goal ≤ 4.6× for 4× the apps as for the foundation mix (linear with
 * room for the fixed start). Each of these shapes once hit work quadratic in the number of apps.
 */
function shapeGrowth(shape: ManifestShape): FigureFn {
  return (ctx) => {
    const paths = [2_500, 10_000].map((apps) => {
      const path = join(benchDir, `manifest-${shape}-${apps}.yml`);
      writeFileSync(path, generateShape(shape, apps));
      return path;
    });
    const r = interleaved(ctx.scratch, { args: [bin, 'convert', '-f', paths[0] as string], timeoutMs: TIMEOUT_MS }, { args: [bin, 'convert', '-f', paths[1] as string], timeoutMs: TIMEOUT_MS }, Math.max(1, Math.min(LARGE_RUNS, 3)), 1);
    return ratioFigure(`growth-${shape}`, `growth: \`convert\` 10,000 vs 2,500 apps, ${shape} shape`, series('2,500 apps', r.floor), series('10,000 apps', r.subject), { text: '≤ 4.6×', max: 4.6 });
  };
}

/**
 * `map-route` of one more host for an app of a route that 10,000 apps share, against 2,500: the
 * state commands look apps up in the state file by line (src/state/lines.ts); a text search per
 * app made this quadratic (4.6 s at 10,000). Each run maps a new host, so each does the work.
 */
const sharedHostMapRoute: FigureFn = (ctx) => {
  const homes = [2_500, 10_000].map((apps) => {
    const path = join(benchDir, `manifest-shared-host-${apps}.yml`);
    writeFileSync(path, generateShape('shared-host', apps));
    const home = mkdtempSync(join(ctx.scratch, `shared-${apps}-`));
    check(runNode({ args: [bin, 'push', '-f', path], env: { ...process.env, CFMESH_HOME: home }, timeoutMs: TIMEOUT_MS }, ctx.scratch), `push shared-host ${apps}`);
    return home;
  });
  let n = 0;
  const mapRoute = (home: string): SpawnSpec => ({ args: [bin, 'map-route', appName(1 + (n % 50)), 'example.com', '--hostname', `bench-${n++}`], env: { ...process.env, CFMESH_HOME: home }, timeoutMs: TIMEOUT_MS });
  const small: Run[] = [];
  const big: Run[] = [];
  for (let i = 0; i < 1 + Math.max(1, Math.min(LARGE_RUNS, 5)); i++) {
    const a = check(runNode(mapRoute(homes[0] as string), ctx.scratch), 'map-route (2,500)');
    const b = check(runNode(mapRoute(homes[1] as string), ctx.scratch), 'map-route (10,000)');
    if (i > 0) {
      small.push(a);
      big.push(b);
    }
  }
  return ratioFigure('growth-shared-host-map-route', 'growth: `map-route` for an app of a route 10,000 vs 2,500 apps share', series('2,500 apps', small), series('10,000 apps', big), { text: '≤ 4.6×', max: 4.6 });
};

const FIGURES: readonly [string, FigureFn][] = [
  ['version', version],
  ['convert-2', convertSmall],
  ['convert-10k', convertLarge(10_000, 'convert-10k')],
  ['scaling', scaling],
  ['memory', memory],
  ['update-route', updateRoute],
  ['complete-apps', completeApps],
  ['complete-hosts', completeHosts],
  ['kube-apply', kubeApply],
  ['cluster-routes', clusterRoutes],
  ['flood', flood],
  ['push-5k', push5k],
  ['push-growth', pushGrowth],
  ['update-route-paths', updateRoutePaths],
  ['update-route-paths-growth', updateRoutePathsGrowth],
  ['output-dir-empty', outputDirEmpty],
  ['output-dir-up-to-date', outputDirUpToDate],
  ['output-dir-empty-growth', dirGrowth('output-dir-empty-growth', 'growth: `convert -o DIR` empty, 40,000 vs 10,000 apps', (r) => r.empty.subject)],
  ['output-dir-up-to-date-growth', dirGrowth('output-dir-up-to-date-growth', 'growth: `convert -o DIR` up to date, 40,000 vs 10,000 apps', (r) => r.upToDate.subject)],
  ['growth-tls', shapeGrowth('tls')],
  ['growth-shared-host', shapeGrowth('shared-host')],
  ['growth-wildcard', shapeGrowth('wildcard')],
  ['growth-load-balancing', shapeGrowth('load-balancing')],
  ['growth-shared-host-map-route', sharedHostMapRoute],
];

// ---------------------------------------------------------------------------------------------
// report

function machine() {
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  return { node: process.version, cpu: cpuModel, cores: cpus().length, platform: `${process.platform} ${process.arch}` };
}

function ms(s: Series | undefined): string {
  if (!s) return '';
  if (s.timedOut && !Number.isFinite(s.medianMs)) return 'timed out';
  return s.medianMs >= 1000 ? `${(s.medianMs / 1000).toFixed(2)} s` : `${s.medianMs.toFixed(0)} ms`;
}

function table(figures: readonly Figure[]): string {
  const rows = [['figure', 'floor', 'floor median', 'cfmesh median', 'result', 'goal', 'met', 'CPU-time ratio']];
  for (const f of figures) {
    if (f.skipped) {
      rows.push([f.title, '', '', '', `skipped: ${f.skipped}`, '', '', '']);
      continue;
    }
    const cpu = f.extra?.['cpuRatio'];
    rows.push([f.title, f.floor?.label ?? '—', ms(f.floor), ms(f.subject), f.valueText ?? '', f.goal?.text ?? '', f.met === undefined ? '' : f.met ? 'yes' : 'NO', typeof cpu === 'number' ? `${cpu.toFixed(2)}×` : '']);
  }
  const lines = rows.map((r) => `| ${r.join(' | ')} |`);
  lines.splice(1, 0, `|${rows[0]?.map(() => '---').join('|')}|`);
  return lines.join('\n');
}

async function mainBench(): Promise<void> {
  mkdirSync(benchDir, { recursive: true });
  if (!process.env['BENCH_BIN'] && !existsSync(join(root, 'dist/entry.cjs'))) throw new Error('dist/ is missing: run `node scripts/build.mjs` (npm run bench does)');
  const scratch = mkdtempSync(join(tmpdir(), 'cfmesh-bench-'));
  const ctx: Ctx = { scratch, inputs: new Map(), results: new Map() };
  const figures: Figure[] = [];
  try {
    for (const [id, fn] of FIGURES) {
      if (only && !only.includes(id)) continue;
      process.stderr.write(`bench: ${id} ...\n`);
      const started = Date.now();
      let figure: Figure;
      try {
        figure = await fn(ctx);
      } catch (error) {
        figure = { id, title: id, skipped: `failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
      }
      ctx.results.set(id, figure);
      figures.push(figure);
      process.stderr.write(`bench: ${id} ${figure.skipped ? `skipped (${figure.skipped})` : figure.valueText ?? ''} [${((Date.now() - started) / 1000).toFixed(1)} s]\n`);
    }
  } finally {
    if (process.env['BENCH_KEEP_SCRATCH'] === '1') process.stderr.write(`bench: scratch left in ${scratch} (BENCH_KEEP_SCRATCH=1)\n`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  const result = { date: new Date().toISOString(), machine: machine(), runs: { startup: RUNS, large: LARGE_RUNS }, figures };
  const text = table(figures);
  const m = result.machine;
  process.stdout.write(`\ncfmesh benchmark — node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.platform}\n`);
  process.stdout.write(`medians of ${RUNS} start-up runs / ${LARGE_RUNS} large runs; floors measured in the same run, interleaved\n\n${text}\n\n`);
  const path = join(benchDir, 'results.json');
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  const label = process.env['BENCH_LABEL'];
  if (label) writeFileSync(join(benchDir, `results-${label.replace(/[^\w.-]/g, '_')}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(benchDir, 'results.md'), `${text}\n`);
  process.stdout.write(`results: ${path}\n`);
}

await mainBench();

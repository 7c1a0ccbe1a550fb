// Every `cfmesh …` example of README.md and docs/commands.md runs as written: each command line of a
// fenced sh/bash/shell/console block that invokes cfmesh (or kubectl) is run by bash (pipefail), in document
// order, with the real binary on PATH as `cfmesh`, the real kubectl, and a kubeconfig whose contexts
// (the current one, and `prod`, which the docs name) point at the Kubernetes API double: a fresh one
// for each fenced block, which is one scenario (the local state and files carry over). Each must
// exit with its documented code (0 unless listed below); a console block's output lines, when it
// shows any, must be exactly what the command prints. The extractor knows nothing of particular
// examples: docs can change and gain examples, and this test runs them all.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { describe, it, before, after } from 'node:test';
import { startKubeApiServer, type KubeApiServer } from '../kube/api-server.ts';
import { testPki } from '../kube/certs.ts';
import { tempDir } from '../helpers/reliability.ts';
import { bin, cleanEnv, kubectlMissing, root, run } from './helpers.ts';

const DOCUMENTS = ['README.md', 'docs/commands.md'];
const SHELL_BLOCKS = new Set(['sh', 'bash', 'shell', 'console']);

export interface Example {
  readonly file: string;
  /** 1-based line of the command in the document. */
  readonly line: number;
  /** Which fenced block of the document (0-based). */
  readonly block: number;
  readonly command: string;
  /** Console blocks: the lines shown after the command (undefined when none are shown). */
  readonly output?: string | undefined;
}

/** The command lines of fenced shell blocks that run cfmesh (a `$ ` prompt in console blocks). */
export function extractExamples(markdown: string, file: string): Example[] {
  const lines = markdown.split('\n');
  const out: Example[] = [];
  let blocks = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```\s*([\w-]*)/.exec(lines[i] as string);
    if (!open) continue;
    const lang = open[1] ?? '';
    let j = i + 1;
    const body: { text: string; line: number }[] = [];
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] as string); j++) body.push({ text: lines[j] as string, line: j + 1 });
    i = j;
    if (!SHELL_BLOCKS.has(lang)) continue;
    const block = blocks++;
    const console = lang === 'console';
    let current: { command: string; line: number; output: string[] } | undefined;
    const flush = () => {
      if (current && isCfmesh(current.command)) out.push({ file, line: current.line, block, command: current.command, output: current.output.length > 0 ? `${current.output.join('\n')}\n` : undefined });
      current = undefined;
    };
    for (let k = 0; k < body.length; k++) {
      const { text, line } = body[k] as { text: string; line: number };
      const prompt = console ? /^\$ (.*)$/.exec(text) : /^(?!\s*#)(\S.*)$/.exec(text);
      if (!prompt) {
        if (console && current) current.output.push(text);
        continue;
      }
      flush();
      let command = prompt[1] as string;
      while (command.endsWith('\\') && k + 1 < body.length) command = `${command.slice(0, -1)}${(body[++k] as { text: string }).text.replace(/^\s*(\$ )?/, ' ')}`;
      current = { command, line, output: [] };
    }
    flush();
  }
  return out;
}

/** cfmesh (or kubectl, which the docs use on cfmesh's output) as a command word: at the start, or after a pipe, `&&`, `;` or `(`. */
function isCfmesh(command: string): boolean {
  const code = command.replace(/\s#.*$/, '');
  return /(^|[|&;(]\s*)(cfmesh|kubectl)(\s|$)/.test(code);
}

/**
 * Documented exit codes other than 0: an example runs in document order, so its code follows from
 * the ones before it. Keyed by the command as written; each says where the docs say so.
 */
const EXPECTED_EXIT: readonly { readonly command: string; readonly exit: number; readonly why: string }[] = [
  {
    command: 'cfmesh diff -f manifest.yml --context prod',
    exit: 1,
    why: 'its block runs on a fresh cluster, so every object shows as added; README: "exit 0 when nothing differs, 1 when something does"',
  },
];

/**
 * Explicit, commented substitutions: what cannot be reached from here, and what stands in for it.
 * The rest of the line runs as written.
 */
const SUBSTITUTIONS: readonly { readonly from: string; readonly to: (env: Env) => string; readonly why: string }[] = [
  {
    from: 'https://cp.example.com',
    to: (env) => env.bundleUrl,
    // The network reaches no control plane: a loopback HTTPS server, with a certificate the test CA
    // signed (trusted through NODE_EXTRA_CA_CERTS), answers for cp.example.com.
    why: 'cp.example.com is the docs\' placeholder for a control plane; a loopback HTTPS server stands in',
  },
];

/** Lines that cannot run here at all; each entry must say why. */
const NOT_RUN: readonly { readonly command: string; readonly why: string }[] = [
  {
    command: 'cfmesh continue-deployment web --auto --interval 2m --prometheus http://prometheus.istio-system:9090 --max-latency 500ms --target kubernetes',
    why: 'it needs a Prometheus that scrapes a mesh and two minutes per step; test/metrics/auto-promote.test.ts runs the same command against a real Prometheus and the API double',
  },
];

interface Env {
  readonly work: string;
  readonly vars: Record<string, string | undefined>;
  readonly bundleUrl: string;
}

function kubeconfigWithContexts(server: Pick<KubeApiServer, 'url' | 'caPem' | 'token'>, file: string): void {
  const ca = Buffer.from(server.caPem).toString('base64');
  // The current context, and `prod` (which the docs name), both on the API double.
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: double
  cluster:
    server: ${server.url}
    certificate-authority-data: ${ca}
users:
- name: admin
  user:
    token: ${server.token}
contexts:
- name: dev
  context: {cluster: double, user: admin, namespace: default}
- name: prod
  context: {cluster: double, user: admin, namespace: default}
`,
    { mode: 0o600 },
  );
}

/** A fresh working directory: the docs' fixture files, `fixtures/` of the repository, `cfmesh` on PATH. */
function setUp(caFile: string, bundleUrl: string): Env & { kubeconfig: string } {
  const work = tempDir('cfmesh-docs-');
  const fixtures = join(import.meta.dirname, 'docs-fixtures');
  for (const name of readdirSync(fixtures)) copyFileSync(join(fixtures, name), join(work, name));
  symlinkSync(join(root, 'fixtures'), join(work, 'fixtures'));
  const shims = join(work, '.bin');
  mkdirSync(shims);
  writeFileSync(join(shims, 'cfmesh'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"\n`);
  chmodSync(join(shims, 'cfmesh'), 0o755);
  const home = join(work, '.home');
  mkdirSync(home);
  const kubeconfig = join(work, '.kubeconfig');
  const vars = cleanEnv({
    PATH: `${shims}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    HOME: home,
    CFMESH_HOME: join(work, '.cfmesh'),
    KUBECONFIG: kubeconfig,
    CP_TOKEN: 'docs-example-token',
    NODE_EXTRA_CA_CERTS: caFile,
  });
  return { work, vars, bundleUrl, kubeconfig };
}

async function runExample(example: Example, env: Env) {
  let command = example.command;
  for (const s of SUBSTITUTIONS) command = command.split(s.from).join(s.to(env));
  // Output shown in a console block is both streams in order, as a terminal shows them.
  const script = example.output !== undefined ? `{ ${command}\n} 2>&1` : command;
  return run('bash', ['-o', 'pipefail', '-c', script], { cwd: env.work, env: env.vars });
}

describe('the examples of README.md and docs/commands.md run as written', { skip: kubectlMissing() }, () => {
  let bundles: Server | undefined;
  let bundleUrl = '';
  const posted: string[] = [];
  let caFile = '';
  before(async () => {
    const pki = testPki();
    caFile = join(tempDir('cfmesh-docs-ca-'), 'ca.crt');
    writeFileSync(caFile, pki.caCert);
    bundles = createServer({ key: pki.serverKey, cert: pki.serverCert }, (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => void (body += d.toString()));
      req.on('end', () => {
        posted.push(`${req.method} ${req.url} ${req.headers.authorization === 'Bearer docs-example-token' ? 'token' : 'no token'}`);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      });
    });
    await new Promise<void>((resolve) => bundles?.listen(0, '127.0.0.1', resolve));
    bundleUrl = `https://127.0.0.1:${(bundles.address() as { port: number }).port}`;
  });
  after(() => bundles?.close());

  for (const file of DOCUMENTS) {
    it(file, async (t) => {
      const examples = extractExamples(readFileSync(join(root, file), 'utf8'), file);
      assert.ok(examples.length >= 5, `${file}: only ${examples.length} cfmesh examples found; is the extractor still right?`);
      const env = setUp(caFile, bundleUrl);
      let cluster: KubeApiServer | undefined;
      let block = -1;
      let requests = 0;
      let clusterExamples = 0;
      try {
      for (const example of examples) {
        if (example.block !== block) {
          // each block is a scenario on a cluster of its own
          requests += cluster?.requests.length ?? 0;
          await cluster?.close();
          cluster = await startKubeApiServer();
          kubeconfigWithContexts(cluster, env.kubeconfig);
          block = example.block;
        }
        if (/kubectl|--target kubernetes|--apply|--context|diff /.test(example.command)) clusterExamples++;
        const skipped = NOT_RUN.find((n) => n.command === example.command);
        if (skipped) {
          t.diagnostic(`not run: ${file}:${example.line} ${example.command} (${skipped.why})`);
          continue;
        }
        const expected = EXPECTED_EXIT.find((e) => e.command === example.command)?.exit ?? 0;
        const result = await runExample(example, env);
        const where = `${file}:${example.line}: ${example.command}`;
        assert.equal(result.code, expected, `${where}\nexit ${result.code}, documented ${expected}\nstdout:\n${result.out.slice(0, 1500)}\nstderr:\n${result.err.slice(0, 3000)}`);
        assert.doesNotMatch(result.err, /^\s+at .+:\d+:\d+\)?$/m, `${where}: a stack trace`);
        if (example.output !== undefined) assert.equal(result.out, example.output, `${where}: the output the docs show`);
      }
      } finally {
        requests += cluster?.requests.length ?? 0;
        await cluster?.close();
      }
      t.diagnostic(`${examples.length} examples of ${file} ran; ${requests} requests reached the API doubles`);
      if (clusterExamples > 0) assert.ok(requests > 0, `${file}: the cluster examples reached the API double`);
    });
  }

  it('the http-target example reached its stand-in with the token', () => {
    if (!DOCUMENTS.some((f) => readFileSync(join(root, f), 'utf8').includes('--target http --url https://cp.example.com'))) return;
    assert.ok(posted.some((p) => /^POST \/bundles token$/.test(p)), posted.join('\n'));
  });
});

describe('the extractor', () => {
  it('finds cfmesh command lines of shell blocks, prompts and output of console blocks, and nothing else', () => {
    const md = [
      'text cfmesh convert (not a block)',
      '```sh',
      '# a comment line',
      'cfmesh convert -f a.yml   # trailing comment',
      'cat a.yml | cfmesh convert -f -',
      'npm ci && node bin/cfmesh.js convert',
      'kubectl get vs',
      'npm test',
      'cfmesh push -f a.yml \\',
      '  --var x=1',
      '```',
      '```console',
      '$ cfmesh validate bad.yml; echo "exit $?"',
      'bad.yml:1:1: error X',
      'exit 1',
      '$ cfmesh routes',
      '```',
      '```yaml',
      'cfmesh: not a command',
      '```',
      '```',
      'cfmesh apps',
      '```',
    ].join('\n');
    assert.deepEqual(extractExamples(md, 'x.md'), [
      { file: 'x.md', line: 4, block: 0, command: 'cfmesh convert -f a.yml   # trailing comment', output: undefined },
      { file: 'x.md', line: 5, block: 0, command: 'cat a.yml | cfmesh convert -f -', output: undefined },
      { file: 'x.md', line: 7, block: 0, command: 'kubectl get vs', output: undefined },
      { file: 'x.md', line: 9, block: 0, command: 'cfmesh push -f a.yml  --var x=1', output: undefined },
      { file: 'x.md', line: 13, block: 1, command: 'cfmesh validate bad.yml; echo "exit $?"', output: 'bad.yml:1:1: error X\nexit 1\n' },
      { file: 'x.md', line: 16, block: 1, command: 'cfmesh routes', output: undefined },
    ]);
    for (const entry of [...EXPECTED_EXIT, ...SUBSTITUTIONS, ...NOT_RUN]) assert.ok(entry.why.length > 10, `every exception says why: ${JSON.stringify(entry)}`);
  });
});

// Secrets never leak: every command runs with secret-looking values in play — kubeconfig tokens and
// client keys, basic-auth passwords, bearer tokens in env vars and files, an unreferenced var in a
// vars file, CFMESH_TOKEN / AWS keys in the environment — in --verbose mode, on success and on
// failures (invalid input, a server that echoes the request headers in its errors). stdout, stderr
// and every file cfmesh wrote or changed are scanned for each secret.
//
// To add a command: add a case to CASES (argv built from the context; `prepare` for faults). The scan
// covers it; nothing else to write.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/main.ts';
import { startKubeApiServer, type KubeApiServer } from '../kube/api-server.ts';
import { memoryIo } from '../helpers/memory-io.ts';
import { assertNoStackTrace, tempDir } from '../helpers/reliability.ts';

const OWN_SECRETS = {
  cfmeshToken: 'cfm_tok_5e3c9a7741b04f0f9d1c',
  cpToken: 'cp_tok_b7d1e0c4a9f24e8b8a31',
  tokenFile: 'tf_tok_0c5a1f9e2d7b43a6b9e4',
  unreferencedVar: 'var_secret_91af33c2d84e4c0f',
  referencedVarName: 'db_password',
  aws: 'AKIAexampleSECRET9f8e7d6c5b4a',
};

interface Context {
  readonly dir: string;
  readonly kube: KubeApiServer;
  readonly http: { readonly url: string };
  readonly kubeconfigs: Readonly<Record<'token' | 'tokenFile' | 'basic' | 'certData' | 'exec', string>>;
}

interface SecretCase {
  readonly name: string;
  readonly argv: (ctx: Context) => string[];
  readonly stdin?: string;
  /** Faults or state to set up first (faults are cleared after each case). */
  readonly prepare?: (ctx: Context) => void | Promise<void>;
  /** Slow (real retry backoff): run with --verbose only, which prints at least what a quiet run does. */
  readonly verboseOnly?: boolean;
}

const manifest = `applications:
- name: web
  env:
    DB_PASSWORD: ((db_password))
  routes:
  - route: ((host)).example.com
`;
const invalid = `applications:
- name: web
  instances: lots
  routes:
  - route: ((host)).example.com:99999
`;

const convertish = (cmd: string) => [cmd, '-f', 'manifest.yml', '--vars-file', 'vars.yml'];
const kube = (ctx: Context, auth: keyof Context['kubeconfigs']) => ['--target', 'kubernetes', '--kubeconfig', ctx.kubeconfigs[auth]];

const CASES: readonly SecretCase[] = [
  { name: 'validate', argv: () => convertish('validate') },
  { name: 'validate --json', argv: () => [...convertish('validate'), '--json'] },
  { name: 'validate, invalid manifest', argv: () => ['validate', '-f', 'invalid.yml', '--vars-file', 'vars.yml'] },
  { name: 'validate --json, invalid manifest', argv: () => ['validate', '-f', 'invalid.yml', '--vars-file', 'vars.yml', '--json'] },
  { name: 'validate, vars file that is not YAML', argv: () => ['validate', '-f', 'manifest.yml', '--vars-file', 'broken-vars.yml'] },
  { name: 'convert (stdout)', argv: () => convertish('convert') },
  { name: 'convert --output json', argv: () => [...convertish('convert'), '--output', 'json'] },
  { name: 'convert -o DIR', argv: () => [...convertish('convert'), '-o', 'out'] },
  { name: 'convert, invalid manifest', argv: () => ['convert', '-f', 'invalid.yml', '--vars-file', 'vars.yml'] },
  { name: 'convert, missing var', argv: () => ['convert', '-f', 'manifest.yml'] },
  { name: 'convert, manifest from stdin', argv: () => ['convert', '-f', '-', '--vars-file', 'vars.yml'], stdin: manifest },
  { name: 'convert --target http --token-env (endpoint echoes headers in a 401)', argv: (ctx) => [...convertish('convert'), '--target', 'http', '--url', `${ctx.http.url}/401`, '--token-env', 'CP_TOKEN'] },
  { name: 'convert --target http --token-file (endpoint echoes headers in a 422)', argv: (ctx) => [...convertish('convert'), '--target', 'http', '--url', `${ctx.http.url}/422`, '--token-file', 'token.txt', '--json'] },
  // Retried with the CLI's real backoff (seconds): only in the long run (npm run fuzz sets FUZZ_RUNS).
  ...(process.env['FUZZ_RUNS']
    ? [{ name: 'convert --target http --token-env (endpoint echoes headers in 500s until retries run out)', argv: (ctx: Context) => [...convertish('convert'), '--target', 'http', '--url', `${ctx.http.url}/500`, '--token-env', 'CP_TOKEN'], verboseOnly: true }]
    : []),
  { name: 'convert --target kubernetes (token)', argv: (ctx) => [...convertish('convert'), ...kube(ctx, 'token')] },
  { name: 'convert --target kubernetes (token file), --json', argv: (ctx) => [...convertish('convert'), ...kube(ctx, 'tokenFile'), '--json'] },
  { name: 'convert --target kubernetes (basic auth)', argv: (ctx) => [...convertish('convert'), ...kube(ctx, 'basic')] },
  { name: 'convert --target kubernetes (client key)', argv: (ctx) => [...convertish('convert'), ...kube(ctx, 'certData')] },
  { name: 'convert --target kubernetes (exec plugin)', argv: (ctx) => [...convertish('convert'), ...kube(ctx, 'exec')] },
  {
    name: 'convert --target kubernetes, API server refusing (403) and echoing headers',
    argv: (ctx) => [...convertish('convert'), ...kube(ctx, 'token')],
    prepare: (ctx) => ctx.kube.inject({ type: 'status', code: 403 }, 50),
  },
  {
    name: 'convert --target kubernetes, one 500 echoing headers, then success after a retry',
    argv: (ctx) => [...convertish('convert'), ...kube(ctx, 'certData')],
    prepare: (ctx) => ctx.kube.inject({ type: 'status', code: 500 }, 1),
  },
  {
    name: 'convert --target kubernetes, 500s echoing headers until retries run out',
    argv: (ctx) => [...convertish('convert'), ...kube(ctx, 'basic')],
    prepare: (ctx) => ctx.kube.inject({ type: 'status', code: 500 }, 50),
    verboseOnly: true,
  },
  { name: 'convert --apply --dry-run=server', argv: (ctx) => [...convertish('convert'), '--apply', '--dry-run=server', '--kubeconfig', ctx.kubeconfigs.token] },
  { name: 'diff (kubernetes)', argv: (ctx) => [...convertish('diff'), '--kubeconfig', ctx.kubeconfigs.token] },
  {
    name: 'diff, API server failing',
    argv: (ctx) => [...convertish('diff'), '--kubeconfig', ctx.kubeconfigs.basic],
    prepare: (ctx) => ctx.kube.inject({ type: 'status', code: 401 }, 50),
  },
  { name: 'push (local state)', argv: () => ['--state', 'state', ...convertish('push')] },
  { name: 'push, invalid manifest', argv: () => ['--state', 'state', 'push', '-f', 'invalid.yml', '--vars-file', 'vars.yml'] },
  { name: 'routes --json', argv: () => ['--state', 'state', 'routes', '--json'] },
  { name: 'apps', argv: () => ['--state', 'state', 'apps'] },
  { name: 'update-route --weight', argv: () => ['--state', 'state', 'update-route', 'web', 'example.com', '--hostname', 'shop', '--weight', '100'] },
  { name: 'render', argv: () => ['--state', 'state', 'render'] },
  { name: 'target', argv: () => ['--state', 'state', 'target'] },
  // The cluster as the state.
  { name: 'push --target kubernetes (exec plugin)', argv: (ctx) => ['--state', 'state', ...convertish('push'), ...kube(ctx, 'exec')] },
  { name: 'routes --target kubernetes --json (client key)', argv: (ctx) => ['--state', 'state', 'routes', '--json', ...kube(ctx, 'certData')] },
  { name: 'update-route --weight --target kubernetes (token file)', argv: (ctx) => ['--state', 'state', 'update-route', 'web', 'example.com', '--hostname', 'shop', '--weight', '100', ...kube(ctx, 'tokenFile')] },
  {
    name: 'push --target kubernetes, API server refusing (401) and echoing headers',
    argv: (ctx) => ['--state', 'state', ...convertish('push'), ...kube(ctx, 'basic')],
    prepare: (ctx) => ctx.kube.inject({ type: 'status', code: 401 }, 50),
  },
];

describe('secrets never appear in output, errors or written files', () => {
  let ctx: Context;
  let secrets: string[];
  let http: Server;

  before(async () => {
    const dir = tempDir('cfmesh-secrets-');
    const kubeServer = await startKubeApiServer({ echoHeadersInErrors: true });
    // A plain endpoint that, like a careless proxy, puts the request headers into its 500 errors.
    http = createServer((req, res) => {
      req.resume();
      const status = Number(/\/(\d{3})$/.exec(req.url ?? '')?.[1] ?? 500);
      req.on('end', () => res.writeHead(status, { 'retry-after': '0' }).end(`failed; headers were ${JSON.stringify(req.headers)}`));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    writeFileSync(join(dir, 'manifest.yml'), manifest);
    writeFileSync(join(dir, 'invalid.yml'), invalid);
    writeFileSync(join(dir, 'vars.yml'), `host: shop\n${OWN_SECRETS.referencedVarName}: ${OWN_SECRETS.referencedVarName}-value-is-a-var\nunused_api_key: ${OWN_SECRETS.unreferencedVar}\nnested: {token: ${OWN_SECRETS.unreferencedVar}-nested}\n`);
    writeFileSync(join(dir, 'broken-vars.yml'), `host: shop\napi_key: "${OWN_SECRETS.unreferencedVar}\n  [unclosed\n`);
    writeFileSync(join(dir, 'token.txt'), `${OWN_SECRETS.tokenFile}\n`);
    ctx = {
      dir,
      kube: kubeServer,
      http: { url: `http://127.0.0.1:${port}/bundles` },
      kubeconfigs: {
        token: kubeServer.writeKubeconfig({ auth: 'token' }),
        tokenFile: kubeServer.writeKubeconfig({ auth: 'tokenFile' }),
        basic: kubeServer.writeKubeconfig({ auth: 'basic' }),
        certData: kubeServer.writeKubeconfig({ auth: 'cert-data' }),
        exec: kubeServer.writeKubeconfig({ auth: 'exec' }),
      },
    };
    secrets = [OWN_SECRETS.cfmeshToken, OWN_SECRETS.cpToken, OWN_SECRETS.tokenFile, OWN_SECRETS.unreferencedVar, OWN_SECRETS.aws, ...kubeServer.secrets];
  });

  after(async () => {
    await ctx.kube.close();
    http.close();
  });

  for (const c of CASES) {
    for (const verbose of c.verboseOnly ? [true] : [true, false]) {
      it(`${c.name}${verbose ? ' (--verbose)' : ''}`, async () => {
        ctx.kube.clearFaults();
        await c.prepare?.(ctx);
        const before = files(ctx.dir);
        const io = memoryIo({
          cwd: ctx.dir,
          stdin: c.stdin,
          env: {
            CFMESH_TOKEN: OWN_SECRETS.cfmeshToken,
            CP_TOKEN: OWN_SECRETS.cpToken,
            AWS_SECRET_ACCESS_KEY: OWN_SECRETS.aws,
            KUBECONFIG: ctx.kubeconfigs.token,
            HOME: ctx.dir,
            CFMESH_HOME: join(ctx.dir, 'state'),
          },
        });
        const exit = await main([...(verbose ? ['--verbose'] : []), ...c.argv(ctx)], io);
        assert.notEqual(exit, 70, io.err());
        assertNoStackTrace(io.err());
        scan(`stdout of ${c.name}`, io.out(), secrets);
        scan(`stderr of ${c.name}`, io.err(), secrets);
        for (const [path, content] of files(ctx.dir)) {
          if (before.get(path) === content) continue; // inputs (kubeconfigs, vars, token files) are secret by design
          scan(`file ${path} written by ${c.name}`, content, secrets);
        }
      });
    }
  }

  it('the harness catches a leak (self-check)', () => {
    assert.throws(() => scan('probe', `oops ${OWN_SECRETS.cfmeshToken}`, secrets), /secret leaked/);
  });
});

function scan(where: string, text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `secret leaked: …${secret.slice(0, 4)}… in ${where}:\n${text.slice(0, 1500)}`);
  }
}

function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) out.set(relative(root, path), readFileSync(path, 'latin1'));
    }
  };
  walk(root);
  return out;
}

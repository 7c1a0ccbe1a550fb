import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ToolError } from '../diagnostics/tool-error.ts';
import type { ApplyReport } from '../kube/apply.ts';
import type { KubeClientOptions } from '../kube/client.ts';
import type { KubeConfig } from '../kube/kubeconfig.ts';
import { render, type OutputFormat } from '../render/render.ts';
import { isLoopbackHost } from '../kube/loopback.ts';
import { kubectlName, type Resource } from '../resource/resource.ts';
import type { Target as OutputTarget } from '../target/target.ts';
import type { CommandContext } from './context.ts';
import { VERSION } from './version.ts';

export type Target = 'local' | 'kubernetes' | 'http';

export interface DeliveryFlags {
  readonly target?: string | undefined;
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
  readonly dryRun?: string | boolean | undefined;
  readonly forceConflicts?: boolean | undefined;
  readonly prune?: boolean | undefined;
  readonly applyset?: string | undefined;
  readonly url?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly tokenEnv?: string | undefined;
  readonly json?: boolean | undefined;
  readonly requestTimeout?: string | undefined;
  readonly output?: string | undefined;
  readonly insecureHttp?: boolean | undefined;
}

/** Flags of every command that delivers configuration somewhere. */
export function addDeliveryOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--target <target>', 'where the configuration goes: local (stdout or -o DIR), kubernetes, http').choices(['local', 'kubernetes', 'http']))
    .option('--kubeconfig <path>', 'kubeconfig file (else KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (else its current-context)')
    .addOption(new Option('--dry-run [mode]', 'show what would change and change nothing; server: ask the API server (kubernetes target)').choices(['client', 'server']).preset('client'))
    .option('--force-conflicts', 'take over fields another field manager owns (kubernetes target)')
    .option('--no-prune', 'keep objects cfmesh applied earlier that are no longer rendered (kubernetes target)')
    .option('--applyset <name>', 'name of the ApplySet parent Secret that tracks what cfmesh applied (default cfmesh)')
    .option('--url <url>', 'control-plane endpoint that receives the rendered bundle (http target)')
    .option('--token-file <file>', 'file holding the bearer token for --url')
    .option('--token-env <var>', 'environment variable holding the bearer token for --url')
    .option('--insecure-http', 'allow sending the bearer token over plain http:// to a host other than this machine (http target)')
    .option('--request-timeout <seconds>', 'timeout of each attempt of a request to the control plane (default 30; a request with its retries takes at most three times this)');
}

export function parseTarget(flags: DeliveryFlags, stored?: string): Target {
  const value = flags.target ?? stored ?? 'local';
  if (value === 'local' || value === 'kubernetes' || value === 'http') return value;
  throw new ToolError('USAGE', `--target must be local, kubernetes or http (got "${value}")`);
}

/** The kubeconfig as kubectl reads it; its context's namespace is the default namespace. */
export async function loadKubeTarget(ctx: CommandContext, flags: DeliveryFlags): Promise<KubeConfig> {
  const { loadKubeConfig } = await import('../kube/kubeconfig.ts');
  return loadKubeConfig({
    kubeconfig: flags.kubeconfig !== undefined ? resolve(ctx.io.cwd, flags.kubeconfig) : undefined,
    context: flags.context,
    namespace: flags.namespace,
    env: ctx.io.env,
    homeDir: ctx.io.env['HOME'] ?? homedir(),
  });
}

/** `--request-timeout SECONDS` in ms (default 30 s): the bound of each attempt; a call with its retries gets three times this. */
export function requestTimeoutMs(flags: Pick<DeliveryFlags, 'requestTimeout'>): number {
  if (flags.requestTimeout === undefined) return 30_000;
  const seconds = Number(flags.requestTimeout);
  if (!/^\s*\d*\.?\d+\s*$/.test(flags.requestTimeout) || !Number.isFinite(seconds) || seconds <= 0) {
    throw new ToolError('USAGE', `--request-timeout must be a number of seconds above 0 (got "${flags.requestTimeout}")`);
  }
  return Math.max(1, Math.round(seconds * 1000));
}

/**
 * A kubeconfig whose server is plain http:// on another machine sends its credentials in clear. kubectl
 * does so silently; cfmesh keeps kubectl's behaviour (the kubeconfig is the user's choice) but says it.
 */
export function warnPlainHttp(ctx: CommandContext, config: KubeConfig): void {
  let url: URL;
  try {
    url = new URL(config.server);
  } catch {
    return;
  }
  if (url.protocol === 'http:' && config.auth.type !== 'none' && !isLoopbackHost(url.hostname)) {
    ctx.required(`the kubeconfig's server ${url.protocol}//${url.host} is plain http://: its credentials are sent unencrypted`, 'use an https:// server in the kubeconfig');
  }
}

/** The client options every command that talks to the cluster uses: timeout, Ctrl-C, debug lines, retries announced on stderr. */
export function kubeClientOptions(ctx: CommandContext, flags: Pick<DeliveryFlags, 'requestTimeout'>, target?: Pick<OutputTarget, 'crdHints'>): KubeClientOptions {
  return { timeoutMs: requestTimeoutMs(flags), signal: ctx.io.signal, log: ctx.debug, onRetry: (line) => ctx.info(`retrying: ${line}`), crdHints: target?.crdHints };
}


/**
 * Server-side apply to the cluster (app/cluster-apply.ts) with a report per resource (kubectl's wording
 * on stdout, or JSON with --json), a spinner with counts on a terminal, and exit 4 when anything failed.
 */
export async function applyToCluster(
  ctx: CommandContext,
  config: KubeConfig,
  resources: readonly Resource[],
  flags: DeliveryFlags,
  options: { readonly prune: boolean; readonly target: Pick<OutputTarget, 'crdHints' | 'crdVersions'>; readonly stdout?: boolean | undefined },
): Promise<ApplyReport> {
  const { applyToCluster: apply } = await import('../app/cluster-apply.ts');
  const dryRun = flags.dryRun === 'server';
  warnPlainHttp(ctx, config);
  const where = `${config.server} (namespace ${config.namespace}${config.contextName ? `, context ${config.contextName}` : ''})`;
  const progress = await startProgress(ctx, `Applying ${resources.length} resource(s) to ${where}${dryRun ? ' (server dry run)' : ''}`, flags.json);
  let done = 0;
  try {
    const report = await apply({
      config,
      resources,
      client: kubeClientOptions(ctx, flags),
      target: options.target,
      applySetName: flags.applyset ?? 'cfmesh',
      prune: options.prune && flags.prune !== false,
      dryRun,
      forceConflicts: flags.forceConflicts === true,
      toolVersion: VERSION,
      onProgress: () => progress.update(`${++done}/${resources.length} applied`),
    });
    progress.stop();
    printReport(ctx, report, { server: config.server, namespace: config.namespace, target: 'kubernetes' }, flags, options.stdout !== false);
    return report;
  } catch (error) {
    progress.stop();
    throw interrupted(ctx, error);
  }
}

function interrupted(ctx: CommandContext, error: unknown): unknown {
  if (ctx.io.signal?.aborted && !(error instanceof ToolError)) return new ToolError('INTERRUPTED', 'interrupted; stopped cleanly', { detail: 'interrupted; stopped cleanly' });
  return error;
}

/** `stdout` false: the caller prints its own product (a state command's --json report); stderr is as always. */
export function printReport(ctx: CommandContext, report: ApplyReport, where: { server: string; namespace: string; target: string }, flags: DeliveryFlags, stdout = true): void {
  const suffix = report.dryRun ? ' (server dry run)' : '';
  if (stdout && flags.json) {
    ctx.io.stdout.write(
      `${JSON.stringify(
        {
          target: where.target,
          server: where.server,
          namespace: where.namespace,
          dryRun: report.dryRun,
          ok: report.ok,
          items: report.items.map((i) => ({
            apiVersion: i.apiVersion,
            kind: i.kind,
            namespace: i.namespace,
            name: i.name,
            action: i.action,
            ...(i.takenOver ? { takenOver: i.takenOver } : {}),
            ...(i.error ? { error: { code: i.error.code, message: i.error.message } } : {}),
          })),
          errors: report.errors.map((e) => ({ code: e.code, message: e.message })),
          ...(report.pruneSkipped ? { pruneSkipped: report.pruneSkipped } : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else if (stdout) {
    for (const item of report.items) {
      if (item.action === 'failed') continue;
      ctx.io.stdout.write(`${kubectlName(item)} ${item.action}${suffix}\n`);
    }
  }
  const failed = report.items.filter((i) => i.action === 'failed');
  // One error shared by several objects (an unreachable server: the rest were not sent) is told once.
  const told = new Set<unknown>();
  for (const item of failed) {
    const e = item.error;
    if (e && told.has(e)) continue;
    if (e) told.add(e);
    const others = e ? failed.filter((f) => f.error === e).length - 1 : 0;
    ctx.io.stderr.write(
      `${ctx.c.red('error')} ${kubectlName(item)}${others > 0 ? ` (and ${others} more, not sent)` : ''}: ${e?.message ?? 'failed'}\n${e?.hint ? `  ${ctx.c.cyan('hint:')} ${e.hint}\n` : ''}`,
    );
  }
  for (const item of report.items) {
    if (item.takenOver) ctx.info(`${kubectlName(item)}: took over the fields cfmesh's own ${item.takenOver.map((m) => `"${m}"`).join(', ')} had set${item.takenOver.includes('cfmesh-weights') ? ' (weights patched live by update-route --weight)' : ''}`);
  }
  for (const e of report.errors) ctx.io.stderr.write(`${ctx.c.red('error')} ${e.message}\n${e.hint ? `  ${ctx.c.cyan('hint:')} ${e.hint}\n` : ''}`);
  if (report.pruneSkipped) ctx.info(`prune skipped: ${report.pruneSkipped}`);
  const counts = new Map<string, number>();
  for (const item of report.items) counts.set(item.action, (counts.get(item.action) ?? 0) + 1);
  ctx.info(`${[...counts].map(([k, v]) => `${v} ${k}`).join(', ') || 'nothing to apply'}${suffix}`);
  if (!report.ok) {
    const first = failed[0]?.error ?? report.errors[0];
    const code = first && first.code.startsWith('API_') ? first.code : first?.code === 'CRD_MISSING' ? 'CRD_MISSING' : 'API_REJECTED';
    throw new ToolError(code, `${failed.length} of ${report.items.length} resource(s) failed`, { reported: true });
  }
}

interface Progress {
  update(text: string): void;
  stop(): void;
}

/** An ora spinner with counts on a terminal (stderr); one plain line otherwise, and with --json; nothing with --quiet. */
async function startProgress(ctx: CommandContext, text: string, json: boolean | undefined): Promise<Progress> {
  if (ctx.flags.quiet) return { update: () => {}, stop: () => {} };
  if (!ctx.io.stderr.isTTY || ctx.io.env['CI'] || json) {
    ctx.info(`${text}...`);
    return { update: () => {}, stop: () => {} };
  }
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr, discardStdin: false, color: 'cyan' }).start();
  return {
    update: (t) => {
      spinner.text = `${text}: ${t}`;
    },
    stop: () => spinner.stop(),
  };
}

/** `--target http`: POST the rendered bundle (a JSON List by default) with an idempotency key. */
export async function postToEndpoint(ctx: CommandContext, resources: readonly Resource[], flags: DeliveryFlags, format: OutputFormat | undefined): Promise<void> {
  if (!flags.url) throw new ToolError('USAGE', '--target http needs --url URL', { hint: 'the token comes from --token-file FILE or --token-env VAR, never from a flag value' });
  const { postBundle } = await import('../sinks/http-sink.ts');
  const chosen = format ?? 'json';
  const body = render(resources, chosen);
  if (flags.dryRun) {
    ctx.info(`would POST ${resources.length} resource(s) (${body.length} bytes) to ${flags.url}`);
    ctx.io.stdout.write(body);
    return;
  }
  const progress = await startProgress(ctx, `Posting ${resources.length} resource(s) to ${flags.url}`, flags.json);
  try {
    const report = await postBundle({
      url: flags.url,
      body,
      retry: { timeoutMs: requestTimeoutMs(flags) },
      insecureHttp: flags.insecureHttp === true,
      onRetry: (line: string) => ctx.info(`retrying: ${line}`),
      warn: (line: string) => ctx.required(line),
      contentType: chosen === 'json' ? 'application/json' : 'application/yaml',
      tokenFile: flags.tokenFile !== undefined ? resolve(ctx.io.cwd, flags.tokenFile) : undefined,
      tokenEnv: flags.tokenEnv,
      env: ctx.io.env,
      signal: ctx.io.signal,
      log: ctx.debug,
    });
    progress.stop();
    if (flags.json) ctx.io.stdout.write(`${JSON.stringify({ target: 'http', url: report.url, status: report.status, attempts: report.attempts, idempotencyKey: report.idempotencyKey, bytes: report.bytes, resources: resources.length }, null, 2)}\n`);
    else ctx.io.stdout.write(`posted ${resources.length} resource(s) to ${report.url}: HTTP ${report.status} after ${report.attempts} attempt(s)\n`);
  } catch (error) {
    progress.stop();
    throw interrupted(ctx, error);
  }
}

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { TranslateSettings } from '../../app/resource-changes.ts';
import { changeState, type StateChangeRequest, type Transform } from '../../app/state-change.ts';
import { emptyReport, renderChangeReport, type ChangeReport } from '../../app/change-report.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { resolveStateDir, STATE_DIR_ENV, statePaths, type Scope } from '../../state/index.ts';
import type { Settings } from '../../state/types.ts';
import { contextWith, type CommandContext } from '../context.ts';
import { clusterConfig, targetOf, type ClusterFlags } from './cluster.ts';
import { applyToCluster } from '../delivery.ts';

import { istioOptions, parseFormat, routingOptions, type TranslateFlags } from '../options.ts';

/** The ApplySet of what the state commands deliver (convert --apply uses `cfmesh`), so neither prunes the other's objects. */
export const STATE_APPLYSET = 'cfmesh-state';

export interface StateFlags {
  readonly state?: string | undefined;
}

export interface DeliveryFlags extends StateFlags, TranslateFlags, ClusterFlags {
  readonly output?: string | undefined;
  readonly outputDir?: string | undefined;
  readonly dryRun?: string | boolean | undefined;
}

export interface StateChangeOptions {
  /** With the cluster as the target, do this instead of changing the local state (update-route --weight); it returns its --json report. */
  readonly live?: ((settings: Settings) => Promise<ChangeReport | undefined>) | undefined;
  /**
   * The routes and apps the transform reads (a command on one route): the state file is then read
   * by line, not whole, when only the changed resources are wanted.
   */
  readonly scope?: Scope | undefined;
}

/** `--state DIR`, else CFMESH_HOME, else ~/.cfmesh (docs/adr/0004-state-location.md). */
export function stateDirFor(ctx: CommandContext, flags: StateFlags): string {
  return resolveStateDir({ flag: flags.state, env: ctx.io.env, homeDir: ctx.io.env['HOME'] ?? homedir(), cwd: ctx.io.cwd });
}

/**
 * A command that only reads the local state, on a directory that holds none, says so instead of
 * silently showing nothing. A state directory given explicitly (--state or CFMESH_HOME) that does not
 * exist is most likely mistyped: a warning that -q does not hide, naming the directory and the flag.
 * It stays a warning, not an error (kubectl's --kubeconfig would fail): reading before the first push
 * (a script, or after a push that was refused before it got to the state) is an empty platform.
 */
export async function requireLocalState(ctx: CommandContext, flags: StateFlags): Promise<void> {
  const dir = stateDirFor(ctx, flags);
  if (existsSync(statePaths(dir).state)) return;
  const explicit = (flags.state ?? '') !== '' ? '--state' : (ctx.io.env[STATE_DIR_ENV] ?? '') !== '' ? STATE_DIR_ENV : undefined;
  if (explicit !== undefined && !existsSync(dir)) {
    ctx.required(`there is no cfmesh state in ${dir}: the directory does not exist`, `check ${explicit}; cfmesh push -f manifest.yml creates a state there`);
    return;
  }
  ctx.info(`No cfmesh state in ${dir} yet (cfmesh push -f manifest.yml creates it).`);
}

/** Flags over stored settings over defaults. */
export function translateSettings(flags: TranslateFlags, stored: Settings): TranslateSettings {
  return {
    routing: routingOptions(flags, { defaultDomain: stored.defaultDomain, internalDomains: stored.internalDomains }),
    istio: istioOptions(flags, {
      namespace: stored.namespace,
      gateway: stored.gateway,
      apiVersion: stored.istioApiVersion as TranslateSettings['istio']['apiVersion'] | undefined,
      serviceHostTemplate: stored.serviceHostTemplate,
      api: stored.api as TranslateSettings['istio']['api'],
      gatewayClass: stored.gatewayClass,
    }),
  };
}

/**
 * Runs a state-changing command (app/state-change.ts) with the flags over the stored settings, the
 * CLI's streams as its reporter, and the cluster opened as kubectl opens it.
 */
export async function runStateChange(ctx: CommandContext, command: string, flags: DeliveryFlags, transform: Transform, options: StateChangeOptions = {}): Promise<void> {
  const json = flags.json === true;
  const request: StateChangeRequest = {
    command,
    report: json,
    stateDir: stateDirFor(ctx, flags),
    format: parseFormat(flags.output ?? 'yaml'),
    outputDir: flags.outputDir !== undefined ? resolve(ctx.io.cwd, flags.outputDir) : undefined,
    dryRun: flags.dryRun === undefined || flags.dryRun === false ? undefined : flags.dryRun === 'server' ? 'server' : 'client',
    target: flags.target,
    targetOf: (stored) => targetOf(flags, stored),
    scope: options.scope,
    renderFlags: renderArgs(flags),
    settingsFor: (stored, clusterNamespace) =>
      clusterNamespace === undefined
        ? translateSettings(flags, stored)
        : translateSettings({ ...flags, namespace: flags.namespace ?? stored.namespace ?? clusterNamespace }, { ...stored, namespace: undefined }),
    cluster: async (stored) => {
      const config = await clusterConfig(ctx, flags, stored);
      const applyFlags = { ...flags, applyset: flags.applyset ?? STATE_APPLYSET, namespace: undefined };
      return {
        namespace: config.namespace,
        server: config.server,
        deliver: (resources, o) =>
          // stdout: false: the apply's own report (kubectl's lines, or convert's --json) is not this command's product.
          applyToCluster(withRequired(ctx, o.required), { ...config, namespace: o.namespace }, resources, { ...applyFlags, dryRun: o.dryRun }, { prune: true, target: o.target, stdout: !json }),
      };
    },
    live: options.live,
  };
  const reporter = { out: (text: string) => ctx.io.stdout.write(text), info: ctx.info, warn: ctx.warn, required: ctx.required };
  const result = await changeState(request, transform, reporter);
  if (result.report) printChangeReport(ctx, result.report);
  if (result.via === 'state') ctx.info(ctx.c.green('OK'));
}

/** The one JSON object of a changing command's --json, on stdout. */
export function printChangeReport(ctx: CommandContext, report: ChangeReport): void {
  ctx.io.stdout.write(renderChangeReport(report));
}

/** The context with its required notices sent to `required` (which records them for the report, then tells them). */
function withRequired(ctx: CommandContext, required: CommandContext['required']): CommandContext {
  return contextWith(ctx, { required });
}

/** The flags of this command that `render` needs to give the same configuration (--state and the shaping flags). */
function renderArgs(flags: DeliveryFlags): string {
  const quote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`);
  const pairs: [string, string | undefined][] = [
    ['--state', flags.state],
    ['--default-domain', flags.defaultDomain],
    ['--gateway', flags.gateway],
    ['-n', flags.namespace],
    ['--service-host-template', flags.serviceHostTemplate],
    ['--api', flags.api],
    ['--gateway-class', flags.gatewayClass],
    ['--istio-api', flags.istioApi],
    ['--mtls', flags.mtls],
    ['--gateway-namespace', flags.gatewayNamespace],
    ['--tcp-port-range', flags.tcpPortRange],
    ...(flags.internalDomain ?? []).map((d): [string, string] => ['--internal-domain', d]),
  ];
  return pairs.filter((p): p is [string, string] => p[1] !== undefined).map(([f, v]) => ` ${f} ${quote(v)}`).join('');
}

/** The answer was no: said on stderr, and with --json a report of nothing changed on stdout. */
export function declined(ctx: CommandContext, command: string, flags: DeliveryFlags, message: string): void {
  ctx.info(message);
  if (flags.json) printChangeReport(ctx, { ...emptyReport(command, statePaths(stateDirFor(ctx, flags)).state), notices: [{ message, hint: null, required: false }] });
}

/** delete-route / delete: ask on a terminal, insist on -f otherwise (a script must not hang on a prompt). */
export async function confirm(ctx: CommandContext, question: string, force: boolean | undefined, command: string): Promise<boolean> {
  if (force) return true;
  if (!ctx.io.stdinIsTTY || !ctx.io.prompt) {
    throw new ToolError('USAGE', `${command} needs -f when stdin is not a terminal (it would ask: ${question})`, { hint: `add -f to ${command} to confirm without a prompt` });
  }
  const answer = (await ctx.io.prompt(`${question} [yN]: `)).trim().toLowerCase();
  return answer === 'y' || answer === 'yes';
}

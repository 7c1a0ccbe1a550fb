import { resolve } from 'node:path';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { readState, statePaths, updateState } from '../../state/index.ts';
import { emptyReport } from '../../app/change-report.ts';
import type { Settings, State } from '../../state/types.ts';
import type { CommandContext } from '../context.ts';
import { parseIstioApi } from '../../istio/options.ts';
import { DEFAULT_GATEWAY_CLASS, parseGatewayClass, parseTargetApi } from '../../gateway-api/options.ts';
import { parseDomain, parseGateway, parseLabel, parseServiceHostTemplate, type TranslateFlags } from '../options.ts';
import { printChangeReport, stateDirFor, translateSettings, type StateFlags } from './state-common.ts';

export interface TargetFlags extends StateFlags, TranslateFlags {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly outputDir?: string | undefined;
  readonly unset?: string[] | undefined;
  readonly json?: boolean | undefined;
}

const SETTINGS_CHANGED = 'Settings changed. Run cfmesh render to see the whole configuration with them.';

/** `--unset NAME` names, as the flags that set them. */
const UNSETTABLE: Record<string, keyof Settings> = {
  'default-domain': 'defaultDomain',
  'internal-domain': 'internalDomains',
  gateway: 'gateway',
  namespace: 'namespace',
  'istio-api': 'istioApiVersion',
  api: 'api',
  'gateway-class': 'gatewayClass',
  'service-host-template': 'serviceHostTemplate',
  'output-dir': 'output',
  kubeconfig: 'kubeconfig',
  context: 'context',
};

/**
 * `target [--default-domain D] [--internal-domain D]... [--gateway G] [-n NS] [--istio-api V]
 * [--service-host-template T] [--output-dir DIR] [--unset NAME]...`: shows the stored settings, and
 * sets them first when flags are given (as `cf target` shows and switches the target).
 */
export async function targetCommand(ctx: CommandContext, where: string | undefined, flags: TargetFlags): Promise<void> {
  const dir = stateDirFor(ctx, flags);
  const changes: Partial<Record<keyof Settings, unknown>> = {};
  if (where !== undefined) {
    if (!['local', 'kubernetes', 'http'].includes(where)) throw new ToolError('USAGE', `target takes local, kubernetes or http (got "${where}")`, { hint: 'e.g. cfmesh target kubernetes --context prod' });
    changes.target = where === 'local' ? undefined : where;
  }
  if (flags.kubeconfig !== undefined) changes.kubeconfig = resolve(ctx.io.cwd, flags.kubeconfig);
  if (flags.context !== undefined) changes.context = flags.context;
  if (flags.defaultDomain !== undefined) changes.defaultDomain = parseDomain('--default-domain', flags.defaultDomain);
  if (flags.internalDomain?.length) changes.internalDomains = flags.internalDomain.map((d) => parseDomain('--internal-domain', d));
  if (flags.gateway !== undefined) changes.gateway = parseGateway(flags.gateway);
  if (flags.namespace !== undefined) changes.namespace = parseLabel('--namespace', flags.namespace);
  if (flags.istioApi !== undefined) changes.istioApiVersion = parseIstioApi(flags.istioApi);
  if (flags.api !== undefined) changes.api = parseTargetApi(flags.api) === 'istio' ? undefined : 'gateway-api';
  if (flags.gatewayClass !== undefined) changes.gatewayClass = parseGatewayClass(flags.gatewayClass);
  if (flags.serviceHostTemplate !== undefined) changes.serviceHostTemplate = parseServiceHostTemplate(flags.serviceHostTemplate);
  if (flags.outputDir !== undefined) changes.output = resolve(ctx.io.cwd, flags.outputDir);
  for (const name of flags.unset ?? []) {
    const key = UNSETTABLE[name];
    if (!key) throw new ToolError('USAGE', `--unset takes one of ${Object.keys(UNSETTABLE).join(', ')} (got "${name}")`);
    if (key in changes) throw new ToolError('USAGE', `--unset ${name} cannot be used together with the flag that sets it`);
    changes[key] = undefined;
  }
  let state: State;
  let changed: { before: State; written: boolean } | undefined;
  if (Object.keys(changes).length > 0) {
    const result = await updateState(dir, (s) => ({ ...s, settings: { ...s.settings, ...changes } as Settings }));
    state = result.after;
    changed = { before: result.before, written: result.changed };
    if (result.changed) ctx.info(SETTINGS_CHANGED);
  } else {
    state = await readState(dir);
  }
  const view = settingsView(dir, state.settings);
  if (flags.json && changed) {
    // Setting something is a change: the report every changing command gives (app/change-report.ts).
    const notices = changed.written ? [{ message: SETTINGS_CHANGED, hint: null, required: false }] : [];
    const report = { ...emptyReport('target', statePaths(dir).state), state: { path: statePaths(dir).state, written: changed.written }, settings: { before: settingsView(dir, changed.before.settings), after: view }, notices };
    printChangeReport(ctx, report);
    return;
  }
  if (flags.json) {
    ctx.io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ['state', view.state],
    ['default domain', view.defaultDomain ?? '(none)'],
    ['internal domains', view.internalDomains.join(', ')],
    ['gateway', view.gateway],
    ['namespace', view.namespace],
    ['istio api', view.istioApi],
    ...('api' in view ? ([['api', view.api], ['gateway class', view.gatewayClass]] as [string, string][]) : []),
    ['service host', view.serviceHostTemplate],
    ['output dir', view.outputDir ?? '(none: changes go to stdout)'],
    ['target', view.target],
    ...(view.target === 'kubernetes' ? ([['kubeconfig', view.kubeconfig ?? '(KUBECONFIG or ~/.kube/config)'], ['context', view.context ?? '(current-context)']] as [string, string][]) : []),
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  ctx.io.stdout.write(rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n') + '\n');
}

/** The settings as `target` shows them: stored values over the defaults. */
function settingsView(dir: string, s: Settings) {
  const effective = translateSettings({}, s);
  return {
    state: dir,
    defaultDomain: s.defaultDomain ?? null,
    internalDomains: effective.routing.internalDomains,
    gateway: effective.istio.gateway,
    namespace: effective.istio.namespace,
    istioApi: effective.istio.apiVersion,
    // Shown only once chosen, so the default output keeps its shape.
    ...(effective.istio.api === 'gateway-api' ? { api: 'gateway-api', gatewayClass: effective.istio.gatewayClass ?? DEFAULT_GATEWAY_CLASS } : {}),
    serviceHostTemplate: effective.istio.serviceHostTemplate,
    outputDir: s.output ?? null,
    target: s.target ?? 'local',
    kubeconfig: s.kubeconfig ?? null,
    context: s.context ?? null,
  };
}

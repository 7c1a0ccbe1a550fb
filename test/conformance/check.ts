// One conformance check: a manifest description and requests → cfmesh (through the adapter) → the
// Istio model on its output, against the gorouter model on the description. Used by the property
// test, the regression table and the survey script.
import { runCfmesh, type CfmeshResult } from './cfmesh-adapter.ts';
import type { GeneratedRequest } from './generator.ts';
import { buildGorouter, gorouterDecide } from './gorouter-model.ts';
import { buildIstio, istioDecide } from './istio-model.ts';
import { buildGatewayApi, gatewayApiDecide } from './gateway-api-model.ts';
import { deploymentInventory, type DeploymentOptions } from './inventory.ts';
import { describeRequest, renderManifest, type ManifestDesc, type RequestDesc } from './manifest-desc.ts';
import { compareOutcomes, formatOutcome, type Outcome } from './outcome.ts';

export interface Disagreement {
  readonly request: RequestDesc;
  readonly gorouter: Outcome;
  readonly istio: Outcome;
  readonly reason: string;
}

export type CheckResult =
  | { readonly kind: 'refused'; readonly yaml: string; readonly errors: readonly { code: string; message: string }[] }
  | { readonly kind: 'checked'; readonly yaml: string; readonly cfmesh: Extract<CfmeshResult, { ok: true }>; readonly disagreements: readonly Disagreement[]; readonly requests: number };

export function resolveRequest(r: GeneratedRequest, tcpPorts: ReadonlyMap<string, number>): RequestDesc {
  if (r.kind !== 'tcp-route') return r;
  const port = tcpPorts.get(r.route);
  if (port === undefined) throw new Error(`cfmesh gave route ${r.route} no gateway port`);
  return { kind: 'tcp', port };
}

/** How the manifest is converted and deployed, beyond the manifest itself. */
export interface CaseOptions {
  readonly serviceHostTemplate?: string;
  /** Labels of the ingress gateway pods (default istioctl's `istio: ingressgateway`). */
  readonly gatewayLabels?: Readonly<Record<string, string>>;
  /** cfmesh's gateway selector for those pods (issue 11 item 11). */
  readonly gatewaySelector?: Readonly<Record<string, string>>;
}

export function checkCase(manifest: ManifestDesc, requests: readonly GeneratedRequest[], options: CaseOptions = {}): CheckResult {
  const yaml = renderManifest(manifest);
  const res = runCfmesh(yaml, { defaultDomain: manifest.defaultDomain, serviceHostTemplate: options.serviceHostTemplate, gatewaySelector: options.gatewaySelector });
  if (!res.ok) return { kind: 'refused', yaml, errors: res.errors };
  const gorouter = buildGorouter(manifest, res.tcpPorts);
  const deployment: DeploymentOptions = {
    ...(options.serviceHostTemplate !== undefined ? { serviceHostTemplate: options.serviceHostTemplate } : {}),
    ...(options.gatewayLabels !== undefined ? { gatewayLabels: options.gatewayLabels } : {}),
  };
  const istio = buildIstio(res.objects, deploymentInventory(manifest, deployment));
  const disagreements: Disagreement[] = [];
  for (const g of requests) {
    const request = resolveRequest(g, res.tcpPorts);
    const a = gorouterDecide(gorouter, request);
    const b = istioDecide(istio, request);
    const reason = compareOutcomes(a, b);
    if (reason) disagreements.push({ request, gorouter: a, istio: b, reason });
  }
  return { kind: 'checked', yaml, cfmesh: res, disagreements, requests: requests.length };
}

/** A readable report of a failed check: the manifest, then each disagreeing request with both outcomes. */
export function formatFailure(result: CheckResult, max = 3): string | undefined {
  if (result.kind === 'refused') {
    return [
      'cfmesh refused a manifest that cf accepts:',
      ...result.errors.map((e) => `  ${e.code} ${e.message}`),
      '--- manifest.yml',
      result.yaml.trimEnd(),
    ].join('\n');
  }
  if (result.disagreements.length === 0) return undefined;
  const lines = [`${result.disagreements.length} of ${result.requests} requests go elsewhere than cf would send them.`, '--- manifest.yml', result.yaml.trimEnd(), '---'];
  for (const d of result.disagreements.slice(0, max)) {
    lines.push(describeRequest(d.request), `  ${d.reason}`, `  gorouter: ${formatOutcome(d.gorouter)}`, `  istio:    ${formatOutcome(d.istio)}`, '');
  }
  if (process.env['CONFORMANCE_VERBOSE']) lines.push('--- cfmesh output', result.cfmesh.yaml);
  else lines.push('(CONFORMANCE_VERBOSE=1 adds cfmesh\'s output)');
  return lines.join('\n');
}

/**
 * The Gateway API target's documented deviations from gorouter (docs/adr/0017-gateway-api-target.md),
 * each applied openly here rather than hidden in a model:
 * - paths match case-sensitively: only requests whose path is in lower case (as the route keys are)
 *   are compared; the rest are counted as `skipped`;
 * - `methods` answers other methods 500, where gorouter's extension answers 405.
 */
export function gatewayApiExpected(outcome: Outcome): Outcome {
  if (!outcome.shares.has('status:405')) return outcome;
  const shares = new Map(outcome.shares);
  shares.set('status:500', (shares.get('status:500') ?? 0) + (shares.get('status:405') as number));
  shares.delete('status:405');
  return { shares, trace: [...outcome.trace, '(Gateway API deviation: 405 → 500)'] };
}

export function comparableForGatewayApi(request: RequestDesc): boolean {
  if (request.kind !== 'http') return true;
  const q = request.target.indexOf('?');
  const path = q >= 0 ? request.target.slice(0, q) : request.target;
  return path === path.toLowerCase();
}

export type GatewayApiCheckResult = CheckResult | { readonly kind: 'unsupported'; readonly yaml: string; readonly errors: readonly { code: string; message: string }[] };

/** checkCase for `--api gateway-api`: a refusal naming a feature Gateway API cannot express is an allowed outcome, any other refusal is not. */
export function checkCaseGatewayApi(manifest: ManifestDesc, requests: readonly GeneratedRequest[]): GatewayApiCheckResult & { skipped?: number } {
  const yaml = renderManifest(manifest);
  const res = runCfmesh(yaml, { defaultDomain: manifest.defaultDomain, api: 'gateway-api' });
  if (!res.ok) return res.errors.every((e) => e.code === 'TARGET_UNSUPPORTED') ? { kind: 'unsupported', yaml, errors: res.errors } : { kind: 'refused', yaml, errors: res.errors };
  const gorouter = buildGorouter(manifest, res.tcpPorts);
  const model = buildGatewayApi(res.objects, deploymentInventory(manifest));
  const disagreements: Disagreement[] = [];
  let skipped = 0;
  for (const g of requests) {
    const request = resolveRequest(g, res.tcpPorts);
    if (!comparableForGatewayApi(request)) {
      skipped++;
      continue;
    }
    const a = gatewayApiExpected(gorouterDecide(gorouter, request));
    const b = gatewayApiDecide(model, request);
    const reason = compareOutcomes(a, b);
    if (reason) disagreements.push({ request, gorouter: a, istio: b, reason });
  }
  return { kind: 'checked', yaml, cfmesh: res, disagreements, requests: requests.length - skipped, skipped };
}

import { DEFAULT_GATEWAY_CLASS } from '../gateway-api/options.ts';
import { gatewayApiTarget } from '../gateway-api/target.ts';
import { istioTarget } from '../istio/target.ts';
import type { Target } from '../target/target.ts';
import type { TranslateSettings } from './resource-changes.ts';

/** The target the settings choose (`--api`: istio by default, or gateway-api). The one place that knows which targets exist. */
export function targetFor(settings: Pick<TranslateSettings, 'istio'>): Target {
  const options = settings.istio;
  if (options.api === 'gateway-api') return gatewayApiTarget({ ...options, gatewayClass: options.gatewayClass ?? DEFAULT_GATEWAY_CLASS });
  return istioTarget(options);
}

import { istioTarget } from '../istio/target.ts';
import type { Target } from '../target/target.ts';
import type { TranslateSettings } from './resource-changes.ts';

/** The target the settings choose (one so far: Istio). The one place that knows which targets exist. */
export function targetFor(settings: Pick<TranslateSettings, 'istio'>): Target {
  return istioTarget(settings.istio);
}

import type { AppInfo } from '../routing/route-table.ts';
import { dnsLabel } from './names.ts';
import type { IstioOptions } from './options.ts';

/**
 * Where an app's traffic goes in the mesh. A plain app is its own host. Apps that name a `service`
 * (or a `version`) share the service's host and are told apart by a DestinationRule subset named
 * after the version, selecting pods labelled `version: <version>`.
 */
export interface AppTarget {
  readonly host: string;
  readonly service: string;
  readonly version?: string | undefined;
}

export function appTarget(app: string, info: AppInfo | undefined, options: IstioOptions): AppTarget {
  const data = info?.data ?? {};
  const version = typeof data['version'] === 'string' ? data['version'] : undefined;
  const service = typeof data['service'] === 'string' ? data['service'] : dnsLabel(app);
  const host = serviceHost(service, options, { service, version: version ?? service });
  return version !== undefined ? { host, service, version } : { host, service };
}

/**
 * The mesh host for an app or service, from the template (default `{app}.{namespace}.svc.cluster.local`;
 * `{app}.service.consul` for Consul). `{app}` and `{service}` are the service name (the app's name
 * when it names no service); `{version}` is the app's version, or the service name without one.
 */
export function serviceHost(app: string, options: IstioOptions, extra: Readonly<Record<string, string>> = {}): string {
  const values: Record<string, string> = { app: dnsLabel(app), namespace: options.namespace, service: dnsLabel(app), version: dnsLabel(app), ...extra };
  return options.serviceHostTemplate.replace(/\{(\w+)\}/g, (m, name: string) => values[name] ?? m).toLowerCase();
}

/** The app's port: its `port`, else the default (8080). */
export function appPort(info: AppInfo | undefined, options: IstioOptions): number {
  return info?.port ?? options.defaultPort;
}

import { ToolError } from '../diagnostics/tool-error.ts';
import type { RouteTarget } from './route-target.ts';

/** `-o key=value`: cf's message for anything else. */
export function parseRouteOptionFlag(text: string, target: RouteTarget): [string, string] {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq).trim() : '';
  const value = eq > 0 ? text.slice(eq + 1).trim() : '';
  if (key === '' || value === '') {
    throw new ToolError(
      'USAGE',
      `Route option '${text}' for route with host '${target.host ?? ''}', domain '${target.domain}', and path '${target.path ?? '/'}' was specified incorrectly. Please use key-value pair format key=value.`,
      {
        // `-o DIR` is the output directory on convert, render, push, unmap-route, delete-route and
        // delete; on the route commands it is cf's route option, so a path here was meant as a directory.
        hint: /[/\\]|^\.{1,2}$/.test(text)
          ? `-o is cf's route option (-o KEY=VALUE) on map-route, create-route and update-route; to write files into ${text} use --output-dir ${text}`
          : 'e.g. -o loadbalancing=least-connection',
      },
    );
  }
  return [key, value];
}

/** `{loadbalancing=hash, hash_header=X}`, as `cf route` prints options. */
export function formatRouteOptions(options: Readonly<Record<string, string>>): string {
  const entries = Object.entries(options);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}=${v}`).join(', ')}}`;
}

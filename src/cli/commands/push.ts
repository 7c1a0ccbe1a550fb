import { join } from 'node:path';
import { applyAppName, applyManifest, applyRouteFlags, applyScaleOverrides } from '../../app/push.ts';
import { DEFAULT_MAX_INPUT_BYTES, readSources, resolveManifestFiles } from '../../app/read-inputs.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { loadManifest } from '../../manifest/load.ts';
import { maxTokensFor } from '../../manifest/parse-yaml.ts';
import type { ManifestApp } from '../../manifest/types.ts';
import { splitVarFlag } from '../../manifest/vars.ts';
import { interruptedError, runPure, throwIfInterrupted, withInterruptDetail } from '../../ui/interrupt.ts';
import { plural, startProgress } from '../../ui/progress.ts';
import type { CommandContext } from '../context.ts';
import { isCommitStopped } from '../../sinks/atomic-write.ts';
import { parseSize } from '../options.ts';
import type { ManifestFlags } from './convert.ts';
import { runStateChange, stateDirFor, type DeliveryFlags } from './state-common.ts';

export interface PushFlags extends ManifestFlags, DeliveryFlags {
  /** commander's `--no-route`: false when given. */
  readonly route?: boolean | undefined;
  readonly randomRoute?: boolean | undefined;
  /** commander's `--no-start`: false when given. */
  readonly start?: boolean | undefined;
  readonly instances?: string | undefined;
  readonly memory?: string | undefined;
  readonly strategy?: string | undefined;
}

/** At most this many app names are listed in `Pushing apps ...`; more are counted. */
const NAMES_SHOWN = 10;

/**
 * `push [APP_NAME] [-f manifest.yml]... [--var K=V]... [--vars-file F]... [--no-route | --random-route]
 * [-i N] [-m M] [--no-start] [--strategy rolling]`.
 */
export async function pushCommand(ctx: CommandContext, appName: string | undefined, flags: PushFlags): Promise<void> {
  checkStrategy(flags);
  const instances = flags.instances !== undefined ? parseInstances(flags.instances) : undefined;
  const memory = flags.memory !== undefined ? parseMemory(flags.memory) : undefined;
  // cf push reads ./manifest.yml (or .yaml) when no -f is given.
  const files = resolveManifestFiles(ctx.io.cwd, [], flags.file);
  const max = flags.maxInputSize !== undefined ? parseSize('--max-input-size', flags.maxInputSize) : DEFAULT_MAX_INPUT_BYTES;
  const dryRun = flags.dryRun !== undefined && flags.dryRun !== false;
  // The transform has returned (under the lock): the store writes the new state next, unless Ctrl-C
  // stops it before the rename (isCommitStopped). Any later interruption finds the state written.
  let committed = false;
  const progress = await startProgress(ctx.io, { ...ctx.flags, json: flags.json }, `Reading ${files.join(', ')}`);
  try {
    const manifests = await readSources(ctx.io, files, max);
    const varsFiles = await readSources(ctx.io, flags.varsFile ?? [], max);
    throwIfInterrupted(ctx.io.signal);
    const loaded = await runPure(ctx.io, () => {
      ctx.debug(`parsing ${files.join(', ')}`);
      return loadManifest({ manifests, varsFiles, vars: (flags.var ?? []).map(splitVarFlag), limits: { maxTokens: maxTokensFor(max) } });
    });
    progress.stop();
    ctx.warn(loaded.warnings);
    // Overrides in cf's order: app name, instances, memory, then the route flags.
    const manifest = applyRouteFlags(applyScaleOverrides(applyAppName(loaded.manifest, appName), { instances, memory }), { noRoute: flags.route === false, randomRoute: flags.randomRoute });
    ctx.info(`Pushing ${describeApps(manifest.apps)}...`);
    ctx.info(`Applying manifest file ${files.join(', ')}...`);
    if (flags.start === false) ctx.info('--no-start: cfmesh runs no app instances, so there is nothing to stage or start; apps and routes are applied to the state as usual.');
    if (flags.strategy !== undefined && flags.strategy.toLowerCase() === 'rolling') ctx.info('--strategy rolling: cfmesh replaces no instances; the change applies at once, as without it.');
    const applying = await startProgress(ctx.io, { ...ctx.flags, json: flags.json }, `Applying ${plural(manifest.apps.length, 'app')}`);
    try {
      await runStateChange(ctx, 'push', flags, (state, settings) => {
        throwIfInterrupted(ctx.io.signal);
        ctx.debug(`merging ${manifest.apps.length} app(s) into the state (${Object.keys(state.apps).length} app(s))`);
        applying.update(`Applying ${plural(manifest.apps.length, 'app')} to ${plural(Object.keys(state.apps).length, 'app')} in the state`);
        // Not through runPure: this runs under the state lock, right after the state was read, and a
        // Ctrl-C that came meanwhile must not be dropped (interrupt.ts). The merge is linear; a Ctrl-C
        // during it is seen at the store's next await, which then leaves the state file as it was.
        const result = applyManifest(state, manifest, settings.routing);
        applying.stop();
        committed = !dryRun;
        return { ...result, notices: dryRun ? result.notices : [...result.notices, 'Manifest applied'] };
      });
    } finally {
      applying.stop();
    }
  } catch (error) {
    // Ctrl-C stopped the store before it replaced the state file (sinks/commit-check.ts).
    if (isCommitStopped(error)) throw interruptedError(dryRun ? 'nothing was written (dry run)' : 'the state was not changed');
    if (committed && error instanceof ToolError && error.code === 'INTERRUPTED') {
      const delivery = error.detail !== undefined ? ` (${error.detail})` : '';
      throw interruptedError(`after the state was saved: the push is complete in ${stateFile(ctx, flags)}, but its delivery was cut short${delivery}`, 'cfmesh render prints the whole configuration of the state (render -o DIR writes it)');
    }
    throw withInterruptDetail(error, dryRun ? 'nothing was written (dry run)' : 'the state was not changed');
  } finally {
    progress.stop();
  }
  if (ctx.io.signal?.aborted) throw interruptedError(dryRun ? 'after the dry run had finished' : `after the push had finished: the state (${stateFile(ctx, flags)}) and the output are complete`);
}

function stateFile(ctx: CommandContext, flags: PushFlags): string {
  return join(stateDirFor(ctx, flags), 'state.json');
}

/** `app(s) a, b` or, for many, `12,000 apps (a, b, ... and 11,990 more)`: one line a person reads. */
export function describeApps(apps: readonly Pick<ManifestApp, 'name'>[]): string {
  const names = apps.slice(0, NAMES_SHOWN).map((a) => a.name);
  if (apps.length <= NAMES_SHOWN) return `app(s) ${names.join(', ')}`;
  return `${plural(apps.length, 'app')} (${names.join(', ')} and ${(apps.length - NAMES_SHOWN).toLocaleString('en-US')} more)`;
}

/**
 * cf push `--strategy` (cloudfoundry/cli v8.18.4, command/flag/deployment_strategy.go): `rolling`,
 * `canary`, or `null` (the default). cfmesh runs no instances: rolling changes nothing and is
 * accepted; a canary is a traffic split cfmesh can express, but not as a push strategy yet.
 */
function checkStrategy(flags: PushFlags): void {
  if (flags.strategy === undefined) return;
  const strategy = flags.strategy.toLowerCase();
  if (strategy === 'null' || strategy === 'rolling') {
    if (strategy === 'rolling' && flags.start === false) throw new ToolError('USAGE', 'Incorrect Usage: The following arguments cannot be used together: --no-start, --strategy=rolling');
    return;
  }
  if (strategy === 'canary') {
    throw new ToolError('USAGE', '--strategy canary is not supported yet', {
      hint: 'push the new version as its own app, then shift traffic step by step: cfmesh update-route NEW-APP DOMAIN --hostname HOST --weight 10',
    });
  }
  throw new ToolError('USAGE', `Incorrect Usage: STRATEGY must be "canary", "rolling" or not set (got "${flags.strategy}")`);
}

/** `-i`: an integer of at least 0 (cf: command/flag/instances.go), at most what a manifest takes. */
function parseInstances(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > 2_000_000) throw new ToolError('USAGE', `Incorrect Usage: invalid argument for flag '-i' (expected int >= 0, got "${text}")`, { hint: 'e.g. -i 3; instances split unweighted routes in proportion' });
  return n;
}

/** `-m`: a size with a unit, as the manifest's `memory` (schemas/manifest.schema.json `byteSize`). */
function parseMemory(text: string): string {
  if (!/^\s*[0-9]+(\.[0-9]+)?\s*([KkMmGgTt][Bb]?|[Bb])\s*$/.test(text)) throw new ToolError('USAGE', `Incorrect Usage: invalid argument for flag '-m' (expected a size with a unit, e.g. 256M or 1G, got "${text}")`);
  return text.trim();
}

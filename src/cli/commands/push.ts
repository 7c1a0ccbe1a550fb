import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyAppName, applyManifest, applyRouteFlags } from '../../app/push.ts';
import { DEFAULT_MAX_INPUT_BYTES, readSources } from '../../app/read-inputs.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { loadManifest } from '../../manifest/load.ts';
import { maxTokensFor } from '../../manifest/parse-yaml.ts';
import { splitVarFlag } from '../../manifest/vars.ts';
import type { CommandContext } from '../context.ts';
import { parseSize } from '../options.ts';
import type { ManifestFlags } from './convert.ts';
import { runStateChange, type DeliveryFlags } from './state-common.ts';

export interface PushFlags extends ManifestFlags, DeliveryFlags {
  /** commander's `--no-route`: false when given. */
  readonly route?: boolean | undefined;
  readonly randomRoute?: boolean | undefined;
}

/** `push [APP_NAME] [-f manifest.yml] [--var K=V]... [--vars-file F]... [--no-route | --random-route]`. */
export async function pushCommand(ctx: CommandContext, appName: string | undefined, flags: PushFlags): Promise<void> {
  let files = flags.file ?? [];
  if (files.length === 0) {
    // cf push reads ./manifest.yml (or .yaml) when no -f is given.
    const found = ['manifest.yml', 'manifest.yaml'].find((f) => existsSync(resolve(ctx.io.cwd, f)));
    if (!found) throw new ToolError('USAGE', 'Incorrect Usage: no manifest given and no manifest.yml in the current directory', { hint: 'pass -f manifest.yml (or -f - for stdin)' });
    files = [found];
  }
  const max = flags.maxInputSize !== undefined ? parseSize('--max-input-size', flags.maxInputSize) : DEFAULT_MAX_INPUT_BYTES;
  const loaded = loadManifest({
    manifests: await readSources(ctx.io, files, max),
    varsFiles: await readSources(ctx.io, flags.varsFile ?? [], max),
    vars: (flags.var ?? []).map(splitVarFlag),
    limits: { maxTokens: maxTokensFor(max) },
  });
  ctx.warn(loaded.warnings);
  const manifest = applyRouteFlags(applyAppName(loaded.manifest, appName), { noRoute: flags.route === false, randomRoute: flags.randomRoute });
  ctx.info(`Pushing app(s) ${manifest.apps.map((a) => a.name).join(', ')}...`);
  ctx.info(`Applying manifest file ${files.join(', ')}...`);
  await runStateChange(ctx, flags, (state, settings) => {
    const result = applyManifest(state, manifest, settings.routing);
    return { ...result, notices: [...result.notices, 'Manifest applied'] };
  });
}

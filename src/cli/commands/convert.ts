import { convertManifests, type ConvertInput } from '../../app/convert.ts';
import { conversionKey, restoreWarnings, storeWarnings } from '../../app/output-memo.ts';
import { DEFAULT_MAX_INPUT_BYTES, readSources, resolveManifestFiles } from '../../app/read-inputs.ts';
import { ToolError } from '../../diagnostics/tool-error.ts';
import { maxTokensFor } from '../../manifest/parse-yaml.ts';
import { splitVarFlag } from '../../manifest/vars.ts';
import { render } from '../../render/render.ts';
import { NewDirectoryStream, readUpToDate, writeDirectory, type DirectoryOptions, type DirectoryReport } from '../../sinks/directory-sink.ts';
import type { Resource } from '../../resource/resource.ts';
import { buildDigest } from '../build-digest.ts';
import { runPure, throwIfInterrupted, withInterruptDetail } from '../../ui/interrupt.ts';
import { plural, startProgress, type Progress } from '../../ui/progress.ts';
import type { CommandContext } from '../context.ts';
import { istioOptions, parseFormat, parseSize, routingOptions, type TranslateFlags } from '../options.ts';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { applyToCluster, loadKubeTarget, parseTarget, postToEndpoint, type DeliveryFlags } from '../delivery.ts';

export interface ManifestFlags {
  readonly file?: string[] | undefined;
  readonly var?: string[] | undefined;
  readonly varsFile?: string[] | undefined;
  readonly maxInputSize?: string | undefined;
}

export interface ConvertFlags extends ManifestFlags, TranslateFlags, DeliveryFlags {
  readonly output?: string | undefined;
  readonly outputDir?: string | undefined;
  readonly apply?: boolean | undefined;
}

/**
 * Manifest text (characters) from which `-o NEW_DIR` writes while translating. Measured (7
 * interleaved runs, session 8): 2,500 apps (445 KB) 1.20 s -> 1.12 s with the stream; the bookinfo
 * fixture (2 KB) 327 ms -> 384 ms, the writer thread's start.
 */
export const STREAM_MIN_CHARS = 256 * 1024;

/** Reads the manifests and vars files and resolves the options: everything a conversion takes. */
async function readConvertInput(ctx: CommandContext, flags: ManifestFlags & TranslateFlags, stored: { namespace?: string }, positional: readonly string[]): Promise<ConvertInput & { files: string[] }> {
  const files = resolveManifestFiles(ctx.io.cwd, positional, flags.file);
  const vars = (flags.var ?? []).map(splitVarFlag);
  const routing = routingOptions(flags);
  const istio = istioOptions(flags, stored);
  const max = flags.maxInputSize !== undefined ? parseSize('--max-input-size', flags.maxInputSize) : DEFAULT_MAX_INPUT_BYTES;
  const manifests = await readSources(ctx.io, files, max);
  const varsFiles = await readSources(ctx.io, flags.varsFile ?? [], max);
  return { files, manifests, varsFiles, vars, routing, istio, limits: { maxTokens: maxTokensFor(max) } };
}

/** The characters of the manifests read. */
const manifestChars = (input: ConvertInput) => input.manifests.reduce((n, m) => n + m.text.length, 0);

/** Converts what readConvertInput read. Parsing and translating run so that Ctrl-C stops them at once. */
async function convertInput(ctx: CommandContext, input: ConvertInput & { files: string[] }, progress?: Progress, emit?: (resource: Resource) => void) {
  const { files } = input;
  const bytes = manifestChars(input);
  progress?.update(`Reading and translating ${files.join(', ')}`);
  throwIfInterrupted(ctx.io.signal);
  const result = await runPure(ctx.io, () => {
    ctx.debug(`parsing ${files.join(', ')} (${bytes} characters)`);
    return convertManifests(input, emit);
  });
  ctx.debug(`translated ${result.manifest.apps.length} app(s), ${result.table.routes.length} route(s) into ${result.resources.length} resource(s)`);
  return { ...result, files };
}

/**
 * Reads and converts the manifests: the positional files and `-f` files, else ./manifest.yml (or
 * ./manifest.yaml) as cf does.
 */
export async function loadAndConvert(ctx: CommandContext, flags: ManifestFlags & TranslateFlags, stored: { namespace?: string } = {}, positional: readonly string[] = [], progress?: Progress) {
  return convertInput(ctx, await readConvertInput(ctx, flags, stored, positional), progress);
}

/** `cfmesh convert [manifest.yml...] [-f manifest.yml]... [-o DIR]`: print (or write) the Istio configuration. */
export async function convertCommand(ctx: CommandContext, flags: ConvertFlags & { json?: boolean | undefined }, positional: readonly string[] = []): Promise<void> {
  const target = flags.apply ? 'kubernetes' : parseTarget(flags);
  if (flags.apply && flags.target !== undefined && flags.target !== 'kubernetes') throw new ToolError('USAGE', `--apply means --target kubernetes; it cannot go with --target ${flags.target}`);
  if (target !== 'local' && flags.outputDir !== undefined) throw new ToolError('USAGE', `-o DIR writes files; it cannot go with --target ${target}`);
  // `--json` is the delivery report of a control-plane target (as on every command that reports);
  // the configuration's own format is --output, as kubectl's -o/--output is. Ignoring it silently
  // would hand a script YAML where it asked for JSON.
  if (flags.json && target === 'local') {
    throw new ToolError('USAGE', '--json is the delivery report of --target kubernetes (--apply) or --target http; it cannot go with output to stdout or a directory', {
      hint: 'for the configuration as JSON use --output json',
    });
  }
  if (target === 'kubernetes') {
    const config = await loadKubeTarget(ctx, flags);
    const result = await loadAndConvert(ctx, flags, { namespace: config.namespace }, positional);
    ctx.warn(result.warnings);
    await applyToCluster(ctx, config, result.resources, flags, { prune: true, target: result.target });
    return;
  }
  if (target === 'http') {
    const result = await loadAndConvert(ctx, flags, {}, positional);
    ctx.warn(result.warnings);
    await postToEndpoint(ctx, result.resources, flags, flags.output !== undefined ? parseFormat(flags.output) : undefined);
    return;
  }
  const format = parseFormat(flags.output ?? 'yaml');
  if (flags.outputDir !== undefined && ['json', 'yaml'].includes(flags.outputDir) && !existsSync(resolve(ctx.io.cwd, flags.outputDir))) {
    throw new ToolError('USAGE', `-o takes a directory; "${flags.outputDir}" looks like a format`, { hint: `use --output ${flags.outputDir} for the format, or -o ./${flags.outputDir} for a directory of that name` });
  }
  if (flags.outputDir === undefined) {
    let text: string;
    try {
      const result = await loadAndConvert(ctx, flags, {}, positional);
      ctx.warn(result.warnings);
      text = await runPure(ctx.io, () => render(result.resources, format));
    } catch (error) {
      throw withInterruptDetail(error, 'nothing was printed');
    }
    ctx.io.stdout.write(text);
    return;
  }
  const progress = await startProgress(ctx.io, ctx.flags, 'Reading manifests');
  const dryRun = flags.dryRun !== undefined && flags.dryRun !== false;
  const summary = (report: DirectoryReport) =>
    ctx.info(`${flags.outputDir}: ${report.written.length} ${dryRun ? 'to write' : 'written'}, ${report.unchanged.length} unchanged, ${report.removed.length} ${dryRun ? 'to remove' : 'removed'}`);
  try {
    const dir = resolve(ctx.io.cwd, flags.outputDir);
    const input = await readConvertInput(ctx, flags, {}, positional);
    // A directory whose index records this very conversion, its files untouched since: nothing to
    // parse, translate or compare (src/app/output-memo.ts).
    const build = buildDigest();
    const key = build !== undefined ? conversionKey(build, input, format) : undefined;
    const memo = key !== undefined ? readUpToDate(dir, key) : undefined;
    const remembered = memo ? restoreWarnings(memo.data, input) : undefined;
    if (memo && remembered) {
      progress.stop();
      ctx.debug(`${flags.outputDir}: its index records this conversion and its ${memo.files.length} file(s) are as written: nothing translated`);
      ctx.warn(remembered);
      summary({ written: [], unchanged: memo.files, removed: [] });
      return;
    }
    // A DIR that does not exist yet is written while the translation goes on (NewDirectoryStream),
    // when the manifests are large enough for that to pay for its thread (~50 ms to start).
    const stream = dryRun || manifestChars(input) < STREAM_MIN_CHARS ? undefined : NewDirectoryStream.start(dir, format, { digest: key !== undefined });
    let report: DirectoryReport | undefined;
    try {
      const result = await convertInput(ctx, input, progress, stream ? (resource) => stream.add(resource) : undefined);
      progress.stop();
      ctx.warn(result.warnings);
      const stored = key !== undefined ? storeWarnings(result.warnings, input) : undefined;
      const writing = await startProgress(ctx.io, ctx.flags, `Rendering ${plural(result.resources.length, 'resource')}`);
      try {
        const options: DirectoryOptions = {
          dryRun,
          signal: ctx.io.signal,
          runSync: (work) => runPure(ctx.io, work),
          onProgress: (done, total) => writing.count(`Writing ${flags.outputDir}:`, done, total),
          memo: key !== undefined && stored !== undefined ? { key, data: stored } : undefined,
        };
        if (stream) report = await stream.finish(result.resources, options);
        report ??= await writeDirectory(dir, result.resources, format, options);
      } finally {
        writing.stop();
      }
    } catch (error) {
      // (Ctrl-C while the translation still ran: the copy had files, DIR never existed, and the
      // message is that of any Ctrl-C before DIR was touched)
      await stream?.abort();
      throw error;
    }
    if (dryRun) {
      for (const name of report.written) ctx.io.stdout.write(`would write ${join(flags.outputDir, name)}\n`);
      for (const name of report.removed) ctx.io.stdout.write(`would remove ${join(flags.outputDir, name)}\n`);
    }
    summary(report);
  } catch (error) {
    // Ctrl-C before the directory was touched (the sink says what it wrote once it writes).
    throw withInterruptDetail(error, `nothing was written to ${flags.outputDir}`);
  } finally {
    progress.stop();
  }
}

import editorSchema from '../generated/editor-schema.js';
import type { CommandContext } from '../context.ts';

/**
 * `cfmesh schema`: the manifest JSON Schema for editors, derived at build time from
 * schemas/manifest.schema.json so that manifests as written, with ((vars)) where values go, pass
 * (scripts/editor-schema.mjs). `cfmesh validate` still checks every value once vars are known.
 */
export function schemaCommand(ctx: CommandContext): void {
  ctx.io.stdout.write(`${JSON.stringify(JSON.parse(editorSchema), null, 2)}\n`);
}

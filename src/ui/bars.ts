/**
 * A route's split drawn as one bar per destination, for a terminal (`app`, `route`, the deployment
 * commands). Off a terminal the commands print the numbers only, so scripts never see these characters.
 */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** `weight` percent of `width` cells, in eighths of a cell; the rest of the width is light shade. */
export function weightBar(weight: number, width = 20): string {
  const clamped = Math.min(100, Math.max(0, weight));
  const eighths = Math.round((clamped * width * 8) / 100);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8] as string;
  const used = full + (part === '' ? 0 : 1);
  return `${'█'.repeat(full)}${part}${'░'.repeat(Math.max(0, width - used))}`;
}

/** Rows `app  NN%  bar`, names padded to one column, indented by two spaces. */
export function weightBars(destinations: readonly { readonly app: string; readonly weight: number }[], bars: boolean): string {
  const width = Math.max(0, ...destinations.map((d) => d.app.length));
  return destinations.map((d) => `  ${d.app.padEnd(width)}  ${`${d.weight}%`.padStart(4)}${bars ? `  ${weightBar(d.weight)}` : ''}\n`).join('');
}

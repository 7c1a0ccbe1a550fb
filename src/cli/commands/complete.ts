/**
 * `cfmesh __complete WORD... CURRENT`: what the shell scripts of `cfmesh completion` ask at each TAB.
 * The protocol is cobra's, which kubectl and gh use (spf13/cobra v1.10.2 completions.go: the hidden
 * `__complete` command, one candidate per line as `VALUE<TAB>DESCRIPTION`, then `:DIRECTIVE`, a set
 * of bits for the shell: 1 error, 2 no space, 4 no file completion, 8 file extensions, 16 directories,
 * 32 keep the order). Like kubectl's dynamic completion (kubernetes/kubectl v0.32.4
 * pkg/util/completion/completion.go: resource names read live, matched against the prefix typed),
 * app names, domains and hosts come from the current state.
 *
 * It never fails: any problem gives no candidates (`:1`), and nothing is written to stderr. Its work
 * is bounded: the command tree is commander's (built, not parsed), and the state is read at most
 * once, by line (src/state/lines.ts), only when a state value is asked for.
 */
import type { Command, Option } from 'commander';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { StateLines } from '../../state/lines.ts';
import { resolveStateDir, statePaths } from '../../state/location.ts';
import { REPORT_FORMATS } from '../../ui/report.ts';
import type { Io } from '../../ui/io.ts';
import { buildProgram } from '../program.ts';

export const DIRECTIVE = { error: 1, noSpace: 2, noFiles: 4, fileExt: 8, dirs: 16, keepOrder: 32 } as const;

export interface Candidate {
  readonly value: string;
  readonly description?: string | undefined;
}

export interface Answer {
  readonly candidates: readonly Candidate[];
  readonly directive: number;
}

/** A state file larger than this is not read for completion (a TAB must answer at once). */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

export async function completeCommand(words: readonly string[], io: Io): Promise<void> {
  let answer: Answer;
  try {
    answer = await complete(words, io);
  } catch {
    answer = { candidates: [], directive: DIRECTIVE.error };
  }
  let out = '';
  for (const c of answer.candidates) {
    // one line each: a newline or tab inside a value would break the protocol
    const value = c.value.replace(/[\t\r\n]/g, ' ');
    const description = shorten(c.description);
    out += description ? `${value}\t${description}\n` : `${value}\n`;
  }
  io.stdout.write(`${out}:${answer.directive}\n`);
}

/** A description as one short line: up to its first `; `, at most 80 characters. */
function shorten(text: string | undefined): string | undefined {
  if (!text) return undefined;
  if (text.length <= 80 && !/[\t\r\n;]| {2}/.test(text)) return text;
  const one = text.replace(/\s+/g, ' ').trim().split('; ')[0] as string;
  return one.length <= 80 ? one : `${one.slice(0, 79).replace(/\s+\S*$/, '')}…`;
}

const NONE: Answer = { candidates: [], directive: DIRECTIVE.noFiles };
const FILES: Answer = { candidates: [], directive: 0 };
const DIRS: Answer = { candidates: [], directive: DIRECTIVE.dirs };
const MANIFESTS: Answer = { candidates: [{ value: 'yml' }, { value: 'yaml' }], directive: DIRECTIVE.fileExt };

const fixed = (values: readonly string[], directive = DIRECTIVE.noFiles): Answer => ({ candidates: values.map((value) => ({ value })), directive });

/**
 * Values of flags with fixed choices, beside the ones commander knows (`.choices()`, read from the
 * option itself). Each list is what the flag's parser accepts (test/completion checks every value
 * against the real command line).
 */
const FLAG_VALUES: Readonly<Record<string, Answer>> = {
  '--api': fixed(['istio', 'gateway-api']),
  '--istio-api': fixed(['v1', 'v1beta1', 'v1alpha3']),
  '--mtls': fixed(['off', 'strict', 'istio-mutual']),
  '--strategy': {
    candidates: [
      { value: 'rolling', description: 'accepted; the change applies at once' },
      { value: 'canary', description: 'cf\'s canary deployment: not supported yet' },
    ],
    directive: DIRECTIVE.noFiles,
  },
  '--app-protocol': fixed(['http1', 'http2']),
  '--report': fixed(REPORT_FORMATS),
  '--unset': fixed(['default-domain', 'internal-domain', 'gateway', 'namespace', 'istio-api', 'api', 'gateway-class', 'service-host-template', 'output-dir']),
  '--remove-option': fixed(['loadbalancing', 'hash_header', 'hash_balance']),
  '--option': {
    candidates: ['loadbalancing=round-robin', 'loadbalancing=least-connection', 'loadbalancing=hash', 'hash_header=', 'hash_balance='].map((value) => ({ value })),
    directive: DIRECTIVE.noFiles | DIRECTIVE.noSpace,
  },
  '--file': MANIFESTS,
  '--vars-file': MANIFESTS,
  '--kubeconfig': FILES,
  '--token-file': FILES,
  '--report-file': FILES,
  '--state': DIRS,
  '--output-dir': DIRS,
};

/** What the words typed so far say: the command, its positional arguments, the flags given. */
interface Parsed {
  readonly command: Command;
  readonly positionals: readonly string[];
  readonly flags: ReadonlyMap<string, string>;
}

function optionsOf(cmd: Command, program: Command): Option[] {
  return cmd === program ? [...program.options] : [...cmd.options, ...program.options];
}

function findOption(options: readonly Option[], flag: string): Option | undefined {
  return options.find((o) => o.long === flag || o.short === flag);
}

const takesValue = (o: Option) => o.required || o.optional;

function parseWords(program: Command, words: readonly string[]): Parsed {
  let command = program;
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  let rest = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (rest || !w.startsWith('-') || w === '-') {
      if (!rest && command === program && positionals.length === 0) {
        const sub = program.commands.find((c) => c.name() === w || c.aliases().includes(w));
        if (sub) {
          command = sub;
          continue;
        }
      }
      positionals.push(w);
      continue;
    }
    if (w === '--') {
      rest = true;
      continue;
    }
    const options = optionsOf(command, program);
    const eq = w.indexOf('=');
    const name = w.startsWith('--') && eq > 0 ? w.slice(0, eq) : w;
    let option = findOption(options, name);
    // -rf: short flags run together; the last may take the next word as its value
    if (!option && /^-[A-Za-z]{2,}$/.test(w)) option = findOption(options, `-${w.at(-1)}`);
    if (!option) continue;
    const key = option.long ?? option.short ?? name;
    if (eq > 0 && name !== w) flags.set(key, w.slice(eq + 1));
    else if (option.required && i + 1 < words.length) flags.set(key, words[++i] as string);
    else if (option.optional && i + 1 < words.length && option.argChoices?.includes(words[i + 1] as string)) flags.set(key, words[++i] as string);
    else flags.set(key, '');
  }
  return { command, positionals, flags };
}

export async function complete(words: readonly string[], io: Io): Promise<Answer> {
  const program = buildProgram({ ...io, stdout: { write: () => {}, isTTY: false }, stderr: { write: () => {}, isTTY: false } });
  const typed = words.slice(0, -1);
  const current = words.at(-1) ?? '';
  const parsed = parseWords(program, typed);
  const state = new StateReader(io, parsed.flags);
  const options = optionsOf(parsed.command, program);

  // the value of a flag: `--flag VALUE` or `--flag=VALUE`
  const previous = typed.at(-1);
  const eq = current.indexOf('=');
  if (current.startsWith('--') && eq > 0) {
    const option = findOption(options, current.slice(0, eq));
    if (option && takesValue(option)) return filter(await flagValues(option, parsed, state, current.slice(eq + 1)), current.slice(eq + 1));
  }
  if (previous !== undefined && previous.startsWith('-') && !previous.includes('=') && !typed.includes('--')) {
    let option = findOption(options, previous);
    if (!option && /^-[A-Za-z]{2,}$/.test(previous)) option = findOption(options, `-${previous.at(-1)}`);
    if (option?.required) return filter(await flagValues(option, parsed, state, current), current);
    if (option?.optional && option.argChoices && !current.startsWith('-')) return filter(fixed(option.argChoices), current);
  }

  if (current.startsWith('-') && !typed.includes('--')) return filter(flagNames(parsed.command, program, current), current);
  // the commands (and `help`), then after `help` the commands again
  if (parsed.command === program && (parsed.positionals.length === 0 || (parsed.positionals.length === 1 && parsed.positionals[0] === 'help'))) {
    const commands = program.createHelp().visibleCommands(program).filter((c) => parsed.positionals.length === 0 || c.name() !== 'help');
    return filter({ candidates: commands.map((c) => ({ value: c.name(), description: c.description() })), directive: DIRECTIVE.noFiles }, current);
  }
  if (parsed.command === program) return NONE;
  return filter(await positionalValues(parsed, state), current);
}

function filter(answer: Answer, prefix: string): Answer {
  // file-extension and directory answers carry no values to match (the shell lists the files)
  if (answer.directive & (DIRECTIVE.fileExt | DIRECTIVE.dirs)) return answer;
  return { candidates: answer.candidates.filter((c) => c.value.startsWith(prefix)), directive: answer.directive };
}

function flagNames(cmd: Command, program: Command, current: string): Answer {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (flag: string | undefined, description: string) => {
    if (flag && !seen.has(flag)) {
      seen.add(flag);
      out.push({ value: flag, description });
    }
  };
  const help = cmd.createHelp();
  // the program's options work after a command too (but -v, --help belong to the command alone)
  const visible = [...help.visibleOptions(cmd), ...(cmd === program ? [] : help.visibleOptions(program).filter((o) => o.long !== '--help' && o.long !== '--version'))];
  // a lone `-` lists the short forms too; `--…` only long ones
  for (const o of visible) {
    add(o.long, o.description);
    if (current === '-' || (!current.startsWith('--') && o.short === current)) add(o.short, o.description);
  }
  return { candidates: out, directive: DIRECTIVE.noFiles };
}

/** The values of a flag; `prefix` (what is typed of the value) only narrows the work, filter() still applies. */
async function flagValues(option: Option, parsed: Parsed, state: StateReader, prefix: string): Promise<Answer> {
  if (option.argChoices) return fixed(option.argChoices);
  const long = option.long ?? '';
  const name = parsed.command.name();
  if (long === '--output') return fixed(name === 'validate' ? REPORT_FORMATS : ['yaml', 'json']);
  // -f is --force (no value) on delete and delete-route: only a flag taking a value gets here
  const known = FLAG_VALUES[long];
  if (known) return known;
  const domain = domainOf(parsed);
  switch (long) {
    case '--hostname': {
      if (!domain) return NONE;
      const routes = await state.routes({ domain, hostPrefix: prefix });
      return { candidates: unique(routes.filter((r) => r.host !== undefined).map((r) => ({ value: r.host as string, description: r.fqdn }))), directive: DIRECTIVE.noFiles };
    }
    case '--path': {
      if (!domain) return NONE;
      const host = parsed.flags.get('--hostname');
      const routes = (await state.routes({ domain, full: true })).filter((r) => (host === undefined || r.host === host) && r.path !== undefined);
      return { candidates: unique(routes.map((r) => ({ value: r.path as string, description: `${r.fqdn}${r.path}` }))), directive: DIRECTIVE.noFiles };
    }
    case '--port': {
      if (!domain) return NONE;
      const routes = (await state.routes({ domain, full: true })).filter((r) => r.port !== undefined);
      return { candidates: unique(routes.map((r) => ({ value: String(r.port), description: `${r.fqdn}:${r.port}` }))), directive: DIRECTIVE.noFiles };
    }
    case '--destination':
      return { candidates: (await state.apps()).map((a) => ({ value: `${a}=` })), directive: DIRECTIVE.noFiles | DIRECTIVE.noSpace };
    case '--retry-on': {
      // read where it is defined, and loaded only for this flag
      const { RETRY_ON } = await import('../../manifest/controls.ts');
      return fixed(RETRY_ON);
    }
    default:
      return NONE;
  }
}

/** The domain argument of a route command, when one has been typed. */
function domainOf(parsed: Parsed): string | undefined {
  const [first, second] = parsed.positionals;
  switch (parsed.command.name()) {
    case 'map-route':
    case 'unmap-route':
      return second;
    case 'update-route':
      return second ?? first;
    case 'create-route':
    case 'delete-route':
    case 'route':
      return first;
    default:
      return undefined;
  }
}

async function positionalValues(parsed: Parsed, state: StateReader): Promise<Answer> {
  const index = parsed.positionals.length;
  const apps = async (): Promise<Candidate[]> => (await state.apps()).map((a) => ({ value: a, description: 'app' }));
  const domains = async (): Promise<Candidate[]> => {
    const counts = new Map<string, number>();
    for (const r of await state.routes()) counts.set(r.domain, (counts.get(r.domain) ?? 0) + 1);
    return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([d, n]) => ({ value: d, description: `domain, ${n} route${n === 1 ? '' : 's'}` }));
  };
  const answer = (candidates: Candidate[]): Answer => ({ candidates, directive: DIRECTIVE.noFiles });
  const argument = parsed.command.registeredArguments[Math.min(index, parsed.command.registeredArguments.length - 1)];
  if (argument?.argChoices && (index < parsed.command.registeredArguments.length || argument.variadic)) return fixed(argument.argChoices);
  switch (parsed.command.name()) {
    case 'convert':
    case 'validate':
      return MANIFESTS;
    case 'push':
    case 'delete':
      return index === 0 ? answer(await apps()) : NONE;
    case 'map-route':
    case 'unmap-route':
      return index === 0 ? answer(await apps()) : index === 1 ? answer(await domains()) : NONE;
    case 'create-route':
    case 'delete-route':
    case 'route':
      return index === 0 ? answer(await domains()) : NONE;
    case 'update-route': {
      if (index === 0) return answer([...(await apps()), ...(await domains())]);
      // APP DOMAIN: a domain follows an app; after a domain there is nothing more
      if (index === 1 && (await state.apps()).includes(parsed.positionals[0] as string)) return answer(await domains());
      return NONE;
    }
    case 'target':
      return index === 0 ? fixed(['local', 'kubernetes', 'http']) : NONE;
    default:
      return NONE;
  }
}

function unique(candidates: readonly Candidate[]): Candidate[] {
  const seen = new Map<string, Candidate>();
  for (const c of candidates) if (!seen.has(c.value)) seen.set(c.value, c);
  return [...seen.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

interface RouteFacts {
  readonly fqdn: string;
  readonly domain: string;
  readonly host?: string | undefined;
  readonly path?: string | undefined;
  readonly port?: number | undefined;
}

/**
 * The state, read for completion only: no lock, no checks beyond what a value needs, nothing
 * written. Only the local state is read; with `--target kubernetes` (given or stored) the cluster is
 * the state, and a TAB does not ask the cluster (kubectl does; cfmesh keeps a TAB local and instant),
 * so there are no state values then.
 *
 * A file in cfmesh's layout whose digest matches (src/state/lines.ts) is read as text, line by line,
 * with string searches: app names are the keys that begin the apps lines; a route's domain, FQDN
 * and host are where cfmesh writes them in its line, keys sorted (`…"domain":"D","fqdn":"F"
 * [,"host":"H"],"options":…`). A line where they are not found exactly so, and every line whose path
 * or port is asked for, is parsed as JSON instead, so the facts are always the record's own. Any
 * other file is parsed whole.
 */
class StateReader {
  private readonly io: Io;
  private readonly flags: ReadonlyMap<string, string>;
  private source: Source | undefined;
  private appNames: string[] | undefined;

  constructor(io: Io, flags: ReadonlyMap<string, string>) {
    this.io = io;
    this.flags = flags;
  }

  async apps(): Promise<string[]> {
    if (this.appNames) return this.appNames;
    const source = this.load();
    this.appNames = source.kind === 'lines' ? keysOfLines(source.lines.sectionText('apps')) : source.apps;
    return this.appNames;
  }

  /**
   * The routes' facts: all, or (`domain`) those on a domain, or (`hostPrefix`, not empty) those whose
   * host begins so; with `full`, their paths and ports too (each such line is parsed).
   */
  async routes(query: { domain?: string | undefined; hostPrefix?: string | undefined; full?: boolean } = {}): Promise<RouteFacts[]> {
    const { domain, hostPrefix, full = false } = query;
    const wanted = (r: RouteFacts) => (domain === undefined || r.domain === domain) && (!hostPrefix || (r.host ?? '').startsWith(hostPrefix));
    const source = this.load();
    if (source.kind !== 'lines') return source.routes.filter(wanted);
    source.routesText ??= source.lines.sectionText('routes');
    // cfmesh writes every string with JSON.stringify: a line without this text is not one asked for
    const needle = hostPrefix ? `"host":${JSON.stringify(hostPrefix).slice(0, -1)}` : domain !== undefined ? `"domain":${JSON.stringify(domain)}` : undefined;
    const out: RouteFacts[] = [];
    for (const line of linesWith(source.routesText, needle)) {
      const r = (full ? undefined : routeFactsOfLine(line)) ?? facts(Object.values(JSON.parse(`{${line}}`) as Record<string, unknown>)[0]);
      if (r && wanted(r)) out.push(r);
    }
    return out;
  }

  private load(): Source {
    if (this.source) return this.source;
    const empty: Source = { kind: 'parsed', apps: [], routes: [] };
    if (this.flags.get('--target') === 'kubernetes') return (this.source = empty);
    const bytes = readBounded(statePaths(resolveStateDir({ flag: this.flags.get('--state'), env: this.io.env, homeDir: this.io.env['HOME'] ?? homedir(), cwd: this.io.cwd })).state);
    if (!bytes) return (this.source = empty);
    const local = this.flags.get('--target') === 'local';
    const lines = StateLines.open(bytes);
    if (lines) {
      const settings = JSON.parse(lines.memberText('settings') ?? '{}') as { target?: unknown };
      if (settings.target === 'kubernetes' && !local) return (this.source = empty);
      return (this.source = { kind: 'lines', lines });
    }
    // not in cfmesh's layout (hand-edited): read whole
    const doc = JSON.parse(bytes.toString('utf8')) as unknown;
    if (!isMap(doc) || (isMap(doc['settings']) && doc['settings']['target'] === 'kubernetes' && !local)) return (this.source = empty);
    const apps = isMap(doc['apps']) ? doc['apps'] : {};
    const routes = isMap(doc['routes']) ? doc['routes'] : {};
    return (this.source = {
      kind: 'parsed',
      apps: Object.keys(apps).sort(),
      routes: Object.values(routes).map(facts).filter((r): r is RouteFacts => r !== undefined),
    });
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Source = { kind: 'lines'; lines: StateLines; routesText?: string } | { kind: 'parsed'; apps: string[]; routes: RouteFacts[] };

/**
 * The entries (`"k":v`, one per line) of a section's text (`{"k":v,\n"k":v}`): all of them, or only
 * the lines holding `needle`, found by searching the text rather than walking every line.
 */
function* linesWith(text: string, needle: string | undefined): Generator<string> {
  const end = text.length - 1; // the closing brace
  if (end <= 1) return;
  if (needle === undefined) {
    for (let at = 1; at < end; ) {
      const nl = text.indexOf(',\n', at);
      const stop = nl < 0 || nl > end ? end : nl;
      yield text.slice(at, stop);
      at = stop + 2;
    }
    return;
  }
  for (let hit = text.indexOf(needle, 1); hit >= 0 && hit < end; ) {
    const start = text.lastIndexOf('\n', hit) + 1 || 1;
    const nl = text.indexOf(',\n', hit);
    const stop = nl < 0 || nl > end ? end : nl;
    yield text.slice(Math.max(start, 1), stop);
    hit = text.indexOf(needle, stop + 2);
  }
}

/** The keys of a section's text, in order. */
function keysOfLines(text: string): string[] {
  const keys: string[] = [];
  for (let at = 1; at < text.length - 1; ) {
    const end = stringEnd(text, at);
    if (end < 0) break;
    const raw = text.slice(at + 1, end);
    keys.push(raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw);
    const next = text.indexOf(',\n', end);
    if (next < 0) break;
    at = next + 2;
  }
  return keys;
}

/** The index of the quote closing the JSON string that opens at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = text.indexOf('"', start + 1); i >= 0; i = text.indexOf('"', i + 1)) {
    let backslashes = 0;
    while (text[i - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) return i;
  }
  return -1;
}

/** Domain, FQDN and host from a route's line as cfmesh writes it; undefined when it is not so (then the line is parsed). */
function routeFactsOfLine(line: string): RouteFacts | undefined {
  const FQDN = '","fqdn":"';
  const at = line.indexOf(FQDN);
  if (at < 0 || line.indexOf(FQDN, at + 1) >= 0) return undefined;
  const domainAt = line.lastIndexOf('"domain":"', at);
  if (domainAt < 0) return undefined;
  const domain = line.slice(domainAt + 10, at);
  const fqdnStart = at + FQDN.length;
  const fqdnEnd = line.indexOf('"', fqdnStart);
  const fqdn = line.slice(fqdnStart, fqdnEnd);
  // names with a quote or an escape are left to JSON.parse
  if (fqdnEnd < 0 || /["\\]/.test(domain) || fqdn.includes('\\')) return undefined;
  let host: string | undefined;
  if (line.startsWith(',"host":"', fqdnEnd + 1)) {
    const hostStart = fqdnEnd + 10;
    const hostEnd = line.indexOf('"', hostStart);
    host = line.slice(hostStart, hostEnd);
    if (hostEnd < 0 || host.includes('\\') || !line.startsWith(',"options":{', hostEnd + 1)) return undefined;
  } else if (!line.startsWith(',"options":{', fqdnEnd + 1)) return undefined;
  return { domain, fqdn, host };
}

/** A route's facts from its record (parsed JSON). */
function facts(value: unknown): RouteFacts | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r['fqdn'] !== 'string' || typeof r['domain'] !== 'string') return undefined;
  return {
    fqdn: r['fqdn'],
    domain: r['domain'],
    host: typeof r['host'] === 'string' ? r['host'] : undefined,
    path: typeof r['path'] === 'string' ? r['path'] : undefined,
    port: typeof r['port'] === 'number' ? r['port'] : undefined,
  };
}

/** The file's bytes, or undefined when it is missing, unreadable or larger than MAX_STATE_BYTES. */
function readBounded(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_STATE_BYTES) return undefined;
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buf, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

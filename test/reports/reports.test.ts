// CI report formats of validate (--output) and convert (--report): what GitHub Actions, code scanning
// (SARIF 2.1.0, checked against its published JSON Schema), GitLab and Jenkins (JUnit XML) read.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { repositoryRoot } from '../../src/cli/commands/report.ts';
import { escapeData, escapeProperty, renderGithub, renderJunit, renderSarif, type Problem, type Report } from '../../src/ui/report.ts';
import { CODE_HELP } from '../../src/ui/codes.ts';
import { runCli, tempDir } from '../helpers/reliability.ts';
import { cfmesh } from '../workflows/helpers.ts';
import { childElements, parseXml, textOf, type XmlElement } from './xml.ts';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'fixtures');

// ---------------------------------------------------------------------------------------------
// the published SARIF 2.1.0 schema (NOTICE.md says where it comes from)

const sarifSchema = JSON.parse(readFileSync(join(import.meta.dirname, 'sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;

/** Keywords the schema uses, each of which means the same in draft-04 and draft-07 (ajv 8 compiles the latter). */
const SAME_IN_04_AND_07 = new Set(['$schema', 'id', 'title', 'description', 'type', 'properties', 'additionalProperties', 'required', 'items', 'enum', 'pattern', 'minimum', 'maximum', 'minItems', 'uniqueItems', 'default', 'format', 'oneOf', 'anyOf', 'allOf', '$ref', 'definitions']);
function keywords(schema: unknown, out = new Set<string>()): Set<string> {
  if (typeof schema !== 'object' || schema === null) return out;
  if (Array.isArray(schema)) {
    for (const s of schema) keywords(s, out);
    return out;
  }
  for (const [k, v] of Object.entries(schema)) {
    out.add(k);
    if (k === 'properties' || k === 'definitions') for (const s of Object.values(v as object)) keywords(s, out);
    else if (['items', 'additionalProperties', 'oneOf', 'anyOf', 'allOf'].includes(k)) keywords(v, out);
  }
  return out;
}

const validateSarif = (() => {
  const unknown = [...keywords(sarifSchema)].filter((k) => !SAME_IN_04_AND_07.has(k));
  assert.deepEqual(unknown, [], 'the schema uses only keywords that draft-04 and draft-07 read alike');
  // draft-04 → draft-07 by name only: `id` is `$id`, `$schema` names draft-07
  const { id, $schema: _draft, ...rest } = sarifSchema;
  // patterns as JSON Schema draft-04 reads them: ECMA-262 regexes without the `u` flag (the schema's
  // language pattern has a stray `]`, literal without it, that its 2023 errata corrected)
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///base/'));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile({ ...rest, $id: id as string });
})();

test('the SARIF schema check rejects what it should (it is not a check that cannot fail)', () => {
  assert.equal(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] }), false);
  assert.equal(validateSarif({ version: '2.1.0' }), false);
  assert.equal(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'error' }] }] }), true);
});

// ---------------------------------------------------------------------------------------------
// helpers

interface JsonReport {
  valid: boolean;
  errors: { code: string; message: string; file?: string; line?: number; col?: number; hint?: string }[];
  warnings: { code: string; message: string; file?: string; line?: number; col?: number; hint?: string }[];
}

function fixtureArgs(name: string): { args: string[]; cwd: string; stdin?: string } {
  const dir = join(fixtures, name);
  const args = existsSync(join(dir, 'args')) ? readFileSync(join(dir, 'args'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean) : ['convert', '-f', 'manifest.yml'];
  // paths of the repository: run from its root, with the fixture's files under fixtures/NAME/
  const rel = (a: string) => (existsSync(join(dir, a)) ? `fixtures/${name}/${a}` : a);
  return { args: args.slice(1).map(rel), cwd: root, stdin: existsSync(join(dir, 'stdin')) ? readFileSync(join(dir, 'stdin'), 'utf8') : undefined };
}

const fixtureNames = readdirSync(fixtures).filter((n) => existsSync(join(fixtures, n, 'manifest.yml')) || existsSync(join(fixtures, n, 'stdin'))).sort();

/** The runner's reading of one workflow command line (actions/runner v2.336.0 ActionCommand.TryParseV2, UnescapeProperty, UnescapeData). */
function parseWorkflowCommand(line: string): { command: string; props: Record<string, string>; data: string } | undefined {
  const message = line.trimStart();
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  const props: Record<string, string> = {};
  const unprop = (s: string) => s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%3A', ':').replaceAll('%2C', ',').replaceAll('%25', '%');
  if (space > 0) {
    for (const part of info.slice(space + 1).trim().split(',').filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq > 0 && eq < part.length - 1) props[part.slice(0, eq)] = unprop(part.slice(eq + 1));
    }
  }
  const data = message.slice(end + 2).replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
  return { command, props, data };
}

const withHint = (e: { message: string; hint?: string | undefined }) => (e.hint ? `${e.message}\nhint: ${e.hint}` : e.message);

// ---------------------------------------------------------------------------------------------
// every fixture, every format: the same problems as --json, in each format's terms

test('validate --output github|sarif|junit carry exactly the problems of --json, for every fixture', async () => {
  let results = 0;
  for (const name of fixtureNames) {
    const { args, cwd, stdin } = fixtureArgs(name);
    const json = await runCli(['validate', ...args, '--json'], { cwd, stdin });
    const report = JSON.parse(json.out) as JsonReport;
    const problems = [...report.warnings.map((w) => ({ ...w, level: 'warning' })), ...report.errors.map((e) => ({ ...e, level: 'error' }))];
    const same = await runCli(['validate', ...args, '--output', 'json'], { cwd, stdin });
    assert.deepEqual([same.exit, same.out], [json.exit, json.out], `${name}: --json is --output json`);

    // github: one workflow command per problem, in the runner's reading
    const gh = await runCli(['validate', ...args, '--output', 'github'], { cwd, stdin });
    assert.equal(gh.exit, json.exit, `${name}: github exit`);
    assert.equal(gh.err, '', `${name}: nothing on stderr`);
    const commands = gh.out.split('\n').filter(Boolean).map(parseWorkflowCommand);
    assert.equal(commands.length, problems.length, `${name}: a command per problem`);
    for (const c of commands) assert.ok(c, `${name}: every line is a workflow command`);
    const byOrder = [...report.warnings.map((w) => ({ ...w, level: 'warning' })), ...report.errors.map((e) => ({ ...e, level: 'error' }))];
    byOrder.forEach((p, i) => {
      const c = commands[i] as NonNullable<ReturnType<typeof parseWorkflowCommand>>;
      assert.equal(c.command, p.level, `${name} #${i}`);
      assert.equal(c.props['title'], p.code, `${name} #${i}`);
      if (p.file && p.file !== '<stdin>') {
        assert.deepEqual([c.props['file'], c.props['line'], c.props['col']], [p.file, String(p.line), String(p.col)], `${name} #${i}: repository-relative file, line, col`);
        assert.equal(c.data, withHint(p), `${name} #${i}: the message, and its hint`);
      } else {
        assert.equal(c.props['file'], undefined, `${name} #${i}: no file for stdin`);
        assert.equal(c.data, p.file ? `${p.file}:${p.line}:${p.col}: ${withHint(p)}` : withHint(p), `${name} #${i}`);
      }
    });

    // sarif: valid against the schema; a result per problem at its region; a rule per code
    const sarif = await runCli(['validate', ...args, '--output', 'sarif'], { cwd, stdin });
    assert.equal(sarif.exit, json.exit, `${name}: sarif exit`);
    const log = JSON.parse(sarif.out) as { runs: { tool: { driver: { rules: { id: string; help: { text: string }; shortDescription: { text: string } }[] } }; results: Record<string, unknown>[] }[] };
    assert.ok(validateSarif(log), `${name}: ${JSON.stringify(validateSarif.errors?.slice(0, 3))}`);
    assert.equal(log.runs.length, 1);
    const run = log.runs[0] as (typeof log.runs)[number];
    const codes = [...new Set(problems.map((p) => p.code))].sort();
    assert.deepEqual(run.tool.driver.rules.map((r) => r.id), codes, `${name}: a rule per code`);
    for (const r of run.tool.driver.rules) {
      assert.equal(r.help.text, CODE_HELP[r.id as keyof typeof CODE_HELP].help, `${name}: ${r.id} carries its help text`);
    }
    assert.equal(run.results.length, problems.length, `${name}: a result per problem`);
    byOrder.forEach((p, i) => {
      const r = run.results[i] as { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations?: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Record<string, number> } }[] };
      assert.deepEqual([r.ruleId, r.level, r.message.text], [p.code, p.level, withHint(p)], `${name} result #${i}`);
      assert.equal(run.tool.driver.rules[r.ruleIndex]?.id, p.code, `${name} result #${i}: ruleIndex`);
      if (p.file && p.file !== '<stdin>') {
        const loc = r.locations?.[0]?.physicalLocation;
        assert.deepEqual([loc?.artifactLocation.uri, loc?.artifactLocation.uriBaseId], [p.file, '%SRCROOT%'], `${name} result #${i}: relative to the repository root`);
        assert.deepEqual([loc?.region['startLine'], loc?.region['startColumn']], [p.line, p.col], `${name} result #${i}: region`);
        // what the 2023 errata of the schema adds: a region has a startLine (it does, above)
        const end = [loc?.region['endLine'] ?? p.line, loc?.region['endColumn'] ?? p.col] as [number, number];
        assert.ok(end[0] > (p.line as number) || (end[0] === p.line && end[1] >= (p.col as number)), `${name} result #${i}: the region ends after it starts`);
      } else {
        assert.equal(r.locations, undefined, `${name} result #${i}: no location without a file`);
      }
      results++;
    });

    // junit: strict XML; a case per manifest file; a failure per error; warnings as system-out
    const junit = await runCli(['validate', ...args, '--output', 'junit'], { cwd, stdin });
    assert.equal(junit.exit, json.exit, `${name}: junit exit`);
    const xml = parseXml(junit.out);
    assert.equal(xml.name, 'testsuites');
    const suites = childElements(xml, 'testsuite');
    assert.equal(suites.length, 1);
    const cases = childElements(suites[0] as XmlElement, 'testcase');
    const manifests = args.filter((a, i) => args[i - 1] === '-f');
    for (const m of manifests) {
      const file = m === '-' ? '<stdin>' : m;
      assert.ok(cases.some((c) => c.attrs['name'] === file), `${name}: a test case for ${file}`);
    }
    const failures = cases.flatMap((c) => childElements(c, 'failure').map((f) => ({ c, f })));
    assert.equal(failures.length, report.errors.length, `${name}: a failure per error`);
    report.errors.forEach((e, i) => {
      const { c, f } = failures[i] as { c: XmlElement; f: XmlElement };
      assert.equal(f.attrs['type'], e.code, `${name} failure #${i}`);
      const where = e.file ? `${e.file}:${e.line}:${e.col}: ` : '';
      assert.equal(f.attrs['message'], `${where}error ${e.code} ${e.message}`, `${name} failure #${i}: message`);
      assert.equal(textOf(f), `${where}error ${e.code} ${withHint(e)}`, `${name} failure #${i}: text`);
      assert.equal(c.attrs['name'], e.file ?? 'cfmesh validate', `${name} failure #${i}: in the case of its file`);
      if (e.file && e.file !== '<stdin>') assert.equal(c.attrs['file'], e.file, `${name} failure #${i}: file attribute`);
    });
    const out = cases.flatMap((c) => childElements(c, 'system-out').map(textOf)).join('\n');
    for (const w of report.warnings) assert.ok(out.includes(`warning ${w.code} ${w.message}`), `${name}: warning ${w.code} in system-out`);
    const failed = cases.filter((c) => childElements(c, 'failure').length > 0).length;
    assert.deepEqual([suites[0]?.attrs['tests'], suites[0]?.attrs['failures']], [String(cases.length), String(failed)], `${name}: counts`);
  }
  assert.ok(results > 30, `${results} results checked`);
});

// ---------------------------------------------------------------------------------------------
// the pure formatters, on what no fixture has

const HOSTILE: Problem[] = [
  { severity: 'error', code: 'WEIGHTS', message: 'weights 50%, 60%: sum to 110; a::b, c\r\nnext line', hint: 'hint with %0A and ::', location: { file: 'dir with space/a,b:c.yml', line: 3, col: 5, endLine: 3, endCol: 9 } },
  { severity: 'warning', code: 'LEGACY_KEY', message: 'NUL \u0000, bell \u0007, lone surrogate \ud800, <tag> & "quotes" \'apos\'', location: { file: '<stdin>', line: 1, col: 1, endLine: 1, endCol: 1 } },
  { severity: 'error', code: 'UNDEFINED_VARS', message: 'Expected to find variables: a, b' },
  { severity: 'error', code: 'SCHEMA', message: 'outside', location: { file: '/elsewhere/m.yml', line: 2, col: 2, endLine: 4, endCol: 1 } },
];
const HOSTILE_REPORT: Report = { command: 'validate', files: ['dir with space/a,b:c.yml', '<stdin>'], problems: HOSTILE };
const PATHS = { cwd: '/repo/sub', root: '/repo' };

test('github: escaping as the runner reads it back, for any message, file or code', () => {
  // a file name without path syntax (a `/` or a `.`/`..` segment would be resolved away, rightly)
  const fileName = fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !s.includes('/') && s !== '.' && s !== '..');
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fileName, (message, file) => {
      const p: Problem = { severity: 'error', code: 'SCHEMA', message, location: { file: `x/${file}`, line: 2, col: 3, endLine: 2, endCol: 4 } };
      const line = renderGithub({ command: 'validate', files: [], problems: [p] }, { cwd: '/r', root: '/r' });
      assert.equal(line.split('\n').length, 2, 'one line');
      const c = parseWorkflowCommand(line.slice(0, -1));
      assert.ok(c);
      assert.equal(c.data, message);
      assert.equal(c.props['title'], 'SCHEMA');
      assert.equal(c.props['line'], '2');
      assert.equal(c.props['file'], `x/${file}`);
    }),
    { seed: 13, numRuns: 300 },
  );
  const lines = renderGithub(HOSTILE_REPORT, PATHS).trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.deepEqual(parseWorkflowCommand(lines[0] as string), {
    command: 'error',
    props: { file: 'sub/dir with space/a,b:c.yml', line: '3', col: '5', title: 'WEIGHTS' },
    data: 'weights 50%, 60%: sum to 110; a::b, c\r\nnext line\nhint: hint with %0A and ::',
  });
  assert.equal(escapeProperty('a:b,c%'), 'a%3Ab%2Cc%25');
  assert.equal(escapeData('a:b,c%\n'), 'a:b,c%25%0A');
  assert.deepEqual(parseWorkflowCommand(lines[1] as string)?.props, { title: 'LEGACY_KEY' }, 'stdin: no file property');
  assert.match(parseWorkflowCommand(lines[1] as string)?.data ?? '', /^<stdin>:1:1: NUL/);
  assert.deepEqual(parseWorkflowCommand(lines[2] as string)?.props, { title: 'UNDEFINED_VARS' });
  assert.equal(parseWorkflowCommand(lines[3] as string)?.props['file'], '/elsewhere/m.yml', 'outside the root: the absolute path');
});

test('sarif: hostile text stays valid; URIs are encoded and relative to the root; outside the root a file: URI', () => {
  const log = JSON.parse(renderSarif(HOSTILE_REPORT, PATHS)) as { runs: { results: { locations?: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Record<string, number> } }[] }[] }[] };
  assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 3)));
  const [a, b, c, d] = (log.runs[0]?.results ?? []).map((r) => r.locations?.[0]?.physicalLocation);
  assert.deepEqual(a?.artifactLocation, { uri: 'sub/dir%20with%20space/a%2Cb%3Ac.yml', uriBaseId: '%SRCROOT%' });
  assert.deepEqual(a?.region, { startLine: 3, startColumn: 5, endLine: 3, endColumn: 9 });
  assert.equal(b, undefined, 'stdin has no location');
  assert.equal(c, undefined, 'a run-wide error has no location');
  assert.deepEqual(d?.artifactLocation, { uri: 'file:///elsewhere/m.yml' });
  assert.deepEqual(d?.region, { startLine: 2, startColumn: 2, endLine: 4, endColumn: 1 });
  assert.equal(renderSarif(HOSTILE_REPORT, PATHS), renderSarif(HOSTILE_REPORT, PATHS), 'same bytes');
  assert.doesNotMatch(renderSarif(HOSTILE_REPORT, PATHS), /\/repo\b/, 'the root itself is not written');
});

test('junit: hostile text stays well-formed XML and reads back as written (what XML cannot carry becomes U+FFFD)', () => {
  const xml = parseXml(renderJunit(HOSTILE_REPORT, PATHS));
  const cases = childElements(childElements(xml, 'testsuite')[0] as XmlElement, 'testcase');
  assert.deepEqual(cases.map((c) => [c.attrs['name'], c.attrs['file']]), [
    ['sub/dir with space/a,b:c.yml', 'sub/dir with space/a,b:c.yml'],
    ['<stdin>', undefined],
    ['/elsewhere/m.yml', '/elsewhere/m.yml'],
    ['cfmesh validate', undefined],
  ]);
  const failure = childElements(cases[0] as XmlElement, 'failure')[0] as XmlElement;
  assert.equal(failure.attrs['message'], 'dir with space/a,b:c.yml:3:5: error WEIGHTS weights 50%, 60%: sum to 110; a::b, c\r\nnext line');
  assert.equal(textOf(failure), 'dir with space/a,b:c.yml:3:5: error WEIGHTS weights 50%, 60%: sum to 110; a::b, c\r\nnext line\nhint: hint with %0A and ::');
  assert.equal(textOf(childElements(cases[1] as XmlElement, 'system-out')[0] as XmlElement), '<stdin>:1:1: warning LEGACY_KEY NUL \ufffd, bell \ufffd, lone surrogate \ufffd, <tag> & "quotes" \'apos\'');
  assert.equal(childElements(cases[1] as XmlElement, 'failure').length, 0, 'a warning is not a failure');
  assert.deepEqual([xml.attrs['tests'], xml.attrs['failures']], ['4', '3']);
  assert.throws(() => parseXml('<a>x & y</a>'), /unescaped/, 'the XML reader is strict');
  assert.throws(() => parseXml('<a b="1" b="2"/>'), /twice/);
  assert.throws(() => parseXml('<a>\u0001</a>'), /not allowed/);
});

// ---------------------------------------------------------------------------------------------
// exit codes, streams, the root, and convert --report

test('validate --output: exit codes as text gives them; usage errors stay text on stderr', async () => {
  const cases = [
    { argv: ['validate', 'fixtures/proposal-90-10/manifest.yml', '--output', 'sarif'], exit: 0 },
    { argv: ['validate', 'fixtures/legacy-keys/manifest.yml', '--output', 'junit'], exit: 0 },
    { argv: ['validate', 'fixtures/legacy-keys/manifest.yml', '--output', 'github', '--strict'], exit: 1, has: /^::error title=STRICT::/m },
    { argv: ['validate', 'fixtures/invalid-weights-140/manifest.yml', '--output', 'junit'], exit: 1 },
    { argv: ['validate', 'fixtures/proposal-90-10/manifest.yml', '--output', 'xml'], exit: 2, err: /error USAGE --output must be text, json, github, sarif or junit \(got "xml"\)/ },
    { argv: ['validate', 'fixtures/proposal-90-10/manifest.yml', '--json', '--output', 'sarif'], exit: 2, err: /error USAGE --json is --output json/ },
    { argv: ['validate', 'no/such.yml', '--output', 'sarif'], exit: 3, has: /"ruleId": "FILE_READ"/ },
    { argv: ['validate', '--output', 'junit'], exit: 2, err: /error USAGE no manifest given/ },
  ];
  for (const c of cases) {
    const run = await runCli(c.argv, { cwd: c.argv.includes('--output') && c.argv.length === 3 ? tempDir('cfmesh-report-') : root });
    assert.equal(run.exit, c.exit, `${c.argv.join(' ')}: ${run.err}`);
    if (c.err) {
      assert.match(run.err, c.err);
      assert.equal(run.out, '');
    } else assert.equal(run.err, '', `${c.argv.join(' ')}: the report is the only output`);
    if (c.has) assert.match(run.out, c.has);
  }
});

test('paths are relative to the repository root (the nearest directory holding .git), else to the working directory', async () => {
  const top = tempDir('cfmesh-repo-');
  mkdirSync(join(top, '.git'));
  mkdirSync(join(top, 'deploy', 'apps'), { recursive: true });
  writeFileSync(join(top, 'deploy', 'apps', 'manifest.yml'), readFileSync(join(fixtures, 'invalid-weights-140', 'manifest.yml')));
  assert.equal(repositoryRoot(join(top, 'deploy', 'apps')), top);
  const inRepo = await runCli(['validate', 'manifest.yml', '--output', 'github'], { cwd: join(top, 'deploy', 'apps') });
  assert.match(inRepo.out, /^::error file=deploy\/apps\/manifest.yml,line=5,col=3,title=WEIGHTS::/);
  const loose = tempDir('cfmesh-norepo-');
  writeFileSync(join(loose, 'm.yml'), readFileSync(join(fixtures, 'invalid-weights-140', 'manifest.yml')));
  if (repositoryRoot(loose) === loose) {
    const out = await runCli(['validate', 'm.yml', '--output', 'github'], { cwd: loose });
    assert.match(out.out, /^::error file=m.yml,line=5,col=3,title=WEIGHTS::/);
  }
});

test('convert --report: annotations on stderr, the configuration untouched on stdout; --report-file keeps the text on stderr', async () => {
  const expected = readFileSync(join(fixtures, 'legacy-keys', 'expected.yaml'), 'utf8');
  const gh = await cfmesh(['convert', '-f', 'fixtures/legacy-keys/manifest.yml', '--report', 'github'], { cwd: root });
  assert.equal(gh.code, 0, gh.err);
  assert.equal(gh.out, expected, 'stdout is the configuration, byte for byte');
  const lines = gh.err.trimEnd().split('\n');
  assert.ok(lines.length > 0 && lines.every((l) => parseWorkflowCommand(l)?.command === 'warning'), gh.err);
  assert.match(gh.err, /file=fixtures\/legacy-keys\/manifest.yml,line=2,col=1,title=LEGACY_KEY::/);

  const dir = tempDir('cfmesh-report-');
  const file = join(dir, 'cfmesh.sarif');
  const bad = await cfmesh(['convert', '-f', 'fixtures/invalid-weights-140/manifest.yml', '-o', join(dir, 'out'), '--report', 'sarif', '--report-file', file], { cwd: root });
  assert.equal(bad.code, 1);
  assert.equal(bad.out, '');
  assert.match(bad.err, /manifest.yml:5:3: error WEIGHTS route reviews.example.com: weights sum to 140/, 'the text diagnostics stay on stderr');
  const log = JSON.parse(readFileSync(file, 'utf8')) as { runs: { results: { ruleId: string }[]; automationDetails: { id: string } }[] };
  assert.ok(validateSarif(log));
  assert.deepEqual(log.runs[0]?.results.map((r) => r.ruleId), ['WEIGHTS']);
  assert.equal(log.runs[0]?.automationDetails.id, 'cfmesh convert/');
  assert.equal(existsSync(join(dir, 'out')), false, 'nothing written to -o DIR');
  assert.deepEqual(readdirSync(dir), ['cfmesh.sarif'], 'no temporary file left');

  const junit = await runCli(['convert', '-f', 'fixtures/legacy-keys/manifest.yml', '--report', 'junit', '--strict'], { cwd: root });
  assert.equal(junit.exit, 1);
  assert.equal(junit.out, '', 'nothing printed when --strict fails');
  const cases = childElements(childElements(parseXml(junit.err), 'testsuite')[0] as XmlElement, 'testcase');
  assert.deepEqual(cases.map((c) => c.attrs['name']), ['fixtures/legacy-keys/manifest.yml', 'cfmesh convert']);
  assert.equal(childElements(cases[1] as XmlElement, 'failure')[0]?.attrs['type'], 'STRICT');

  const usage = await runCli(['convert', '-f', 'fixtures/legacy-keys/manifest.yml', '--report-file', join(dir, 'x')], { cwd: root });
  assert.equal(usage.exit, 2);
  assert.match(usage.err, /error USAGE --report-file needs a report format/);
  const text = await runCli(['convert', '-f', 'fixtures/legacy-keys/manifest.yml', '--report', 'text'], { cwd: root });
  assert.deepEqual([text.exit, text.out], [0, expected]);
  assert.match(text.err, /warning LEGACY_KEY/);
});

// ---------------------------------------------------------------------------------------------
// the README's drift check: convert -o DIR, then git sees every change, new and removed files too.
// `git add -N DIR` makes new files visible to diff, and also stages the removal of deleted ones (git
// add stages removals under a pathspec), so the diff is against HEAD, not the index.

test('the CI drift check (convert -o DIR; git add --intent-to-add DIR; git diff --exit-code HEAD -- DIR) catches changed, new and removed files', { skip: existsSync('/usr/bin/git') ? undefined : 'git is not installed here' }, async () => {
  const repo = tempDir('cfmesh-drift-');
  const git = (...args: string[]) => spawnSync('/usr/bin/git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', ...args], { cwd: repo, encoding: 'utf8' });
  const manifest = (weights: [number, number], extra = '') =>
    `applications:\n- name: reviews-v1\n- name: reviews-v2\n${extra}routes:\n- route: reviews.example.com\n  destinations:\n  - name: reviews-v1\n    weight: ${weights[0]}\n  - name: reviews-v2\n    weight: ${weights[1]}\n`;
  const drift = async (text: string) => {
    writeFileSync(join(repo, 'manifest.yml'), text);
    const convert = await cfmesh(['convert', '-f', 'manifest.yml', '-o', 'deploy/istio/', '--report', 'github'], { cwd: repo });
    assert.equal(convert.code, 0, convert.err);
    assert.equal(git('add', '--intent-to-add', 'deploy/istio/').status, 0);
    return git('diff', '--exit-code', '--stat', 'HEAD', '--', 'deploy/istio/');
  };
  assert.equal(git('init', '-q').status, 0);
  await drift(manifest([90, 10]));
  assert.equal(git('add', '-A').status, 0);
  assert.equal(git('commit', '-qm', 'configuration').status, 0);
  assert.equal((await drift(manifest([90, 10]))).status, 0, 'committed and current: no drift');
  const changed = await drift(manifest([50, 50]));
  assert.equal(changed.status, 1, 'a changed weight');
  assert.match(changed.stdout, /virtualservice-reviews\.example\.com\.yaml/);
  git('checkout', '-q', '--', '.');
  const added = await drift(manifest([90, 10], '- name: shop\n  routes:\n  - route: shop.example.com\n'));
  assert.equal(added.status, 1, 'a new file');
  assert.match(added.stdout, /virtualservice-shop\.example\.com\.yaml/);
  git('add', '-A');
  git('commit', '-qm', 'shop');
  const removed = await drift(manifest([90, 10]));
  assert.equal(removed.status, 1, 'a file cfmesh removed');
  assert.match(removed.stdout, /virtualservice-shop\.example\.com\.yaml/);
});

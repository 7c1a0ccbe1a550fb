// buildProgram(io, only) defines the one command a command line names (the others' ~380 options
// cost milliseconds on every start and on every in-process run): that command must be exactly
// the one of the whole tree, and every other command line must get the whole tree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, commandOf } from '../../src/cli/program.ts';
import { memoryIo } from '../helpers/memory-io.ts';

const describeCommand = (c: Command) => ({
  help: c.helpInformation(),
  options: c.options.map((o) => [o.flags, o.description, o.defaultValue, o.argChoices, o.hidden]),
  args: c.registeredArguments.map((a) => [a.name(), a.required, a.variadic, a.argChoices]),
});

test('each command built alone is the command of the whole tree, option for option, and nothing else is built', () => {
  const io = memoryIo({});
  const whole = buildProgram(io);
  assert.ok(whole.commands.length >= 20);
  for (const c of whole.commands) {
    const alone = buildProgram(io, c.name());
    assert.deepEqual(alone.commands.map((x) => x.name()), [c.name()], `${c.name()}: only it is built`);
    assert.deepEqual(describeCommand(alone.commands[0] as Command), describeCommand(c), c.name());
    assert.deepEqual(alone.options.map((o) => o.flags), whole.options.map((o) => o.flags), 'the root options are all there');
  }
});

test('an unknown command name builds the whole tree (for the error and its suggestion)', () => {
  const io = memoryIo({});
  assert.equal(buildProgram(io, 'convrt').commands.length, buildProgram(io).commands.length);
});

test('commandOf: the first word that is not an option, skipping the value of --state', () => {
  assert.equal(commandOf(['convert', '-f', 'm.yml']), 'convert');
  assert.equal(commandOf(['-q', '--no-color', 'push', 'app']), 'push');
  assert.equal(commandOf(['--state', 'routes', 'apps']), 'apps', 'a state directory named like a command');
  assert.equal(commandOf(['--state=dir', 'routes']), 'routes');
  assert.equal(commandOf(['help', 'convert']), undefined);
  assert.equal(commandOf(['--help']), undefined);
  assert.equal(commandOf(['--', 'convert']), undefined);
  assert.equal(commandOf(['--state']), undefined);
});

'use strict';
// The command line checks its arguments (issue #21 item 4; ts/cli/args.ts, usage.ts, commands.ts):
// --help / -h print the usage (overall and per command) and exit 0; an unknown command or
// option, a missing or malformed value, a number out of range exit 2 with the message and the
// usage on stderr; a command that fails at run time (a port in use) exits 1.
const test = require('ava');
const path = require('path');
const net = require('net');
const { spawn } = require('child_process');
const { commands } = require('../dist/cli/commands.js');

const CLI = path.join(__dirname, '..', 'dist', 'cli', 'index.js');

/** Run the CLI with stdin closed; resolves with its exit code and output. */
function cli(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end();
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Expect bad usage: exit 2, nothing on stdout, `message` then the usage on stderr. */
async function badUsage(t, args, message, usage = /usage: polyp2p/) {
  const r = await cli(...args);
  t.is(r.code, 2, `exit code of polyp2p ${args.join(' ')}`);
  t.is(r.stdout, '');
  t.regex(r.stderr.split('\n')[0], message);
  t.regex(r.stderr, usage);
}

test('--help, -h and help: the overall usage lists every command, exit 0', async (t) => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const r = await cli(...args);
    t.is(r.code, 0);
    t.is(r.stderr, '');
    t.regex(r.stdout, /^usage: polyp2p <command> \[options\]/);
    for (const c of commands) t.regex(r.stdout, new RegExp(`^  ${c.name} +\\S`, 'm'), c.name);
  }
});

test("<command> --help (and -h, help <command>): the command's usage lists each of its options and arguments, exit 0", async (t) => {
  for (const c of commands) {
    for (const args of [[c.name, '--help'], [c.name, '-h'], ['help', c.name]]) {
      const r = await cli(...args);
      t.is(r.code, 0, args.join(' '));
      t.regex(r.stdout, new RegExp(`^usage: polyp2p ${c.name}`));
      for (const o of c.options) t.regex(r.stdout, new RegExp(`--${o.name}\\b`), `${c.name} --${o.name}`);
      for (const p of c.positionals) t.regex(r.stdout, new RegExp(`^  ${p.name} `, 'm'), `${c.name} <${p.name}>`);
      t.regex(r.stdout, /-h, --help/);
    }
  }
});

test('no command, or an unknown one: exit 2 with the overall usage on stderr (and the nearest command)', async (t) => {
  await badUsage(t, [], /^polyp2p: no command given$/, /commands:/);
  await badUsage(t, ['mehs'], /^polyp2p: unknown command 'mehs'; did you mean 'mesh'\?$/, /commands:/);
  await badUsage(t, ['frobnicate'], /^polyp2p: unknown command 'frobnicate'$/, /commands:/);
});

test("an unknown option: exit 2 with the nearest option and the command's usage on stderr", async (t) => {
  await badUsage(t, ['mesh', '--prot', '4444'], /^polyp2p mesh: unknown option '--prot'; did you mean '--port'\?$/, /usage: polyp2p mesh/);
  await badUsage(t, ['sync', '--leasing'], /^polyp2p sync: unknown option '--leasing'; did you mean '--no-leasing'\?$/, /usage: polyp2p sync/);
  await badUsage(t, ['demo', '-x'], /^polyp2p demo: unknown option '-x'$/, /usage: polyp2p demo/);
  await badUsage(t, ['seed', '--port', '1'], /^polyp2p seed: unknown option '--port'$/, /usage: polyp2p seed/);
});

test('numbers are range-checked: --port, --nodes, --seconds, --rate and the seed port (exit 2)', async (t) => {
  await badUsage(t, ['mesh', '--port', 'abc'], /^polyp2p mesh: --port must be an integer from 0 to 65535 \(got 'abc'\)$/);
  await badUsage(t, ['chord', '--port', '65536'], /--port must be an integer from 0 to 65535 \(got '65536'\)$/);
  await badUsage(t, ['sync', '--port=-1'], /--port must be an integer from 0 to 65535 \(got '-1'\)$/);
  await badUsage(t, ['demo', '--nodes', '1'], /^polyp2p demo: --nodes must be an integer from 2 to 32 \(got '1'\)$/);
  await badUsage(t, ['demo', '--nodes', '33'], /--nodes must be an integer from 2 to 32/);
  await badUsage(t, ['demo', '--seconds', '601'], /--seconds must be an integer from 2 to 600/);
  await badUsage(t, ['demo', '--seconds', '2.5'], /--seconds must be an integer from 2 to 600 \(got '2\.5'\)$/);
  await badUsage(t, ['demo', '--rate', '0'], /--rate must be an integer from 1 to 20000/);
  await badUsage(t, ['seed', '127.0.0.1', '99999'], /^polyp2p seed: <port> must be an integer from 0 to 65535 \(got '99999'\)$/);
});

test('missing or malformed values and arguments: exit 2', async (t) => {
  await badUsage(t, ['mesh', '--port'], /^polyp2p mesh: .*--port.*argument missing/);
  await badUsage(t, ['chord', '--leech=yes'], /^polyp2p chord: .*--leech.*does not take an argument/);
  await badUsage(t, ['mesh', '--connect', 'localhost'], /^polyp2p mesh: --connect must be host:port with a port from 1 to 65535, e\.g\. 127\.0\.0\.1:4444 \(got 'localhost'\)$/);
  await badUsage(t, ['mesh', '--host', ''], /^polyp2p mesh: --host must not be empty$/);
  await badUsage(t, ['mesh', 'extra'], /^polyp2p mesh: unexpected argument 'extra'$/);
  await badUsage(t, ['seed'], /^polyp2p seed: missing <addr>$/);
  await badUsage(t, ['seed', '127.0.0.1'], /^polyp2p seed: missing <port>$/);
  await badUsage(t, ['seed', '127.0.0.1', '0', 'ssl'], /^polyp2p seed: <transport> must be one of Plaintext, SSL \(got 'ssl'\); did you mean 'SSL'\?$/);
});

test('valid arguments run the command (stdin closed: the node starts, then quits), exit 0', async (t) => {
  const r = await cli('mesh', '--port', '0', '--host', '127.0.0.1', '--subnet', 'cli-test');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^polyp2p mesh node \S+\nlistening on 127\.0\.0\.1:\d+ \(subnet cli-test,/);
});

test('a command that fails at run time exits 1 with the typed error message: a port in use', async (t) => {
  const busy = net.createServer();
  await new Promise((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => busy.close());
  const { port } = busy.address();
  const r = await cli('mesh', '--port', String(port));
  t.is(r.code, 1);
  t.is(r.stderr.trim(), `polyp2p: cannot listen on 127.0.0.1:${port}: another program (or node) already listens there (EADDRINUSE); close it, choose another port, or use port 0 for a free one`);
});

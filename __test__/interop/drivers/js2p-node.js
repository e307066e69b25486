#!/usr/bin/env node
'use strict';
// JSON-lines driver around one original js2p 0.7.870 node (node_modules/js2p/js_src).
//
//   node js2p-node.js --kind mesh|sync --port P [--host 127.0.0.1] [--subnet NAME] [--leasing 0|1|omit]
//
// Same protocol as py2p_node.py: commands on stdin, events on stdout, one JSON object per line,
// and nothing else on stdout. js2p prints warnings and diagnostics with console.log/warn, so every
// console method is sent to stderr before js2p is loaded. See __test__/interop/README.md.

const path = require('path');
const readline = require('readline');

const out = process.stdout.write.bind(process.stdout);
for (const m of ['log', 'info', 'warn', 'debug', 'trace', 'dir']) console[m] = console.error.bind(console);

function emit(obj) {
  out(JSON.stringify(obj) + '\n');
}

function parseArgs(argv) {
  const opts = { kind: 'mesh', host: '127.0.0.1', subnet: null, leasing: '1', port: null, encryption: 'Plaintext', maxOutgoing: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--kind') opts.kind = v;
    else if (a === '--port') opts.port = Number(v);
    else if (a === '--host') opts.host = v;
    else if (a === '--subnet') opts.subnet = v;
    else if (a === '--leasing') opts.leasing = v;
    else if (a === '--encryption') opts.encryption = v;
    else if (a === '--max-outgoing') opts.maxOutgoing = Number(v);
    else throw new Error(`unknown argument ${a}`);
    i++;
  }
  if (!['mesh', 'sync', 'chord'].includes(opts.kind)) throw new Error(`--kind must be mesh, sync or chord, not ${opts.kind}`);
  if (!Number.isInteger(opts.port)) throw new Error('--port is required');
  if (!['0', '1', 'omit'].includes(opts.leasing)) throw new Error('--leasing must be 0, 1 or omit');
  if (!['Plaintext', 'SSL', 'ws'].includes(opts.encryption)) throw new Error('--encryption must be Plaintext, SSL or ws');
  if (opts.maxOutgoing !== null && !(Number.isInteger(opts.maxOutgoing) && opts.maxOutgoing >= 0)) throw new Error('--max-outgoing must be an integer >= 0');
  // js2p's chord dials its ring neighbours past the limit, through code that fails once it is reached
  if (opts.maxOutgoing !== null && opts.kind === 'chord') throw new Error('--max-outgoing is for --kind mesh or sync');
  return opts;
}

/** A decoded msgpack value as JSON: Buffer -> {"$bin": hex}. */
function render(v) {
  if (v === undefined || v === null) return null;
  if (Buffer.isBuffer(v)) return { $bin: v.toString('hex') };
  if (v instanceof Uint8Array) return { $bin: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(render);
  if (typeof v === 'object') {
    if (typeof v.toJSNumber === 'function') return v.toString(); // big-integer
    const o = {};
    for (const k of Object.keys(v)) o[k] = render(v[k]);
    return o;
  }
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** The inverse of render() for command arguments. */
function parse(v) {
  if (Array.isArray(v)) return v.map(parse);
  if (v && typeof v === 'object') {
    const ks = Object.keys(v);
    if (ks.length === 1 && ks[0] === '$bin') return Buffer.from(v.$bin, 'hex');
    if (ks.length === 1 && ks[0] === '$map') {
      const o = {};
      for (const [k, val] of v.$map) o[String(parse(k))] = parse(val);
      return o;
    }
    const o = {};
    for (const k of ks) o[k] = parse(v[k]);
    return o;
  }
  return v;
}

const text = (id) => (id === undefined || id === null ? null : id.toString());
const errMsg = (e) => (e && e.message !== undefined ? `${e.name || 'Error'}: ${e.message}` : String(e));

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const js2pDir = path.dirname(require.resolve('js2p/package.json'));
  const version = require(path.join(js2pDir, 'package.json')).version;
  const base = require(path.join(js2pDir, 'js_src', 'base.js'));
  const mesh = require(path.join(js2pDir, 'js_src', 'mesh.js'));
  const sync = require(path.join(js2pDir, 'js_src', 'sync.js'));

  // js2p's module-wide setting: peers it dials from the peer lists it is sent
  if (opts.maxOutgoing !== null) mesh.max_outgoing = opts.maxOutgoing;

  let sock;
  let chordModule = null;
  if (opts.kind === 'chord') {
    chordModule = require(path.join(js2pDir, 'js_src', 'chord.js'));
    sock = new chordModule.ChordSocket(opts.host, opts.port, new base.Protocol(opts.subnet || 'chord', opts.encryption));
  } else if (opts.kind === 'mesh') {
    sock = new mesh.MeshSocket(opts.host, opts.port, new base.Protocol(opts.subnet || 'mesh', opts.encryption));
  } else {
    const leasing = opts.leasing === 'omit' ? undefined : opts.leasing === '1';
    sock = new sync.SyncSocket(opts.host, opts.port, new base.Protocol(opts.subnet || 'sync', opts.encryption), leasing);
  }

  const state = { replyNext: null, seenExc: 0, closing: false };

  sock.on('connect', () => emit({ event: 'connect' }));
  if (opts.kind === 'chord') {
    sock.on('add', (_s, key) => emit({ event: 'add', key: render(key), key_text: text(key) }));
    sock.on('delete', (_s, key) => emit({ event: 'delete', key: render(key), key_text: text(key) }));
  }
  if (opts.kind === 'sync') {
    sock.on('update', (_s, key, value, meta) => {
      const ev = { event: 'update', key: render(key), key_text: text(key), value: render(value) };
      if (meta) {
        ev.owner = text(meta.owner);
        ev.timestamp = meta.timestamp;
      }
      emit(ev);
    });
    sock.on('delete', (_s, key) => emit({ event: 'delete', key: render(key), key_text: text(key) }));
  }

  function drain() {
    for (let msg = sock.recv(); msg !== undefined; msg = sock.recv()) {
      const packets = msg.packets;
      emit({
        event: 'message',
        sender: text(msg.sender),
        type: packets[0],
        packets: render(packets.slice(1)),
        id: Buffer.from(msg.id).toString('hex'),
        time: msg.time,
      });
      if (state.replyNext) {
        const reply = state.replyNext;
        state.replyNext = null;
        try {
          msg.reply(reply);
          emit({ event: 'ok', cmd: 'whisper_reply_next' });
        } catch (e) {
          emit({ event: 'error', cmd: 'whisper_reply_next', message: errMsg(e), stack: e && e.stack });
        }
      }
    }
  }
  sock.on('message', () => setImmediate(drain));

  const poll = setInterval(() => {
    try {
      drain();
      const status = sock.status;
      if (status !== 'Nominal' && Array.isArray(status)) {
        for (const e of status.slice(state.seenExc)) {
          emit({ event: 'error', source: 'status', message: errMsg(e), stack: e && e.stack });
        }
        state.seenExc = status.length;
      }
    } catch (e) {
      emit({ event: 'error', source: 'poller', message: errMsg(e) });
    }
  }, 200);

  function requireSync() {
    if (opts.kind !== 'sync') throw new TypeError('not a sync socket');
  }

  function finish() {
    if (state.closing) return;
    state.closing = true;
    clearInterval(poll);
    try {
      drain();
    } catch {}
    try {
      sock.close();
    } catch (e) {
      process.stderr.write(`close: ${e && e.stack}\n`);
    }
    // js2p's close() leaves connections that never handshook open: exit regardless.
    emit({ event: 'closed' });
    process.stdout.write('', () => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  }

  /** Chord commands (--kind chord); returns false for commands shared with mesh. */
  function handleChord(cmd) {
    switch (cmd.cmd) {
      case 'join':
      case 'unjoin':
        sock[cmd.cmd]();
        emit({ event: 'ok', cmd: cmd.cmd });
        return true;
      case 'set':
        sock.set(parse(cmd.key), parse(cmd.value));
        emit({ event: 'ok', cmd: cmd.cmd });
        return true;
      case 'del':
        sock.del(parse(cmd.key));
        emit({ event: 'ok', cmd: cmd.cmd });
        return true;
      case 'get': {
        // js2p's promise ignores the fallback and rejects on a miss/timeout: report the fallback then.
        const fallback = cmd.fallback === undefined ? null : cmd.fallback;
        const timeout = cmd.timeout === undefined ? undefined : Number(cmd.timeout);
        const id = cmd.id === undefined ? null : cmd.id;
        sock.get(parse(cmd.key), parse(fallback), timeout).then(
          (v) => emit({ event: 'value', key: cmd.key, id, value: render(v), found: true }),
          (e) => emit({ event: 'value', key: cmd.key, id, value: fallback, found: false, error: errMsg(e) }),
        );
        return true;
      }
      case 'apply_delta':
        // js2p resolves with the mapping after the delta (what its bootstrap() connects to)
        sock.apply_delta(parse(cmd.key), parse(cmd.delta)).then(
          (v) => emit({ event: 'value', key: cmd.key, value: render(v), found: true }),
          (e) => emit({ event: 'value', key: cmd.key, value: null, found: false, error: errMsg(e) }),
        );
        return true;
      case 'entries':
        // what the node holds in its five tables (data[method][position]), deleted items gone
        emit({ event: 'entries', count: Object.values(sock.data).reduce((n, table) => n + Object.keys(table).length, 0) });
        return true;
      case 'holds': {
        // what the node holds itself at the key's five positions (its own tables, no network)
        const positions = chordModule.get_hashes(Buffer.from(parse(cmd.key)));
        const methods = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
        emit({ event: 'holds', key: cmd.key, values: methods.map((m, i) => render(sock.data[m][positions[i]])) });
        return true;
      }
      case 'keys': {
        const keys = [...new Set([...sock.keys()].map((k) => k.toString('hex')))].map((h) => Buffer.from(h, 'hex'));
        emit({ event: 'keys', keys: keys.map(render), key_texts: keys.map(text) });
        return true;
      }
      default:
        return false;
    }
  }

  function handle(cmd) {
    if (opts.kind === 'chord' && handleChord(cmd)) return;
    switch (cmd.cmd) {
      case 'connect':
        sock.connect(cmd.host || '127.0.0.1', Number(cmd.port));
        emit({ event: 'ok', cmd: cmd.cmd });
        break;
      case 'send':
        sock.send(parse(cmd.packets || []));
        emit({ event: 'ok', cmd: cmd.cmd });
        break;
      case 'whisper_reply_next':
        state.replyNext = parse(cmd.packets || ['reply']);
        break;
      case 'peers':
        emit({ event: 'peers', ids: [...sock.routing_table.keys()].map(text), awaiting: sock.awaiting_ids.length });
        break;
      case 'set':
        requireSync();
        sock.set(parse(cmd.key), parse(cmd.value));
        emit({ event: 'ok', cmd: cmd.cmd });
        break;
      case 'del':
        requireSync();
        sock.del(parse(cmd.key));
        emit({ event: 'ok', cmd: cmd.cmd });
        break;
      case 'get': {
        requireSync();
        const v = sock.get(parse(cmd.key));
        emit({ event: 'value', key: cmd.key, value: render(v) });
        break;
      }
      case 'keys': {
        requireSync();
        const keys = [...sock.keys()];
        emit({ event: 'keys', keys: keys.map(render), key_texts: keys.map(text) });
        break;
      }
      case 'close':
        finish();
        break;
      default:
        throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
    }
  }

  const ready = () =>
    emit({ event: 'ready', id: text(sock.id), port: opts.port, impl: `js2p-${version}`, protocol_id: text(sock.protocol.id) });
  if (sock.incoming) {
    sock.incoming.on('error', (e) => {
      emit({ event: 'error', source: 'listen', message: errMsg(e) });
      process.exit(1);
    });
    if (sock.incoming.listening) ready();
    else sock.incoming.once('listening', ready);
  } else {
    ready();
  }

  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (!line.trim() || state.closing) return;
    let cmd = null;
    try {
      cmd = JSON.parse(line);
      handle(cmd);
    } catch (e) {
      emit({ event: 'error', cmd: cmd && cmd.cmd, message: errMsg(e), stack: e && e.stack });
    }
  });
  rl.on('close', finish); // stdin closed: the harness is gone
}

process.on('uncaughtException', (e) => {
  emit({ event: 'error', source: 'uncaught', message: errMsg(e), stack: e && e.stack });
});

try {
  main();
} catch (e) {
  emit({ event: 'error', source: 'startup', message: errMsg(e), stack: e && e.stack });
  process.exit(1);
}

#!/usr/bin/env python3
"""JSON-lines driver around one original py2p node (0.7.870 or 0.7.878).

Run with the python of .interop/venv-870 or .interop/venv-878 (scripts/setup-interop.js):

    py2p_node.py --kind mesh|sync --port P [--host 127.0.0.1] [--subnet NAME] [--leasing 0|1]

Commands arrive on stdin, one JSON object per line; events go to stdout, one JSON object per
line, and nothing else ever goes to stdout (py2p's own prints and logging go to stderr). The
protocol is the same as js2p-node.js's; see __test__/interop/README.md.

py2p runs its network loop on a thread of its own; stdin is read on the main thread (py2p's
loop stops when the main thread dies), and a poller thread drains recv() and watches `status`.
"""
from __future__ import print_function

import collections
import collections.abc

# u-msgpack-python 2.3.0 (pinned by py2p 0.7.870) looks up collections.Hashable, removed in
# Python 3.10: without this alias py2p cannot decode any msgpack map. Alias the other ABCs that
# old code expects there too. This changes no encoded byte. Must run before py2p is imported.
for _name in ('Hashable', 'Mapping', 'MutableMapping', 'Sequence', 'MutableSequence',
              'Iterable', 'Iterator', 'Callable', 'Set', 'MutableSet', 'Sized', 'Container'):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

import argparse  # noqa: E402
import binascii  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

# Keep stdout for our JSON lines only; anything else that prints goes to stderr.
_OUT = sys.stdout
sys.stdout = sys.stderr
_out_lock = threading.Lock()
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

import py2p  # noqa: E402
from py2p.base import Protocol  # noqa: E402

try:
    from importlib import metadata as _metadata
    PY2P_VERSION = _metadata.version('py2p')
except Exception:  # pragma: no cover - very old Python
    PY2P_VERSION = getattr(py2p, '__version__', 'unknown')
IMPL = 'py2p-' + PY2P_VERSION


def emit(obj):
    line = json.dumps(obj, separators=(',', ':'))
    with _out_lock:
        _OUT.write(line + '\n')
        _OUT.flush()


def text(value):
    """An ID (bytes or str) as text."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode('utf-8', 'replace')
    return str(value)


def render(value):
    """A decoded msgpack value as JSON: bytes -> {"$bin": hex}, non-text-keyed maps ->
    {"$map": [[k, v], ...]}, msgpack ext -> {"$ext": [code, hex]}."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {'$bin': binascii.hexlify(bytes(value)).decode()}
    if isinstance(value, (list, tuple)):
        return [render(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: render(v) for k, v in value.items()}
        return {'$map': [[render(k), render(v)] for k, v in value.items()]}
    if hasattr(value, 'type') and hasattr(value, 'data'):  # umsgpack.Ext
        return {'$ext': [value.type, binascii.hexlify(value.data).decode()]}
    return repr(value)


def parse(value):
    """The inverse of render() for command arguments."""
    if isinstance(value, list):
        return [parse(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {'$bin'}:
            return binascii.unhexlify(value['$bin'])
        if set(value) == {'$map'}:
            return {parse(k): parse(v) for k, v in value['$map']}
        return {k: parse(v) for k, v in value.items()}
    return value


def key_text(key):
    return text(key)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kind', choices=('mesh', 'sync', 'chord'), default='mesh')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--subnet', default=None)
    ap.add_argument('--leasing', choices=('0', '1', 'omit'), default='1')
    # py2p has no WebSocket transport; its TLS needs ssl.wrap_socket (Python <= 3.11).
    ap.add_argument('--encryption', choices=('Plaintext', 'SSL'), default='Plaintext')
    ap.add_argument('--max-outgoing', type=int, default=None)
    args = ap.parse_args()
    if args.max_outgoing is not None and args.kind == 'chord':
        # py2p's chord has a max_outgoing of its own and dials its ring neighbours past it
        ap.error('--max-outgoing is for --kind mesh or sync')
    if args.max_outgoing is not None:
        # py2p's module-wide setting: peers it dials from the peer lists it is sent
        py2p.mesh.max_outgoing = args.max_outgoing

    if args.kind == 'chord':
        prot = Protocol(args.subnet or 'chord', args.encryption)
        sock = py2p.ChordSocket(args.host, args.port, prot=prot)
    elif args.kind == 'mesh':
        prot = Protocol(args.subnet or 'mesh', args.encryption)
        sock = py2p.MeshSocket(args.host, args.port, prot=prot)
    else:
        prot = Protocol(args.subnet or 'sync', args.encryption)
        if args.leasing == 'omit':
            sock = py2p.SyncSocket(args.host, args.port, prot=prot)
        else:
            sock = py2p.SyncSocket(args.host, args.port, prot=prot, leasing=args.leasing == '1')

    state = {'reply_next': None, 'closing': False, 'seen_exc': 0}

    def on_connect(*_):
        emit({'event': 'connect'})

    sock.on('connect', on_connect)

    if args.kind == 'chord':
        def on_add(_sock, key):
            emit({'event': 'add', 'key': render(key), 'key_text': key_text(key)})

        def on_chord_delete(_sock, key):
            emit({'event': 'delete', 'key': render(key), 'key_text': key_text(key)})

        sock.on('add', on_add)
        sock.on('delete', on_chord_delete)

    if args.kind == 'sync':
        def on_update(_sock, key, value, meta=None):
            ev = {'event': 'update', 'key': render(key), 'key_text': key_text(key), 'value': render(value)}
            if meta is not None:
                ev['owner'] = text(meta.owner)
                ev['timestamp'] = meta.timestamp
            emit(ev)

        def on_delete(_sock, key):
            emit({'event': 'delete', 'key': render(key), 'key_text': key_text(key)})

        sock.on('update', on_update)
        sock.on('delete', on_delete)

    def drain():
        while True:
            msg = sock.recv()
            if msg is None:
                return
            packets = list(msg.packets)
            emit({'event': 'message', 'sender': text(msg.sender), 'type': packets[0] if packets else None,
                  'packets': render(packets[1:]), 'id': binascii.hexlify(msg.id).decode(), 'time': msg.time})
            reply = state['reply_next']
            if reply is not None:
                state['reply_next'] = None
                try:
                    msg.reply(*reply)
                    emit({'event': 'ok', 'cmd': 'whisper_reply_next'})
                except Exception as e:
                    emit({'event': 'error', 'cmd': 'whisper_reply_next', 'message': '%s: %s' % (type(e).__name__, e),
                          'stack': traceback.format_exc()})

    def poller():
        last_status = 0.0
        while not state['closing']:
            try:
                drain()
                now = time.time()
                if now - last_status >= 0.2:
                    last_status = now
                    status = sock.status
                    if status != 'Nominal':
                        new = list(status)[state['seen_exc']:]
                        state['seen_exc'] += len(new)
                        for exc in new:
                            emit({'event': 'error', 'source': 'status', 'message': str(exc)})
            except Exception as e:
                emit({'event': 'error', 'source': 'poller', 'message': '%s: %s' % (type(e).__name__, e)})
            time.sleep(0.05)

    threading.Thread(target=poller, name='interop-poller', daemon=True).start()

    def require_sync():
        if args.kind != 'sync':
            raise TypeError('not a sync socket')

    def chord_get(cmd):
        # getSync blocks (polling the tables for up to `timeout` s): run it off the stdin thread
        fallback = parse(cmd.get('fallback'))
        try:
            value = sock.getSync(parse(cmd['key']), ifError=fallback, timeout=cmd.get('timeout', 10))
            emit({'event': 'value', 'key': cmd['key'], 'id': cmd.get('id'), 'value': render(value),
                  'found': value is not fallback})
        except Exception as e:
            emit({'event': 'value', 'key': cmd['key'], 'id': cmd.get('id'), 'value': render(fallback),
                  'found': False, 'error': '%s: %s' % (type(e).__name__, e)})

    def chord_apply_delta(cmd):
        # apply_delta reads the key first (blocking on the tables): off the stdin thread too
        try:
            value = sock.apply_delta(parse(cmd['key']), parse(cmd['delta'])).get(cmd.get('timeout', 10))
            emit({'event': 'value', 'key': cmd['key'], 'value': render(value), 'found': True})
        except Exception as e:
            emit({'event': 'value', 'key': cmd['key'], 'value': None, 'found': False,
                  'error': '%s: %s' % (type(e).__name__, e)})

    def handle_chord(cmd):
        """Chord commands (--kind chord); False for commands shared with mesh."""
        name = cmd.get('cmd')
        if name in ('join', 'unjoin'):
            getattr(sock, name)()
            emit({'event': 'ok', 'cmd': name})
        elif name == 'set':
            sock.set(parse(cmd['key']), parse(cmd.get('value')))
            emit({'event': 'ok', 'cmd': name})
        elif name == 'del':
            # `del sock[k]` raises KeyError for keys py2p never heard of; set(k, None) is the delete itself
            sock.set(parse(cmd['key']), None)
            emit({'event': 'ok', 'cmd': name})
        elif name == 'get':
            threading.Thread(target=chord_get, args=(cmd,), daemon=True).start()
        elif name == 'apply_delta':
            threading.Thread(target=chord_apply_delta, args=(cmd,), daemon=True).start()
        elif name == 'entries':
            # what the node holds in its five tables (data[method][position]), deleted items gone
            emit({'event': 'entries', 'count': sum(len(table) for table in sock.data.values())})
        elif name == 'holds':
            # what the node holds itself at the key's five positions (its own tables, no network)
            positions = py2p.chord.get_hashes(py2p.chord.sanitize_packet(parse(cmd['key'])))
            held = [sock.data[method].get(pos) for method, pos in zip(py2p.chord.hashes, positions)]
            emit({'event': 'holds', 'key': cmd['key'], 'values': [render(v) for v in held]})
        elif name == 'keys':
            keys = list(sock.keys())
            emit({'event': 'keys', 'keys': [render(k) for k in keys], 'key_texts': [key_text(k) for k in keys]})
        else:
            return False
        return True

    def handle(cmd):
        name = cmd.get('cmd')
        if args.kind == 'chord' and handle_chord(cmd):
            return True
        if name == 'connect':
            sock.connect(cmd.get('host', '127.0.0.1'), int(cmd['port']))
            emit({'event': 'ok', 'cmd': name})
        elif name == 'send':
            sock.send(*parse(cmd.get('packets', [])))
            emit({'event': 'ok', 'cmd': name})
        elif name == 'whisper_reply_next':
            state['reply_next'] = parse(cmd.get('packets', ['reply']))
        elif name == 'peers':
            emit({'event': 'peers', 'ids': [text(k) for k in list(sock.routing_table)],
                  'awaiting': len(sock.awaiting_ids)})
        elif name == 'set':
            require_sync()
            sock[parse(cmd['key'])] = parse(cmd.get('value'))
            emit({'event': 'ok', 'cmd': name})
        elif name == 'del':
            require_sync()
            del sock[parse(cmd['key'])]
            emit({'event': 'ok', 'cmd': name})
        elif name == 'get':
            require_sync()
            emit({'event': 'value', 'key': cmd['key'], 'value': render(sock.get(parse(cmd['key'])))})
        elif name == 'keys':
            require_sync()
            keys = list(sock.keys())
            emit({'event': 'keys', 'keys': [render(k) for k in keys], 'key_texts': [key_text(k) for k in keys]})
        elif name == 'close':
            return False
        else:
            raise ValueError('unknown command %r' % (name,))
        return True

    emit({'event': 'ready', 'id': text(sock.id), 'port': args.port, 'impl': IMPL,
          'protocol_id': text(sock.protocol.id)})

    for line in iter(sys.stdin.readline, ''):
        line = line.strip()
        if not line:
            continue
        cmd = None
        try:
            cmd = json.loads(line)
            if not handle(cmd):
                break
        except Exception as e:
            emit({'event': 'error', 'cmd': cmd.get('cmd') if isinstance(cmd, dict) else None,
                  'message': '%s: %s' % (type(e).__name__, e), 'stack': traceback.format_exc()})

    # close (or stdin closed: the harness is gone). py2p's close() joins its thread; bound it.
    try:
        drain()
    except Exception:
        pass
    state['closing'] = True
    closer = threading.Thread(target=sock.close, daemon=True)
    closer.start()
    closer.join(2.0)
    emit({'event': 'closed'})
    sys.stderr.flush()
    os._exit(0)


if __name__ == '__main__':
    try:
        main()
    except SystemExit:
        raise
    except BaseException as e:
        emit({'event': 'error', 'source': 'startup', 'message': '%s: %s' % (type(e).__name__, e),
              'stack': traceback.format_exc()})
        sys.stderr.write(traceback.format_exc())
        sys.stderr.flush()
        os._exit(1)

#!/usr/bin/env python3
"""py2p's row of bench/mesh.js: throughput and round trip of the original py2p mesh.

Run with the python of .interop/venv-878 (or venv-870), set up by scripts/setup-interop.js;
bench/mesh.js starts it, bounds it in time and kills it on timeout:

    python bench/py2p-mesh.py --scenarios 2:100,2:10240,3:10240 --rtt 100 \
        --run-ms 2000 --runs 3 --warm-ms 300 --budget-s 150

Every node of the subject lives in this one process (py2p runs one network thread per socket;
all share the GIL), both ends py2p, as js2p's row has both ends js2p. Uncompressed, chain
only (py2p's max_outgoing = 0, so no node dials peers from peer lists).

Throughput: node 0 broadcasts as fast as py2p's `send` returns (py2p has no backpressure other
than its blocking socket writes, with a 1 s socket timeout); the last node counts deliveries.
A run ends early when the link breaks: a peer drops out of a routing table, py2p records an
exception, or nothing is delivered for STALL_S while the sender sends. That is a result, not
an error: the line reports how many messages arrived before.

Output: one JSON object per line on stdout (py2p's own prints go to stderr):
    {"kind": "throughput", "key": "2:100", ...}   per scenario
    {"kind": "rtt", "key": "2:100", ...}
    {"kind": "done"}
The same python driver conventions as __test__/interop/drivers/py2p_node.py.
"""
from __future__ import print_function

import collections
import collections.abc

# As in __test__/interop/drivers/py2p_node.py: py2p 0.7.870's pinned u-msgpack-python looks up
# collections.Hashable (gone since Python 3.10). Must run before py2p is imported.
for _name in ('Hashable', 'Mapping', 'MutableMapping', 'Sequence', 'MutableSequence',
              'Iterable', 'Iterator', 'Callable', 'Set', 'MutableSet', 'Sized', 'Container'):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

_OUT = sys.stdout
sys.stdout = sys.stderr
logging.basicConfig(stream=sys.stderr, level=logging.CRITICAL)

import py2p  # noqa: E402
import py2p.mesh  # noqa: E402
import py2p.messages  # noqa: E402
from py2p.base import Protocol, flags  # noqa: E402

try:
    from importlib import metadata as _metadata
    PY2P_VERSION = _metadata.version('py2p')
except Exception:  # pragma: no cover
    PY2P_VERSION = getattr(py2p, '__version__', 'unknown')

HOST = '127.0.0.1'
SETUP_S = 10.0  # bound on any wait for links
STALL_S = 2.0  # no delivery for this long while sending: the link is stuck
SETTLE_S = 2.0  # after a run, wait this long at most for in-flight messages

# Uncompressed, as every other subject of bench/mesh.js (py2p imports this list by name: mutate it).
del py2p.messages.compression[:]
# Keep a chain a chain: no dialing from peer lists.
py2p.mesh.max_outgoing = 0


def emit(obj):
    _OUT.write(json.dumps(obj, separators=(',', ':')) + '\n')
    _OUT.flush()


def text_of(n):
    """The same deterministic payload text as bench/lib/worker-util.js textOf(n)."""
    abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    out = []
    x = (0x9e3779b9 ^ n) & 0xffffffff
    for _ in range(n):
        x ^= (x << 13) & 0xffffffff
        x ^= x >> 17
        x ^= (x << 5) & 0xffffffff
        out.append(abc[x % len(abc)])
    return ''.join(out)


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(cond, seconds, what):
    end = time.time() + seconds
    while not cond():
        if time.time() > end:
            raise RuntimeError('timed out after %.0f s waiting for %s' % (seconds, what))
        time.sleep(0.005)


def close_all(socks):
    """py2p's close() joins its network thread; bound it."""
    for s in socks:
        t = threading.Thread(target=s.close, daemon=True)
        t.start()
        t.join(2.0)


def exceptions_of(socks):
    out = []
    for i, s in enumerate(socks):
        for e in list(s.daemon.exceptions):
            last = [l for l in str(e).strip().split('\n') if l.strip()]
            out.append('node %d: %s' % (i, last[-1] if last else repr(e)))
    return out


def chain(n):
    """n py2p mesh sockets, node i+1 dialed node i; waits for the routing tables."""
    prot = Protocol('mesh', 'Plaintext')
    socks = []
    for _ in range(n):
        socks.append(py2p.MeshSocket(HOST, free_port(), prot=prot))
    for i in range(1, n):
        socks[i].connect(HOST, socks[i - 1].out_addr[1])
        # one link at a time: py2p's handshake races otherwise
        wait_until(lambda: len(socks[i].routing_table) >= 1, SETUP_S, 'py2p link %d' % i)

    def degree(i):
        return 1 if i in (0, n - 1) else 2

    wait_until(lambda: all(len(s.routing_table) == degree(i) for i, s in enumerate(socks)), SETUP_S,
               'py2p chain of %d' % n)
    return socks, degree


def links_ok(socks, degree):
    return all(len(s.routing_table) == degree(i) for i, s in enumerate(socks))


def throughput(n, size, run_ms, runs, warm_ms, deadline, window=0):
    # Every broadcast must differ (the message ID hashes the content; a repeat within the same
    # second is dropped as a duplicate): a 10-digit sequence number, then the body, as mesh-worker.js.
    body = text_of(size - 10)
    rates = []
    health = []
    run_info = []
    for run in range(runs):
        if time.time() > deadline:
            health.append('run %d: skipped, out of time' % (run + 1))
            break
        socks, degree = chain(n)
        count = [0]
        last_at = [time.time()]
        sent_ref = [0]
        room = threading.Event()

        def counter(msg, conn):
            if msg.packets[0] == flags.broadcast:
                count[0] += 1
                last_at[0] = time.time()
                if window and sent_ref[0] - count[0] < window:
                    room.set()
                return True
            return None

        def discard(msg, conn):
            return True if msg.packets[0] == flags.broadcast else None

        for s in socks[:-1]:
            s.register_handler(discard)  # relays queue nothing for recv()
        socks[-1].register_handler(counter)
        a = socks[0]
        sent = 0
        broke = None
        t_start = time.time()
        warm_end = t_start + warm_ms / 1000.0
        run_end = warm_end + run_ms / 1000.0
        c0 = None
        t0 = None
        last_at[0] = t_start
        while True:
            now = time.time()
            if c0 is None and now >= warm_end:
                c0, t0 = count[0], now
            if now >= run_end:
                break
            if window:
                # at most `window` messages in flight (the receiver is in this process)
                room.clear()
                if sent - count[0] >= window:
                    room.wait(0.05)
                    if sent - count[0] >= window:
                        if time.time() - last_at[0] > STALL_S:
                            broke = 'nothing delivered for %.0f s' % STALL_S
                            break
                        continue
            try:
                a.send('%010d' % sent + body)
                sent += 1
                sent_ref[0] = sent
            except Exception as e:  # py2p raised out of send: count it as a break
                broke = 'send raised %s: %s' % (type(e).__name__, e)
            if broke is None and ((sent & 63) == 0 or sent < 64):
                if not links_ok(socks, degree):
                    broke = 'a peer left a routing table (%s)' % ', '.join(
                        str(len(s.routing_table)) for s in socks)
                elif any(s.daemon.exceptions for s in socks):
                    broke = 'py2p recorded an exception'
                elif time.time() - last_at[0] > STALL_S:
                    broke = 'nothing delivered for %.0f s while sending' % STALL_S
            if broke:
                break
        t_end = time.time()
        c_end = count[0]
        # let in-flight messages land (bounded)
        settle_end = time.time() + SETTLE_S
        prev = -1
        while time.time() < settle_end and count[0] != prev:
            prev = count[0]
            time.sleep(0.05)
        info = {'sent': sent, 'delivered': count[0], 'secs': t_end - t_start}
        if broke:
            info['broke'] = broke
            info['brokeAfterMsgs'] = c_end
            info['brokeAfterMs'] = round((t_end - t_start) * 1000)
            info['exceptions'] = exceptions_of(socks)[:4]
            health.append('run %d: link broke after %d msgs delivered (%d sent, %.1f s): %s%s' % (
                run + 1, c_end, sent, t_end - t_start, broke,
                ''.join('; ' + e for e in info['exceptions'])))
            # the rate before the break, for information only
            if t_end - t_start > 0:
                info['rateBeforeBreak'] = c_end / (t_end - t_start)
        else:
            rate = (c_end - c0) / (t_end - t0)
            rates.append(rate)
            info['rate'] = rate
            lost = sent - count[0]
            if lost > 0:
                health.append('run %d: %d of %d sent messages never arrived at the last node' % (run + 1, lost, sent))
            for e in exceptions_of(socks):
                health.append('run %d: %s' % (run + 1, e))
        run_info.append(info)
        close_all(socks)
    out = {'runs': runs, 'health': health, 'runInfo': run_info}
    broken = [r for r in run_info if 'broke' in r]
    if broken:
        out['broke'] = True
        out['brokeAfterMsgs'] = min(r['brokeAfterMsgs'] for r in broken)
        out['brokenRuns'] = len(broken)
    if rates:
        rates.sort()
        out.update({'median': rates[len(rates) // 2], 'min': rates[0], 'max': rates[-1], 'okRuns': len(rates)})
    return out


def round_trip(size, total_ms, warm_ms, deadline):
    payload = text_of(size)
    socks, degree = chain(2)
    a, b = socks
    got = threading.Event()

    def replier(msg, conn):
        if msg.packets[0] == flags.whisper:
            msg.reply(payload)
            return True
        return None

    def waiter(msg, conn):
        if msg.packets[0] == flags.whisper:
            got.set()
            return True
        return None

    b.register_handler(replier)
    a.register_handler(waiter)
    to_b = a.routing_table[b.id]

    def ping():
        got.clear()
        to_b.send(flags.whisper, flags.whisper, payload)
        return got.wait(1.0)

    warm_end = time.time() + warm_ms / 1000.0
    while time.time() < warm_end:
        ping()
    samples = []
    timeouts = 0
    end = min(time.time() + total_ms / 1000.0, deadline)
    while time.time() < end and len(samples) < 1000000:
        t0 = time.perf_counter()
        if not ping():
            timeouts += 1
            if timeouts > 3:
                break
            continue
        samples.append((time.perf_counter() - t0) * 1e6)
    health = exceptions_of(socks)
    if not links_ok(socks, degree):
        health.append('the link broke')
    if timeouts:
        health.append('%d pings unanswered within 1 s' % timeouts)
    close_all(socks)
    samples.sort()

    def q(p):
        return samples[min(len(samples) - 1, int(p * len(samples)))] if samples else None

    return {'median': q(0.5), 'p99': q(0.99), 'min': samples[0] if samples else None, 'count': len(samples),
            'health': health}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scenarios', default='2:100,2:10240,3:10240')
    ap.add_argument('--window', type=int, default=0,
                    help='at most this many messages in flight (0: send as fast as send() returns)')
    ap.add_argument('--rtt', type=int, default=100, help='round-trip payload size; 0 to skip')
    ap.add_argument('--run-ms', type=int, default=2000)
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--warm-ms', type=int, default=300)
    ap.add_argument('--budget-s', type=float, default=150, help='stop starting new runs after this long')
    args = ap.parse_args()
    deadline = time.time() + args.budget_s
    emit({'kind': 'start', 'impl': 'py2p-' + PY2P_VERSION, 'python': sys.version.split()[0]})
    for sc in args.scenarios.split(','):
        if not sc:
            continue
        n, size = (int(v) for v in sc.split(':'))
        try:
            r = throughput(n, size, args.run_ms, args.runs, args.warm_ms, deadline, args.window)
        except Exception as e:
            r = {'error': '%s: %s' % (type(e).__name__, e), 'stack': traceback.format_exc()}
        r.update({'kind': 'throughput', 'key': sc, 'window': args.window})
        emit(r)
    if args.rtt:
        try:
            r = round_trip(args.rtt, args.run_ms * args.runs, args.warm_ms, deadline)
        except Exception as e:
            r = {'error': '%s: %s' % (type(e).__name__, e), 'stack': traceback.format_exc()}
        r.update({'kind': 'rtt', 'key': '2:%d' % args.rtt})
        emit(r)
    emit({'kind': 'done'})
    sys.stderr.flush()
    os._exit(0)  # py2p's threads (and any stuck send) must not keep the process alive


if __name__ == '__main__':
    try:
        main()
    except BaseException as e:
        emit({'kind': 'fatal', 'error': '%s: %s' % (type(e).__name__, e), 'stack': traceback.format_exc()})
        sys.stderr.flush()
        os._exit(1)

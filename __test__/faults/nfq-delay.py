#!/usr/bin/env python3
"""Latency without netem: hold packets of an NFQUEUE and accept each one
`delay_ms` (+ uniform 0..jitter_ms) after it was queued.

This is a userspace helper, clearly not netem: the packets stay in the kernel
(only metadata is copied here), and this process decides when the kernel lets
each one continue. Run it inside the namespace whose traffic it delays, with an
iptables rule such as `-A OUTPUT -o eth0 -j NFQUEUE --queue-num Q --queue-bypass`
(bypass: packets pass undelayed when this process is gone).

  usage: nfq-delay.py QUEUE_NUM DELAY_MS [JITTER_MS]
  stdout: "ready" once bound, then on SIGTERM/stdin EOF "held N" (packets delayed).

Speaks nfnetlink_queue directly over a netlink socket (no python bindings needed).
"""
import heapq
import os
import random
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack('=HH', n, kind) + payload + b'\0' * ((4 - n % 4) % 4)


def message(msg_type, queue, attrs, flags=NLM_F_REQUEST, seq=0):
    body = struct.pack('=BBH', socket.AF_UNSPEC, 0, socket.htons(queue)) + b''.join(attrs)
    return struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, seq, 0) + body


def parse_attrs(data):
    out = {}
    i = 0
    while i + 4 <= len(data):
        n, kind = struct.unpack_from('=HH', data, i)
        if n < 4:
            break
        out[kind & 0x3FFF] = data[i + 4:i + n]
        i += (n + 3) & ~3
    return out


def main():
    queue = int(sys.argv[1])
    delay = float(sys.argv[2]) / 1000.0
    jitter = float(sys.argv[3]) / 1000.0 if len(sys.argv) > 3 else 0.0
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((0, 0))
    config = [
        message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_CMD, struct.pack('=BBH', NFQNL_CFG_CMD_BIND, 0, 0))], NLM_F_REQUEST | NLM_F_ACK, 1),
        message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_PARAMS, struct.pack('>IB', 0, NFQNL_COPY_META))], NLM_F_REQUEST | NLM_F_ACK, 2),
        message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack('>I', 20000))], NLM_F_REQUEST | NLM_F_ACK, 3),
    ]
    for m in config:
        s.send(m)
        reply = s.recv(65536)
        _, kind, _, _, _ = struct.unpack_from('=IHHII', reply, 0)
        err = struct.unpack_from('=i', reply, 16)[0] if kind == NLMSG_ERROR else 0
        if err:
            sys.stderr.write('nfqueue config failed: %s\n' % os.strerror(-err))
            sys.exit(2)
    print('ready', flush=True)
    pending = []  # (due, seq, packet_id)
    seq = 0
    held = 0
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else None
        readable, _, _ = select.select([s, sys.stdin], [], [], timeout)
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 4096):
            break
        if s in readable:
            try:
                data = s.recv(1 << 17)
            except OSError:  # ENOBUFS: the kernel dropped notifications; those packets wait for the queue's bypass
                data = b''
            i = 0
            while i + 16 <= len(data):
                n, kind, _, _, _ = struct.unpack_from('=IHHII', data, i)
                if n < 16:
                    break
                if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    hdr = parse_attrs(data[i + 20:i + n]).get(NFQA_PACKET_HDR)
                    if hdr:
                        pid = struct.unpack_from('>I', hdr, 0)[0]
                        seq += 1
                        heapq.heappush(pending, (time.monotonic() + delay + random.uniform(0, jitter), seq, pid))
                        held += 1
                i += (n + 3) & ~3
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, pid = heapq.heappop(pending)
            s.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('>II', NF_ACCEPT, pid))]))
    for _, _, pid in pending:
        s.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('>II', NF_ACCEPT, pid))]))
    print('held %d' % held, flush=True)


if __name__ == '__main__':
    main()

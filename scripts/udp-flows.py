#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Traffic for `make demo`'s multiqueue step: FLOWS UDP flows, each its own socket and so
# its own source port, taking turns between the given destinations, each sending one
# datagram every ROUND seconds for SECONDS seconds and waiting for its echo. Prints a
# line per second (sent, echoed, flows that got an echo) and a summary.
#
#   udp-flows.py SECONDS FLOWS ADDR:PORT|[ADDR6]:PORT...
import selectors
import socket
import sys
import time

ROUND = 0.05


def parse(dest):
    host, port = dest.rsplit(':', 1)
    if host.startswith('['):
        return socket.AF_INET6, (host[1:-1], int(port))
    return socket.AF_INET, (host, int(port))


def main():
    seconds, nflows = float(sys.argv[1]), int(sys.argv[2])
    dests = [parse(d) for d in sys.argv[3:]]
    sel = selectors.DefaultSelector()
    flows = []
    for i in range(nflows):
        family, addr = dests[i % len(dests)]
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.connect(addr)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        flows.append(s)

    sent = echoed = 0
    total_sent = total_echoed = 0
    answered = set()
    ever_answered = set()
    start = time.monotonic()
    end = start + seconds
    next_round = start
    second = 1
    while True:
        now = time.monotonic()
        # The last line waits a little for the echoes of the last round.
        line_due = start + second if second < seconds else end + 0.5
        if now >= line_due:
            print(f'  {second:3d} s: sent {sent:5d}  echoed {echoed:5d}  '
                  f'flows echoed {len(answered):3d}/{nflows}', flush=True)
            total_sent += sent
            total_echoed += echoed
            sent = echoed = 0
            answered.clear()
            if second >= seconds:
                break
            second += 1
            continue
        if now >= next_round and now < end:
            for s in flows:
                try:
                    s.send(b'rtun demo flow')
                    sent += 1
                except OSError:
                    pass
            # A slow machine skips rounds rather than sending them in a burst.
            next_round = max(next_round + ROUND, now)
        wake = min(line_due, next_round) if now < end else line_due
        for key, _ in sel.select(max(wake - time.monotonic(), 0)):
            try:
                while key.fileobj.recv(2048):
                    echoed += 1
                    answered.add(key.data)
                    ever_answered.add(key.data)
            except OSError:
                # BlockingIOError: nothing more; others (ICMP errors) end the read too.
                pass
    print(f'  total: sent {total_sent}, echoed {total_echoed} '
          f'({total_sent - total_echoed} lost); {len(ever_answered)}/{nflows} flows echoed',
          flush=True)


if __name__ == '__main__':
    main()

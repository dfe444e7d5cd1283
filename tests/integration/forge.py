#!/usr/bin/python3
"""forge.py - forged TFTP traffic for the integration tests.

The "forged" source addresses are local addresses of the namespace this
runs in, which a firewall rule keeps from ever answering: to the server
they are indistinguishable from spoofed ones.

  forge.py flood SERVER PORT FILE RATE SECONDS FIRST_ADDR COUNT
      Read requests (octet, for FILE) at RATE per second in all, for
      SECONDS, round-robin over COUNT addresses from FIRST_ADDR on, each
      from a port that address has not used before. Every second request
      asks for options (blksize 1468 windowsize 16), the others none.
      Prints "sent=N seconds=S failed=F" (F: sends the local queue refused).

  forge.py rrq SERVER PORT SOURCE SPORT FILE [NAME VALUE]...
      One read request (octet, with these options) from SOURCE:SPORT.

  forge.py acks SERVER PORT SOURCE SPORT RATE SECONDS
      ACK 0 from SOURCE:SPORT, RATE per second for SECONDS (one when
      SECONDS is 0). Prints "acks=N seconds=S".

Exit status: 0 done, 1 a socket error, 2 bad usage.
"""

import errno
import ipaddress
import socket
import struct
import sys
import time

# Ports the flood takes, one after the other for each address.
FLOOD_PORT_FIRST = 20000
FLOOD_OPTIONS = (("blksize", "1468"), ("windowsize", "16"))


def rrq(name, options=()):
    fields = [name, "octet"]
    for opt, val in options:
        fields += [opt, val]
    return struct.pack("!H", 1) + b"".join(f.encode() + b"\0" for f in fields)


def ack(block):
    return struct.pack("!HH", 4, block)


def paced(rate, total):
    """Yield 0..total-1, each at its due time (rate per second), catching
    up without pause when late."""
    t0 = time.monotonic()
    for i in range(total):
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield i


def flood(server, port, name, rate, seconds, first, count):
    base = ipaddress.IPv4Address(first)
    sources = [str(base + i) for i in range(count)]
    requests = (rrq(name), rrq(name, FLOOD_OPTIONS))
    total = int(rate * seconds)
    failed = 0
    t0 = time.monotonic()
    for i in paced(rate, total):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sources[i % count], FLOOD_PORT_FIRST + i // count))
            s.sendto(requests[i % 2], (server, port))
        except OSError as e:
            # A full queue is the load this tool makes, not an error.
            if e.errno not in (errno.EAGAIN, errno.ENOBUFS):
                raise
            failed += 1
        finally:
            s.close()
    print("sent=%d seconds=%.2f failed=%d" % (total - failed, time.monotonic() - t0, failed),
          flush=True)


def bound_socket(source, sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((source, sport))
    return s


def one_rrq(server, port, source, sport, name, options):
    with bound_socket(source, sport) as s:
        s.sendto(rrq(name, options), (server, port))


def acks(server, port, source, sport, rate, seconds):
    total = 1 + int(rate * seconds)
    t0 = time.monotonic()
    with bound_socket(source, sport) as s:
        for _ in paced(rate, total):
            s.sendto(ack(0), (server, port))
    print("acks=%d seconds=%.2f" % (total, time.monotonic() - t0), flush=True)


def usage():
    sys.stderr.write(__doc__)
    sys.exit(2)


def main(argv):
    if len(argv) < 2:
        usage()
    try:
        if argv[1] == "flood" and len(argv) == 9:
            flood(argv[2], int(argv[3]), argv[4], float(argv[5]), float(argv[6]),
                  argv[7], int(argv[8]))
            return 0
        if argv[1] == "rrq" and len(argv) >= 7 and len(argv) % 2 == 1:
            options = list(zip(argv[7::2], argv[8::2]))
            one_rrq(argv[2], int(argv[3]), argv[4], int(argv[5]), argv[6], options)
            return 0
        if argv[1] == "acks" and len(argv) == 8:
            acks(argv[2], int(argv[3]), argv[4], int(argv[5]), float(argv[6]),
                 float(argv[7]))
            return 0
    except ValueError:
        usage()
    except OSError as e:
        sys.stderr.write("forge.py: %s\n" % e)
        return 1
    usage()
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

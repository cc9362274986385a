#!/usr/bin/env python3
"""Times SMB2 session setups (NEGOTIATE + NTLMv2 SESSION_SETUP + LOGOFF) against servers.

usage: logon_rounds.py ROUNDS PER_ROUND USER PASSWORD NAME=PORT [NAME=PORT ...]

Each round logs on PER_ROUND times to each server in turn (the servers interleaved, so a
drift of the machine's speed hits all alike) on one TCP connection per logon, and records
the median time of a logon in that round. Prints each server's median of the round
medians and, for every server after the first, its ratio to the first."""
import statistics
import sys
import time

from impacket.smbconnection import SMBConnection


def logon_once(port, user, password):
    t0 = time.perf_counter()
    c = SMBConnection("127.0.0.1", "127.0.0.1", sess_port=port)
    c.login(user, password)
    t1 = time.perf_counter()
    c.logoff()
    c.close()
    return t1 - t0


def main():
    rounds, per_round, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    servers = [a.split("=", 1) for a in sys.argv[5:]]
    medians = {name: [] for name, _ in servers}
    for name, port in servers:  # warm-up
        logon_once(int(port), user, password)
    for _ in range(rounds):
        for name, port in servers:
            times = [logon_once(int(port), user, password) for _ in range(per_round)]
            medians[name].append(statistics.median(times))
    base = statistics.median(medians[servers[0][0]])
    for name, _ in servers:
        m = statistics.median(medians[name])
        print(f"{name:>12}: median logon {m * 1e3:8.3f} ms  ratio to {servers[0][0]}: {m / base:5.2f}")


if __name__ == "__main__":
    main()

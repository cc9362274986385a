#!/usr/bin/env python3
"""Prints a free TCP port on 127.0.0.1 below the ephemeral range (32768-60999).

Test servers listen below 32768 so that their ports never collide with the source ports
clients are given under load. A port is picked at random in 20000-32767 and kept when it
can be bound."""
import random
import socket
import sys

for _ in range(200):
    port = random.randint(20000, 32767)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("free-port: no free port in 20000-32767")

#!/usr/bin/env python3
"""Time from exec of `outpost run` to READY=1 on NOTIFY_SOCKET.

Stands in for systemd: binds a Unix datagram socket, starts the agent with
NOTIFY_SOCKET pointing at it (a control plane that is not there: READY=1 does
not wait for online), and times exec -> READY=1, N times, each with a fresh
state directory (first start: identity and journal created) and then again
with the same one (a restart: journal opened and recovered).

usage: ready_time.py OUTPOST_BINARY [RUNS]
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def one_start(binary, workdir):
    notify_path = os.path.join(workdir, "notify.sock")
    if os.path.exists(notify_path):
        os.unlink(notify_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)
    sock.settimeout(30)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    began = time.monotonic()
    agent = subprocess.Popen([binary, "run", "--config", os.path.join(workdir, "agent.yaml")],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            data = sock.recv(4096).decode()
            if "READY=1" in data.split("\n"):
                return time.monotonic() - began
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        sock.close()


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    first, restart = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as workdir:
            with open(os.path.join(workdir, "agent.yaml"), "w") as f:
                f.write("server:\n  url: wss://127.0.0.1:1/v1/agent\n"
                        f"node:\n  id: ready-bench\n  state_dir: {workdir}/state\n"
                        f"status:\n  socket: {workdir}/run/status.sock\n")
            first.append(one_start(binary, workdir))
            restart.append(one_start(binary, workdir))
    for name, values in (("first start", first), ("restart", restart)):
        values.sort()
        print(f"{name}: n={len(values)} median {statistics.median(values) * 1000:.0f} ms, "
              f"min {values[0] * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()

"""HTTPS polling (protocol.md §7, issue 18) against the WebSocket, in one run:

- command latency, `execute` issued at the hub → `command_result` read by the
  hub, with the hub's own clock (CLOCK_MONOTONIC, the same clock as Python's
  time.monotonic() on Linux): over the WebSocket; over polling at the default
  15 s interval; and at a 2 s interval, where more samples fit and the model
  (wait for the next poll, uniform over the interval, plus the exchange) can be
  checked. Commands are issued at a random phase of the poll cycle (a random
  pause in [0, interval) after the previous result). The part after delivery
  (the answer carrying `execute` written → the result read) is what the
  immediate re-poll of §7 costs, since an answer that carried messages is
  followed by a poll at once;
- bytes per idle hour on each transport: every byte between the agent and the
  hub in both directions, TLS records and handshakes included, counted by a
  TCP relay this script puts in front of the hub (the agent's URLs point at
  it) over an idle window, scaled to an hour;
- CPU per idle hour on each transport: the agent's utime + stime
  (/proc/PID/stat) and on-CPU time (/proc/PID/schedstat) over the same window,
  scaled.

Idle means the default session settings (heartbeat 30 s from the hub's
welcome, poll_interval 15 s) with telemetry and health reports off, so the
figures are the transport's own cost. Nothing here fails because the machine
is slow: figures are reported, never asserted.
"""

import random
import socket
import threading
import time

import run_benchmarks as rb

TRUE_NONE = {"name": "true-none", "path": "/bin/true", "run_as": "nobody", "sandbox": "none"}
QUIET_REPORTS = ["telemetry:", "  interval: 24h", "health:", "  interval: 24h"]


class CountingRelay:
    """A TCP relay on loopback that counts the bytes it forwards each way."""

    def __init__(self, target_port):
        self.target = target_port
        self.lock = threading.Lock()
        self.up = self.down = self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self):
        with self.lock:
            counts = (self.up, self.down, self.connections)
            self.up = self.down = self.connections = 0
        return counts

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._pipe, args=(client, server, "up"), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, "down"), daemon=True).start()

    def _pipe(self, src, dst, direction):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    if direction == "up":
                        self.up += len(data)
                    else:
                        self.down += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        self.sock.close()


class PollingAgent(rb.Agent):
    """rb.Agent with the §7 keys in its `server:` section (URLs through a relay)."""

    def __init__(self, *args, server_lines=(), **kwargs):
        self.server_lines = list(server_lines)
        super().__init__(*args, **kwargs)

    def _write_config(self, port, ca_file):
        super()._write_config(port, ca_file)
        with open(self.config) as f:
            lines = f.read().splitlines()
        at = lines.index("server:") + 1
        extra = [f"  {line.format(port=port)}" for line in self.server_lines]
        with open(self.config, "w") as f:
            f.write("\n".join(lines[:at] + extra + lines[at:]) + "\n")


def transport_lines(transport, interval):
    if transport == "websocket":
        return []
    return ["transport: poll", "poll_url: https://localhost:{port}/v1/poll",
            f"poll_interval: {interval}"]


def online(ctx, name, transport, interval):
    agent = PollingAgent(ctx.outpost, ctx.work, name, commands=[TRUE_NONE],
                         extra_yaml=QUIET_REPORTS, server_lines=transport_lines(transport, interval))
    hub = rb.Hub(ctx.hub, ctx.certs, f"{agent.node_id}={agent.public_key}", agent.dir,
                 quiet=False)
    relay = CountingRelay(hub.port)
    pid = agent.start(relay.port, f"{ctx.certs}/ca.pem")
    hub.wait_online()
    return agent, hub, relay, pid


def one_command(hub, request_id, timeout):
    """Issues one execute; returns (issued → result, delivered → result) in ms."""
    issued = time.monotonic() * 1000
    hub.send('send-type execute {"request_id":"%s","command":"true-none","args":[]}' % request_id)
    delivered = None
    while True:
        ev = hub.wait(lambda e: e.get("event") in ("sent", "message"), timeout)
        if ev.get("event") == "sent" and ev.get("type") == "execute" and delivered is None:
            delivered = ev["sent_ms"]
        if (ev.get("event") == "message" and ev.get("type") == "command_result"
                and ev["msg"]["data"].get("request_id") == request_id):
            got = ev["received_ms"]
            return got - issued, (got - delivered) if delivered is not None else None


def summary(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    return {"n": len(v), "mean_ms": sum(v) / len(v), "p50_ms": v[len(v) // 2],
            "min_ms": v[0], "max_ms": v[-1]}


def latency(ctx, transport, interval_s, samples):
    name = f"agent-poll-latency-{transport}-{interval_s}"
    agent, hub, relay, pid = online(ctx, name, transport, f"{interval_s}s")
    try:
        total, after = [], []
        one_command(hub, "warm-up", 120)
        for i in range(samples):
            if transport != "websocket":
                time.sleep(random.uniform(0, interval_s))  # a random phase of the poll cycle
            t, d = one_command(hub, f"lat-{i}", 120)
            total.append(t)
            after.append(d)
        return {"transport": transport, "interval_s": interval_s,
                "issued_to_result": summary(total), "delivered_to_result": summary(after),
                "samples_ms": total}
    finally:
        agent.stop()
        hub.stop()
        relay.stop()


def idle(ctx, transport, seconds):
    agent, hub, relay, pid = online(ctx, f"agent-poll-idle-{transport}", transport, "15s")
    try:
        time.sleep(10)  # settled: the first exchanges and reports are done
        relay.reset()
        c0, t0 = rb.proc_cpu(pid), time.monotonic()
        time.sleep(seconds)
        c1, wall = rb.proc_cpu(pid), time.monotonic() - t0
        up, down, connections = relay.reset()
        scale = 3600 / wall
        ticks = (c1[0] - c0[0]) / rb.CLK_TCK
        sched = (c1[1] - c0[1]) / 1e9 if c0[1] is not None and c1[1] is not None else None
        return {"transport": transport, "wall_s": wall, "bytes_up": up, "bytes_down": down,
                "connections": connections, "bytes_per_hour": (up + down) * scale,
                "connections_per_hour": connections * scale,
                "cpu_s_per_hour_ticks": ticks * scale,
                "cpu_s_per_hour_sched": sched * scale if sched is not None else None,
                "rss": rb.proc_status(pid)}
    finally:
        agent.stop()
        hub.stop()
        relay.stop()


def bench_polling(ctx):
    quick = ctx.quick
    res = {}
    n_ws, n_default, n_short = (10, 3, 10) if quick else (30, 10, 30)
    window = 60 if quick else 120
    rb.log(f"polling: latency over the WebSocket, {n_ws} commands")
    res["latency_ws"] = latency(ctx, "websocket", 0, n_ws)
    rb.log(f"polling: latency over polling at 15 s, {n_default} commands")
    res["latency_poll_15s"] = latency(ctx, "poll", 15, n_default)
    rb.log(f"polling: latency over polling at 2 s, {n_short} commands")
    res["latency_poll_2s"] = latency(ctx, "poll", 2, n_short)
    rb.log(f"polling: idle {window} s on each transport")
    res["idle_ws"] = idle(ctx, "websocket", window)
    res["idle_poll"] = idle(ctx, "poll", window)
    return res

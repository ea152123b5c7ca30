#!/usr/bin/env python3
"""Runs the Outpost benchmarks (docs/performance.md) and writes their results.

Orchestration only: every latency is timed in C++ (inside outpost-hub for the
agent's round trips, in tests/bench/*.cpp for the baselines); this script
starts processes, reads /proc and writes JSON + Markdown. Benchmarks report,
they never fail because the machine is slow.

    run_benchmarks.py --build-dir B --tools-dir T --work-dir W \
        --json OUT.json --markdown docs/performance.md [--quick]
"""

import argparse
import datetime
import json
import os
import platform
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


# ---------------------------------------------------------------- /proc reads

def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) if key != "Threads" else int(value)
    try:  # proportional set size: shared library pages divided among their users
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("Pss", "Pss_Anon", "Pss_File"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out  # kB except Threads


def proc_cpu(pid):
    """utime+stime in clock ticks (/proc/PID/stat) and on-CPU ns (schedstat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    ns = None
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            ns = int(f.read().split()[0])
    except OSError:
        pass
    # schedstat is per thread for the main thread only; sum all tasks.
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        ns = total
    except OSError:
        pass
    return ticks, ns


def proc_children_ticks(pid):
    """cutime+cstime: CPU of reaped children (the commands and their set-up)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[13]) + int(fields[14])


def timed_bench(hub, pid, command, timeout):
    """hub.bench plus the agent's CPU (own threads, and reaped children) per command."""
    t0, n0 = proc_cpu(pid)
    c0 = proc_children_ticks(pid)
    _, h0 = proc_cpu(hub.proc.pid)
    l0 = loadavg()[0]
    ev = hub.bench(command, timeout)
    t1, n1 = proc_cpu(pid)
    c1 = proc_children_ticks(pid)
    _, h1 = proc_cpu(hub.proc.pid)
    count = max(ev.get("count", 1), 1)
    # The hub shares the machine's cores: with its share, the CPU a command
    # costs in total (what bounds the burst rate on a 2-core machine).
    if h0 is not None and h1 is not None:
        ev["hub_cpu_ms_per_cmd"] = (h1 - h0) / 1e6 / count
    ev["agent_cpu_ms_per_cmd"] = (n1 - n0) / 1e6 / count if n0 is not None else \
        1000 * (t1 - t0) / CLK_TCK / count
    ev["children_cpu_ms_per_cmd"] = 1000 * (c1 - c0) / CLK_TCK / count
    ev["load1"] = [l0, loadavg()[0]]
    return ev


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_kinds(pid):
    kinds = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kind = target.split(":")[0] if ":" in target and not target.startswith("/") else "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


# ---------------------------------------------------------------- processes

class Hub:
    """outpost-hub as a child: commands on stdin, JSON events from stdout."""

    def __init__(self, binary, certs, agent_key, workdir, quiet, heartbeat=None,
                 seal_key_file=None):
        self.port_file = os.path.join(workdir, "hub.port")
        args = [binary, "--certs-dir", certs, "--agent-key", agent_key,
                "--port-file", self.port_file]
        if seal_key_file:  # protocol.md §8: every message after hello sealed
            args += ["--seal-key", seal_key_file]
        if quiet:
            args.append("--quiet-events")
        if heartbeat:
            args += ["--heartbeat", str(heartbeat)]
        self.stderr = open(os.path.join(workdir, "hub.stderr"), "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)
        self.events = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        ev = self.wait(lambda e: e.get("event") == "listening", 30)
        self.port = ev["port"]

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                self.events.put(json.loads(line))
            except ValueError:
                self.events.put({"event": "unparsed", "raw": line})
        self.events.put({"event": "eof"})

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def wait(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("hub event not seen in time")
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                raise TimeoutError("hub event not seen in time") from None
            if ev.get("event") == "eof":
                raise RuntimeError("hub exited")
            if ev.get("event") == "error":
                log(f"hub error event: {ev.get('message')}")
                if pred(ev):
                    return ev
                if str(ev.get("message", "")).startswith("bench-"):
                    raise RuntimeError(ev["message"])
                continue
            if pred(ev):
                return ev

    def wait_online(self, timeout=60):
        """Polls `status` until a session has said hello (works with --quiet-events)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.send("status")
            ev = self.wait(lambda e: e.get("event") == "status", 10)
            if any(s.get("hello") for s in ev.get("sessions", [])):
                return ev
            time.sleep(0.05)
        raise TimeoutError("agent did not come online")

    def bench(self, command, timeout):
        self.send(command)
        return self.wait(lambda e: e.get("event") == "bench", timeout)

    def stop(self):
        try:
            self.send("quit")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


class Agent:
    """outpost run with a generated config; identity made before the hub starts."""

    def __init__(self, binary, workdir, name, sync="full", max_concurrent=8,
                 reconnect_initial=None, commands=(), server_seal_key=None, extra_yaml=()):
        self.binary = binary
        self.dir = os.path.join(workdir, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "state"), mode=0o700)
        self.config = os.path.join(self.dir, "agent.yaml")
        self.sync = sync
        self.max_concurrent = max_concurrent
        self.reconnect_initial = reconnect_initial
        self.commands = commands
        self.server_seal_key = server_seal_key
        self.extra_yaml = list(extra_yaml)  # more YAML lines, top-level sections
        self.proc = None
        self._write_config(1, None)
        out = subprocess.run([binary, "identity", "--config", self.config], check=True,
                             capture_output=True, text=True).stdout
        ident = dict(line.split(": ", 1) for line in out.strip().splitlines())
        self.node_id, self.public_key = ident["node_id"], ident["public_key"]

    def _write_config(self, port, ca_file):
        lines = ["server:", f"  url: wss://localhost:{port}/v1/agent"]
        if ca_file:
            lines.append(f"  ca_file: {ca_file}")
        lines += ["node:", f"  state_dir: {self.dir}/state",
                  "status:", f"  socket: {self.dir}/status.sock",
                  "journal:", f"  sync: {self.sync}",
                  "logging:", "  level: warn"]
        if self.reconnect_initial:
            lines += ["reconnect:", f"  initial: {self.reconnect_initial}", "  max: 1s"]
        if self.server_seal_key:
            lines += ["security:", f"  server_seal_key: {self.server_seal_key}"]
        lines += ["executor:", f"  max_concurrent: {self.max_concurrent}"]
        if self.commands:
            lines.append("  commands:")
            for c in self.commands:
                lines.append("    - {" + ", ".join(f"{k}: {v}" for k, v in c.items()) + "}")
        lines += self.extra_yaml
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, port, ca_file):
        self._write_config(port, ca_file)
        self.log = open(os.path.join(self.dir, "agent.log"), "w")
        self.proc = subprocess.Popen([self.binary, "run", "--config", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()


def run_json(args, timeout=900):
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- benchmarks

def bench_idle_and_ping(ctx):
    """1. RSS after 10 s online, 2. CPU over 60 s idle, 3. ping→pong vs TLS echo."""
    agent = Agent(ctx.outpost, ctx.work, "agent-idle")
    hub = Hub(ctx.hub, ctx.certs, f"{agent.node_id}={agent.public_key}",
              agent.dir, quiet=True)
    hold = None
    try:
        pid = agent.start(hub.port, f"{ctx.certs}/ca.pem")
        hub.wait_online()
        # Baseline: one idle raw TLS 1.3 connection (OpenSSL client, same certs).
        hold = subprocess.Popen([ctx.tool("tls_echo"), "hold", "--certs-dir", ctx.certs],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hold_pid = json.loads(hold.stdout.readline())["pid"]
        log("agent online; idle 10 s")
        time.sleep(ctx.idle_settle)
        rss = {"agent": proc_status(pid), "baseline": proc_status(hold_pid),
               "agent_fds": fd_count(pid), "agent_fd_kinds": fd_kinds(pid),
               "seconds_online": ctx.idle_settle}
        log(f"RSS agent {rss['agent']} baseline {rss['baseline']}; CPU window {ctx.idle_cpu} s")
        a0, b0, load0 = proc_cpu(pid), proc_cpu(hold_pid), loadavg()
        t0 = time.monotonic()
        time.sleep(ctx.idle_cpu)
        a1, b1, load1 = proc_cpu(pid), proc_cpu(hold_pid), loadavg()
        wall = time.monotonic() - t0

        def pct(c0, c1):
            ticks = (c1[0] - c0[0]) / CLK_TCK
            ns = (c1[1] - c0[1]) / 1e9 if c0[1] is not None else None
            return {"ticks_s": ticks, "ticks_pct": 100 * ticks / wall,
                    "sched_s": ns, "sched_pct": 100 * ns / wall if ns is not None else None}

        cpu = {"agent": pct(a0, a1), "baseline": pct(b0, b1), "wall_s": wall,
               "heartbeat_s": 30, "load": [load0, load1]}
        rss["agent_after_idle"] = proc_status(pid)

        log("ping benchmark")
        hub.bench("bench-ping 200", 120)  # warm-up
        pings = []
        for _ in range(ctx.repeats):
            pings.append(hub.bench(f"bench-ping {ctx.ping_count}", 600))
        size = pings[0]["ping_bytes"]
        echoes = [run_json([ctx.tool("tls_echo"), "rtt", "--certs-dir", ctx.certs,
                            "--size", str(size), "--count", str(ctx.ping_count)])
                  for _ in range(ctx.repeats)]
        rss["agent_after_ping"] = proc_status(pid)
        return {"rss": rss, "cpu": cpu, "ping": pings, "echo": echoes}
    finally:
        if hold:
            hold.stdin.close()
            hold.wait(timeout=10)
        agent.stop()
        hub.stop()


def bench_reconnect(ctx):
    """4. RSS and fds across forced reconnects (hub `close 1001`)."""
    agent = Agent(ctx.outpost, ctx.work, "agent-reconnect", reconnect_initial="100ms")
    hub = Hub(ctx.hub, ctx.certs, f"{agent.node_id}={agent.public_key}",
              agent.dir, quiet=False)
    try:
        pid = agent.start(hub.port, f"{ctx.certs}/ca.pem")
        hub.wait(lambda e: e.get("event") == "connected", 60)
        hub.wait(lambda e: e.get("event") == "message" and e.get("type") == "hello", 30)
        time.sleep(1)
        series = [{"reconnects": 0, **proc_status(pid), "fds": fd_count(pid),
                   "t_s": 0.0}]
        t0 = time.monotonic()
        done, failure = 0, None
        for i in range(1, ctx.reconnects + 1):
            hub.send("close 1001 bench reconnect")
            try:
                hub.wait(lambda e: e.get("event") == "message" and e.get("type") == "hello",
                         30)
            except (TimeoutError, RuntimeError) as e:
                failure = f"reconnect {i}: {e}"
                break
            done = i
            if i % ctx.reconnect_sample == 0:
                time.sleep(0.2)  # let the new session settle before sampling
                series.append({"reconnects": i, **proc_status(pid), "fds": fd_count(pid),
                               "t_s": round(time.monotonic() - t0, 1)})
                log(f"reconnects {i}: {series[-1]}")
        wall = time.monotonic() - t0
        return {"series": series, "done": done, "failure": failure, "wall_s": wall,
                "per_reconnect_ms": 1000 * wall / max(done, 1),
                "fd_kinds_end": fd_kinds(pid)}
    finally:
        agent.stop()
        hub.stop()


def count_fsyncs(pid, hub, command, n):
    """fsync/fdatasync calls of the agent's threads (not children) over n commands."""
    if not shutil.which("strace"):
        return None
    tids = os.listdir(f"/proc/{pid}/task")
    out = os.path.join(os.path.dirname(hub.port_file), "strace.txt")
    args = ["strace", "-c", "-o", out, "-e", "trace=fsync,fdatasync,sync_file_range"]
    for t in tids:
        args += ["-p", t]
    st = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    hub.bench(f"bench-execute {n} 1 {command}", 600)
    st.send_signal(signal.SIGINT)
    st.wait(timeout=30)
    calls = {}
    with open(out) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[-1] in ("fsync", "fdatasync", "sync_file_range"):
                calls[parts[-1]] = int(parts[3])
    return {"commands": n, "calls": calls,
            "per_command": sum(calls.values()) / n}


EXEC_COMMANDS = [
    {"name": "true-none", "path": "/bin/true", "run_as": "nobody", "sandbox": "none"},
    {"name": "true-strict", "path": "/bin/true", "run_as": "nobody", "sandbox": "strict"},
    # As the agent's own user: the only kind of child that may borrow the
    # agent's memory (CLONE_VM) instead of a fork (docs/sandbox.md).
    {"name": "true-root", "path": "/bin/true", "run_as": "root", "allow_root": "true",
     "sandbox": "none"},
]


def with_agent(ctx, name, sync, fn):
    """A fresh agent (new state dir, so an empty journal) and hub for one measurement."""
    agent = Agent(ctx.outpost, ctx.work, name, sync=sync, max_concurrent=8,
                  commands=EXEC_COMMANDS)
    hub = Hub(ctx.hub, ctx.certs, f"{agent.node_id}={agent.public_key}",
              agent.dir, quiet=True)
    try:
        pid = agent.start(hub.port, f"{ctx.certs}/ca.pem")
        hub.wait_online()
        return fn(agent, hub, pid)
    finally:
        agent.stop()
        hub.stop()


def bench_execute(ctx, sync):
    """5. execute(/bin/true) → command_result, sandbox none and strict.

    Every timed run gets a fresh agent (empty journal, 50 warm-up commands):
    the agent's cost per command grows with the journal's size (see
    bench_journal_growth), so runs that share an agent would not compare."""
    results = {"sync": sync, "runs": {}}
    for name in ("true-none", "true-root", "true-strict"):
        seq, burst = [], []
        for rep in range(ctx.repeats):
            for k, out in ((1, seq), (8, burst)):
                def one(agent, hub, pid):
                    hub.bench(f"bench-execute 50 1 {name}", 300)  # warm-up
                    ev = timed_bench(hub, pid, f"bench-execute {ctx.exec_count} {k} {name}",
                                     1800)
                    ev["journal_commands_before"] = 50
                    if name == "true-none" and k == 1 and rep == 0:
                        results["rss_after"] = proc_status(pid)
                        results["fds_after"] = fd_count(pid)
                        try:
                            results["fsyncs"] = count_fsyncs(pid, hub, name, ctx.strace_count)
                        except Exception as e:  # measuring aid only
                            results["fsyncs"] = {"error": str(e)}
                    return ev
                out.append(with_agent(ctx, f"agent-exec-{sync}-{name}-{k}-{rep}", sync, one))
                log(f"execute {sync} {name} in_flight {k}: p50 {out[-1]['p50_ms']} ms "
                    f"p99 {out[-1]['p99_ms']} ms {out[-1]['per_s']}/s "
                    f"agent CPU {out[-1]['agent_cpu_ms_per_cmd']:.2f} ms/cmd")
        results["runs"][name] = {"sequential": seq, "burst": burst}
    return results


def bench_journal_growth(ctx):
    """Agent CPU and latency per command as the journal fills (one agent, normal sync)."""
    def series(agent, hub, pid):
        out = []
        done = 0
        for _ in range(ctx.growth_batches):
            ev = timed_bench(hub, pid, f"bench-execute {ctx.growth_batch} 1 true-none", 1800)
            ev["journal_commands_before"] = done
            done += ev["count"]
            out.append(ev)
            log(f"growth: {done} commands, p50 {ev['p50_ms']} ms, agent CPU "
                f"{ev['agent_cpu_ms_per_cmd']:.2f} ms/cmd")
        return {"batches": out,
                "journal_bytes": sum(os.path.getsize(os.path.join(agent.dir, "state", f))
                                     for f in os.listdir(os.path.join(agent.dir, "state"))
                                     if f.startswith("journal"))}
    return with_agent(ctx, "agent-growth", "normal", series)


def bench_sealed(ctx):
    """8. Sealed messages (protocol.md §8) against unsealed, interleaved in one run.

    Each repeat runs both variants back to back, each with its own fresh agent
    and hub (the same journal size, the same machine moment): ping → pong and
    execute(true-none) → command_result, with the agent's and the hub's CPU
    per message. A ping exchange is 2 messages (ping in, pong out); a command
    is 4 (execute, command_ack, command_result, result_ack)."""
    key_file = os.path.join(ctx.work, "seal.key")
    public_key = subprocess.run([ctx.hub, "gen-seal-key", "--out", key_file], check=True,
                                capture_output=True, text=True).stdout.strip()
    out = {"plain": [], "sealed": [], "messages_per_ping": 2, "messages_per_command": 4}
    for rep in range(ctx.repeats):
        for variant in ("plain", "sealed"):
            sealed = variant == "sealed"
            agent = Agent(ctx.outpost, ctx.work, f"agent-seal-{variant}-{rep}", sync="full",
                          commands=EXEC_COMMANDS,
                          server_seal_key=public_key if sealed else None)
            hub = Hub(ctx.hub, ctx.certs, f"{agent.node_id}={agent.public_key}", agent.dir,
                      quiet=True, seal_key_file=key_file if sealed else None)
            try:
                pid = agent.start(hub.port, f"{ctx.certs}/ca.pem")
                hub.wait_online()
                hub.bench("bench-ping 200", 120)  # warm-up
                _, a0 = proc_cpu(pid)
                _, h0 = proc_cpu(hub.proc.pid)
                ping = hub.bench(f"bench-ping {ctx.ping_count}", 600)
                _, a1 = proc_cpu(pid)
                _, h1 = proc_cpu(hub.proc.pid)
                msgs = 2 * max(ping.get("count", 1), 1)
                ping["agent_cpu_us_per_msg"] = (a1 - a0) / 1e3 / msgs
                ping["hub_cpu_us_per_msg"] = (h1 - h0) / 1e3 / msgs
                hub.bench("bench-execute 50 1 true-none", 300)  # warm-up
                ex = timed_bench(hub, pid, f"bench-execute {ctx.exec_count} 1 true-none", 1800)
                ex["agent_cpu_us_per_msg"] = ex["agent_cpu_ms_per_cmd"] * 1000 / 4
                ex["hub_cpu_us_per_msg"] = ex.get("hub_cpu_ms_per_cmd", 0) * 1000 / 4
                out[variant].append({"ping": ping, "execute": ex})
                log(f"sealed bench {variant} rep {rep}: ping p50 {ping['p50_us']} us, "
                    f"execute p50 {ex['p50_ms']} ms p99 {ex['p99_ms']} ms, agent CPU "
                    f"{ex['agent_cpu_us_per_msg']:.1f} us/msg (execute), "
                    f"{ping['agent_cpu_us_per_msg']:.1f} us/msg (ping)")
            finally:
                agent.stop()
                hub.stop()
    return out


# ---------------------------------------------------------------- context

class Ctx:
    def __init__(self, a):
        self.outpost = os.path.join(a.build_dir, "agent", "outpost")
        self.hub = os.path.join(a.build_dir, "tests", "hub", "outpost-hub")
        self.tools = a.tools_dir
        self.work = a.work_dir
        self.certs = os.path.join(a.work_dir, "pki")
        quick = a.quick
        self.repeats = 1 if quick else a.repeats
        self.ping_count = 300 if quick else 2000
        self.exec_count = 200 if quick else 2000
        self.idle_settle = 10
        self.idle_cpu = 15 if quick else 60
        self.reconnects = 100 if quick else 1000
        self.reconnect_sample = 20 if quick else 100
        self.strace_count = 50 if quick else 200
        self.growth_batches = 3 if quick else 5
        self.growth_batch = 100 if quick else 1000
        self.quick = quick

    def tool(self, name):
        return os.path.join(self.tools, name)


def machine_info(repo):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    def git(*args):
        try:
            return subprocess.run(["git", "-C", repo, *args], capture_output=True,
                                  text=True, check=True).stdout.strip()
        except Exception:
            return ""
    # The report this run rewrites does not count as a change to the code.
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                ":(exclude)docs/performance.md")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git("rev-parse", "--short=12", "HEAD"),
        "dirty": bool(dirty),
        "load_start": loadavg(),
        "openssl": subprocess.run(["openssl", "version"], capture_output=True,
                                  text=True).stdout.strip() if shutil.which("openssl") else "",
    }


def fs_of(path):
    best = ("", "?")
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if path.startswith(mnt) and len(mnt) >= len(best[0]):
                best = (mnt, f"{fstype} on {dev} ({mnt})")
    return best[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build-dir", required=True)
    p.add_argument("--tools-dir", required=True)
    p.add_argument("--work-dir", required=True)
    p.add_argument("--repo", default=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    p.add_argument("--json", required=True)
    p.add_argument("--markdown")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    p.add_argument("--only", default="",
                   help="comma list: idle,reconnect,execute,growth,sealed,baselines,telemetry,"
                        "logs,polling")
    a = p.parse_args()
    ctx = Ctx(a)
    os.makedirs(ctx.work, exist_ok=True)
    only = set(filter(None, a.only.split(",")))
    want = lambda k: not only or k in only

    res = {"machine": machine_info(a.repo), "quick": ctx.quick, "repeats": ctx.repeats,
           "errors": {}}
    res["machine"]["state_fs"] = fs_of(os.path.abspath(ctx.work))
    subprocess.run([ctx.hub, "gen-certs", "--dir", ctx.certs], check=True,
                   stdout=subprocess.DEVNULL)

    def attempt(key, fn, *args):
        try:
            t0 = time.monotonic()
            res[key] = fn(*args)
            res[key + "_load"] = loadavg()
            log(f"{key} done in {time.monotonic() - t0:.0f} s, load {loadavg()}")
        except Exception as e:  # report, do not fail
            log(f"{key} FAILED: {e!r}")
            res["errors"][key] = repr(e)

    if want("baselines"):
        log("baselines: fsync, spawn")
        attempt("fsync", lambda: run_json([ctx.tool("fsync_bench"), "--dir", ctx.work,
                                           "--count", "100" if ctx.quick else "200"]))
        attempt("spawn", lambda: [run_json([ctx.tool("spawn_bench"), "--count",
                                            str(ctx.exec_count), "--in-flight", "8"])
                                  for _ in range(ctx.repeats)])
    if want("idle"):
        attempt("idle", bench_idle_and_ping, ctx)
    if want("execute"):
        attempt("execute_full", bench_execute, ctx, "full")
        attempt("execute_normal", bench_execute, ctx, "normal")
    if want("growth"):
        attempt("journal_growth", bench_journal_growth, ctx)
    if want("sealed"):
        attempt("sealed", bench_sealed, ctx)
    if want("baselines") and want("execute"):
        attempt("fsync_after", lambda: run_json([ctx.tool("fsync_bench"), "--dir", ctx.work,
                                                 "--count", "100" if ctx.quick else "200"]))
    if want("reconnect"):
        attempt("reconnect", bench_reconnect, ctx)
    if want("telemetry"):
        import telemetry_bench
        attempt("telemetry", telemetry_bench.bench_telemetry, ctx)
    if want("logs"):
        import logs_bench
        attempt("logs", logs_bench.bench_logs, ctx)
    if want("polling"):
        import polling_bench
        attempt("polling", polling_bench.bench_polling, ctx)
    res["machine"]["load_end"] = loadavg()

    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)
    log(f"results in {a.json}")
    if a.markdown and res.get("logs"):
        import render_logs
        page = os.path.join(os.path.dirname(os.path.abspath(a.markdown)), "performance-logs.md")
        with open(page, "w") as f:
            f.write(render_logs.page(res))
        log(f"logs report in {page}")
    if a.markdown and res.get("telemetry"):
        import render_telemetry
        page = os.path.join(os.path.dirname(os.path.abspath(a.markdown)),
                            "performance-telemetry.md")
        with open(page, "w") as f:
            f.write(render_telemetry.page(res))
        log(f"telemetry report in {page}")
    if a.markdown and res.get("polling"):
        import render_polling
        page = os.path.join(os.path.dirname(os.path.abspath(a.markdown)),
                            "performance-polling.md")
        with open(page, "w") as f:
            f.write(render_polling.page(res))
        log(f"polling report in {page}")
    if a.markdown and only and only <= {"telemetry", "logs", "polling"}:
        log(f"only {','.join(sorted(only))} ran: {a.markdown} keeps its figures")
    elif a.markdown:
        import render_report
        with open(a.markdown, "w") as f:
            f.write(render_report.render(res))
        log(f"report in {a.markdown}")


if __name__ == "__main__":
    main()

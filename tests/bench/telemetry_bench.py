"""Telemetry side by side (issue 15, docs/performance.md §8): the agent's
collection cycle against two Debian-packaged peers doing the same job in the
same run, each at a 1 s interval with a comparable collector set:

- prometheus-node-exporter (cpu, meminfo, loadavg, filesystem, netdev,
  processes), scraped over HTTP once per second: the peer's CPU per scrape;
- collectd (cpu, memory, load, df, interface, processes, uptime, csv), with
  `Interval 1`: the peer's CPU per cycle;
- the agent with `telemetry.interval: 1s` and every collector but containers
  (no Docker socket in the bench), online to outpost-hub over TLS: its CPU per
  sample, i.e. collect + encode + send over TLS, minus the same agent's idle CPU
  measured in the same run with telemetry off.

CPU is read from /proc/PID/stat (utime + stime, clock ticks) and
/proc/PID/schedstat (on-CPU ns, finer); RSS from /proc/PID/status. Nothing here
fails because the machine is slow: figures are reported, never asserted.
"""

import os
import shutil
import socket
import subprocess
import time
import urllib.request

import run_benchmarks as rb

# The collectors the peers run too (containers has no peer here).
COMPARABLE = ["cpu", "memory", "load", "uptime", "disks", "network", "processes", "agent"]
ALL_COLLECTORS = COMPARABLE + ["containers"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(c0, c1):
    """(ticks seconds, schedstat seconds or None) between two proc_cpu readings."""
    ticks = (c1[0] - c0[0]) / rb.CLK_TCK
    sched = (c1[1] - c0[1]) / 1e9 if c0[1] is not None and c1[1] is not None else None
    return ticks, sched


def per_cycle_ms(c0, c1, cycles):
    ticks, sched = cpu_seconds(c0, c1)
    return {"ticks_ms": 1000 * ticks / cycles,
            "sched_ms": 1000 * sched / cycles if sched is not None else None}


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_node_exporter(ctx, seconds):
    binary = shutil.which("prometheus-node-exporter")
    if not binary:
        return {"skipped": "prometheus-node-exporter is not installed"}
    port = free_port()
    log = open(os.path.join(ctx.work, "node_exporter.log"), "w")
    proc = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
         "--collector.cpu", "--collector.meminfo", "--collector.loadavg",
         "--collector.filesystem", "--collector.netdev", "--collector.processes"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        body = None
        for _ in range(100):  # up within 10 s
            try:
                body = urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        if body is None:
            return {"error": "node_exporter did not answer"}
        for _ in range(3):  # warm-up scrapes
            urllib.request.urlopen(url, timeout=5).read()
        c0, t0 = rb.proc_cpu(proc.pid), time.monotonic()
        sizes = []
        for i in range(seconds):
            sizes.append(len(urllib.request.urlopen(url, timeout=5).read()))
            time.sleep(max(0.0, t0 + i + 1 - time.monotonic()))
        c1 = rb.proc_cpu(proc.pid)
        return {"cycles": seconds, "cpu": per_cycle_ms(c0, c1, seconds),
                "rss": rb.proc_status(proc.pid), "bytes_per_scrape": sum(sizes) / len(sizes)}
    finally:
        stop(proc)
        log.close()


def bench_collectd(ctx, seconds):
    binary = shutil.which("collectd") or "/usr/sbin/collectd"
    if not os.path.exists(binary):
        return {"skipped": "collectd is not installed"}
    d = os.path.join(ctx.work, "collectd")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    conf = os.path.join(d, "collectd.conf")
    with open(conf, "w") as f:
        f.write(f'Interval 1\nBaseDir "{d}"\nPIDFile "{d}/collectd.pid"\n'
                'FQDNLookup false\nHostname "bench"\n')
        for plugin in ("cpu", "memory", "load", "df", "interface", "processes", "uptime", "csv"):
            f.write(f"LoadPlugin {plugin}\n")
        f.write(f'<Plugin csv>\n  DataDir "{d}/csv"\n</Plugin>\n')
    log = open(os.path.join(d, "collectd.log"), "w")
    proc = subprocess.Popen([binary, "-C", conf, "-f"], stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(5)  # plugins initialised, a few cycles done
        if proc.poll() is not None:
            return {"error": f"collectd exited with {proc.returncode}"}
        c0 = rb.proc_cpu(proc.pid)
        time.sleep(seconds)
        c1 = rb.proc_cpu(proc.pid)
        return {"cycles": seconds, "cpu": per_cycle_ms(c0, c1, seconds),
                "rss": rb.proc_status(proc.pid)}
    finally:
        stop(proc)
        log.close()


def telemetry_yaml(interval, collectors):
    lines = ["telemetry:", f"  interval: {interval}", "collectors:"]
    for name in ALL_COLLECTORS:
        lines += [f"  {name}:", f"    enabled: {'true' if name in collectors else 'false'}"]
    return lines


def agent_window(ctx, name, extra, seconds, settle):
    """One agent online to a hub for `seconds`: CPU, RSS, the telemetry it sent."""
    agent = rb.Agent(ctx.outpost, ctx.work, name, extra_yaml=extra)
    hub = rb.Hub(ctx.hub, ctx.certs, f"{agent.node_id}={agent.public_key}", agent.dir,
                 quiet=False)
    try:
        pid = agent.start(hub.port, f"{ctx.certs}/ca.pem")
        hub.wait_online()
        time.sleep(settle)
        sizes = []
        drain_telemetry(hub, sizes)
        sizes.clear()
        c0, t0 = rb.proc_cpu(pid), time.monotonic()
        time.sleep(seconds)
        c1, wall = rb.proc_cpu(pid), time.monotonic() - t0
        drain_telemetry(hub, sizes)
        ticks, sched = cpu_seconds(c0, c1)
        status = agent_status(ctx, agent)
        return {"wall_s": wall, "cpu_s": {"ticks": ticks, "sched": sched},
                "cpu_pct": 100 * (sched if sched is not None else ticks) / wall,
                "rss": rb.proc_status(pid), "samples": len(sizes),
                "bytes_per_message": sum(sizes) / len(sizes) if sizes else None,
                "status": status}
    finally:
        agent.stop()
        hub.stop()


def drain_telemetry(hub, sizes):
    """Takes every event queued so far; records the size of each telemetry message."""
    while True:
        try:
            ev = hub.events.get_nowait()
        except Exception:
            return
        if ev.get("event") == "message" and ev.get("type") == "telemetry":
            sizes.append(len(rb.json.dumps(ev.get("msg"), separators=(",", ":"))))


def agent_status(ctx, agent):
    try:
        out = subprocess.run([ctx.outpost, "status", "--json", "--config", agent.config],
                             capture_output=True, text=True, timeout=10)
        return rb.json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr}
    except Exception as e:  # a measuring aid only
        return {"error": repr(e)}


def bench_telemetry(ctx):
    seconds = 20 if ctx.quick else 60
    idle_seconds = 60 if ctx.quick else 300
    res = {"seconds": seconds}
    rb.log(f"telemetry: node_exporter, {seconds} scrapes at 1 s")
    res["node_exporter"] = bench_node_exporter(ctx, seconds)
    rb.log(f"telemetry: collectd, {seconds} cycles at 1 s")
    res["collectd"] = bench_collectd(ctx, seconds)
    rb.log(f"telemetry: agent, {seconds} samples at 1 s, and telemetry off")
    res["agent_on"] = agent_window(ctx, "agent-telemetry-on",
                                   telemetry_yaml("1s", COMPARABLE), seconds, 5)
    res["agent_off"] = agent_window(ctx, "agent-telemetry-off",
                                    telemetry_yaml("24h", []), seconds, 5)
    on, off = res["agent_on"], res["agent_off"]
    if on.get("samples"):
        key = "sched" if on["cpu_s"]["sched"] is not None else "ticks"
        extra = on["cpu_s"][key] - off["cpu_s"][key] * on["wall_s"] / off["wall_s"]
        res["agent_cycle_ms"] = 1000 * extra / on["samples"]
        res["agent_cycle_ms_gross"] = 1000 * on["cpu_s"][key] / on["samples"]
    rb.log(f"telemetry: agent idle at the default intervals, {idle_seconds} s")
    res["agent_idle_default"] = agent_window(ctx, "agent-telemetry-default",
                                             ["collectors:", "  containers:",
                                              "    enabled: false"], idle_seconds, 10)
    return res

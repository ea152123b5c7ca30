"""Renders the telemetry benchmark (telemetry_bench.py) as Markdown: §8 of
docs/performance.md, and docs/performance-telemetry.md when only that
benchmark ran (`scripts/bench --only telemetry` must not blank the rest of
performance.md)."""

MIB = 1024.0  # the /proc figures are in KiB


def _f(x, digits=2):
    return "—" if x is None else f"{x:,.{digits}f}"


def _met(ok):
    if ok is None:
        return "—"
    return "**met**" if ok else "**missed**"


def _table(header, rows):
    out = ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def _peer_ms(peer):
    if not peer or "cpu" not in peer:
        return None
    cpu = peer["cpu"]
    return cpu["sched_ms"] if cpu.get("sched_ms") is not None else cpu["ticks_ms"]


def _peer_note(peer):
    if not peer:
        return "not run"
    return peer.get("skipped") or peer.get("error") or ""


def _loop_lag(status):
    """The agent's own loop-lag figures (`outpost status --json`: telemetry.lag_*_us), in ms."""
    tel = (status or {}).get("telemetry") or {}
    if "lag_p99_us" not in tel:
        return None
    return {k: tel[f"lag_{k}_us"] / 1000.0 if tel.get(f"lag_{k}_us") is not None else None
            for k in ("p50", "p99", "max")}


def section(t, heading="## 9. Telemetry: the agent against node_exporter and collectd\n"):
    o = [heading]
    w = o.append
    if not t:
        w("\nNot measured in this run; the last telemetry-only run is in "
          "[`performance-telemetry.md`](performance-telemetry.md).\n")
        return "".join(o)
    secs = t.get("seconds")
    w(f"\nSame run, same 1 s interval, comparable collector sets, {secs} cycles each "
      "(tests/bench/telemetry_bench.py): `prometheus-node-exporter` with cpu, meminfo, loadavg, "
      "filesystem, netdev, processes, scraped over HTTP every second; `collectd` with cpu, "
      "memory, load, df, interface, processes, uptime and csv at `Interval 1`; the agent with "
      "`telemetry.interval: 1s` and every collector but containers, online to `outpost-hub` over "
      "TLS. The agent's figure per cycle is its whole cost: collect on its collection thread, "
      "encode, journal in the outbox, send over TLS, delete on the pong — minus the same "
      "agent's CPU with telemetry off over the same time. CPU from `/proc/PID/schedstat` "
      "(on-CPU ns).\n")
    ne, cd = t.get("node_exporter"), t.get("collectd")
    ne_ms, cd_ms = _peer_ms(ne), _peer_ms(cd)
    agent_ms = t.get("agent_cycle_ms")
    on, off, idle = t.get("agent_on") or {}, t.get("agent_off") or {}, t.get("agent_idle_default")
    rows = [
        ["agent CPU per full cycle (collect, encode, send over TLS)", f"{_f(agent_ms, 3)} ms "
         f"({_f(t.get('agent_cycle_ms_gross'), 3)} ms gross)", "≤ 1 ms",
         _met(agent_ms <= 1.0 if agent_ms is not None else None)],
        ["collectd CPU per cycle", f"{_f(cd_ms, 3)} ms {_peer_note(cd)}",
         "agent ≥ 3× less", _met(agent_ms * 3 <= cd_ms if agent_ms and cd_ms else None)
         + (f" ({cd_ms / agent_ms:.1f}×)" if agent_ms and cd_ms else "")],
        ["node_exporter CPU per scrape", f"{_f(ne_ms, 3)} ms {_peer_note(ne)}",
         "agent ≥ 5× less", _met(agent_ms * 5 <= ne_ms if agent_ms and ne_ms else None)
         + (f" ({ne_ms / agent_ms:.1f}×)" if agent_ms and ne_ms else "")],
    ]
    if idle and idle.get("cpu_pct") is not None:
        rows.append([f"agent idle CPU at the default intervals, over {idle['wall_s']:.0f} s",
                     f"{_f(idle['cpu_pct'], 4)} % of a core", "≤ 0.05 %",
                     _met(idle["cpu_pct"] <= 0.05)])
    if on.get("rss") and off.get("rss"):
        d = (on["rss"]["VmRSS"] - off["rss"]["VmRSS"]) / MIB
        rows.append(["agent RSS, all collectors on − telemetry off",
                     f"{on['rss']['VmRSS'] / MIB:.2f} − {off['rss']['VmRSS'] / MIB:.2f} = "
                     f"{d:+.2f} MiB", "≤ 0.5 MiB", _met(d <= 0.5)])
    lag = _loop_lag(on.get("status"))
    if lag:
        p99 = lag.get("p99")
        rows.append(["service-loop lag while collecting (the agent's own measure)",
                     f"p50 {_f(lag.get('p50'), 3)} · p99 {_f(p99, 3)} · max "
                     f"{_f(lag.get('max'), 3)} ms", "p99 ≤ 2 ms",
                     _met(p99 <= 2.0 if p99 is not None else None)])
    size = on.get("bytes_per_message")
    if size:
        rows.append(["bytes per `telemetry` message (JSON)", f"{size:,.0f} B; "
                     f"{size * 1440 / 1048576:.1f} MiB per day at 60 s", "report", ""])
    w(_table(["figure", "measured", "goal", "result"], rows))
    peers = []
    for name, p in (("node_exporter", ne), ("collectd", cd)):
        if p and p.get("rss"):
            peers.append([name, f"{p['rss']['VmRSS'] / MIB:.2f} MiB",
                          f"{p['rss'].get('Pss', 0) / MIB:.2f} MiB",
                          f"{p.get('bytes_per_scrape', 0):,.0f} B" if "bytes_per_scrape" in p
                          else ""])
    if on.get("rss"):
        peers.append(["outpost (all collectors, online)", f"{on['rss']['VmRSS'] / MIB:.2f} MiB",
                      f"{on['rss'].get('Pss', 0) / MIB:.2f} MiB",
                      f"{size:,.0f} B" if size else ""])
    if peers:
        w("\nMemory of each, at the end of its window:\n")
        w(_table(["process", "VmRSS", "Pss", "bytes per sample"], peers))
    return "".join(o)


def page(res):
    """docs/performance-telemetry.md: the telemetry section alone, with the machine."""
    m = res["machine"]
    head = ("# Performance: telemetry\n\nGenerated by `scripts/bench --only telemetry`; do not "
            "edit by hand. The rest of the figures are in [`performance.md`](performance.md).\n"
            f"\nMachine: {m['cpu']}, nproc = {m['nproc']}, kernel {m['kernel']}, "
            f"{m['date']}, commit `{m['commit']}`"
            + (" + uncommitted changes" if m.get("dirty") else "") + ", load "
            f"{' '.join(f'{x:.1f}' for x in m['load_start'])} → "
            f"{' '.join(f'{x:.1f}' for x in m['load_end'])}.\n\n")
    return head + section(res.get("telemetry"), "## Telemetry against node_exporter and collectd\n")

"""docs/performance-logs.md from the `logs` results of run_benchmarks.py."""


def fmt(v, unit="", digits=1):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}{unit}"


def page(res):
    m = res.get("machine", {})
    logs = res.get("logs", {})
    a, b = logs.get("agent", {}), logs.get("baseline", {})
    out = ["# Performance: log streaming", "",
           "Written by `scripts/bench --only logs` (tests/bench/logs_bench.py); "
           "docs/log-streaming.md describes the path measured. "
           f"Run {m.get('date', '?')} on {m.get('nproc', '?')} × {m.get('cpu', '?')}, "
           f"commit {m.get('commit', '?')}{' (dirty)' if m.get('dirty') else ''}, "
           f"load at start {m.get('load_start', '?')}.", "",
           "| | agent (`stream_logs` → outpost-hub, TLS) | baseline (`tail -F` \\| `openssl s_client` → `s_server`) |",
           "|---|---|---|"]
    def row(name, fa, fb):
        out.append(f"| {name} | {fa} | {fb} |")
    la, lb = a.get("latency_ms", {}), b.get("latency_ms", {})
    row("append → line received, p50", fmt(la.get("p50"), " ms", 2), fmt(lb.get("p50"), " ms", 2))
    row("append → line received, p99", fmt(la.get("p99"), " ms", 2), fmt(lb.get("p99"), " ms", 2))
    row("sustained lines/s (burst)", fmt(a.get("lines_per_s"), "", 0), fmt(b.get("lines_per_s"), "", 0))
    row("CPU per 1 000 lines", fmt(a.get("cpu_ms_per_1000"), " ms", 2),
        fmt(b.get("cpu_ms_per_1000"), " ms", 2))
    out += ["",
            "The agent's latency is measured at the hub (`received_ms`, whole ms, so ±1 ms); the "
            "baseline's by the reader of `s_server`'s output. The agent's figures include what the "
            "baseline does not do: JSON framing per line, the WebSocket layer, the rate buckets "
            "and the hub's parsing and reporting of each message (the hub's event output is the "
            "slowest reader in the pipeline). No polling interval lies on the agent's path: "
            "inotify → a zero-delay pass on the next loop turn → read → send.", ""]
    errors = res.get("errors", {})
    if errors.get("logs"):
        out += [f"The run failed: `{errors['logs']}`", ""]
    return "\n".join(out) + "\n"

"""docs/performance-logs.md from the `logs` results of run_benchmarks.py."""


def fmt(v, unit="", digits=1):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}{unit}"


def hub_ms(v, digits=2):
    # The hub stamps a line's arrival in whole ms and the writer its append
    # in µs, so an arrival in the same millisecond can read below zero.
    if v is not None and v < 1:
        return f"< 1 ms ({v:.{digits}f}: the hub stamps whole ms)"
    return fmt(v, " ms", digits)


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
    row("append → line received, p50", hub_ms(la.get("p50")), fmt(lb.get("p50"), " ms", 2))
    row("append → line received, p99", hub_ms(la.get("p99")), fmt(lb.get("p99"), " ms", 2))
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
    out += ["## Where the agent's CPU per line goes", "",
            "Measured once (2026-12-08, this release build, `perf record -e cpu-clock -g` on the "
            "agent over a 200 000-line burst, and `strace -c -f` over a 50 000-line one; neither "
            "is part of this script): the agent does per line what the baseline does per 8 KiB "
            "chunk. Each `log_line` is its own WebSocket message: one TLS record and one "
            "`write(2)`, one `getrandom(2)` (libwebsockets' mask key for the client's frame) "
            "and one `poll(2)` — ~3 syscalls a line, against the baseline's ~3 per chunk of "
            "~100 lines. Per pass (≤ 256 lines) come two `timerfd_settime(2)` (the pass timers; "
            "the profile's largest single kernel entry), three `stat`s (the rotation check) and "
            "a `pread(2)`. User-space work (JSON escaping, `fmt`, the queue) is a few percent. "
            "Cutting it means carrying several lines per message or several messages per "
            "write — a wire/transport change (protocol.md §3.3 has one line per `log_line`), "
            "not made here.", ""]
    flood = logs.get("flood", {})
    if flood:
        out += ["## A source growing at ~100 MB/s", "",
                "The hub pings the agent every 50 ms while a second source grows by 1 MiB every "
                "10 ms; ping → pong both stamped by the hub (whole ms). Without a stream the "
                "agent does not read the file; with one (default rates, 1 000 lines/s) the "
                "stream sends what its rate allows and skips the rest (counted as dropped). "
                "Goal (issue 16): p99 under 50 ms.", "",
                "| | without a stream | with a stream |", "|---|---|---|"]
        w, s_ = flood.get("without_stream", {}), flood.get("with_stream", {})
        pw, ps = w.get("ping_ms", {}), s_.get("ping_ms", {})
        def frow(name, fa, fb):
            out.append(f"| {name} | {fa} | {fb} |")
        frow("written", fmt(w.get("mb_per_s"), " MB/s"), fmt(s_.get("mb_per_s"), " MB/s"))
        frow("ping → pong p50", fmt(pw.get("p50"), " ms", 0), fmt(ps.get("p50"), " ms", 0))
        frow("ping → pong p99", fmt(pw.get("p99"), " ms", 0), fmt(ps.get("p99"), " ms", 0))
        frow("ping → pong max", fmt(pw.get("max"), " ms", 0), fmt(ps.get("max"), " ms", 0))
        frow("pings", str(pw.get("n", "–")), str(ps.get("n", "–")))
        frow("agent RSS before → peak",
             f"{fmt(w.get('rss_before_kib'), ' KiB', 0)} → {fmt(w.get('rss_peak_kib'), ' KiB', 0)}",
             f"{fmt(s_.get('rss_before_kib'), ' KiB', 0)} → {fmt(s_.get('rss_peak_kib'), ' KiB', 0)}")
        frow("lines dropped (stream_end)", "–", fmt(s_.get("dropped"), "", 0))
        out.append("")
    errors = res.get("errors", {})
    if errors.get("logs"):
        out += [f"The run failed: `{errors['logs']}`", ""]
    return "\n".join(out) + "\n"

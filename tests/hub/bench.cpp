#include "bench.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "envelope.hpp"
#include "hub.hpp"
#include "json_in.hpp"
#include "json_out.hpp"
#include "session.hpp"
#include "words.hpp"

namespace outpost::hub {
namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

Expected<int> count_arg(std::string_view word, int min, int max, std::string_view what) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
    if (word.empty() || ec != std::errc{} || ptr != word.data() + word.size() || v < min ||
        v > max) {
        return fail(
            fmt::format("{}: expected a number in [{}, {}], got '{}'", what, min, max, word));
    }
    return v;
}

// Summary of a sample set; values in the unit they were recorded in.
struct Summary {
    double p50 = 0, p90 = 0, p99 = 0, mean = 0, min = 0, max = 0;
};

Summary summarize(std::vector<double> v) {
    Summary s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    // Nearest rank: the smallest value with at least p of the samples at or below it.
    auto rank = [&](double p) {
        auto i = static_cast<size_t>(p * static_cast<double>(v.size()) + 0.999999);
        return v[std::clamp<size_t>(i, 1, v.size()) - 1];
    };
    s.p50 = rank(0.50);
    s.p90 = rank(0.90);
    s.p99 = rank(0.99);
    s.min = v.front();
    s.max = v.back();
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    return s;
}

std::string fixed(double v) {
    return fmt::format("{:.3f}", v);
}

void add_summary(JsonObject& o, const Summary& s, std::string_view unit) {
    o.raw(fmt::format("p50_{}", unit), fixed(s.p50))
        .raw(fmt::format("p90_{}", unit), fixed(s.p90))
        .raw(fmt::format("p99_{}", unit), fixed(s.p99))
        .raw(fmt::format("mean_{}", unit), fixed(s.mean))
        .raw(fmt::format("min_{}", unit), fixed(s.min))
        .raw(fmt::format("max_{}", unit), fixed(s.max));
}

// Bench results are always written, whatever the output mode.
void emit(const std::string& json) {
    std::string line = json + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

struct PingRun {
    std::string session;
    int total = 0;
    int done = 0;
    std::string pending_id;
    Clock::time_point sent_at;
    Clock::time_point started;
    std::vector<double> us;
    size_t ping_bytes = 0;
    size_t pong_bytes = 0;
};

struct ExecRun {
    std::string session;
    std::string command;
    std::string args_json;
    std::string prefix;
    int total = 0;
    int in_flight = 0;
    int sent = 0;
    int done = 0;
    Clock::time_point started;
    std::unordered_map<std::string, Clock::time_point> outstanding;
    std::vector<double> result_ms;
    std::vector<double> ack_ms;
    std::map<std::string, int> states;
    std::map<std::string, int> acks;
    size_t execute_bytes = 0;
    size_t result_bytes = 0;
};

std::optional<PingRun> g_ping;
std::optional<ExecRun> g_exec;
int g_runs = 0;

void send_ping(Session& s, PingRun& run) {
    auto env = make_envelope("ping", "{}");
    run.pending_id = env.id;
    run.ping_bytes = env.text.size();
    s.send_raw(std::move(env.text));
    run.sent_at = Clock::now();
}

void send_execute(Session& s, ExecRun& run) {
    std::string request_id = fmt::format("{}-{}", run.prefix, run.sent);
    ++run.sent;
    auto data = JsonObject()
                    .str("request_id", request_id)
                    .str("command", run.command)
                    .raw("args", run.args_json)
                    .done();
    auto env = make_envelope("execute", data);
    run.execute_bytes = env.text.size();
    run.outstanding.emplace(std::move(request_id), Clock::now());
    s.send_raw(std::move(env.text));
}

void finish_ping(PingRun& run) {
    JsonObject o;
    o.str("event", "bench").str("kind", "ping").str("session", run.session).num("count", run.done);
    o.num("ping_bytes", static_cast<int64_t>(run.ping_bytes))
        .num("pong_bytes", static_cast<int64_t>(run.pong_bytes));
    add_summary(o, summarize(run.us), "us");
    o.raw("wall_s", fixed(micros(Clock::now() - run.started) / 1e6));
    emit(o.done());
}

void finish_exec(ExecRun& run) {
    const double wall_s = micros(Clock::now() - run.started) / 1e6;
    JsonObject o;
    o.str("event", "bench").str("kind", "execute").str("session", run.session);
    o.str("command", run.command).num("count", run.done).num("in_flight", run.in_flight);
    add_summary(o, summarize(run.result_ms), "ms");
    JsonObject ack;
    add_summary(ack, summarize(run.ack_ms), "ms");
    o.raw("ack", ack.done());
    o.raw("wall_s", fixed(wall_s));
    o.raw("per_s", fixed(wall_s > 0 ? run.done / wall_s : 0));
    JsonObject states;
    for (const auto& [k, v] : run.states) states.num(k, v);
    o.raw("states", states.done());
    JsonObject acks;
    for (const auto& [k, v] : run.acks) acks.num(k, v);
    o.raw("acks", acks.done());
    o.num("execute_bytes", static_cast<int64_t>(run.execute_bytes))
        .num("result_bytes", static_cast<int64_t>(run.result_bytes));
    emit(o.done());
}

Expected<void> start_ping(HubState& hub, std::string_view rest) {
    auto n = count_arg(next_word(rest), 1, 1000000, "count");
    if (!n) return std::unexpected(n.error());
    Session* s = hub.current();
    if (!s) return fail("no agent connected");
    if (g_ping) return fail("a bench-ping is already running");
    g_ping.emplace();
    g_ping->session = s->id();
    g_ping->total = *n;
    g_ping->us.reserve(static_cast<size_t>(*n));
    g_ping->started = Clock::now();
    send_ping(*s, *g_ping);
    return {};
}

Expected<void> start_execute(HubState& hub, std::string_view rest) {
    auto n = count_arg(next_word(rest), 1, 1000000, "count");
    if (!n) return std::unexpected(n.error());
    auto k = count_arg(next_word(rest), 1, 4096, "in_flight");
    if (!k) return std::unexpected(k.error());
    const std::string command(next_word(rest));
    if (command.empty())
        return fail("usage: bench-execute <count> <in_flight> <command> [args...]");
    std::string args = "[";
    for (auto a = next_word(rest); !a.empty(); a = next_word(rest)) {
        if (args.size() > 1) args += ',';
        args += json_quote(a);
    }
    args += "]";
    Session* s = hub.current();
    if (!s) return fail("no agent connected");
    if (g_exec) return fail("a bench-execute is already running");
    g_exec.emplace();
    ExecRun& run = *g_exec;
    run.session = s->id();
    run.command = command;
    run.args_json = std::move(args);
    run.prefix = fmt::format("bench-{}-{}-{}", ::getpid(), unix_now(), ++g_runs);
    run.total = *n;
    run.in_flight = *k;
    run.result_ms.reserve(static_cast<size_t>(*n));
    run.ack_ms.reserve(static_cast<size_t>(*n));
    run.started = Clock::now();
    while (run.sent < run.total && run.sent < run.in_flight) send_execute(*s, run);
    return {};
}

void observe_ping(Session& s, std::string_view type, const JsonDoc& doc, std::string_view raw) {
    if (!g_ping || type != "pong" || s.id() != g_ping->session) return;
    auto data = get_field(doc.root(), "data");
    auto ref = data ? get_str(*data, "ref") : std::nullopt;
    if (!ref || *ref != g_ping->pending_id) return;
    const auto now = Clock::now();
    g_ping->us.push_back(micros(now - g_ping->sent_at));
    g_ping->pong_bytes = raw.size();
    if (++g_ping->done < g_ping->total) {
        send_ping(s, *g_ping);
        return;
    }
    finish_ping(*g_ping);
    g_ping.reset();
}

void observe_exec(Session& s, std::string_view type, const JsonDoc& doc, std::string_view raw) {
    if (!g_exec || s.id() != g_exec->session) return;
    if (type != "command_ack" && type != "command_result") return;
    const auto now = Clock::now();
    auto data = get_field(doc.root(), "data");
    auto request_id = data ? get_str(*data, "request_id") : std::nullopt;
    if (!request_id) return;
    ExecRun& run = *g_exec;
    auto it = run.outstanding.find(std::string(*request_id));
    if (it == run.outstanding.end()) return;
    const double ms = micros(now - it->second) / 1000.0;
    const std::string state(get_str(*data, "state").value_or("?"));
    if (type == "command_ack") {
        run.ack_ms.push_back(ms);
        ++run.acks[state];
        return;
    }
    run.result_ms.push_back(ms);
    run.result_bytes = raw.size();
    ++run.states[state];
    run.outstanding.erase(it);
    ++run.done;
    if (run.sent < run.total) send_execute(s, run);
    if (run.done == run.total) {
        finish_exec(run);
        g_exec.reset();
    }
}

}  // namespace

Expected<void> bench_command(HubState& hub, std::string_view verb, std::string_view rest) {
    if (verb == "bench-ping") return start_ping(hub, rest);
    if (verb == "bench-execute") return start_execute(hub, rest);
    if (verb == "bench-cancel") {
        g_ping.reset();
        g_exec.reset();
        return {};
    }
    return fail("unknown command");
}

void bench_observe(HubState& hub, Session& session, std::string_view type, const JsonDoc& doc,
                   std::string_view raw) {
    (void)hub;
    if (g_ping) observe_ping(session, type, doc, raw);
    if (g_exec) observe_exec(session, type, doc, raw);
}

}  // namespace outpost::hub

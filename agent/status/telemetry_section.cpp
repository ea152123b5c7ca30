#include "agent/status/telemetry_section.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "agent/protocol/rfc3339.hpp"

namespace outpost::status {
namespace {

void optional_time(json::JsonWriter& w, std::string_view key, const std::optional<TimePoint>& at) {
    if (at) {
        w.member(key, protocol::format_rfc3339(*at));
    } else {
        w.key(key).null();
    }
}

std::optional<TimePoint> read_optional_time(json::ObjectReader& r, std::string_view key) {
    auto text = r.optional_string(key);
    if (!text) return std::nullopt;
    auto parsed = protocol::parse_rfc3339(*text);
    if (!parsed) {
        r.fail(key, "not an RFC 3339 time: " + parsed.error().message());
        return std::nullopt;
    }
    return *parsed;
}

bool read_bool(json::ObjectReader& r, std::string_view key) {
    auto value = r.find(key);
    if (!value) return false;
    auto b = value->boolean();
    if (!b) r.fail(key, "not a boolean");
    return b.value_or(false);
}

std::string ms(std::uint64_t us) {
    return fmt::format("{:.1f} ms", static_cast<double>(us) / 1e3);
}

std::string ago(TimePoint at, TimePoint now) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(now - at).count();
    return fmt::format("{} s ago", std::max<std::int64_t>(s, 0));
}

}  // namespace

void write_telemetry(json::JsonWriter& w, const std::optional<TelemetryInfo>& telemetry) {
    if (!telemetry) {
        w.key("telemetry").null();
        return;
    }
    const TelemetryInfo& t = *telemetry;
    w.key("telemetry").begin_object();
    w.member("running", t.running);
    w.member("interval_ms", t.interval_ms);
    w.member("last_seq", t.last_seq);
    optional_time(w, "last_sample_at", t.last_sample_at);
    w.member("samples", t.samples);
    w.member("skipped_ticks", t.skipped_ticks);
    w.member("unsendable_samples", t.unsendable_samples);
    w.member("lag_p50_us", t.lag_p50_us);
    w.member("lag_p99_us", t.lag_p99_us);
    w.member("lag_max_us", t.lag_max_us);
    w.key("collectors").begin_array();
    for (const CollectorInfo& c : t.collectors) {
        w.begin_object();
        w.member("name", c.name);
        w.member("enabled", c.enabled);
        optional_time(w, "last_sample", c.last_sample);
        w.member("last_error", c.last_error);
        w.member("skipped", c.skipped);
        w.member("note", c.note);
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

std::optional<TelemetryInfo> read_telemetry(json::ObjectReader& r) {
    auto value = r.find("telemetry", false);
    if (!value || value->is_null()) return std::nullopt;
    auto t = r.object("telemetry");
    if (!t) return std::nullopt;
    TelemetryInfo info;
    info.running = read_bool(*t, "running");
    info.interval_ms = t->optional_int64("interval_ms").value_or(0);
    info.last_seq = t->optional_int64("last_seq");
    info.last_sample_at = read_optional_time(*t, "last_sample_at");
    info.samples = t->uint64("samples");
    info.skipped_ticks = t->uint64("skipped_ticks");
    // Absent from an older agent's report.
    info.unsendable_samples = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, t->optional_int64("unsendable_samples").value_or(0)));
    info.lag_p50_us = t->uint64("lag_p50_us");
    info.lag_p99_us = t->uint64("lag_p99_us");
    info.lag_max_us = t->uint64("lag_max_us");
    for (json::ObjectReader& c : t->objects("collectors")) {
        CollectorInfo collector;
        collector.name = c.string("name");
        collector.enabled = read_bool(c, "enabled");
        collector.last_sample = read_optional_time(c, "last_sample");
        collector.last_error = c.string("last_error");
        collector.skipped = read_bool(c, "skipped");
        // Absent from an older agent's report.
        collector.note = c.optional_string("note").value_or("");
        info.collectors.push_back(std::move(collector));
    }
    return info;
}

void render_telemetry(std::string& out, const TelemetryInfo& t, TimePoint now) {
    out += fmt::format(
        "telemetry: {}, every {} s, last seq {}{}, {} skipped tick(s)\n",
        t.running ? "collecting" : "not collecting", static_cast<double>(t.interval_ms) / 1000.0,
        t.last_seq ? std::to_string(*t.last_seq) : "none yet",
        t.last_sample_at ? " (" + ago(*t.last_sample_at, now) + ")" : "", t.skipped_ticks);
    out += fmt::format("  loop lag: p50 {}, p99 {}, max {}\n", ms(t.lag_p50_us), ms(t.lag_p99_us),
                       ms(t.lag_max_us));
    if (t.unsendable_samples > 0) {
        out += fmt::format(
            "  {} sample(s) not sent: over protocol.max_message_bytes even trimmed (see log)\n",
            t.unsendable_samples);
    }
    for (const CollectorInfo& c : t.collectors) {
        std::string state;
        if (!c.enabled) {
            state = "disabled";
        } else if (!c.last_error.empty()) {
            state = "failing: " + printable(c.last_error);
        } else if (c.skipped) {
            state = "skipped (no source on this host)";
        } else if (!c.note.empty()) {
            state = "partial: " + printable(c.note);
        } else {
            state = "ok";
        }
        out += fmt::format("  collector {}: {}{}\n", printable(c.name), state,
                           c.last_sample ? ", last sample " + ago(*c.last_sample, now) : "");
    }
}

}  // namespace outpost::status

#include "agent/alerts/alert_state_codec.hpp"

#include <fmt/format.h>

#include "agent/common/json/json_reader.hpp"
#include "agent/common/json/json_writer.hpp"

namespace outpost::alerts {
namespace {

using protocol::outbound::Severity;

constexpr std::int64_t kVersion = 1;

std::int64_t to_ms(TimePoint time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::optional<Severity> severity_named(std::string_view name) {
    for (const auto severity : {Severity::critical, Severity::warning, Severity::info}) {
        if (protocol::outbound::to_string(severity) == name) return severity;
    }
    return std::nullopt;
}

std::optional<double> number(json::ObjectReader& reader, std::string_view key) {
    const auto value = reader.find(key);
    if (!value) return std::nullopt;
    const auto number = value->number();
    if (!number) reader.fail(key, "not a number");
    return number;
}

Expected<SubjectState> decode_state(json::ObjectReader& reader) {
    SubjectState state;
    state.rule = reader.string("rule");
    state.subject = reader.string("subject");
    const std::string phase = reader.string("phase");
    const auto since = reader.optional_int64("since_ms");
    state.value = number(reader, "value").value_or(0);
    state.missed = static_cast<std::uint32_t>(reader.uint64("missed"));
    state.fingerprint = reader.string("fingerprint");
    const std::string severity = reader.string("severity");
    state.threshold = number(reader, "threshold").value_or(0);
    state.message = reader.string("message");
    if (reader.failed()) return fail(ErrorKind::invalid_input, reader.error());
    if (phase != "pending" && phase != "firing") {
        return fail(ErrorKind::invalid_input, fmt::format("unknown phase `{}`", phase));
    }
    state.phase = phase == "firing" ? Phase::firing : Phase::pending;
    if (!since) return fail(ErrorKind::invalid_input, "since_ms: missing");
    state.since = TimePoint(std::chrono::milliseconds(*since));
    const auto parsed = severity_named(severity);
    if (!parsed)
        return fail(ErrorKind::invalid_input, fmt::format("unknown severity `{}`", severity));
    state.severity = *parsed;
    return state;
}

}  // namespace

std::string encode_states(const std::vector<SubjectState>& states) {
    json::JsonWriter out;
    out.begin_object().member("v", kVersion).key("states").begin_array();
    for (const auto& state : states) {
        out.begin_object()
            .member("rule", state.rule)
            .member("subject", state.subject)
            .member("phase", state.phase == Phase::firing ? "firing" : "pending")
            .member("since_ms", to_ms(state.since))
            .member("value", state.value)
            .member("missed", std::uint64_t{state.missed})
            .member("fingerprint", state.fingerprint)
            .member("severity", protocol::outbound::to_string(state.severity))
            .member("threshold", state.threshold)
            .member("message", state.message)
            .end_object();
    }
    out.end_array().end_object();
    return std::move(out).take();
}

Expected<std::vector<SubjectState>> decode_states(std::string_view text) {
    auto document = json::Document::parse(text);
    if (!document) return std::unexpected(document.error().context("alert states"));
    const auto top = document->root().object();
    if (!top) return fail(ErrorKind::invalid_input, "alert states: not an object");
    json::ObjectReader reader(*top);
    const auto version = reader.optional_int64("v");
    if (version != kVersion) {
        return fail(ErrorKind::invalid_input, "alert states: unknown version");
    }
    std::vector<SubjectState> states;
    for (auto& item : reader.objects("states")) {
        auto state = decode_state(item);
        if (!state) return std::unexpected(state.error().context("alert states"));
        states.push_back(std::move(*state));
    }
    if (reader.failed()) return fail(ErrorKind::invalid_input, "alert states: " + reader.error());
    return states;
}

}  // namespace outpost::alerts

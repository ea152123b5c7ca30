#include "agent/protocol/outbound_encoder.hpp"

#include <exception>
#include <new>

#include <fmt/format.h>

#include "agent/common/json/json_writer.hpp"
#include "agent/protocol/telemetry_encoder.hpp"

namespace outpost::protocol {
namespace {

using namespace outpost::protocol::outbound;

template <class... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;  // clang 16 lacks aggregate CTAD

void write_strings(json::JsonWriter& out, std::string_view name,
                   const std::vector<std::string>& items) {
    out.key(name).begin_array();
    for (const std::string& item : items) {
        out.string(item);
    }
    out.end_array();
}

// Each writes the members of `data` (the surrounding braces are the caller's).
void write_data(json::JsonWriter& out, const Hello& m) {
    out.member("node_id", m.node_id).member("agent_version", m.agent_version);
    write_strings(out, "protocols", m.protocols);
    write_strings(out, "capabilities", m.capabilities);
    out.key("host")
        .begin_object()
        .member("hostname", m.host.hostname)
        .member("os", m.host.os)
        .member("kernel", m.host.kernel)
        .member("arch", m.host.arch)
        .member("machine_id", m.host.machine_id)
        .member("boot_id", m.host.boot_id)
        .end_object();
    out.key("backlog")
        .begin_object()
        .member("results", m.backlog.results)
        .member("outbox", m.backlog.outbox)
        .end_object();
    if (m.sandbox) {
        out.key("sandbox").begin_object();
        write_strings(out, "active", m.sandbox->active);
        out.key("unavailable").begin_array();
        for (const auto& [protection, reason] : m.sandbox->unavailable) {
            out.begin_object()
                .member("protection", protection)
                .member("reason", reason)
                .end_object();
        }
        out.end_array().end_object();
    }
    if (m.journal) {
        out.key("journal")
            .begin_object()
            .member("epoch", m.journal->epoch)
            .member("trusted", m.journal->trusted)
            .end_object();
    }
    if (m.seal) {
        out.key("seal")
            .begin_object()
            .member("v", m.seal->v)
            .member("epk", m.seal->epk)
            .end_object();
    }
}

void write_data(json::JsonWriter& out, const Reauth& m) {
    out.member("token", m.token);
}

void write_data(json::JsonWriter& /*out*/, const Ping& /*m*/) {}

void write_data(json::JsonWriter& out, const Pong& m) {
    out.member("ref", m.ref);
}

void write_data(json::JsonWriter& out, const Status& m) {
    out.member("node_id", m.node_id)
        .member("status", to_string(m.status))
        .member("reason", m.reason);
}

void write_data(json::JsonWriter& out, const Alert& m) {
    out.member("alert_id", m.alert_id)
        .member("rule", m.rule)
        .member("severity", to_string(m.severity))
        .member("state", to_string(m.state))
        .member("message", m.message);
    out.member("value", m.value);
    out.member("threshold", m.threshold);
    out.member("since", m.since);
}

void write_data(json::JsonWriter& out, const Health& m) {
    out.member("ref", m.ref);
    out.key("checks")
        .begin_object()
        .member("agent", to_string(m.checks.agent))
        .member("disk", to_string(m.checks.disk))
        .member("memory", to_string(m.checks.memory))
        .member("database", to_string(m.checks.database))
        .member("containers", to_string(m.checks.containers))
        .end_object();
    out.key("details").begin_object();
    for (const auto& [name, text] : m.details) {
        out.member(name, text);
    }
    out.end_object();
}

void write_data(json::JsonWriter& out, const CommandAck& m) {
    out.member("request_id", m.request_id)
        .member("state", to_string(m.state))
        .member("reason", m.reason);
}

void write_data(json::JsonWriter& out, const CommandResult& m) {
    out.member("request_id", m.request_id)
        .member("state", to_string(m.state))
        .member("exit_code", m.exit_code)
        .member("signal", m.signal)
        .member("stdout", m.stdout_text)
        .member("stderr", m.stderr_text)
        .member("stdout_truncated", m.stdout_truncated)
        .member("stderr_truncated", m.stderr_truncated)
        .member("started_at", m.started_at)
        .member("finished_at", m.finished_at)
        .member("duration_ms", m.duration_ms)
        .member("reason", m.reason);
}

void write_data(json::JsonWriter& out, const LogLine& m) {
    out.member("stream_id", m.stream_id).member("line", m.line).member("ts", m.ts);
    if (m.truncated) out.member("truncated", true);
    if (m.partial) out.member("partial", true);
    if (m.dropped) out.member("dropped", *m.dropped);
}

void write_data(json::JsonWriter& out, const StreamEnd& m) {
    out.member("stream_id", m.stream_id).member("reason", m.reason);
    if (m.dropped) out.member("dropped", *m.dropped);
    if (m.lost) out.member("lost", *m.lost);
}

void write_data(json::JsonWriter& out, const outbound::Error& m) {
    out.member("ref", m.ref)
        .member("code", to_string(m.code))
        .member("message", m.message)
        .member("path", m.path);
}

}  // namespace

std::string_view type_name(const outbound::Body& body) noexcept {
    return std::visit(Overloaded{
                          [](const Hello&) { return std::string_view("hello"); },
                          [](const Reauth&) { return std::string_view("reauth"); },
                          [](const Ping&) { return std::string_view("ping"); },
                          [](const Pong&) { return std::string_view("pong"); },
                          [](const Telemetry&) { return std::string_view("telemetry"); },
                          [](const Status&) { return std::string_view("status"); },
                          [](const Alert&) { return std::string_view("alert"); },
                          [](const Health&) { return std::string_view("health"); },
                          [](const CommandAck&) { return std::string_view("command_ack"); },
                          [](const CommandResult&) { return std::string_view("command_result"); },
                          [](const LogLine&) { return std::string_view("log_line"); },
                          [](const StreamEnd&) { return std::string_view("stream_end"); },
                          [](const outbound::Error&) { return std::string_view("error"); },
                      },
                      body);
}

std::string encode(const OutboundMessage& message) {
    json::JsonWriter out;
    out.begin_object()
        .member("type", type_name(message.body))
        .member("id", message.id)
        .member("ts", message.ts);
    out.key("data");
    std::visit(Overloaded{
                   [&](const Telemetry& telemetry) { write_telemetry(out, telemetry); },
                   [&](const auto& body) {
                       out.begin_object();
                       write_data(out, body);
                       out.end_object();
                   },
               },
               message.body);
    out.end_object();
    return std::move(out).take();
}

Expected<std::string> encode_checked(const OutboundMessage& message,
                                     std::size_t max_message_bytes) noexcept {
    try {
        std::string text = encode(message);
        if (text.size() > max_message_bytes) {
            return fail(fmt::format("{} message is {} bytes; the limit is {}",
                                    type_name(message.body), text.size(), max_message_bytes));
        }
        return text;
    } catch (const std::exception& e) {
        try {
            return fail(fmt::format("encoding {}: {}", type_name(message.body), e.what()));
        } catch (...) {
            std::terminate();  // out of memory while reporting out of memory
        }
    }
}

}  // namespace outpost::protocol

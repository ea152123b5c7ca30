#include "events.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "json_out.hpp"

namespace outpost::hub {
namespace {

std::string shorten(std::string_view s, size_t max = 160) {
    if (s.size() <= max) return std::string(s);
    return std::string(s.substr(0, max)) + "…";
}

}  // namespace

void Events::emit(const std::string& json, const std::string& human, bool always) {
    std::string line;
    switch (mode_) {
        case OutputMode::json:
            line = json;
            break;
        case OutputMode::human:
            line = human;
            break;
        case OutputMode::quiet:
            if (!always) return;
            line = json;
            break;
    }
    if (line.empty()) return;
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

void Events::listening(int port, bool tls, std::string_view path) {
    emit(JsonObject()
             .str("event", "listening")
             .num("port", port)
             .boolean("tls", tls)
             .str("path", path)
             .done(),
         fmt::format("hub listening on {}://127.0.0.1:{}{}", tls ? "wss" : "ws", port, path), true);
}

void Events::upgrade(const UpgradeInfo& u) {
    JsonObject o;
    o.str("event", "upgrade").num("status", u.status);
    o.str_or_null("agent_id", u.agent_id).str_or_null("user_agent", u.user_agent);
    o.str("auth", u.auth).str_or_null("reason", u.reason).str_or_null("subprotocol", u.subprotocol);
    std::string human =
        u.status == 101 ? ""
                        : fmt::format("upgrade from {} refused: {} {}",
                                      u.agent_id.empty() ? "?" : u.agent_id, u.status, u.reason);
    emit(o.done(), human);
}

void Events::connected(std::string_view session, std::string_view agent_id, std::string_view auth,
                       std::string_view transport) {
    emit(JsonObject()
             .str("event", "connected")
             .str("session", session)
             .str_or_null("agent_id", agent_id)
             .str("auth", auth)
             .str("transport", transport)
             .done(),
         fmt::format("agent {} connected (session {}, auth {}, {})", agent_id, session, auth,
                     transport));
}

void Events::poll(const PollEvent& p) {
    JsonObject o;
    o.str("event", "poll").str_or_null("session", p.session).str_or_null("agent_id", p.agent_id);
    o.num("status", p.status)
        .num("received", static_cast<int64_t>(p.received))
        .num("carried", static_cast<int64_t>(p.carried))
        .num("bytes_in", static_cast<int64_t>(p.bytes_in))
        .num("bytes_out", static_cast<int64_t>(p.bytes_out))
        .str_or_null("reason", p.reason)
        .str_or_null("dropped", p.dropped);
    emit(o.done(), fmt::format("poll from {}: {} ({} in, {} out){}", p.agent_id, p.status,
                               p.received, p.carried, p.dropped.empty() ? "" : " — dropped"));
}

void Events::message(std::string_view session, std::string_view type, std::string_view msg_json,
                     std::string_view raw_text, std::optional<uint64_t> sealed) {
    JsonObject o;
    o.str("event", "message").str("session", session).str_or_null("type", type);
    if (sealed) o.raw("sealed_n", std::to_string(*sealed));
    // When the hub read it (CLOCK_MONOTONIC, ms): for tests of send rates.
    o.num("received_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count());
    if (msg_json.empty()) {
        o.boolean("invalid_json", true).str("raw", raw_text);
    } else {
        o.raw("msg", msg_json);
    }
    // Humans want the payload: skip the envelope (type, id, ts) when there is one.
    std::string_view shown = msg_json.empty() ? raw_text : msg_json;
    if (auto data = shown.find("\"data\":"); !msg_json.empty() && data != std::string_view::npos) {
        shown = shown.substr(data + 7);
        if (!shown.empty() && shown.back() == '}') shown.remove_suffix(1);
    }
    emit(o.done(), fmt::format("← {} {}", type.empty() ? "(invalid)" : type, shorten(shown, 400)));
}

void Events::sent(std::string_view session, std::string_view type, std::string_view id,
                  std::optional<uint64_t> sealed, std::string_view fault) {
    JsonObject o;
    o.str("event", "sent").str("session", session).str_or_null("type", type).str_or_null("id", id);
    o.num("sent_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count());
    if (sealed) o.raw("sealed_n", std::to_string(*sealed));
    if (!fault.empty()) o.str("seal_fault", fault);
    emit(o.done(), fmt::format("→ {}{}", type.empty() ? "(raw)" : type, sealed ? " (sealed)" : ""));
}

void Events::seal_started(std::string_view session, int64_t version, std::string_view epk) {
    emit(JsonObject()
             .str("event", "seal_started")
             .str("session", session)
             .num("v", version)
             .str("epk", epk)
             .done(),
         fmt::format("session {} sealed (§8 v{})", session, version));
}

void Events::sealed_opened(std::string_view session, uint64_t n, std::string_view outer_id,
                           std::string_view inner_type, size_t bytes) {
    emit(JsonObject()
             .str("event", "sealed_opened")
             .str("session", session)
             .raw("n", std::to_string(n))
             .str("id", outer_id)
             .str_or_null("inner_type", inner_type)
             .num("bytes", static_cast<int64_t>(bytes))
             .done(),
         "");
}

void Events::seal_refused(std::string_view session, std::string_view reason, int code) {
    emit(JsonObject()
             .str("event", "seal_refused")
             .str("session", session)
             .str("reason", reason)
             .num("code", code)
             .done(),
         fmt::format("session {}: sealed message refused ({}), close {}", session, reason, code),
         true);
}

void Events::welcomed(std::string_view session, std::string_view agent_id, bool again) {
    // The JSON stream already has the hello message and the sent welcome.
    emit("", again ? fmt::format("agent {} re-authenticated (session {})", agent_id, session)
                   : fmt::format("agent {} online (session {})", agent_id, session));
}

void Events::closed(std::string_view session, int code, std::string_view reason,
                    std::string_view by) {
    emit(JsonObject()
             .str("event", "closed")
             .str("session", session)
             .num("code", code)
             .str_or_null("reason", reason)
             .str("by", by)
             .done(),
         fmt::format("session {} closed by {}: {} {}", session, by, code, reason));
}

void Events::token(int status, int64_t ttl, std::string_view agent_id, std::string_view reason,
                   std::string_view header_agent_id, std::string_view user_agent) {
    JsonObject o;
    o.str("event", "token").num("status", status);
    if (status == 200 && reason.empty()) {
        o.num("ttl", ttl);
    } else {
        o.null("ttl");
    }
    o.str_or_null("agent_id", agent_id).str_or_null("reason", reason);
    o.str_or_null("x_agent_id", header_agent_id).str_or_null("user_agent", user_agent);
    emit(o.done(), status == 200 && reason.empty()
                       ? fmt::format("token issued to {} (ttl {} s)", agent_id, ttl)
                       : fmt::format("token request refused: {} {}", status, reason));
}

void Events::http(std::string_view method, std::string_view path, int status) {
    emit(JsonObject()
             .str("event", "http")
             .str("method", method)
             .str("path", path)
             .num("status", status)
             .done(),
         fmt::format("{} {} → {}", method, path, status));
}

void Events::ok(std::string_view command) {
    emit(JsonObject().str("event", "ok").str("command", command).done(), "");
}

void Events::status(std::string_view json_fields) {
    emit(fmt::format("{{\"event\":\"status\",{}}}", json_fields),
         fmt::format("status {}", json_fields), true);
}

void Events::error(std::string_view message) {
    emit(JsonObject().str("event", "error").str("message", message).done(),
         fmt::format("error: {}", message), true);
}

void Events::stopped() {
    emit(JsonObject().str("event", "stopped").done(), "hub stopped");
}

}  // namespace outpost::hub

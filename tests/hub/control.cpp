#include "control.hpp"

#include <fmt/format.h>

#include <charconv>

#include "bench.hpp"
#include "hub.hpp"
#include "json_in.hpp"
#include "json_out.hpp"
#include "session.hpp"
#include "words.hpp"

namespace outpost::hub {
namespace {

Expected<int64_t> number(std::string_view word, int64_t min, int64_t max) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
    if (word.empty() || ec != std::errc{} || ptr != word.data() + word.size() || v < min ||
        v > max) {
        return fail(fmt::format("expected a number in [{}, {}], got '{}'", min, max, word));
    }
    return v;
}

Expected<bool> on_off(std::string_view word) {
    if (word == "on") return true;
    if (word == "off") return false;
    return fail("expected on|off");
}

// `stop-reading <every_ms> [per_tick]` or `stop-reading off`.
Expected<std::optional<ReadStop>> read_stop(std::string_view rest) {
    const auto first = next_word(rest);
    if (first == "off") return std::optional<ReadStop>{};
    auto every = number(first, 1, 3'600'000);
    if (!every) return std::unexpected(every.error());
    ReadStop stop{.every_ms = *every, .per_tick = 1};
    if (auto count = next_word(rest); !count.empty()) {
        auto n = number(count, 1, 100'000);
        if (!n) return std::unexpected(n.error());
        stop.per_tick = *n;
    }
    return stop;
}

Expected<Session*> current(HubState& hub) {
    Session* s = hub.current();
    if (!s) return fail("no agent connected");
    return s;
}

// `status.refusing`: upgrades still to refuse; -1 until `accept-upgrades`.
int refusing(const HubState& hub) {
    if (!hub.refusal) return 0;
    return hub.refusal->until_accepted ? -1 : hub.refusal->remaining;
}

std::string status_fields(const HubState& hub) {
    std::string sessions = "[";
    for (const Session* s : hub.live) {
        if (sessions.size() > 1) sessions += ',';
        sessions += JsonObject()
                        .str("session", s->id())
                        .str_or_null("agent_id", s->info().agent_id)
                        .boolean("hello", s->hello_seen())
                        .boolean("sealed", s->sealed())
                        .str("transport", s->info().polled ? "poll" : "websocket")
                        .done();
    }
    sessions += "]";
    return fmt::format("\"sessions\":{},\"silent\":{},\"auto_ack\":{},\"refusing\":{}", sessions,
                       hub.silent, hub.auto_ack, refusing(hub));
}

}  // namespace

void Control::on_input(std::string_view bytes) {
    partial_.append(bytes);
    for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
        const std::string line = partial_.substr(0, nl);
        partial_.erase(0, nl + 1);
        execute(line);
    }
}

void Control::on_eof() {
    if (!partial_.empty()) execute(std::exchange(partial_, {}));
}

void Control::execute(std::string_view line) {
    std::string_view rest = trim(line);
    if (rest.empty() || rest.front() == '#') return;
    const std::string verb(next_word(rest));
    if (auto ok = run(verb, rest); !ok) {
        hub_.events.error(fmt::format("{}: {}", verb, ok.error().message()));
    } else {
        hub_.events.ok(verb);
    }
}

Expected<void> Control::run(std::string_view verb, std::string_view rest) {
    if (verb == "send") {
        auto s = current(hub_);
        if (!s) return std::unexpected(s.error());
        (*s)->send_raw(std::string(rest));
    } else if (verb == "send-type") {
        const auto type = next_word(rest);
        if (type.empty()) return fail("usage: send-type <type> [data-json]");
        const std::string data = rest.empty() ? "{}" : std::string(rest);
        if (!JsonDoc::parse(data)) return fail("data is not valid JSON (use send for raw text)");
        auto s = current(hub_);
        if (!s) return std::unexpected(s.error());
        (*s)->send_typed(type, data);
    } else if (verb == "stream-logs") {
        // Log streaming (protocol.md §3.3): the agent answers with log_line
        // and stream_end messages, reported as `message` events.
        const auto stream_id = next_word(rest);
        const auto source = next_word(rest);
        auto follow = on_off(next_word(rest));
        if (stream_id.empty() || source.empty() || !follow) {
            return fail("usage: stream-logs <stream_id> <source> on|off <lines>");
        }
        auto lines = number(next_word(rest), 0, 1'000'000'000);
        if (!lines) return std::unexpected(lines.error());
        auto s = current(hub_);
        if (!s) return std::unexpected(s.error());
        (*s)->send_typed("stream_logs", JsonObject()
                                            .str("stream_id", stream_id)
                                            .str("source", source)
                                            .boolean("follow", *follow)
                                            .num("lines", *lines)
                                            .done());
    } else if (verb == "stop-stream") {
        const auto stream_id = next_word(rest);
        if (stream_id.empty()) return fail("usage: stop-stream <stream_id>");
        auto s = current(hub_);
        if (!s) return std::unexpected(s.error());
        (*s)->send_typed("stop_stream", JsonObject().str("stream_id", stream_id).done());
    } else if (verb == "close") {
        auto code = number(next_word(rest), 1000, 4999);
        if (!code) return std::unexpected(code.error());
        if (rest.size() > 123) return fail("reason longer than 123 bytes");
        auto s = current(hub_);
        if (!s) return std::unexpected(s.error());
        (*s)->close(static_cast<int>(*code), std::string(rest));
    } else if (verb == "close-all") {
        // Every live session at once: what a server going away or rate
        // limiting its whole fleet does (fleet tests of §5's spread).
        auto code = number(next_word(rest), 1000, 4999);
        if (!code) return std::unexpected(code.error());
        if (rest.size() > 123) return fail("reason longer than 123 bytes");
        if (hub_.live.empty()) return fail("no agent connected");
        for (Session* s : std::vector<Session*>(hub_.live)) {
            s->close(static_cast<int>(*code), std::string(rest));
        }
    } else if (verb == "drop") {
        auto s = current(hub_);
        if (!s) return std::unexpected(s.error());
        (*s)->drop();
    } else if (verb == "stop-reading") {
        auto stop = read_stop(rest);
        if (!stop) return std::unexpected(stop.error());
        auto s = current(hub_);
        if (!s) return std::unexpected(s.error());
        (*s)->stop_reading(*stop);
    } else if (verb == "refuse") {
        const auto first = next_word(rest);
        if (first == "off") {
            hub_.refusal.reset();
            return {};
        }
        auto status = number(first, 100, 599);
        if (!status) return std::unexpected(status.error());
        Refusal r{.status = static_cast<int>(*status),
                  .retry_after_s = {},
                  .remaining = 1,
                  .until_accepted = false};
        if (auto ra = next_word(rest); !ra.empty() && ra != "-") {
            auto secs = number(ra, 0, 86400 * 365);
            if (!secs) return std::unexpected(secs.error());
            r.retry_after_s = *secs;
        }
        if (auto count = next_word(rest); !count.empty()) {
            auto n = number(count, 1, 1000000);
            if (!n) return std::unexpected(n.error());
            r.remaining = static_cast<int>(*n);
        }
        hub_.refusal = r;
    } else if (verb == "refuse-upgrades") {
        // A WebSocket-unaware middlebox (§7): every upgrade gets this status
        // until `accept-upgrades`, while polls are served.
        auto status = number(next_word(rest), 100, 599);
        if (!status) return std::unexpected(status.error());
        hub_.refusal = Refusal{.status = static_cast<int>(*status),
                               .retry_after_s = {},
                               .remaining = 1,
                               .until_accepted = true};
    } else if (verb == "accept-upgrades") {
        hub_.refusal.reset();
    } else if (verb == "drop-next-poll-reply") {
        // Optionally only a poll that carries an agent message of this type
        // (e.g. command_result), so a test knows which exchange is lost.
        const auto type = next_word(rest);
        if (type == "off") {
            hub_.drop_poll_reply.reset();
        } else {
            hub_.drop_poll_reply = std::string(type);
        }
    } else if (verb == "silent" || verb == "auto-ack" || verb == "auto-pong") {
        auto on = on_off(next_word(rest));
        if (!on) return std::unexpected(on.error());
        (verb == "silent"     ? hub_.silent
         : verb == "auto-ack" ? hub_.auto_ack
                              : hub_.auto_pong) = *on;
    } else if (verb == "token-fail") {
        const auto first = next_word(rest);
        if (first == "off") {
            hub_.tokens.clear_script();
            return {};
        }
        auto status = number(first, 100, 599);
        if (!status) return std::unexpected(status.error());
        int count = 1;
        if (auto c = next_word(rest); !c.empty()) {
            auto n = number(c, 1, 1000000);
            if (!n) return std::unexpected(n.error());
            count = static_cast<int>(*n);
        }
        std::string body = rest.empty() ? R"({"error":"scripted_failure"})" : std::string(rest);
        hub_.tokens.script_failure(static_cast<int>(*status), count, std::move(body));
    } else if (verb == "token-ttl") {
        auto ttl = number(next_word(rest), 1, 86400 * 30);
        if (!ttl) return std::unexpected(ttl.error());
        hub_.tokens.set_ttl(*ttl);
    } else if (verb == "revoke-tokens") {
        hub_.auth.revoke_access_tokens();
    } else if (verb == "status") {
        hub_.events.status(status_fields(hub_));
    } else if (verb == "seal-fault") {
        // Test-only: the next sealed message the hub sends misbehaves (§8 refusals).
        const auto mode = next_word(rest);
        if (mode == "off") {
            hub_.seal_fault.reset();
            return {};
        }
        auto fault = seal_fault_from(mode);
        if (!fault) return fail("usage: seal-fault unsealed|reuse-n|tamper|wrong-id|off");
        if (!hub_.seal_private) return fail("the hub has no --seal-key");
        hub_.seal_fault = *fault;
    } else if (verb == "seal-replay") {
        auto s = current(hub_);
        if (!s) return std::unexpected(s.error());
        return (*s)->replay_last_sealed();
    } else if (verb.starts_with("bench-")) {
        return bench_command(hub_, verb, rest);  // bench.hpp
    } else if (verb == "quit") {
        hub_.stop_requested = true;
    } else {
        return fail("unknown command");
    }
    return {};
}

}  // namespace outpost::hub

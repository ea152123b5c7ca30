// The status socket's JSON → StatusReport, for `outpost status`. The answer
// comes from a local socket that only root can open, but it is still input:
// every member is type-checked and a failure names its JSON path.
#include <simdjson.h>

#include "agent/protocol/rfc3339.hpp"
#include "agent/status/report.hpp"

namespace outpost::status {
namespace {

// The first failure wins; later reads return defaults (read everything, check
// once). Members a reader does not know are ignored.
class Reader {
  public:
    Reader(simdjson::dom::object object, std::string path, std::optional<std::string>* error)
        : object_(object), path_(std::move(path)), error_(error) {}

    std::string str(std::string_view key) {
        auto value = find(key);
        std::string_view text;
        if (value && value->get_string().get(text) != simdjson::SUCCESS) {
            fail(key, "not a string");
        }
        return std::string(text);
    }
    std::optional<std::string> optional_str(std::string_view key) {
        auto value = find(key, false);
        if (!value || value->is_null()) return std::nullopt;
        std::string_view text;
        if (value->get_string().get(text) != simdjson::SUCCESS) {
            fail(key, "not a string or null");
            return std::nullopt;
        }
        return std::string(text);
    }
    std::uint64_t uint(std::string_view key) {
        auto value = find(key);
        std::uint64_t n = 0;
        if (value && value->get_uint64().get(n) != simdjson::SUCCESS) {
            fail(key, "not a non-negative integer");
        }
        return n;
    }
    std::optional<std::int64_t> optional_int(std::string_view key) {
        auto value = find(key, false);
        if (!value || value->is_null()) return std::nullopt;
        std::int64_t n = 0;
        if (value->get_int64().get(n) != simdjson::SUCCESS) {
            fail(key, "not an integer or null");
            return std::nullopt;
        }
        return n;
    }
    TimePoint time(std::string_view key) {
        std::string text = str(key);
        if (failed()) return {};
        auto parsed = protocol::parse_rfc3339(text);
        if (!parsed) {
            fail(key, "not an RFC 3339 time: " + parsed.error().message());
            return {};
        }
        return *parsed;
    }
    std::optional<TimePoint> optional_time(std::string_view key) {
        auto value = find(key, false);
        if (!value || value->is_null()) return std::nullopt;
        return time(key);
    }
    std::optional<Reader> object(std::string_view key, bool required = true) {
        auto value = find(key, required);
        if (!value || (!required && value->is_null())) return std::nullopt;
        simdjson::dom::object inner;
        if (value->get_object().get(inner) != simdjson::SUCCESS) {
            fail(key, "not an object");
            return std::nullopt;
        }
        return Reader(inner, path_ + "/" + std::string(key), error_);
    }
    std::vector<std::string> strings(std::string_view key) {
        std::vector<std::string> out;
        auto items = array(key);
        if (!items) return out;
        for (simdjson::dom::element item : *items) {
            std::string_view text;
            if (item.get_string().get(text) != simdjson::SUCCESS) {
                fail(key, "has a member that is not a string");
                return {};
            }
            out.emplace_back(text);
        }
        return out;
    }
    std::vector<Reader> objects(std::string_view key) {
        std::vector<Reader> out;
        std::size_t i = 0;
        auto items = array(key);
        if (!items) return out;
        for (simdjson::dom::element item : *items) {
            simdjson::dom::object inner;
            if (item.get_object().get(inner) != simdjson::SUCCESS) {
                fail(key, "has a member that is not an object");
                return {};
            }
            out.emplace_back(inner, path_ + "/" + std::string(key) + "/" + std::to_string(i++),
                             error_);
        }
        return out;
    }
    // An object whose members all hold one JSON type: Wire is what simdjson
    // reads (uint64_t, std::string_view), Stored what the report keeps.
    template <class Wire, class Stored>
    std::map<std::string, Stored, std::less<>> map_of(std::string_view key,
                                                       std::string_view not_wire) {
        std::map<std::string, Stored, std::less<>> out;
        auto inner = object(key);
        if (!inner) return out;
        for (auto [name, value] : inner->object_) {
            Wire item{};
            if (value.get(item) != simdjson::SUCCESS) {
                inner->fail(name, not_wire);
                return {};
            }
            out.emplace(std::string(name), Stored(item));
        }
        return out;
    }
    Counters counters(std::string_view key) {
        return map_of<std::uint64_t, std::uint64_t>(key, "not a non-negative integer");
    }
    std::map<std::string, std::string, std::less<>> string_map(std::string_view key) {
        return map_of<std::string_view, std::string>(key, "not a string");
    }

    [[nodiscard]] bool failed() const { return error_->has_value(); }
    void fail(std::string_view key, std::string_view why) {
        if (!failed()) *error_ = path_ + "/" + std::string(key) + ": " + std::string(why);
    }

  private:
    std::optional<simdjson::dom::element> find(std::string_view key, bool required = true) {
        if (failed()) return std::nullopt;
        simdjson::dom::element value;
        if (object_.at_key(key).get(value) != simdjson::SUCCESS) {
            if (required) fail(key, "missing");
            return std::nullopt;
        }
        return value;
    }
    std::optional<simdjson::dom::array> array(std::string_view key) {
        auto value = find(key);
        if (!value) return std::nullopt;
        simdjson::dom::array items;
        if (value->get_array().get(items) != simdjson::SUCCESS) {
            fail(key, "not an array");
            return std::nullopt;
        }
        return items;
    }

    simdjson::dom::object object_;
    std::string path_;
    std::optional<std::string>* error_;
};

void read_connection(Reader& r, ConnectionInfo& c) {
    c.server_url = r.str("server_url");
    c.state = r.str("state");
    c.since = r.time("since");
    c.attempt = r.uint("attempt");
    c.reconnects = r.uint("reconnects");
    c.next_attempt_in_ms = r.optional_int("next_attempt_in_ms");
    if (auto e = r.object("last_error", false)) {
        c.last_error = ErrorInfo{e->str("what"), e->str("cause"), e->time("at")};
    }
    c.last_close_code = r.optional_int("last_close_code");
    c.token_expires_at = r.optional_time("token_expires_at");
    c.session_id = r.optional_str("session_id");
    c.auth_failures = r.counters("auth_failures");
    c.invalid_payloads = r.counters("invalid_payloads");
    c.transitions = r.counters("transitions");
}

void read_commands(Reader& r, CommandsInfo& c) {
    c.running = r.uint("running");
    c.queued = r.uint("queued");
    c.awaiting_approval = r.uint("awaiting_approval");
    c.results_unacknowledged = r.uint("results_unacknowledged");
    c.max_concurrent = r.uint("max_concurrent");
    c.allow_list_entries = r.uint("allow_list_entries");
    c.unrunnable = r.string_map("unrunnable");
}

void read_sandbox(Reader& r, SandboxInfo& s) {
    s.active = r.strings("active");
    for (Reader& u : r.objects("unavailable")) {
        s.unavailable.push_back(Unavailable{u.str("protection"), u.str("detail")});
    }
    s.exec_helper = r.optional_str("exec_helper");
    s.exec_helper_refused = r.strings("exec_helper_refused");
}

}  // namespace

Expected<StatusReport> parse_report(std::string_view json) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
        return fail(std::string("not JSON: ") + simdjson::error_message(error));
    }
    simdjson::dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) return fail("not a JSON object");

    std::optional<std::string> error;
    Reader r(object, "", &error);
    std::string format = r.str("format");
    if (!error && format != kFormat) {
        return fail("answer format \"" + format + "\" is not " + std::string(kFormat) +
                    " (agent and CLI of different versions?)");
    }
    StatusReport report;
    report.generated_at = r.time("generated_at");
    if (auto a = r.object("agent")) {
        report.agent.version = a->str("version");
        report.agent.node_id = a->str("node_id");
        std::uint64_t pid = a->uint("pid");
        if (pid > static_cast<std::uint64_t>(INT32_MAX)) a->fail("pid", "not a process id");
        report.agent.pid = static_cast<std::int64_t>(pid);
        report.agent.started_at = a->time("started_at");
    }
    if (auto c = r.object("connection")) read_connection(*c, report.connection);
    if (auto c = r.object("commands")) read_commands(*c, report.commands);
    if (auto j = r.object("journal")) {
        report.journal.path = j->str("path");
        report.journal.sync = j->str("sync");
        report.journal.state = j->str("state");
        report.journal.detail = j->str("detail");
        report.journal.outbox_messages = j->optional_int("outbox_messages");
    }
    if (auto s = r.object("sandbox")) read_sandbox(*s, report.sandbox);
    if (auto c = r.object("checks")) {
        report.checks.results = c->string_map("results");
        report.checks.details = c->string_map("details");
    }
    report.warnings = r.strings("warnings");
    if (error) return fail("status answer: " + *error);
    return report;
}

}  // namespace outpost::status

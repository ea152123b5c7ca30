#pragma once
// What `outpost status` shows: the running agent's state as plain data.
// The agent fills it (runtime/status_source.cpp) and serves it as JSON on the
// status socket (status_server.hpp); the CLI reads the JSON back and prints it
// (render_text.cpp). docs/status.md documents every field.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/error.hpp"

namespace outpost::status {

using TimePoint = std::chrono::system_clock::time_point;
using Counters = std::map<std::string, std::uint64_t, std::less<>>;

// The answer's `format`; a reader refuses any other (docs/status.md).
inline constexpr std::string_view kFormat = "outpost.status.v1";

// Each struct compares every member (defaulted ==), so a test can check a
// JSON round trip against the report itself, not against a second to_json
// that would miss a member both directions leave out.

struct AgentInfo {
    std::string version;
    std::string node_id;
    std::int64_t pid = 0;
    TimePoint started_at{};
    friend bool operator==(const AgentInfo&, const AgentInfo&) = default;
};

struct ErrorInfo {
    std::string what;
    std::string cause;  // may be empty
    TimePoint at{};
    friend bool operator==(const ErrorInfo&, const ErrorInfo&) = default;
};

// protocol.md §6: state, since when, last error, next attempt in.
struct ConnectionInfo {
    std::string server_url;
    std::string state;  // session::to_string(State)
    TimePoint since{};
    std::uint64_t attempt = 0;     // consecutive unsuccessful connections
    std::uint64_t reconnects = 0;  // attempts after the first one
    std::optional<std::int64_t> next_attempt_in_ms;
    std::optional<ErrorInfo> last_error;
    std::optional<std::int64_t> last_close_code;
    std::optional<TimePoint> token_expires_at;
    std::optional<std::string> session_id;
    Counters auth_failures;     // by reason
    Counters invalid_payloads;  // by §3.5 code
    Counters transitions;       // entries per state
    Counters seal_failures;     // protocol.md §8 refusals, by kind
    // protocol.md §7: what carries the session ("websocket" | "poll"), since
    // when, and why ("3 upgrades answered 400", "server.transport: poll",
    // "upgrade failed for 5m", "websocket back"; empty at start).
    std::string transport = "websocket";
    TimePoint transport_since{};
    std::string transport_reason;
    friend bool operator==(const ConnectionInfo&, const ConnectionInfo&) = default;
};

struct CommandsInfo {
    std::uint64_t running = 0;
    std::uint64_t queued = 0;  // accepted, waiting for a slot
    std::uint64_t awaiting_approval = 0;
    std::uint64_t results_unacknowledged = 0;  // finished, no result_ack yet
    std::uint64_t max_concurrent = 0;
    std::uint64_t allow_list_entries = 0;
    // Entries that can never run on this host: `requires` names a protection
    // the kernel does not offer. name → why.
    std::map<std::string, std::string, std::less<>> unrunnable;
    friend bool operator==(const CommandsInfo&, const CommandsInfo&) = default;
};

struct JournalInfo {
    std::string path;
    std::string sync;    // full | normal
    std::string state;   // ok | fail
    std::string detail;  // why it failed; empty when ok
    // Outbox messages not yet confirmed by the server (protocol.md §3.4,
    // docs/protocol-notes.md); null when the journal cannot be read.
    std::optional<std::int64_t> outbox_messages;
    friend bool operator==(const JournalInfo&, const JournalInfo&) = default;
};

struct Unavailable {
    std::string protection;
    std::string detail;
    friend bool operator==(const Unavailable&, const Unavailable&) = default;
};

struct SandboxInfo {
    std::vector<std::string> active;
    std::vector<Unavailable> unavailable;
    // outpost-exec-as, when runs as other users start through it.
    std::optional<std::string> exec_helper;
    std::vector<std::string> exec_helper_refused;  // why it is not used
    friend bool operator==(const SandboxInfo&, const SandboxInfo&) = default;
};

// The `health` checks (protocol.md §3.2), computed when the answer is made.
struct Checks {
    std::map<std::string, std::string, std::less<>> results;  // check → ok|warn|fail|skipped
    std::map<std::string, std::string, std::less<>> details;
    friend bool operator==(const Checks&, const Checks&) = default;
};

// An alert that is firing (agent/alerts): what `outpost status` lists.
struct AlertInfo {
    std::string alert_id;
    std::string rule;
    std::string subject;   // e.g. `mount=/`; empty for a rule without selectors
    std::string severity;  // critical | warning | info
    double value = 0;
    double threshold = 0;
    TimePoint since{};
    friend bool operator==(const AlertInfo&, const AlertInfo&) = default;
};

// One telemetry collector (docs/status.md, "telemetry").
struct CollectorInfo {
    std::string name;
    bool enabled = true;
    std::optional<TimePoint> last_sample;  // the last run that worked
    std::string last_error;                // of the last run; empty when it worked
    bool skipped = false;                  // the last run found no source
    std::string note;                      // the last run worked, partly (a hung mount)
    friend bool operator==(const CollectorInfo&, const CollectorInfo&) = default;
};

// The telemetry pipeline (agent/telemetry/telemetry_pipeline.hpp).
struct TelemetryInfo {
    bool running = false;  // the collection thread is up
    std::int64_t interval_ms = 0;
    std::optional<std::int64_t> last_seq;
    std::optional<TimePoint> last_sample_at;
    std::uint64_t samples = 0;        // since start
    std::uint64_t skipped_ticks = 0;  // since start
    // Samples not sent: part 1 over protocol.max_message_bytes even trimmed.
    std::uint64_t unsendable_samples = 0;
    // The service loop's lag over its recent probes, microseconds.
    std::uint64_t lag_p50_us = 0;
    std::uint64_t lag_p99_us = 0;
    std::uint64_t lag_max_us = 0;
    std::vector<CollectorInfo> collectors;
    friend bool operator==(const TelemetryInfo&, const TelemetryInfo&) = default;
};

struct StatusReport {
    TimePoint generated_at{};
    AgentInfo agent;
    ConnectionInfo connection;
    CommandsInfo commands;
    JournalInfo journal;
    SandboxInfo sandbox;
    Checks checks;
    std::vector<AlertInfo> alerts;           // firing now
    std::optional<TelemetryInfo> telemetry;  // absent from agents without the pipeline
    // What an operator should act on (a failing journal, a config key this
    // version ignores); also logged at start.
    std::vector<std::string> warnings;
    friend bool operator==(const StatusReport&, const StatusReport&) = default;
};

// The JSON served on the status socket.
[[nodiscard]] std::string to_json(const StatusReport& report);

// Reads an answer back. Unknown members are ignored (a newer agent may add
// some); a missing or mistyped member fails with its JSON path, as does a
// `format` other than kFormat.
[[nodiscard]] Expected<StatusReport> parse_report(std::string_view json);

// The human-readable form `outpost status` prints. Durations ("for 3m 2s")
// are computed from the answer's own clock (generated_at), not the reader's.
[[nodiscard]] std::string render_text(const StatusReport& report);

// Healthy: online, the journal ok and no check failing (warnings do not
// count: they are about configuration, shown but not alarming).
[[nodiscard]] bool healthy(const StatusReport& report);

// `text` safe to print on a terminal: control characters (C0, DEL, C1, bidi
// overrides and isolates) and ill-formed UTF-8 bytes become \xNN / \uNNNN,
// so no answer or error message can move the cursor, recolour the terminal,
// reorder what is shown or forge a line. render_text applies it to every
// string; the CLI to every error message it prints.
[[nodiscard]] std::string printable(std::string_view text);

}  // namespace outpost::status

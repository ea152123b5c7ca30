#pragma once
// Typed agent → server messages (protocol.md §3.2). Optional members are sent
// as JSON null when empty.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "agent/protocol/errors.hpp"
#include "agent/protocol/telemetry.hpp"

namespace outpost::protocol::outbound {

inline constexpr std::string_view kProtocolV1 = "outpost.v1";

struct HostInfo {
    std::string hostname;
    std::string os;
    std::string kernel;
    std::string arch;
    std::string machine_id;
    std::string boot_id;
};

struct Backlog {
    std::uint64_t results = 0;  // stored results without result_ack
    std::uint64_t outbox = 0;   // queued outbox messages
};

// An extension of `hello` (protocol.md §3: unknown data fields are ignored by
// readers): which sandbox protections this host offers, so a control plane
// can see a degraded node before it sends commands.
struct SandboxReport {
    std::vector<std::string> active;
    std::vector<std::pair<std::string, std::string>> unavailable;  // protection, why
};

// An extension of `hello`, like `sandbox`: the journal's epoch, new with each
// new journal and each `outpost journal accept-reset`, so a control plane can
// see that the agent's memory of request_ids was reset (a request_id it sent
// before a new epoch may run again); trusted is false while the agent runs
// without its journal (refused at start: went backwards, corrupt, ...) and so
// refuses every command. See docs/protocol-notes.md.
struct JournalReport {
    std::optional<std::string> epoch;  // null: none known
    bool trusted = false;
};

// hello.seal (protocol.md §8): the connection's messages are sealed; `epk`
// is its ephemeral X25519 public key, base64url.
struct SealOffer {
    int v = 1;
    std::string epk;
};

struct Hello {
    std::string node_id;
    std::string agent_version;
    std::vector<std::string> protocols{std::string(kProtocolV1)};
    std::vector<std::string> capabilities;
    HostInfo host;
    Backlog backlog;
    std::optional<SandboxReport> sandbox;  // sent only when set
    std::optional<JournalReport> journal;  // sent only when set
    std::optional<SealOffer> seal;         // sent only when set
};

struct Reauth {
    std::string token;
};

struct Ping {};

struct Pong {
    std::string ref;  // id of the server's ping
};

enum class NodeStatus { online, degraded, offline };

struct Status {
    std::string node_id;
    NodeStatus status = NodeStatus::online;
    std::optional<std::string> reason;
};

enum class Severity { critical, warning, info };
enum class AlertState { firing, resolved };

struct Alert {
    std::string alert_id;
    std::string rule;
    Severity severity = Severity::warning;
    AlertState state = AlertState::firing;
    std::string message;
    // Always JSON numbers (§3.2): a resolve sends the value that ended it.
    double value = 0;
    double threshold = 0;
    std::string since;  // RFC 3339
};

enum class CheckResult { ok, warn, fail, skipped };

struct HealthChecks {
    CheckResult agent = CheckResult::skipped;
    CheckResult disk = CheckResult::skipped;
    CheckResult memory = CheckResult::skipped;
    CheckResult database = CheckResult::skipped;
    CheckResult containers = CheckResult::skipped;
};

struct Health {
    std::optional<std::string> ref;  // the health_check's request_id; null when periodic
    HealthChecks checks;
    std::map<std::string, std::string> details;
};

enum class AckState { accepted, running, awaiting_approval, duplicate, rejected };

struct CommandAck {
    std::string request_id;
    AckState state = AckState::accepted;
    std::optional<std::string> reason;
};

enum class ResultState { succeeded, failed, timed_out, cancelled, rejected, interrupted };

struct CommandResult {
    std::string request_id;
    ResultState state = ResultState::succeeded;
    std::optional<std::int64_t> exit_code;
    std::optional<std::string> signal;  // e.g. "SIGKILL"
    std::string stdout_text;            // `stdout` on the wire
    std::string stderr_text;            // `stderr` on the wire
    bool stdout_truncated = false;
    bool stderr_truncated = false;
    std::optional<std::string> started_at;  // RFC 3339; null when it never started
    std::string finished_at;                // RFC 3339
    std::uint64_t duration_ms = 0;
    std::optional<std::string> reason;
};

// Members past §3.2's are docs/protocol-notes.md's ("Log streaming"); each
// is sent only when it says something (a whole line carries none of them).
struct LogLine {
    std::string stream_id;
    std::string line;
    std::string ts;          // RFC 3339 of the line itself
    bool truncated = false;  // `line` was cut (and ends with the cut marker)
    bool partial = false;    // a last line sent without its newline (timeout)
    // A drop marker: `line` says how many lines were dropped since the last
    // marker, and this member carries the number.
    std::optional<std::uint64_t> dropped{};
};

struct StreamEnd {
    std::string stream_id;
    std::string reason;
    // Totals of the stream, for a stream that was opened (absent on a
    // refusal): lines dropped by the agent, and lines the source proved
    // lost before the agent read them (copytruncate).
    std::optional<std::uint64_t> dropped{};
    std::optional<std::uint64_t> lost{};
};

struct Error {
    std::optional<std::string> ref;
    ErrorCode code = ErrorCode::schema;
    std::string message;
    std::optional<std::string> path;
};

// The `error` reply to an inbound message that failed validation.
[[nodiscard]] Error error_reply(const ProtocolError& error);

using Body = std::variant<Hello, Reauth, Ping, Pong, Telemetry, Status, Alert, Health, CommandAck,
                          CommandResult, LogLine, StreamEnd, Error>;

[[nodiscard]] std::string_view to_string(NodeStatus value) noexcept;
[[nodiscard]] std::string_view to_string(Severity value) noexcept;
[[nodiscard]] std::string_view to_string(AlertState value) noexcept;
[[nodiscard]] std::string_view to_string(CheckResult value) noexcept;
[[nodiscard]] std::string_view to_string(AckState value) noexcept;
[[nodiscard]] std::string_view to_string(ResultState value) noexcept;

}  // namespace outpost::protocol::outbound

namespace outpost::protocol {

struct OutboundMessage {
    std::string id;  // UUID v4, unique per message
    std::string ts;  // RFC 3339 UTC with milliseconds (format_rfc3339)
    outbound::Body body;
};

}  // namespace outpost::protocol

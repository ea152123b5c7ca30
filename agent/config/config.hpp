#pragma once
// The agent's configuration as typed, immutable values. Every field here is
// filled from the schema tables in schema_*.cpp (defaults included), so this
// header carries no default values of its own: build a Config only through
// load_config_file()/load_config_text() (loader.hpp).

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/journal/sync_mode.hpp"
#include "agent/log/level.hpp"
#include "agent/protocol/outbound_messages.hpp"
#include "collectors/settings.hpp"
#include "executors/sandbox/protection.hpp"

namespace outpost::config {

using Duration = std::chrono::milliseconds;

enum class Transport { websocket, poll };
enum class AuthMode { jwt, exchange, static_token };
// One type per concept, owned by the lowest module that needs it; the
// schema tables (schema_sections.cpp) name these directly, so nothing
// converts between look-alike enums. The aliases are config's words for them.
using JournalSync = ::outpost::journal::SyncMode;
using LogLevel = ::outpost::log::Level;
using LogFormat = ::outpost::log::Format;
// The `collectors` section is the collectors' own settings type.
using CollectorsSettings = ::outpost::collectors::CollectorsSettings;

struct ServerConfig {
    std::string url;                     // wss://… (ws:// only with insecure_plaintext)
    std::optional<std::string> ca_file;  // absolute path; system trust store when absent
    std::vector<std::array<std::uint8_t, 32>> pin_sha256;  // decoded SHA-256 SPKI pins
    std::optional<std::string> client_cert;
    std::optional<std::string> client_key;  // set exactly when client_cert is set
    bool insecure_plaintext{};
    std::optional<std::string> proxy;  // http://host:port
    std::optional<std::string> poll_url;
    Duration poll_after{};
    Duration poll_interval{};
    Transport transport{};
    bool operator==(const ServerConfig&) const = default;
};

struct AuthConfig {
    AuthMode mode{};
    std::string audience;  // defaults to server.url
    Duration token_ttl{};
    std::optional<std::string> token_url;   // set when mode == exchange
    std::optional<std::string> token_file;  // set when mode == static_token
    bool operator==(const AuthConfig&) const = default;
};

struct SecurityConfig {
    // Decoded Ed25519 public key (32 bytes) of the control plane; signed
    // commands are required exactly when this is set.
    std::optional<std::array<std::uint8_t, 32>> command_public_key;
    // Decoded X25519 public key (32 bytes) of the control plane; every
    // message after hello travels sealed to it exactly when this is set
    // (protocol.md §8, docs/sealing.md).
    std::optional<std::array<std::uint8_t, 32>> server_seal_key;
    bool operator==(const SecurityConfig&) const = default;
};

struct ReconnectConfig {
    Duration initial{};
    Duration max{};
    Duration revoked_interval{};
    Duration incompatible_interval{};
    bool operator==(const ReconnectConfig&) const = default;
};

struct TelemetryConfig {
    Duration interval{};
    bool operator==(const TelemetryConfig&) const = default;
};

struct HealthConfig {
    Duration interval{};
    bool operator==(const HealthConfig&) const = default;
};

struct OutboxConfig {
    std::uint64_t max_messages{};
    std::uint64_t max_bytes{};
    std::uint64_t flush_rate{};  // messages per second
    bool operator==(const OutboxConfig&) const = default;
};

struct JournalConfig {
    Duration retention{};
    JournalSync sync{};
    bool operator==(const JournalConfig&) const = default;
};

struct ProtocolConfig {
    std::uint64_t max_message_bytes{};
    bool operator==(const ProtocolConfig&) const = default;
};

struct NodeConfig {
    std::optional<std::string> id;  // generated and kept in state_dir when absent
    std::string state_dir;
    bool operator==(const NodeConfig&) const = default;
};

struct StatusConfig {
    std::string socket;
    bool operator==(const StatusConfig&) const = default;
};

struct LoggingConfig {
    LogLevel level{};
    LogFormat format{};
    bool operator==(const LoggingConfig&) const = default;
};

// How an allow-listed command is sandboxed (docs/allow-list.md): `strict`
// (no network, read-only root, private /tmp, own PID namespace, seccomp,
// Landlock), `standard` (private /tmp, seccomp, no_new_privs) or `none`.
enum class SandboxLevel { strict, standard, none };

// A protection an entry can require: the sandbox's own type, not a copy of it.
using Protection = executors::Protection;

// The rule for one argument the control plane sends. Exactly one kind
// (literal, one_of, regex, int_range, path_under) is set (rules.cpp).
struct ArgRule {
    std::optional<std::string> literal;
    std::vector<std::string> one_of;
    std::optional<std::string> regex;     // RE2, whole-argument match
    std::vector<std::int64_t> int_range;  // [min, max], both inclusive
    std::vector<std::string> path_under;  // absolute roots
    bool allow_dash{};                    // the argument may start with `-`
    bool allow_newline{};                 // regex only: `\n`/`\r` may reach the regex
    bool allow_missing{};                 // path_under only: the path need not exist yet
    bool operator==(const ArgRule&) const = default;
};

// The rule for the arguments after the positional ones: at most `max` of
// them, each checked like an ArgRule (same keys).
struct VariadicRule {
    std::uint64_t max{};
    std::optional<std::string> literal;
    std::vector<std::string> one_of;
    std::optional<std::string> regex;
    std::vector<std::int64_t> int_range;
    std::vector<std::string> path_under;
    bool allow_dash{};
    bool allow_newline{};
    bool allow_missing{};
    bool operator==(const VariadicRule&) const = default;
};

// An environment variable the control plane may set, and its value rule.
struct EnvRule {
    std::string name;
    std::string regex;  // RE2, whole-value match
    bool allow_newline{};
    bool operator==(const EnvRule&) const = default;
};

// One allow-listed command (protocol.md §3.3: `command` names an entry).
struct CommandEntry {
    std::string name;
    std::string path;                // absolute
    std::vector<std::string> args;   // fixed leading arguments
    std::vector<ArgRule> arg_rules;  // one per position of the sent arguments
    VariadicRule variadic;           // the tail after arg_rules
    std::uint64_t max_arg_bytes{};   // sent arguments, each counted with its NUL
    std::vector<EnvRule> env;
    std::uint64_t max_stdin_bytes{};
    std::string description;
    Duration timeout{};
    Duration max_timeout{};  // defaults to timeout
    std::uint64_t max_output_bytes{};
    std::optional<std::string> run_as;  // required by the policy; root needs allow_root
    std::optional<std::string> group;   // run_as's primary group when absent
    bool allow_root{};
    std::string working_dir;
    SandboxLevel sandbox{};
    std::vector<Protection> required_protections;  // `requires`: refused without them
    bool idempotent{};
    std::uint64_t retries{};  // dispatcher retries; only when idempotent
    bool operator==(const CommandEntry&) const = default;
};

struct ExecutorConfig {
    std::uint64_t max_concurrent{};
    std::uint64_t max_queued{};              // accepted commands waiting for a slot
    std::uint64_t max_queued_stdin_bytes{};  // stdin held for unfinished commands
    std::vector<CommandEntry> commands;
    bool operator==(const ExecutorConfig&) const = default;
};

// One alert rule (docs/configuration.md, "alerts"; agent/alerts/ evaluates it).
enum class AlertOperator { greater, greater_or_equal, less, less_or_equal };
using AlertSeverity = ::outpost::protocol::outbound::Severity;

struct AlertRule {
    std::string name;    // unique; the `rule` of its alert messages
    std::string metric;  // a checked metric path (agent/alerts/metric_path.hpp)
    AlertOperator op{};
    double threshold{};
    Duration for_duration{};  // how long the condition must hold before firing
    AlertSeverity severity{};
    std::optional<double> clear;         // resolves only past this; `threshold` when absent
    std::optional<std::string> message;  // template (agent/alerts/message_template.hpp)
    bool operator==(const AlertRule&) const = default;
};

struct AlertsConfig {
    std::vector<AlertRule> rules;
    bool builtin = false;  // the file has no `alerts` key: the original design's rules
    bool operator==(const AlertsConfig&) const = default;
};

// Log streaming (protocol.md §3.3 stream_logs; docs/log-streaming.md).
// `source` in stream_logs names one of these entries, never a path.
enum class LogSourceKind { file, journal };

struct LogSourceEntry {
    std::string name;  // unique; what stream_logs.source names
    LogSourceKind kind{};
    std::string path;  // kind == file: absolute path of the file
    std::string unit;  // kind == journal: the systemd unit (`nginx.service`)
    // kind == journal: read the journal files in this directory instead of
    // the system journal (journals written by systemd-journal-remote, tests).
    std::optional<std::string> journal_directory;
    std::uint32_t max_line_bytes{};    // longer lines are cut and marked
    std::uint32_t lines_per_second{};  // this source's rate, per stream
    bool operator==(const LogSourceEntry&) const = default;
};

struct LogsConfig {
    std::vector<LogSourceEntry> sources;
    std::uint32_t max_streams{};           // open at once; one more is refused
    std::uint32_t max_lines_per_second{};  // all streams together
    std::uint32_t max_history_lines{};     // stream_logs.lines above it is capped
    // History text per stream (the newest records win); the schema's default,
    // so that a LogsConfig built by hand does not silently send no history.
    std::uint32_t max_history_bytes{4U << 20};
    Duration partial_line_timeout{};  // a last line without a newline waits this long
    bool operator==(const LogsConfig&) const = default;
};

// Prometheus metrics (docs/metrics.md; schema_metrics.cpp).
struct MetricsConfig {
    std::optional<std::string> textfile;  // absolute path for node_exporter's textfile collector
    Duration textfile_interval{};
    std::optional<std::string> listen;  // 127.0.0.1:PORT or [::1]:PORT
    bool operator==(const MetricsConfig&) const = default;
};

struct Config {
    ServerConfig server;
    AuthConfig auth;
    SecurityConfig security;
    ReconnectConfig reconnect;
    TelemetryConfig telemetry;
    CollectorsSettings collectors;  // schema_collectors.cpp
    HealthConfig health;
    OutboxConfig outbox;
    JournalConfig journal;
    ProtocolConfig protocol;
    NodeConfig node;
    StatusConfig status;
    LoggingConfig logging;
    ExecutorConfig executor;
    AlertsConfig alerts;
    MetricsConfig metrics;  // schema_metrics.cpp
    LogsConfig logs;        // schema_logs.cpp
};

}  // namespace outpost::config

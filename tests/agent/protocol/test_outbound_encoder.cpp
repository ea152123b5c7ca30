// Every agent → server message encodes to the uniform envelope and parses
// back (with simdjson) into the same field values.
#include <string>

#include <simdjson.h>
#include <catch2/catch.hpp>

#include "agent/protocol/inbound_parser.hpp"
#include "agent/protocol/limits.hpp"
#include "agent/protocol/outbound_encoder.hpp"

using namespace outpost::protocol;
using namespace outpost::protocol::outbound;

namespace {

constexpr const char* kId = "3f1c8a2e-5b7d-4e9a-8c61-0d2f4b6a9e13";
constexpr const char* kTs = "2026-11-22T10:00:00.123Z";

// Keeps the parser (and so the DOM) alive while a test reads `data`.
struct Decoded {
    simdjson::dom::parser parser;
    std::string text;
    simdjson::dom::object data;
};

void decode(Decoded& out, const Body& body, std::string_view expected_type) {
    out.text = encode(OutboundMessage{kId, kTs, body});
    INFO(out.text);
    simdjson::dom::object root;
    REQUIRE(out.parser.parse(out.text).get_object().get(root) == simdjson::SUCCESS);
    CHECK(root.size() == 4);
    CHECK(root["type"].get_string().value() == expected_type);
    CHECK(root["id"].get_string().value() == kId);
    CHECK(root["ts"].get_string().value() == kTs);
    REQUIRE(root["data"].get_object().get(out.data) == simdjson::SUCCESS);
    CHECK(type_name(body) == expected_type);
}

std::string_view str(simdjson::dom::object o, std::string_view key) {
    return o[key].get_string().value();
}
std::uint64_t u64(simdjson::dom::object o, std::string_view key) {
    return o[key].get_uint64().value();
}
double dbl(simdjson::dom::object o, std::string_view key) {
    return o[key].get_double().value();
}
bool is_null(simdjson::dom::object o, std::string_view key) {
    return o[key].is_null();
}

}  // namespace

TEST_CASE("encode hello") {
    Hello m;
    m.node_id = "node-1";
    m.agent_version = "0.1.0";
    m.capabilities = {"execute", "cancel", "telemetry"};
    m.host = {"edge-7", "Debian GNU/Linux 12", "6.1.0-18-amd64", "x86_64", "abc123", "def456"};
    m.backlog = {3, 42};
    Decoded d;
    decode(d, m, "hello");
    CHECK(str(d.data, "node_id") == "node-1");
    CHECK(str(d.data, "agent_version") == "0.1.0");
    simdjson::dom::array protocols = d.data["protocols"].get_array().value();
    REQUIRE(protocols.size() == 1);
    CHECK(protocols.at(0).get_string().value() == "outpost.v1");
    simdjson::dom::array caps = d.data["capabilities"].get_array().value();
    REQUIRE(caps.size() == 3);
    CHECK(caps.at(2).get_string().value() == "telemetry");
    simdjson::dom::object host = d.data["host"].get_object().value();
    CHECK(str(host, "hostname") == "edge-7");
    CHECK(str(host, "os") == "Debian GNU/Linux 12");
    CHECK(str(host, "kernel") == "6.1.0-18-amd64");
    CHECK(str(host, "arch") == "x86_64");
    CHECK(str(host, "machine_id") == "abc123");
    CHECK(str(host, "boot_id") == "def456");
    simdjson::dom::object backlog = d.data["backlog"].get_object().value();
    CHECK(u64(backlog, "results") == 3);
    CHECK(u64(backlog, "outbox") == 42);
    CHECK(d.data["sandbox"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("encode hello with the sandbox report") {
    Hello m;
    m.node_id = "node-1";
    m.sandbox =
        outbound::SandboxReport{{"seccomp", "landlock"}, {{"cgroup_memory", "no controller"}}};
    Decoded d;
    decode(d, m, "hello");
    simdjson::dom::object sandbox = d.data["sandbox"].get_object().value();
    simdjson::dom::array active = sandbox["active"].get_array().value();
    REQUIRE(active.size() == 2);
    CHECK(active.at(1).get_string().value() == "landlock");
    simdjson::dom::array missing = sandbox["unavailable"].get_array().value();
    REQUIRE(missing.size() == 1);
    simdjson::dom::object first = missing.at(0).get_object().value();
    CHECK(str(first, "protection") == "cgroup_memory");
    CHECK(str(first, "reason") == "no controller");
}

TEST_CASE("encode reauth, ping, pong") {
    Decoded d;
    decode(d, Reauth{"eyJ.token.sig"}, "reauth");
    CHECK(str(d.data, "token") == "eyJ.token.sig");

    Decoded p;
    decode(p, outbound::Ping{}, "ping");
    CHECK(p.data.size() == 0);
    // Our ping is also a valid inbound ping (same shape both ways).
    CHECK(parse_inbound(p.text, limits::kDefaultMaxMessageBytes).has_value());

    Decoded q;
    decode(q, outbound::Pong{"srv-ping-1"}, "pong");
    CHECK(str(q.data, "ref") == "srv-ping-1");
    auto back = parse_inbound(q.text, limits::kDefaultMaxMessageBytes);
    REQUIRE(back.has_value());
    CHECK(std::get<inbound::Pong>(back->body).ref == "srv-ping-1");
}

TEST_CASE("encode telemetry") {
    Telemetry m;
    m.node_id = "node-1";
    m.seq = 17;
    m.collected_at = "2026-11-22T09:59:59.000Z";
    m.system.cpu = CpuStats{.usage_percent = 12.5,
                            .user_percent = 8.0,
                            .system_percent = 4.0,
                            .iowait_percent = 0.5,
                            .steal_percent = std::nullopt,
                            .per_core_percent = {10.0, 15.0},
                            .cores = 4};
    m.system.memory = MemoryStats{.total_bytes = 8'000,
                                  .available_bytes = 6'000,
                                  .used_bytes = 2'000,
                                  .used_percent = 25.0,
                                  .swap_total_bytes = 1'000,
                                  .swap_used_bytes = 10,
                                  .pressure = std::nullopt};
    m.system.load = LoadAverage{0.25, 0.5, 1.0};
    m.system.uptime_s = 3600;
    m.system.disks.push_back({.mount = "/",
                              .device = "/dev/sda1",
                              .fs_type = "ext4",
                              .total_bytes = 100,
                              .used_bytes = 40,
                              .available_bytes = 60,
                              .used_percent = 40.0,
                              .inodes_total = 1000,
                              .inodes_used = 10,
                              .inodes_used_percent = 1.0,
                              .error = std::nullopt});
    m.system.network.push_back(
        {.interface = "eth0", .per_second = NetworkRates{.rx_bytes = 1, .tx_errors = 4}});
    m.containers.push_back({.id = "c1",
                            .name = "web",
                            .image = "nginx:1",
                            .state = "running",
                            .health = "healthy",
                            .cpu_percent = 1.5,
                            .memory_bytes = std::nullopt,
                            .restarts = 2});
    m.agent = {.version = "0.1.0",
               .rss_bytes = 20'000'000,
               .cpu_seconds = 1.25,
               .uptime_s = 60,
               .open_fds = 9,
               .journal_bytes = std::nullopt,
               .outbox = {5, 500, 7},
               .commands_running = 1};
    m.collectors.push_back({.collector = "containers",
                            .state = CollectorProblem::State::skipped,
                            .message = "no socket"});
    Decoded d;
    decode(d, m, "telemetry");
    CHECK(str(d.data, "node_id") == "node-1");
    CHECK(u64(d.data, "seq") == 17);
    CHECK(str(d.data, "collected_at") == "2026-11-22T09:59:59.000Z");
    simdjson::dom::object system = d.data["system"].get_object().value();
    simdjson::dom::object cpu = system["cpu"].get_object().value();
    CHECK(dbl(cpu, "usage_percent") == 12.5);
    CHECK(dbl(cpu, "iowait_percent") == 0.5);
    CHECK(u64(cpu, "cores") == 4);
    CHECK(u64(system["memory"].get_object().value(), "available_bytes") == 6'000);
    CHECK(dbl(system["load"].get_object().value(), "load15") == 1.0);
    CHECK(u64(system, "uptime_s") == 3600);
    simdjson::dom::object disk = system["disks"].get_array().value().at(0).get_object().value();
    CHECK(str(disk, "mount") == "/");
    CHECK(str(disk, "fs_type") == "ext4");
    CHECK(u64(disk, "inodes_used") == 10);
    CHECK(dbl(disk, "used_percent") == 40.0);
    simdjson::dom::object nic = system["network"].get_array().value().at(0).get_object().value();
    CHECK(str(nic, "interface") == "eth0");
    CHECK(dbl(nic["per_second"].get_object().value(), "tx_errors") == 4.0);
    CHECK(is_null(system, "processes"));
    simdjson::dom::object container =
        d.data["containers"].get_array().value().at(0).get_object().value();
    CHECK(str(container, "name") == "web");
    CHECK(dbl(container, "cpu_percent") == 1.5);
    CHECK(is_null(container, "memory_bytes"));
    CHECK(u64(container, "restarts") == 2);
    CHECK(str(container, "health") == "healthy");
    simdjson::dom::object problems = d.data["collectors"].get_object().value();
    CHECK(str(problems["containers"].get_object().value(), "state") == "skipped");
    simdjson::dom::object agent = d.data["agent"].get_object().value();
    CHECK(str(agent, "version") == "0.1.0");
    CHECK(u64(agent, "rss_bytes") == 20'000'000);
    CHECK(dbl(agent, "cpu_seconds") == 1.25);
    CHECK(u64(agent, "uptime_s") == 60);
    CHECK(u64(agent["outbox"].get_object().value(), "dropped") == 7);
    CHECK(u64(agent, "commands_running") == 1);
}

TEST_CASE("encode telemetry with nothing collected") {
    Decoded d;
    decode(d, Telemetry{}, "telemetry");
    simdjson::dom::object system = d.data["system"].get_object().value();
    CHECK(is_null(system, "cpu"));
    CHECK(is_null(system, "memory"));
    CHECK(is_null(system, "load"));
    CHECK(is_null(system, "uptime_s"));
    CHECK(system["disks"].get_array().value().size() == 0);
    CHECK(d.data["containers"].get_array().value().size() == 0);
}

TEST_CASE("encode status") {
    Decoded d;
    decode(d, Status{"node-1", NodeStatus::degraded, "disk almost full"}, "status");
    CHECK(str(d.data, "node_id") == "node-1");
    CHECK(str(d.data, "status") == "degraded");
    CHECK(str(d.data, "reason") == "disk almost full");
    Decoded n;
    decode(n, Status{"node-1", NodeStatus::offline, std::nullopt}, "status");
    CHECK(str(n.data, "status") == "offline");
    CHECK(is_null(n.data, "reason"));
}

TEST_CASE("encode alert") {
    Alert m{"a-1", "disk_root", Severity::critical,        AlertState::resolved, "disk / at 91%",
            91.5,  90.0,        "2026-11-22T09:00:00.000Z"};
    Decoded d;
    decode(d, m, "alert");
    CHECK(str(d.data, "alert_id") == "a-1");
    CHECK(str(d.data, "rule") == "disk_root");
    CHECK(str(d.data, "severity") == "critical");
    CHECK(str(d.data, "state") == "resolved");
    CHECK(str(d.data, "message") == "disk / at 91%");
    CHECK(dbl(d.data, "value") == 91.5);
    CHECK(dbl(d.data, "threshold") == 90.0);
    CHECK(str(d.data, "since") == "2026-11-22T09:00:00.000Z");
}

TEST_CASE("an alert's value and threshold are always JSON numbers") {
    // protocol.md §3.2: never null, also for an alert built field by field.
    Alert m;
    m.alert_id = "a-2";
    Decoded d;
    decode(d, m, "alert");
    CHECK(d.data["value"].is_number());
    CHECK(d.data["threshold"].is_number());
    CHECK(dbl(d.data, "threshold") == 0.0);
}

TEST_CASE("encode health") {
    Health m;
    m.ref = "hc-1";
    m.checks = {CheckResult::ok, CheckResult::warn, CheckResult::fail, CheckResult::ok,
                CheckResult::skipped};
    m.details = {{"disk", "/var 85% used"}};
    Decoded d;
    decode(d, m, "health");
    CHECK(str(d.data, "ref") == "hc-1");
    simdjson::dom::object checks = d.data["checks"].get_object().value();
    CHECK(str(checks, "agent") == "ok");
    CHECK(str(checks, "disk") == "warn");
    CHECK(str(checks, "memory") == "fail");
    CHECK(str(checks, "database") == "ok");
    CHECK(str(checks, "containers") == "skipped");
    CHECK(str(d.data["details"].get_object().value(), "disk") == "/var 85% used");
    Decoded periodic;
    decode(periodic, Health{}, "health");
    CHECK(is_null(periodic.data, "ref"));
}

TEST_CASE("encode command_ack, every state") {
    const std::pair<AckState, std::string_view> states[] = {
        {AckState::accepted, "accepted"},
        {AckState::running, "running"},
        {AckState::awaiting_approval, "awaiting_approval"},
        {AckState::duplicate, "duplicate"},
        {AckState::rejected, "rejected"}};
    for (const auto& [state, name] : states) {
        Decoded d;
        decode(d,
               CommandAck{"r-1", state,
                          state == AckState::rejected ? std::optional<std::string>("not allowed")
                                                      : std::nullopt},
               "command_ack");
        CHECK(str(d.data, "request_id") == "r-1");
        CHECK(str(d.data, "state") == name);
        if (state == AckState::rejected) {
            CHECK(str(d.data, "reason") == "not allowed");
        } else {
            CHECK(is_null(d.data, "reason"));
        }
    }
}

TEST_CASE("encode command_result, finished and nullable fields") {
    CommandResult m;
    m.request_id = "r-1";
    m.state = ResultState::failed;
    m.exit_code = 2;
    m.stdout_text = "out\n\x01\"quoted\"";
    m.stderr_text = "bad \xFF byte";
    m.stdout_truncated = true;
    m.started_at = "2026-11-22T10:00:00.000Z";
    m.finished_at = "2026-11-22T10:00:01.500Z";
    m.duration_ms = 1500;
    Decoded d;
    decode(d, m, "command_result");
    CHECK(str(d.data, "request_id") == "r-1");
    CHECK(str(d.data, "state") == "failed");
    CHECK(d.data["exit_code"].get_int64().value() == 2);
    CHECK(is_null(d.data, "signal"));
    CHECK(str(d.data, "stdout") == "out\n\x01\"quoted\"");
    CHECK(str(d.data, "stderr") == "bad \xEF\xBF\xBD byte");
    CHECK(d.data["stdout_truncated"].get_bool().value());
    CHECK_FALSE(d.data["stderr_truncated"].get_bool().value());
    CHECK(str(d.data, "started_at") == "2026-11-22T10:00:00.000Z");
    CHECK(str(d.data, "finished_at") == "2026-11-22T10:00:01.500Z");
    CHECK(u64(d.data, "duration_ms") == 1500);
    CHECK(is_null(d.data, "reason"));

    CommandResult killed;
    killed.request_id = "r-2";
    killed.state = ResultState::timed_out;
    killed.signal = "SIGKILL";
    killed.reason = "timeout after 5000 ms";
    Decoded k;
    decode(k, killed, "command_result");
    CHECK(str(k.data, "state") == "timed_out");
    CHECK(is_null(k.data, "exit_code"));
    CHECK(str(k.data, "signal") == "SIGKILL");
    CHECK(is_null(k.data, "started_at"));
    CHECK(str(k.data, "reason") == "timeout after 5000 ms");

    const std::pair<ResultState, std::string_view> states[] = {
        {ResultState::succeeded, "succeeded"},
        {ResultState::cancelled, "cancelled"},
        {ResultState::rejected, "rejected"},
        {ResultState::interrupted, "interrupted"}};
    for (const auto& [state, name] : states) {
        CommandResult r;
        r.state = state;
        Decoded s;
        decode(s, r, "command_result");
        CHECK(str(s.data, "state") == name);
    }
}

TEST_CASE("encode log_line and stream_end") {
    Decoded d;
    decode(d, LogLine{"st-1", "kernel: eth0 up\t", "2026-11-22T09:00:00.000Z"}, "log_line");
    CHECK(str(d.data, "stream_id") == "st-1");
    CHECK(str(d.data, "line") == "kernel: eth0 up\t");
    CHECK(str(d.data, "ts") == "2026-11-22T09:00:00.000Z");
    Decoded e;
    decode(e, StreamEnd{"st-1", "stopped"}, "stream_end");
    CHECK(str(e.data, "stream_id") == "st-1");
    CHECK(str(e.data, "reason") == "stopped");
    // The members past §3.2's are sent only when they say something.
    CHECK(d.data["truncated"].error() == simdjson::NO_SUCH_FIELD);
    CHECK(e.data["dropped"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("encode the log streaming members of log_line and stream_end") {
    LogLine cut{"st-1", "abc [outpost: 9 bytes cut]", "2026-11-22T09:00:00.000Z"};
    cut.truncated = true;
    cut.partial = true;
    cut.dropped = 12;
    Decoded d;
    decode(d, cut, "log_line");
    CHECK(d.data["truncated"].get_bool().value());
    CHECK(d.data["partial"].get_bool().value());
    CHECK(u64(d.data, "dropped") == 12);
    StreamEnd end{"st-1", "stopped"};
    end.dropped = 3;
    end.lost = 4;
    Decoded e;
    decode(e, end, "stream_end");
    CHECK(u64(e.data, "dropped") == 3);
    CHECK(u64(e.data, "lost") == 4);
}

TEST_CASE("encode error replies from parse failures") {
    InboundParser parser;
    const auto failed = parser.parse(
        R"({"type":"cancel","id":"srv-9","ts":"2026-11-22T10:00:00Z","data":{"request_id":"a b"}})",
        limits::kDefaultMaxMessageBytes);
    REQUIRE_FALSE(failed.has_value());
    Decoded d;
    decode(d, error_reply(failed.error()), "error");
    CHECK(str(d.data, "ref") == "srv-9");
    CHECK(str(d.data, "code") == "schema");
    CHECK(str(d.data, "path") == "/data/request_id");
    CHECK_FALSE(str(d.data, "message").empty());

    // The reply is itself a valid `error` message.
    auto back = parser.parse(d.text, limits::kDefaultMaxMessageBytes);
    REQUIRE(back.has_value());
    const auto& error = std::get<inbound::Error>(back->body);
    CHECK(error.known_code == ErrorCode::schema);
    CHECK(error.path == "/data/request_id");

    Decoded n;
    decode(n, outbound::Error{std::nullopt, ErrorCode::invalid_json, "truncated", std::nullopt},
           "error");
    CHECK(is_null(n.data, "ref"));
    CHECK(str(n.data, "code") == "invalid_json");
    CHECK(is_null(n.data, "path"));
}

TEST_CASE("encode_checked enforces the size limit") {
    CommandResult big;
    big.request_id = "r";
    big.stdout_text = std::string(2000, 'x');
    const OutboundMessage message{kId, kTs, big};
    const auto ok = encode_checked(message, 4096);
    REQUIRE(ok.has_value());
    CHECK(ok->size() <= 4096);
    const auto too_big = encode_checked(message, 1024);
    REQUIRE_FALSE(too_big.has_value());
    CHECK(too_big.error().message().find("command_result") != std::string::npos);
}

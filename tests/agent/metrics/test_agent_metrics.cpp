// The agent's metric set from a StatusReport: the families docs/metrics.md
// promises, one series per connection state, and `promtool check metrics`
// (the real one, Debian's prometheus package) finding no problem in it.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "agent/metrics/agent_metrics.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost;
using namespace std::chrono_literals;

namespace {

status::StatusReport sample_report() {
    status::StatusReport r;
    r.generated_at = std::chrono::system_clock::now();
    r.agent = {"1.2.3", "node-\"quoted\"\nnewline", 42, r.generated_at - 1h};
    r.connection.state = "backoff";
    r.connection.since = r.generated_at - 5s;
    r.connection.attempt = 3;
    r.connection.token_expires_at = r.generated_at + 600s;
    r.connection.auth_failures = {{"close_4001", 2}};
    r.connection.invalid_payloads = {{"invalid_payload", 1}};
    r.connection.transitions = {{"online", 1}, {"backoff", 3}};
    r.commands.running = 2;
    r.commands.max_concurrent = 4;
    r.journal = {"/var/lib/outpost/journal.db", "full", "ok", "", 7};
    r.sandbox.active = {"seccomp", "landlock"};
    r.sandbox.unavailable = {{"userns", "disabled by sysctl"}};
    r.checks.results = {{"disk", "ok"}, {"memory", "warn"}};
    r.alerts.push_back(status::AlertInfo{"a1", "disk_full", "mount=/", "critical", 95, 90, {}});
    status::TelemetryInfo t;
    t.samples = 10;
    t.collectors.push_back({"cpu", true, r.generated_at - 2s, "", false, ""});
    t.collectors.push_back({"disk", true, std::nullopt, "no such file", false, ""});
    r.telemetry = t;
    return r;
}

std::string render_all() {
    status::StatusReport report = sample_report();
    metrics::Instruments instruments;
    metrics::bump(instruments.reconnects, "http_503");
    metrics::bump(instruments.commands_finished, "succeeded");
    instruments.command_duration.observe(0.3);
    instruments.journal_sync.observe(0.0004);
    return metrics::render_agent_metrics(metrics::MetricsInput{
        .report = report,
        .instruments = &instruments,
        .process = metrics::read_process_stats(),
        .journal_bytes = 4096,
    });
}

}  // namespace

TEST_CASE("metrics: the agent's set from a status report", "[metrics]") {
    const std::string text = render_all();
    INFO(text);
    CHECK_THAT(text, Catch::Contains("outpost_build_info{version=\"1.2.3\"} 1\n"));
    CHECK_THAT(text,
               Catch::Contains("outpost_node_info{node_id=\"node-\\\"quoted\\\"\\nnewline\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_connection_state{state=\"backoff\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_connection_state{state=\"online\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("outpost_connection_state{state=\"shutting_down\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("outpost_auth_failures_total{reason=\"close_4001\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("outpost_reconnects_total{reason=\"http_503\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_commands{state=\"running\"} 2\n"));
    CHECK_THAT(text, Catch::Contains("outpost_commands_finished_total{state=\"succeeded\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_command_duration_seconds_bucket{le=\"0.5\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_journal_sync_duration_seconds_count 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_journal_size_bytes 4096\n"));
    CHECK_THAT(text, Catch::Contains("outpost_outbox_messages 7\n"));
    CHECK_THAT(text,
               Catch::Contains("outpost_sandbox_protection_active{protection=\"userns\"} 0\n"));
    CHECK_THAT(text,
               Catch::Contains("outpost_sandbox_protection_active{protection=\"seccomp\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_alerts_firing{severity=\"critical\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_telemetry_collector_up{collector=\"cpu\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("outpost_telemetry_collector_up{collector=\"disk\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("outpost_token_remaining_seconds 6"));
    for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                             "process_virtual_memory_bytes ", "process_open_fds ",
                             "process_max_fds ", "process_start_time_seconds "}) {
        CHECK_THAT(text, Catch::Contains(std::string("\n") + name));
    }
}

TEST_CASE("metrics: promtool check metrics finds no problem in the agent's set", "[metrics]") {
    const std::string promtool = OUTPOST_PROMTOOL_BIN;
    if (promtool.empty()) {
        WARN("promtool not installed (Debian package prometheus): not checked");
        return;
    }
    test_support::TempDir dir;
    const std::string file = (dir.path() / "metrics.prom").string();
    std::ofstream(file) << render_all();
    const std::string out = (dir.path() / "promtool.out").string();
    const std::string command = promtool + " check metrics < " + file + " > " + out + " 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream read(out);
    const std::string said((std::istreambuf_iterator<char>(read)), {});
    INFO("promtool said:\n" << said);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(said.empty());  // not even a lint warning
}

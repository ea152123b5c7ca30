// Sealing past a TLS terminator (protocol.md §8, issue 19): a real nginx
// ends TLS in front of the hub and proxies the WebSocket to it over plain
// ws:// on loopback, through a recording relay (recording_relay.hpp). A
// command whose argv and output carry a unique marker runs end to end; then
// nginx's access log and the plaintext hop between nginx and the hub must
// hold neither. The same run without sealing shows the marker on that hop,
// so the capture is known to be able to see it.
//
// nginx writes no WebSocket payload to its access log whatever the
// log_format: once the upgrade is done it relays bytes and logs one line per
// connection when it closes (request line, status, sizes, headers asked
// for). The log_format below asks for everything it could hold about the
// exchange, the upgrade's headers included.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "recording_relay.hpp"
#include "rig.hpp"
#include "seal_support.hpp"
#include "tests/support/skip.hpp"

using namespace outpost::integration;

namespace {

std::string nginx_conf(const std::string& dir, const Hub& hub, int port, int relay_port) {
    const std::string user = ::geteuid() == 0 ? "user root;\n" : "";
    return user +
           "daemon off;\n"
           "worker_processes 1;\n"
           "pid " +
           dir +
           "/nginx.pid;\n"
           "error_log " +
           dir +
           "/error.log info;\n"
           "events { worker_connections 64; }\n"
           "http {\n"
           "  log_format outpost '$remote_addr [$time_iso8601] \"$request\" $status "
           "req_len=$request_length sent=$bytes_sent body_sent=$body_bytes_sent "
           "ua=\"$http_user_agent\" agent=\"$http_x_agent_id\" "
           "proto=\"$http_sec_websocket_protocol\" upstream=$upstream_addr "
           "rt=$request_time';\n"
           "  access_log " +
           dir +
           "/access.log outpost;\n"
           "  client_body_temp_path " +
           dir +
           "/body;\n"
           "  proxy_temp_path " +
           dir +
           "/proxy;\n"
           "  fastcgi_temp_path " +
           dir +
           "/fastcgi;\n"
           "  uwsgi_temp_path " +
           dir +
           "/uwsgi;\n"
           "  scgi_temp_path " +
           dir +
           "/scgi;\n"
           "  server {\n"
           "    listen 127.0.0.1:" +
           std::to_string(port) +
           " ssl;\n"
           "    ssl_certificate " +
           hub.pki_file("server.pem") +
           ";\n"
           "    ssl_certificate_key " +
           hub.pki_file("server.key") +
           ";\n"
           "    location /v1/ {\n"
           "      proxy_pass http://127.0.0.1:" +
           std::to_string(relay_port) +
           ";\n"
           "      proxy_http_version 1.1;\n"
           "      proxy_set_header Upgrade $http_upgrade;\n"
           "      proxy_set_header Connection \"upgrade\";\n"
           "      proxy_read_timeout 300s;\n"
           "    }\n"
           "  }\n"
           "}\n";
}

// nginx as a child process, stopped by pid (SIGQUIT, then SIGKILL) at the end.
struct Nginx {
    Nginx(const std::string& binary, const std::string& root, const Hub& hub, int relay_port)
        : dir(root), port(free_loopback_port()) {
        std::filesystem::create_directories(dir);
        write_file(dir + "/nginx.conf", nginx_conf(dir, hub, port, relay_port));
        process = std::make_unique<ChildProcess>(
            SpawnOptions({binary, "-c", dir + "/nginx.conf", "-p", dir, "-e", dir + "/error.log"}));
    }
    ~Nginx() {
        if (current_test_failed()) {
            print_block("nginx error.log", read_file(dir + "/error.log"));
            print_block("nginx output", process->all_output(ChildProcess::Stream::err));
        }
        process->send_signal(SIGQUIT);  // graceful: workers finish and the log is complete
        if (!process->wait_exit(Clock::now() + 5s)) process->terminate(0ms);
    }
    [[nodiscard]] std::string url() const {
        return "wss://localhost:" + std::to_string(port) + "/v1/agent";
    }
    [[nodiscard]] std::string access_log() const { return read_file(dir + "/access.log"); }

    std::string dir;
    int port;
    std::unique_ptr<ChildProcess> process;
};

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("sealed behind nginx: neither its access log nor the plaintext hop shows the command",
          "[integration][sealed][nginx]") {
    const std::string nginx_bin = OUTPOST_NGINX_BIN;
    if (nginx_bin.empty() || !std::filesystem::exists(nginx_bin)) {
        OUTPOST_SKIP("nginx is not installed (scripts/install-deps installs nginx-light): skipped");
    }
    bool sealed = true;
    SECTION("sealed") {
        sealed = true;
    }
    SECTION("not sealed: the same capture does show the marker") {
        sealed = false;
    }
    TempDir keys;
    SealKey key(keys);
    HubOptions options;
    options.extra = {"--plaintext"};
    if (sealed) options = sealed_hub(key, {"--plaintext"});
    Rig rig(options);
    AppendEntry append(rig.dir);
    if (!append.usable()) return;
    rig.agent.add_command(append.entry());
    if (sealed) rig.agent.set("security", "server_seal_key", key.public_key);

    RecordingRelay relay(rig.hub.port());
    Nginx nginx(nginx_bin, rig.dir.file("nginx"), rig.hub, relay.port());
    REQUIRE(wait_for_port(nginx.port, 10s));

    // Unique per run, in the argv and (through the helper's "appended WORD") the output.
    const std::string marker = "MARKER-" + std::to_string(::getpid()) + "-" +
                               std::to_string(Clock::now().time_since_epoch().count() % 1000000007);
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub, nginx.url());
    const std::string session = *rig.wait_online(from, log_from, kFirstOnline).str("/session");
    rig.hub.command(execute_line(marker, "append", {marker, "0"}));
    const Event& result = rig.hub.expect_event(result_for(marker), kEventLimit, from, "result");
    CHECK(result.str("/msg/data/stdout") == "appended " + marker + "\n");
    CHECK(result.has("/sealed_n") == sealed);
    rig.hub.expect_event(sent_of_type("result_ack"), kEventLimit, result.index(), "result_ack");
    CHECK(append.count(marker) == 1);

    // The connection ends, so nginx writes its access-log line.
    rig.agent.signal(SIGTERM);
    REQUIRE(rig.agent.wait_exit(kEventLimit));
    rig.hub.expect_event(in_session(closed_event(), session), kEventLimit, from, "closed");
    const auto log_by = Clock::now() + 10s;
    while (Clock::now() < log_by && !contains(nginx.access_log(), "/v1/agent")) {
        ChildProcess::pump(50ms);
    }
    const std::string access_log = nginx.access_log();
    INFO("nginx access log:\n" << access_log);
    REQUIRE(contains(access_log, "\"GET /v1/agent HTTP/1.1\" 101"));
    CHECK_FALSE(contains(access_log, marker));

    // The plaintext hop: raw bytes, and the WebSocket messages in them
    // (the agent's frames are masked, so the raw bytes alone would prove nothing).
    const auto captures = relay.captures();
    REQUIRE_FALSE(captures.empty());
    std::string raw;
    std::vector<std::string> to_hub, to_agent;
    for (const auto& c : captures) {
        raw += c.upstream + c.downstream;
        for (auto& m : websocket_messages(c.upstream)) to_hub.push_back(std::move(m));
        for (auto& m : websocket_messages(c.downstream)) to_agent.push_back(std::move(m));
    }
    REQUIRE(contains(raw, "GET /v1/agent HTTP/1.1"));  // the capture is of this exchange
    REQUIRE(to_hub.size() >= 3);                       // hello, command_ack, command_result
    REQUIRE(to_agent.size() >= 3);                     // welcome, execute, result_ack
    const auto any_with = [&](const std::vector<std::string>& messages, const std::string& s) {
        return std::any_of(messages.begin(), messages.end(),
                           [&](const std::string& m) { return contains(m, s); });
    };
    if (sealed) {
        CHECK_FALSE(contains(raw, marker));
        CHECK_FALSE(any_with(to_hub, marker));
        CHECK_FALSE(any_with(to_agent, marker));
        CHECK_FALSE(any_with(to_agent, "\"execute\""));  // the types are inside too
        CHECK_FALSE(any_with(to_hub, "command_result"));
        // What the hop does carry: hello in clear, then only sealed envelopes.
        CHECK(contains(to_hub.front(), "\"type\":\"hello\""));
        for (std::size_t i = 1; i < to_hub.size(); ++i) {
            CHECK(contains(to_hub[i], "\"type\":\"sealed\""));
        }
        for (const auto& m : to_agent) CHECK(contains(m, "\"type\":\"sealed\""));
    } else {
        CHECK(any_with(to_agent, marker));              // the execute's argv
        CHECK(any_with(to_hub, "appended " + marker));  // the result's output
    }
}

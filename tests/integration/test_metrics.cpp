// The agent's Prometheus metrics served three ways by the real agent:
// `outpost metrics` over the status socket (and the old request-less status
// client still answered), metrics.textfile scraped by the real
// prometheus-node-exporter, and metrics.listen answering GET /metrics and
// refusing junk; `promtool check metrics` finds nothing to say about them.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <thread>

#include "command_events.hpp"
#include "rig.hpp"

using namespace outpost::integration;

namespace {

struct Run {
    int exit_code = -1;
    std::string out;
    std::string err;
};

Run run(std::vector<std::string> argv, const std::string& stdin_text = {}) {
    ChildProcess child{SpawnOptions(std::move(argv))};
    if (!stdin_text.empty()) REQUIRE(child.write_stdin(stdin_text));
    child.close_stdin();
    auto exited = child.wait_exit(Clock::now() + 20s);
    REQUIRE(exited);
    REQUIRE(WIFEXITED(*exited));
    Run r{WEXITSTATUS(*exited), child.all_output(ChildProcess::Stream::out),
          child.all_output(ChildProcess::Stream::err)};
    UNSCOPED_INFO(r.exit_code << "\nstdout:\n" << r.out << "stderr:\n" << r.err);
    return r;
}

void promtool_accepts(const std::string& text) {
    Run check = run({"/usr/bin/promtool", "check", "metrics"}, text);
    CHECK(check.exit_code == 0);
    CHECK(check.out.empty());
    CHECK(check.err.empty());
}

// Bytes from a raw TCP exchange with 127.0.0.1:`port`: what the server says
// before it closes (5 s at most).
std::string tcp_exchange(int port, const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0);
    if (!request.empty()) REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) > 0);
    std::string answer;
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buffer[16384];
        ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

// What a status client from before requests existed does: connect, send
// nothing, read to EOF.
std::string old_status_client(const std::string& socket_path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, socket_path.c_str(), socket_path.size() + 1);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0);
    std::string answer;
    char buffer[16384];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

}  // namespace

TEST_CASE("metrics: outpost metrics, the textfile through node_exporter, GET /metrics",
          "[integration][metrics]") {
    Rig rig;
    rig.agent.add_command(kIdEntry);
    const std::string textfile_dir = rig.dir.file("textfile");
    std::filesystem::create_directory(textfile_dir);
    rig.agent.set("metrics", "textfile", textfile_dir + "/outpost.prom");
    rig.agent.set("metrics", "textfile_interval", "1s");
    const int listen_port = free_loopback_port();
    rig.agent.set("metrics", "listen", "\"127.0.0.1:" + std::to_string(listen_port) + "\"");
    rig.start_online();

    // One command, so the outcome counter and the duration histogram move.
    const std::size_t from = rig.hub.mark();
    rig.hub.command(execute_line("metrics-1", "id", {}));
    rig.hub.expect_event(result_for("metrics-1"), kEventLimit, from, "command_result");

    Run metrics = run({OUTPOST_AGENT_BIN, "metrics", "--config", rig.agent.config_path()});
    REQUIRE(metrics.exit_code == 0);
    CHECK_THAT(metrics.out, Catch::Contains("outpost_build_info{version=\""));
    CHECK_THAT(metrics.out, Catch::Contains("outpost_connection_state{state=\"online\"} 1\n"));
    CHECK_THAT(metrics.out,
               Catch::Contains("outpost_commands_finished_total{state=\"succeeded\"} 1\n"));
    CHECK_THAT(metrics.out, Catch::Contains("outpost_command_duration_seconds_count 1\n"));
    CHECK_THAT(metrics.out, Catch::Contains("outpost_command_ack_latency_seconds_count 1\n"));
    CHECK_THAT(metrics.out, Catch::Contains("\nprocess_open_fds "));
    promtool_accepts(metrics.out);

    // `outpost status` still works, and so does a client that asks nothing.
    Run status = run({OUTPOST_AGENT_BIN, "status", "--config", rig.agent.config_path(), "--json"});
    CHECK_THAT(status.out, Catch::StartsWith("{\"format\":\"outpost.status.v1\""));
    CHECK_THAT(old_status_client(rig.dir.file(rig.agent.node_id() + "-status.sock")),
               Catch::StartsWith("{\"format\":\"outpost.status.v1\""));

    // GET /metrics on the loopback listener; junk gets a 400, not a hang.
    const std::string scraped =
        tcp_exchange(listen_port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
    CHECK_THAT(scraped, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
    CHECK_THAT(scraped, Catch::Contains("outpost_build_info{version=\""));
    promtool_accepts(scraped.substr(scraped.find("\r\n\r\n") + 4));
    CHECK_THAT(tcp_exchange(listen_port, "\x16\x03\x01junk\r\n\r\n"),
               Catch::StartsWith("HTTP/1.1 400"));
    CHECK_THAT(tcp_exchange(listen_port, "DELETE /metrics HTTP/1.1\r\n\r\n"),
               Catch::StartsWith("HTTP/1.1 405"));
    CHECK_THAT(tcp_exchange(listen_port, std::string(10000, 'A')),
               Catch::StartsWith("HTTP/1.1 431"));

    // The real node_exporter serves the textfile.
    const int exporter_port = free_loopback_port();
    ChildProcess exporter{
        SpawnOptions({"/usr/bin/prometheus-node-exporter", "--collector.disable-defaults",
                      "--collector.textfile", "--collector.textfile.directory=" + textfile_dir,
                      "--web.listen-address=127.0.0.1:" + std::to_string(exporter_port)})};
    REQUIRE(wait_for_port(exporter_port, 15s));
    // The file lags the agent by up to textfile_interval: scraped until it
    // shows the session (or the limit).
    std::string exported;
    const auto deadline = Clock::now() + kEventLimit;
    do {
        exported = tcp_exchange(exporter_port, "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n");
        if (exported.find("outpost_connection_state{state=\"online\"} 1") != std::string::npos) {
            break;
        }
        std::this_thread::sleep_for(500ms);
    } while (Clock::now() < deadline);
    INFO(exported.substr(0, 3000));
    CHECK_THAT(exported, Catch::Contains("outpost_build_info{version=\""));
    CHECK_THAT(exported, Catch::Contains("outpost_connection_state{state=\"online\"} 1"));
    // node_exporter reports a file it could not parse with this set to 1.
    CHECK_THAT(exported, Catch::Contains("node_textfile_scrape_error 0"));
}

namespace {

// One `metrics` request over the status socket, as `outpost metrics` makes
// it, timed from connect to the answer's end.
double metrics_request_ms(const std::string& socket_path) {
    const auto began = Clock::now();
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, socket_path.c_str(), socket_path.size() + 1);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(::send(fd, "metrics\n", 8, MSG_NOSIGNAL) == 8);
    std::string answer;
    char buffer[16384];
    // Bounded like fetch_metrics: an agent that never closes fails the
    // REQUIRE below after 5 s instead of hanging until ctest's timeout.
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        answer.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    REQUIRE(answer.starts_with("# HELP "));
    return std::chrono::duration<double, std::milli>(Clock::now() - began).count();
}

std::string summary(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[static_cast<std::size_t>(q * (ms.size() - 1))]; };
    std::ostringstream out;
    out << std::fixed << std::setprecision(2) << "n=" << ms.size() << " p50 " << at(0.5)
        << " ms, p90 " << at(0.9) << " ms, p99 " << at(0.99) << " ms, max " << ms.back() << " ms";
    return out.str();
}

}  // namespace

// A measurement, not a check (hidden: run it by name). `outpost metrics`'s
// request idle and while the hub fires `execute` as fast as the agent
// acknowledges (docs/performance-ops.md, "Start-up and metrics").
TEST_CASE("metrics latency idle and busy with commands", "[.][bench][metrics]") {
    Rig rig;
    rig.agent.add_command(kIdEntry);
    rig.agent.set("executor", "max_concurrent", "4");
    rig.start_online();
    const std::string socket = rig.dir.file(rig.agent.node_id() + "-status.sock");

    std::vector<double> idle;
    for (int i = 0; i < 200; ++i) {
        idle.push_back(metrics_request_ms(socket));
        std::this_thread::sleep_for(10ms);
    }
    WARN("idle: " << summary(idle));

    // Busy: 400 executes of `id`, 40 at a time (the agent's queue holds 64),
    // with a metrics request between batches and while they run.
    std::vector<double> busy;
    int sent = 0;
    for (int batch = 0; batch < 10; ++batch) {
        const std::size_t from = rig.hub.mark();
        std::string last;
        for (int i = 0; i < 40; ++i) {
            last = "busy-" + std::to_string(sent++);
            rig.hub.command(execute_line(last, "id", {}));
        }
        for (int i = 0; i < 20; ++i) busy.push_back(metrics_request_ms(socket));
        rig.hub.expect_event(result_for(last), 60s, from, "command_result");
    }
    WARN("busy (" << sent << " commands): " << summary(busy));
}

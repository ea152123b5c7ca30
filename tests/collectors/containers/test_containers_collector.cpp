// The containers collector end to end: against real podman as the Docker
// Engine API (tests/support/podman_service.hpp) for what a daemon really says, and against
// the fault server (a fake for faults only) for what podman cannot be made
// to do.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include "collectors/containers/container_health.hpp"
#include "collectors/containers/containers_collector.hpp"
#include "tests/collectors/containers/fault_server.hpp"
#include "tests/support/podman_service.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using outpost::ErrorKind;
using outpost::collectors::classify_containers;
using outpost::collectors::CollectRequest;
using outpost::collectors::ContainersSettings;
using outpost::collectors::make_containers_collector;
using outpost::protocol::outbound::ContainerStats;
using outpost::protocol::outbound::Telemetry;
using outpost::test_support::Fault;
using outpost::test_support::FaultServer;
using outpost::test_support::PodmanService;
using outpost::test_support::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

ContainersSettings settings_for(const std::string& socket) {
    ContainersSettings settings;
    settings.socket = socket;
    return settings;
}

CollectRequest request_for(std::chrono::milliseconds budget) {
    const auto now = Clock::now();
    return CollectRequest{now, now + budget};
}

const ContainerStats* find(const Telemetry& sample, std::string_view name) {
    for (const auto& container : sample.containers) {
        if (container.name == name) return &container;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("no socket at the path: the containers collector is skipped and says where it looked") {
    TempDir dir("containers-none");
    auto collector = make_containers_collector(settings_for(dir.file("docker.sock").string()));
    CHECK(collector->name() == "containers");
    Telemetry sample;
    auto collected = collector->collect(request_for(1s), sample);
    REQUIRE(collected.has_value());
    CHECK(collected->skipped);
    CHECK(collected->why == "no Docker socket at " + dir.file("docker.sock").string());
    CHECK(sample.containers.empty());
}

TEST_CASE("a path that is no socket, or a socket nobody listens on, is an Error") {
    TempDir dir("containers-stale");
    const auto file = dir.write("docker.sock", "not a socket");
    Telemetry sample;
    auto not_socket =
        make_containers_collector(settings_for(file.string()))->collect(request_for(1s), sample);
    REQUIRE_FALSE(not_socket.has_value());
    CHECK(not_socket.error().message() == file.string() + " is not a socket");

    const auto stale = dir.file("stale.sock").string();
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, stale.c_str(), sizeof(address.sun_path) - 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    ::close(fd);
    auto refused = make_containers_collector(settings_for(stale))->collect(request_for(1s), sample);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message() ==
          "GET /v1.41/containers/json?all=1: connect to " + stale + ": Connection refused");
}

TEST_CASE("a hanging daemon: collect returns by the request's deadline, and by settings.timeout") {
    TempDir dir("containers-hang");
    FaultServer server(dir.file("docker.sock"), Fault::hang_after_accept);
    auto settings = settings_for(server.socket_path().string());
    Telemetry sample;
    SECTION("the request's deadline is the nearer") {
        const auto started = Clock::now();
        auto collected = make_containers_collector(settings)->collect(request_for(200ms), sample);
        REQUIRE_FALSE(collected.has_value());
        CHECK(collected.error().kind() == ErrorKind::timed_out);
        CHECK(Clock::now() - started < 700ms);
    }
    SECTION("settings.timeout is the nearer") {
        settings.timeout = 200ms;
        const auto started = Clock::now();
        auto collected = make_containers_collector(settings)->collect(request_for(10s), sample);
        REQUIRE_FALSE(collected.has_value());
        CHECK(collected.error().kind() == ErrorKind::timed_out);
        CHECK(Clock::now() - started < 700ms);
    }
}

TEST_CASE("a daemon answering nonsense or an error status gives a clear Error") {
    TempDir dir("containers-nonsense");
    Telemetry sample;
    {
        FaultServer server(dir.file("docker.sock"), Fault::nonsense);
        auto collected = make_containers_collector(settings_for(server.socket_path().string()))
                             ->collect(request_for(2s), sample);
        REQUIRE_FALSE(collected.has_value());
        CHECK(collected.error().message().starts_with(
            "GET /v1.41/containers/json?all=1: malformed HTTP response: status line"));
    }
    {
        FaultServer server(dir.file("docker.sock"), Fault::canned,
                           "HTTP/1.1 500 Internal Server Error\r\nContent-Length: "
                           "22\r\n\r\n{\"message\":\"broken\"}\n\x01");
        auto collected = make_containers_collector(settings_for(server.socket_path().string()))
                             ->collect(request_for(2s), sample);
        REQUIRE_FALSE(collected.has_value());
        CHECK(collected.error().message() ==
              "GET /v1.41/containers/json?all=1: HTTP 500 {\"message\":\"broken\"}??");
    }
    {
        FaultServer server(dir.file("docker.sock"), Fault::canned,
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        auto collected = make_containers_collector(settings_for(server.socket_path().string()))
                             ->collect(request_for(2s), sample);
        REQUIRE_FALSE(collected.has_value());
        CHECK(collected.error().message() == "container list: not a JSON array");
    }
}

namespace {

// A 200 answer with `body`, whatever was asked.
std::string ok_answer(const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("a container whose Id could smuggle a request is left out, and never asked about") {
    TempDir dir("containers-bad-id");
    Telemetry sample;
    // The JSON escape \r\n gives an Id with CR/LF in it.
    FaultServer server(
        dir.file("docker.sock"), Fault::canned,
        ok_answer(R"([{"Id":"0123456789ab/json HTTP/1.1\r\nHost: docker\r\n\r\nPOST )"
                  R"(/v1.41/containers/0123456789ab/kill","Names":["/evil"],"Image":"i",)"
                  R"("State":"running"}])"));
    auto collected = make_containers_collector(settings_for(server.socket_path().string()))
                         ->collect(request_for(2s), sample);
    REQUIRE(collected.has_value());
    CHECK(sample.containers.empty());
    CHECK_THAT(collected->note,
               Catch::StartsWith("container list entry 0: Id \"0123456789ab/json"));
    CHECK_THAT(collected->note, Catch::Contains("left out"));
    CHECK(server.connections() == 1);  // the list only
}

TEST_CASE("one container's broken answer leaves that container out, not the sample") {
    TempDir dir("containers-one-broken");
    Telemetry sample;
    // Every request gets the list back: for the inspect of each container
    // that is an array, not the object it must be.
    FaultServer server(
        dir.file("docker.sock"), Fault::canned,
        ok_answer(R"([{"Id":"0123456789ab","Names":["/web"],"Image":"i","State":"running"},)"
                  R"({"Id":"0123456789ac","Names":["/db"],"Image":"i","State":"running"}])"));
    auto collected = make_containers_collector(settings_for(server.socket_path().string()))
                         ->collect(request_for(2s), sample);
    REQUIRE(collected.has_value());
    CHECK(sample.containers.empty());
    CHECK(collected->note ==
          "container web left out: container inspect: not a JSON object; "
          "container db left out: container inspect: not a JSON object");
}

TEST_CASE("against real podman: running, stopped, restarted and never-started containers") {
    if (auto why = PodmanService::missing()) OUTPOST_SKIP(*why);
    PodmanService podman;
    podman.run_detached("web", {"/bin/sleep", "300"});
    podman.run_detached("stopped", {"/bin/sh", "-c", "exit 0"});
    // Exits 1 three times under its restart policy, then stays exited.
    podman.run_detached("flappy", {"/bin/sh", "-c", "exit 1"}, {"--restart=on-failure:3"});
    (void)podman.podman({"create", "--name", "created", "--runtime=runc", "--network=none",
                         "localhost/bb:1", "/bin/sleep", "1"});
    // Wait (bounded) until flappy has used its three restarts.
    const auto limit = Clock::now() + 30s;
    while (podman.podman({"inspect", "--format", "{{.RestartCount}} {{.State.Status}}",
                          "flappy"}) != "3 exited\n") {
        REQUIRE(Clock::now() < limit);
        std::this_thread::sleep_for(100ms);
    }

    auto collector = make_containers_collector(settings_for(podman.socket_path()));
    Telemetry sample;
    auto collected = collector->collect(request_for(5s), sample);
    REQUIRE(collected.has_value());
    CHECK_FALSE(collected->skipped);
    CHECK(collected->note.empty());
    REQUIRE(sample.containers.size() == 4);

    const auto* web = find(sample, "web");
    REQUIRE(web != nullptr);
    CHECK(web->id.size() == 64);
    CHECK(web->image == "localhost/bb:1");
    CHECK(web->state == "running");
    CHECK(web->health.empty());
    CHECK(web->restarts == 0);
    REQUIRE(web->memory_bytes.has_value());
    CHECK(*web->memory_bytes > 0);
    CHECK(*web->memory_bytes < 64u * 1024 * 1024);
    CHECK_FALSE(web->cpu_percent.has_value());  // first sample: nothing to compare with

    const auto* flappy = find(sample, "flappy");
    REQUIRE(flappy != nullptr);
    CHECK(flappy->state == "exited");
    CHECK(flappy->restarts == 3);
    CHECK_FALSE(flappy->memory_bytes.has_value());  // stats are read for running ones only

    REQUIRE(find(sample, "stopped") != nullptr);
    CHECK(find(sample, "stopped")->state == "exited");
    REQUIRE(find(sample, "created") != nullptr);
    CHECK(find(sample, "created")->state == "created");
    CHECK(classify_containers(sample.containers).result ==
          outpost::protocol::outbound::CheckResult::ok);

    // The second sample has a CPU share from the two consecutive readings.
    std::this_thread::sleep_for(200ms);
    Telemetry second;
    REQUIRE(collector->collect(request_for(5s), second).has_value());
    REQUIRE(find(second, "web") != nullptr);
    REQUIRE(find(second, "web")->cpu_percent.has_value());
    CHECK(*find(second, "web")->cpu_percent >= 0.0);
    CHECK(*find(second, "web")->cpu_percent < 5.0);  // sleep(1) uses next to nothing
    CHECK_FALSE(find(second, "flappy")->cpu_percent.has_value());

    // A container stopped between samples shows as exited in the next one.
    (void)podman.podman({"kill", "web"});
    (void)podman.podman({"wait", "web"});
    Telemetry third;
    REQUIRE(collector->collect(request_for(5s), third).has_value());
    REQUIRE(find(third, "web") != nullptr);
    CHECK(find(third, "web")->state == "exited");
    CHECK_FALSE(find(third, "web")->cpu_percent.has_value());
}

namespace {

// Wall time, this thread's CPU time (user + system) and the podman
// service's CPU time of one collect(), averaged over `runs` after one
// warm-up (which has no CPU share yet).
struct CollectCost {
    double wall_ms = 0;
    double agent_cpu_ms = 0;
    double daemon_cpu_ms = 0;
};

double thread_cpu_ms() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    const auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
    return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// utime + stime of a process, fields 14 and 15 of /proc/PID/stat (after the
// parenthesised comm, which may hold blanks).
double process_cpu_ms(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int index = 3; index <= 15 && fields >> field; ++index) {
        if (index >= 14) ticks += std::stod(field);
    }
    return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

CollectCost measure(outpost::collectors::Collector& collector, pid_t daemon, int runs) {
    Telemetry sample;
    REQUIRE(collector.collect(request_for(10s), sample).has_value());
    CollectCost cost;
    const double daemon_before = process_cpu_ms(daemon);
    for (int i = 0; i < runs; ++i) {
        const auto started = Clock::now();
        const double cpu_before = thread_cpu_ms();
        REQUIRE(collector.collect(request_for(10s), sample).has_value());
        cost.agent_cpu_ms += thread_cpu_ms() - cpu_before;
        cost.wall_ms += std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    }
    cost.daemon_cpu_ms = (process_cpu_ms(daemon) - daemon_before) / runs;
    cost.wall_ms /= runs;
    cost.agent_cpu_ms /= runs;
    return cost;
}

}  // namespace

TEST_CASE("against real podman: at most max_containers, with a note, and the time of one collect") {
    if (auto why = PodmanService::missing()) OUTPOST_SKIP(*why);
    PodmanService podman;
    podman.run_detached("c0", {"/bin/sleep", "300"});
    auto settings = settings_for(podman.socket_path());
    auto collector = make_containers_collector(settings);
    const auto one = measure(*collector, podman.service_pid(), 20);
    WARN("one collect() with 1 running container: " << one.wall_ms << " ms wall, "
                                                    << one.agent_cpu_ms << " ms CPU in the agent, "
                                                    << one.daemon_cpu_ms << " ms CPU in podman");

    // (Not "c" + std::to_string(i): g++ 12 -O3 warns a false -Wrestrict on it.)
    for (char digit = '1'; digit <= '9'; ++digit) {
        podman.run_detached(std::string{'c', digit}, {"/bin/sleep", "300"});
    }
    const auto ten = measure(*collector, podman.service_pid(), 20);
    WARN("one collect() with 10 running containers: "
         << ten.wall_ms << " ms wall, " << ten.agent_cpu_ms << " ms CPU in the agent, "
         << ten.daemon_cpu_ms << " ms CPU in podman");
    Telemetry sample;
    REQUIRE(collector->collect(request_for(10s), sample).has_value());
    REQUIRE(sample.containers.size() == 10);
    for (const auto& container : sample.containers) CHECK(container.cpu_percent.has_value());

    settings.max_containers = 4;
    auto capped = make_containers_collector(settings)->collect(request_for(10s), sample);
    REQUIRE(capped.has_value());
    CHECK(sample.containers.size() == 4);
    CHECK(capped->note == "listed 4 of 10 containers (collectors.containers.max_containers)");
}

TEST_CASE("against real podman: a container in a restart loop never makes a collect fail") {
    if (auto why = PodmanService::missing()) OUTPOST_SKIP(*why);
    PodmanService podman;
    podman.run_detached("loop", {"/bin/sh", "-c", "sleep 0.05; exit 1"}, {"--restart=always"});
    auto collector = make_containers_collector(settings_for(podman.socket_path()));
    std::set<std::string> states;
    std::uint64_t restarts = 0;
    for (int i = 0; i < 40; ++i) {
        Telemetry sample;
        auto collected = collector->collect(request_for(5s), sample);
        INFO((collected ? std::string() : collected.error().message()));
        REQUIRE(collected.has_value());
        REQUIRE(sample.containers.size() == 1);
        states.insert(sample.containers[0].state);
        CHECK(sample.containers[0].restarts >= restarts);
        restarts = sample.containers[0].restarts;
        std::this_thread::sleep_for(25ms);
    }
    CHECK(restarts > 0);
    std::string seen;
    for (const auto& state : states) seen += state + " ";
    WARN("states seen in a restart loop: " << seen << "after " << restarts << " restarts");
}

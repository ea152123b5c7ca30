// The unix-socket HTTP client against the fault shapes a broken Docker
// daemon can produce (fault_server.hpp, a fake for faults only): each ends
// in an Error by the deadline, and a 1 GiB stream is cut off at the byte
// limit. The happy path runs against real podman (test_containers_collector.cpp).
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "collectors/containers/unix_http_client.hpp"
#include "tests/collectors/containers/fault_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using outpost::ErrorKind;
using outpost::collectors::containers::unix_http_get;
using outpost::collectors::containers::UnixHttpRequest;
using outpost::test_support::Fault;
using outpost::test_support::FaultServer;
using outpost::test_support::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

UnixHttpRequest request_to(const FaultServer& server, std::chrono::milliseconds budget) {
    return UnixHttpRequest{server.socket_path().string(), "/v1.41/containers/json?all=1",
                           Clock::now() + budget};
}

}  // namespace

TEST_CASE("a daemon that accepts and never answers costs the deadline, then timed_out") {
    TempDir dir("docker-hang");
    FaultServer server(dir.file("docker.sock"), Fault::hang_after_accept);
    const auto started = Clock::now();
    auto response = unix_http_get(request_to(server, 300ms));
    const auto took = Clock::now() - started;
    REQUIRE_FALSE(response.has_value());
    CHECK(response.error().kind() == ErrorKind::timed_out);
    CHECK(response.error().message().find("no answer from") != std::string::npos);
    CHECK(took >= 290ms);
    CHECK(took < 1s);
}

TEST_CASE("a daemon that answers a byte at a time past the deadline is timed_out") {
    TempDir dir("docker-slow");
    FaultServer server(dir.file("docker.sock"), Fault::slow_drip);
    const auto started = Clock::now();
    auto response = unix_http_get(request_to(server, 300ms));
    REQUIRE_FALSE(response.has_value());
    CHECK(response.error().kind() == ErrorKind::timed_out);
    CHECK(Clock::now() - started < 1s);
}

TEST_CASE("a daemon that streams 1 GiB is cut off at the byte limit, fast") {
    TempDir dir("docker-stream");
    FaultServer server(dir.file("docker.sock"), Fault::stream_gigabyte);
    const auto started = Clock::now();
    auto response = unix_http_get(request_to(server, 20s));
    const auto took = Clock::now() - started;
    REQUIRE_FALSE(response.has_value());
    CHECK(response.error().kind() == ErrorKind::invalid_input);
    CHECK(response.error().message().find("exceeds 8388608 bytes; stopped reading") !=
          std::string::npos);
    // The client stopped near 8 MiB (plus what the socket buffers held),
    // nowhere near the gigabyte, and well inside its deadline.
    CHECK(server.bytes_sent() < 32ULL * 1024 * 1024);
    CHECK(took < 5s);
}

TEST_CASE("a Content-Length above the byte limit is refused before the body is read") {
    TempDir dir("docker-huge");
    FaultServer server(dir.file("docker.sock"), Fault::canned,
                       "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n[");
    auto response = unix_http_get(request_to(server, 2s));
    REQUIRE_FALSE(response.has_value());
    CHECK(response.error().message().find("announces 1073741824 bytes") != std::string::npos);
}

TEST_CASE("nonsense, a close mid-body and a wrong chunk size are errors, not crashes") {
    TempDir dir("docker-faults");
    struct Case {
        Fault fault;
        ErrorKind kind;
        std::string_view message;
    };
    const Case cases[] = {
        {Fault::nonsense, ErrorKind::invalid_input, "malformed HTTP response: status line"},
        {Fault::close_mid_body, ErrorKind::io, "connection closed after 7 of 1000 body bytes"},
        {Fault::wrong_chunk_size, ErrorKind::invalid_input, "wrong chunk size"},
    };
    for (const auto& c : cases) {
        FaultServer server(dir.file("docker.sock"), c.fault);
        auto response = unix_http_get(request_to(server, 2s));
        REQUIRE_FALSE(response.has_value());
        INFO(response.error().message());
        CHECK(response.error().kind() == c.kind);
        CHECK(response.error().message().find(c.message) != std::string::npos);
    }
}

TEST_CASE("a canned chunked answer is read to its end without waiting for the close") {
    TempDir dir("docker-canned");
    FaultServer server(dir.file("docker.sock"), Fault::canned,
                       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n");
    auto response = unix_http_get(request_to(server, 2s));
    REQUIRE(response.has_value());
    CHECK(response->head.status == 200);
    CHECK(response->body == "[]");
}

TEST_CASE("no socket, a refusing socket and a path too long are errors of their kind") {
    TempDir dir("docker-refuse");
    auto absent = unix_http_get({dir.file("none.sock").string(), "/", Clock::now() + 1s});
    REQUIRE_FALSE(absent.has_value());
    CHECK(absent.error().kind() == ErrorKind::not_found);

    // A socket file nobody listens on (a daemon that died): bound, never listening.
    const auto stale = dir.file("stale.sock").string();
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, stale.c_str(), sizeof(address.sun_path) - 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    ::close(fd);
    auto refused = unix_http_get({stale, "/", Clock::now() + 1s});
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind() == ErrorKind::io);
    CHECK(refused.error().message().find("Connection refused") != std::string::npos);

    auto too_long = unix_http_get({"/" + std::string(200, 'x'), "/", Clock::now() + 1s});
    REQUIRE_FALSE(too_long.has_value());
    CHECK(too_long.error().kind() == ErrorKind::invalid_input);
}

TEST_CASE("a target the request line cannot carry safely is refused before connecting") {
    TempDir dir("docker-target");
    FaultServer server(dir.file("docker.sock"), Fault::canned,
                       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]");
    const std::string smuggled =
        "/v1.41/containers/x/json HTTP/1.1\r\nHost: docker\r\n\r\n"
        "POST /v1.41/containers/y/kill";
    for (const std::string& target :
         {smuggled, std::string("/v1.41/containers/a b/json"), std::string("/a\nb"),
          std::string("/a\rb"), std::string("/a\tb"), std::string("/a#b"),
          std::string("/caf\xc3\xa9"), std::string("containers/json"), std::string()}) {
        INFO(target);
        auto response = unix_http_get({server.socket_path().string(), target, Clock::now() + 2s});
        REQUIRE_FALSE(response.has_value());
        CHECK(response.error().kind() == ErrorKind::invalid_input);
    }
    CHECK(server.connections() == 0);
    // The targets the collector sends still go.
    for (const std::string& target :
         {std::string("/v1.41/containers/json?all=1"),
          std::string("/v1.41/containers/0123456789ab/stats?stream=false&one-shot=true")}) {
        INFO(target);
        auto response = unix_http_get({server.socket_path().string(), target, Clock::now() + 2s});
        REQUIRE(response.has_value());
        CHECK(response->head.status == 200);
    }
}

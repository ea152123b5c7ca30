// The status socket with a real event loop and real Unix-socket clients:
// the answer arrives whole, the file is 0600, start-up never steals a path
// it does not own, and clients that misbehave do not hold the loop.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "agent/status/status_client.hpp"
#include "agent/status/status_server.hpp"
#include "agent/status/unix_address.hpp"
#include "agent/transport/event_loop.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using outpost::test_support::TempDir;

std::unique_ptr<transport::EventLoop> make_loop() {
    auto loop = transport::EventLoop::create();
    REQUIRE(loop);
    return std::move(*loop);
}

// fetch_answer blocks, the server needs the loop: the client runs on a
// thread while this one services the loop until it is done.
std::expected<std::string, status::FetchError> ask(transport::EventLoop& loop,
                                                   const fs::path& socket) {
    auto answer = std::async(std::launch::async, [&] { return status::fetch_answer(socket, 5s); });
    // In short slices: the client thread finishing does not wake the loop,
    // so one long run_until would sleep to its limit after the answer.
    const auto limit = std::chrono::steady_clock::now() + 10s;
    while (answer.wait_for(0s) != std::future_status::ready &&
           std::chrono::steady_clock::now() < limit) {
        loop.run_until([] { return false; }, 10ms);
    }
    REQUIRE(answer.wait_for(0s) == std::future_status::ready);
    return answer.get();
}

sockaddr_un address_of(const fs::path& socket) {
    auto address = status::unix_address(socket.native());
    REQUIRE(address);
    return *address;
}

// A client that connects and does nothing else. Non-blocking: while the
// listen backlog is full, the loop runs a pass to accept, then it retries.
int connect_to(transport::EventLoop& loop, const fs::path& socket) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    const sockaddr_un address = address_of(socket);
    for (int tries = 0; tries < 200; ++tries) {
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
            return fd;
        }
        REQUIRE(errno == EAGAIN);
        loop.run_until([] { return false; }, 10ms);
    }
    FAIL("the server never accepted");
    return -1;
}

// A socket bound at `socket` by this process (the caller closes it).
int bound_socket(const fs::path& socket, int type) {
    int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const sockaddr_un address = address_of(socket);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    return fd;
}

}  // namespace

TEST_CASE("status socket: answers each client whole, mode 0660, removed at the end", "[status]") {
    TempDir dir;
    const fs::path socket = dir.path() / "run" / "status.sock";  // the directory is created
    auto loop = make_loop();
    int made = 0;
    // Larger than one read() of the client, smaller than a socket buffer.
    const std::string big(100'000, 'x');
    {
        auto server = status::StatusServer::start(*loop, socket, [&] {
            ++made;
            return "{\"n\":" + std::to_string(made) + ",\"pad\":\"" + big + "\"}";
        });
        REQUIRE(server);
        struct stat st {};
        REQUIRE(::lstat(socket.c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 07777) == 0660);

        for (int i = 1; i <= 3; ++i) {
            auto answer = ask(*loop, socket);
            REQUIRE(answer);
            CHECK(answer->starts_with("{\"n\":" + std::to_string(i) + ","));
            CHECK(answer->size() == big.size() + 16);
        }
        CHECK((*server)->answered() == 3);
    }
    CHECK_FALSE(fs::exists(socket));
}

TEST_CASE("status socket: a stale socket is replaced, a live one and other files are not",
          "[status]") {
    TempDir dir;
    const fs::path socket = dir.path() / "status.sock";
    auto loop = make_loop();

    SECTION("stale: a socket file nobody listens on") {
        ::close(bound_socket(socket, SOCK_STREAM));  // the file stays, as after a kill -9
        auto before = status::fetch_answer(socket, 1s);
        REQUIRE_FALSE(before);
        CHECK(before.error().kind == status::FetchError::Kind::not_running);
        CHECK_THAT(before.error().message, Catch::Contains("stale socket"));

        auto server = status::StatusServer::start(*loop, socket, [] { return "{}"; });
        REQUIRE(server);
        auto answer = ask(*loop, socket);
        REQUIRE(answer);
        CHECK(*answer == "{}");
    }
    SECTION("live: another server answers on it") {
        auto first = status::StatusServer::start(*loop, socket, [] { return "first"; });
        REQUIRE(first);
        auto second = status::StatusServer::start(*loop, socket, [] { return "second"; });
        REQUIRE_FALSE(second);
        CHECK_THAT(second.error().message(), Catch::Contains("another process is answering"));
        auto answer = ask(*loop, socket);
        REQUIRE(answer);
        CHECK(*answer == "first");
    }
    SECTION("live, but not a stream socket: a datagram socket (like /dev/log) is kept") {
        int dgram = bound_socket(socket, SOCK_DGRAM);
        auto server = status::StatusServer::start(*loop, socket, [] { return "{}"; });
        ::close(dgram);
        REQUIRE_FALSE(server);
        CHECK_THAT(server.error().message(), Catch::Contains("not replacing it"));
        CHECK(fs::is_socket(socket));
    }
    SECTION("a stale socket of another user is kept") {
        if (::geteuid() != 0) {
            WARN("needs root to give the socket to another user");
            return;
        }
        ::close(bound_socket(socket, SOCK_STREAM));
        REQUIRE(::lchown(socket.c_str(), 65534, 65534) == 0);
        auto server = status::StatusServer::start(*loop, socket, [] { return "{}"; });
        REQUIRE_FALSE(server);
        CHECK_THAT(server.error().message(), Catch::Contains("owned by uid 65534"));
        CHECK(fs::is_socket(socket));
    }
    SECTION("a directory others can write to is refused") {
        const fs::path shared = dir.path() / "shared";
        fs::create_directory(shared);
        fs::permissions(shared, fs::perms::all);  // 0777, not sticky
        auto server =
            status::StatusServer::start(*loop, shared / "status.sock", [] { return "{}"; });
        REQUIRE_FALSE(server);
        CHECK_THAT(server.error().message(), Catch::Contains("writable by group or others"));
        CHECK_FALSE(fs::exists(shared / "status.sock"));
        // Sticky (like /tmp): others cannot rename or remove what is ours.
        fs::permissions(shared, fs::perms::sticky_bit, fs::perm_options::add);
        auto sticky =
            status::StatusServer::start(*loop, shared / "status.sock", [] { return "{}"; });
        CHECK(sticky);
    }
    SECTION("a regular file is never removed") {
        std::ofstream(socket) << "precious";
        auto server = status::StatusServer::start(*loop, socket, [] { return "{}"; });
        REQUIRE_FALSE(server);
        CHECK_THAT(server.error().message(), Catch::Contains("is not a socket"));
        std::ifstream in(socket);
        std::string text;
        in >> text;
        CHECK(text == "precious");
    }
    SECTION("a path too long for a Unix socket") {
        const fs::path long_path = dir.path() / std::string(120, 'a');
        auto server = status::StatusServer::start(*loop, long_path, [] { return "{}"; });
        REQUIRE_FALSE(server);
        CHECK_THAT(server.error().message(), Catch::Contains("bytes long"));
    }
}

TEST_CASE("status socket: clients that never read or vanish do not hold the loop", "[status]") {
    TempDir dir;
    const fs::path socket = dir.path() / "status.sock";
    auto loop = make_loop();
    // Larger than any socket buffer: a blocking send to a client that never
    // reads would stop the loop for good. The server sends what fits and
    // closes (a real answer is a few KiB, StatusSources bounds its lists).
    const std::size_t size = 4 * 1024 * 1024;
    auto server =
        status::StatusServer::start(*loop, socket, [&] { return std::string(size, 'y'); });
    REQUIRE(server);

    // 40 clients connect and never read; 10 connect and close at once.
    std::vector<int> idle;
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 8; ++i) idle.push_back(connect_to(*loop, socket));
        for (int i = 0; i < 2; ++i) ::close(connect_to(*loop, socket));
        loop->run_until([] { return false; }, 20ms);
    }
    // The loop still serves: a reading client gets (part of) an answer and
    // EOF, well before its limit.
    const auto started = std::chrono::steady_clock::now();
    auto answer = ask(*loop, socket);
    CHECK(std::chrono::steady_clock::now() - started < 4s);
    REQUIRE(answer);
    CHECK_FALSE(answer->empty());
    CHECK(answer->size() < size);  // not whole: counted as not answered
    CHECK((*server)->answered() == 0);
    for (int fd : idle) ::close(fd);
}

TEST_CASE("status client: no socket, or a server that never answers", "[status]") {
    TempDir dir;
    auto missing = status::fetch_answer(dir.path() / "none.sock", 1s);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == status::FetchError::Kind::not_running);
    CHECK_THAT(missing.error().message, Catch::Contains("agent is not running"));

    // A listener that accepts nothing: the kernel completes the connection,
    // no answer comes, the client gives up at its limit.
    const fs::path socket = dir.path() / "mute.sock";
    int fd = bound_socket(socket, SOCK_STREAM);
    REQUIRE(::listen(fd, 1) == 0);
    auto mute = status::fetch_answer(socket, 300ms);
    REQUIRE_FALSE(mute);
    CHECK(mute.error().kind == status::FetchError::Kind::failed);
    CHECK_THAT(mute.error().message, Catch::Contains("did not answer"));

    // Its backlog full (a stuck agent polled by monitoring): connect() itself
    // would block for ever; the client still gives up at its limit.
    std::vector<int> queued;
    for (int i = 0; i < 64; ++i) {
        int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        const sockaddr_un address = address_of(socket);
        if (::connect(c, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
            REQUIRE(errno == EAGAIN);
            ::close(c);
            break;
        }
        queued.push_back(c);
    }
    const auto started = std::chrono::steady_clock::now();
    auto full = status::fetch_answer(socket, 300ms);
    CHECK(std::chrono::steady_clock::now() - started < 3s);
    REQUIRE_FALSE(full);
    CHECK_THAT(full.error().message, Catch::Contains("did not answer"));
    for (int c : queued) ::close(c);
    ::close(fd);
}

// The client's other refusals, each from a real socket: a path too long for
// a socket address, a stale socket, and a server that closes without an
// answer or sends more than kMaxAnswerBytes.
TEST_CASE("status client: a bad path, a stale socket, no answer, or one too large", "[status]") {
    TempDir dir;
    auto too_long = status::fetch_answer(std::string(status::kMaxSocketPathBytes + 1, 'a'), 1s);
    REQUIRE_FALSE(too_long);
    CHECK(too_long.error().kind == status::FetchError::Kind::failed);
    CHECK_THAT(too_long.error().message, Catch::Contains("status socket path must be 1.."));

    // Bound but never listening: what an agent that died leaves behind.
    const fs::path stale = dir.path() / "stale.sock";
    const int stale_fd = bound_socket(stale, SOCK_STREAM);
    auto refused = status::fetch_answer(stale, 1s);
    ::close(stale_fd);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == status::FetchError::Kind::not_running);
    CHECK_THAT(refused.error().message, Catch::Contains("nothing answers on"));

    // A server that accepts one client and writes `bytes` to it, then closes.
    const auto serve_once = [&](const fs::path& socket, std::size_t bytes) {
        const int fd = bound_socket(socket, SOCK_STREAM);
        REQUIRE(::listen(fd, 1) == 0);
        std::thread server([fd, bytes] {
            const int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) return;
            const std::string data(bytes, 'x');
            std::size_t sent = 0;
            while (sent < data.size()) {
                const ssize_t n =
                    ::send(client, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
                if (n <= 0) break;  // the client stopped reading
                sent += static_cast<std::size_t>(n);
            }
            ::close(client);
        });
        auto answer = status::fetch_answer(socket, 5s);
        server.join();
        ::close(fd);
        return answer;
    };
    auto silent = serve_once(dir.path() / "silent.sock", 0);
    REQUIRE_FALSE(silent);
    CHECK_THAT(silent.error().message, Catch::Contains("without an answer"));
    auto large = serve_once(dir.path() / "large.sock", status::kMaxAnswerBytes + 1);
    REQUIRE_FALSE(large);
    CHECK_THAT(large.error().message, Catch::Contains("bytes; refusing it"));
    auto whole = serve_once(dir.path() / "whole.sock", status::kMaxAnswerBytes);
    REQUIRE(whole);
    CHECK(whole->size() == status::kMaxAnswerBytes);
}

namespace {

// A request sent by hand on a connected socket, the answer read to EOF
// while this thread services the loop.
std::string exchange(transport::EventLoop& loop, const fs::path& socket, std::string_view request) {
    int fd = connect_to(loop, socket);
    if (!request.empty()) {
        REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(request.size()));
    }
    std::string answer;
    const auto limit = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < limit) {
        loop.run_until([] { return false; }, 10ms);
        char buffer[4096];
        ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n == 0) break;
        if (n > 0) answer.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

}  // namespace

TEST_CASE("status socket: requests status and metrics, old silent clients get the status",
          "[status]") {
    TempDir dir;
    const fs::path socket = dir.path() / "status.sock";
    auto loop = make_loop();
    auto server = status::StatusServer::start(
        *loop, socket, [] { return std::string("{\"status\":1}"); },
        [] { return std::string("# HELP m m\n"); });
    REQUIRE(server);

    CHECK(exchange(*loop, socket, "status\n") == "{\"status\":1}");
    CHECK(exchange(*loop, socket, "metrics\n") == "# HELP m m\n");
    CHECK(exchange(*loop, socket, "metrics\r\n") == "# HELP m m\n");
    // In pieces: the line is assembled before it is answered.
    {
        int fd = connect_to(*loop, socket);
        REQUIRE(::send(fd, "metr", 4, MSG_NOSIGNAL) == 4);
        loop->run_until([] { return false; }, 20ms);
        REQUIRE(::send(fd, "ics\n", 4, MSG_NOSIGNAL) == 4);
        std::string answer;
        for (int i = 0; i < 100 && answer.empty(); ++i) {
            loop->run_until([] { return false; }, 10ms);
            char buffer[256];
            ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
            if (n > 0) answer.assign(buffer, static_cast<std::size_t>(n));
        }
        ::close(fd);
        CHECK(answer == "# HELP m m\n");
    }
    CHECK_THAT(exchange(*loop, socket, "frob\n"),
               Catch::StartsWith("error: unknown request \"frob\""));
    // A client from before requests existed sends nothing: the status, after
    // the grace, not never.
    const auto began = std::chrono::steady_clock::now();
    CHECK(exchange(*loop, socket, "") == "{\"status\":1}");
    CHECK(std::chrono::steady_clock::now() - began >= status::kSilentClientGrace);
    // A request that never ends is cut at kMaxRequestBytes: closed, no answer.
    CHECK(exchange(*loop, socket, std::string(status::kMaxRequestBytes, 'x')).empty());
    // The CLI's client asks for what it wants.
    auto metrics =
        std::async(std::launch::async, [&] { return status::fetch_answer(socket, 5s, "metrics"); });
    const auto limit = std::chrono::steady_clock::now() + 10s;
    while (metrics.wait_for(0s) != std::future_status::ready &&
           std::chrono::steady_clock::now() < limit) {
        loop->run_until([] { return false; }, 10ms);
    }
    auto got = metrics.get();
    REQUIRE(got);
    CHECK(*got == "# HELP m m\n");
}

// Who may use the status socket (agent/status/socket_access.hpp), with a
// real server, a real loop and a real client in a process of another user:
// the socket is 0660 and the operator group's (or the agent's group), a peer
// outside the group that reaches it anyway is refused and both sides say
// why, and the client tells "permission denied" and "no such directory"
// from "not running".
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "agent/status/socket_access.hpp"
#include "agent/status/status_client.hpp"
#include "agent/status/status_server.hpp"
#include "agent/transport/event_loop.hpp"
#include "tests/support/temp_dir.hpp"

using namespace outpost;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kNobody = 65534;

// fetch_answer() run by `nobody` in a child process while this process
// serves the loop; the client's error message, or "answer: ..." .
std::string ask_as_nobody(transport::EventLoop& loop, const fs::path& socket) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(pipe_fds[0]);
        if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
            ::_exit(3);
        }
        auto answer = status::fetch_answer(socket, 3s);
        const std::string text = answer ? "answer: " + *answer : answer.error().message;
        (void)!::write(pipe_fds[1], text.data(), text.size());
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    int wait_status = 0;
    const auto limit = std::chrono::steady_clock::now() + 10s;
    while (::waitpid(child, &wait_status, WNOHANG) == 0 &&
           std::chrono::steady_clock::now() < limit) {
        loop.run_until([] { return false; }, 10ms);
    }
    // Past the limit the child still runs, holding the pipe's write end: the
    // read below would block until it exits. Kill it first.
    if (::waitpid(child, &wait_status, WNOHANG) == 0) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &wait_status, 0);
    }
    std::string text;
    char buffer[1024];
    ssize_t n = 0;
    while ((n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0) {
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(pipe_fds[0]);
    REQUIRE(WIFEXITED(wait_status));
    REQUIRE(WEXITSTATUS(wait_status) == 0);
    return text;
}

}  // namespace

TEST_CASE("status socket: 0660 and the operator group's, or the agent's group without it",
          "[status]") {
    test_support::TempDir dir;
    const fs::path socket = dir.path() / "status.sock";
    auto loop = transport::EventLoop::create();
    REQUIRE(loop);
    auto server = status::StatusServer::start(**loop, socket, [] { return std::string("{}"); });
    REQUIRE(server);
    struct stat st {};
    REQUIRE(::lstat(socket.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0660);
    const status::SocketAccess access = status::socket_access();
    CHECK(st.st_gid == access.group);
    if (::getgrnam("outpost") == nullptr) CHECK(access.group == ::getegid());

    // A group that does not exist: the agent's own.
    CHECK(status::socket_access("no-such-group-outpost").group == ::getegid());
}

TEST_CASE("status socket: a peer outside the group is refused, and both sides say why",
          "[status]") {
    if (::geteuid() != 0) {
        WARN("not root: cannot run a client as another user, skipped");
        return;
    }
    test_support::TempDir dir;
    // The client (nobody) must reach the socket's directory for the checks
    // after it: the temp dir is 0700.
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    const fs::path socket = dir.path() / "status.sock";
    auto loop = transport::EventLoop::create();
    REQUIRE(loop);
    auto server = status::StatusServer::start(**loop, socket, [] { return std::string("{}"); });
    REQUIRE(server);

    // As installed (0660, nobody not in the group): the kernel refuses.
    const std::string denied = ask_as_nobody(**loop, socket);
    CHECK_THAT(denied, Catch::Contains("permission denied on " + socket.native()));
    CHECK_THAT(denied, Catch::Contains("run as root or as a member of group outpost"));

    // Someone made the socket world-writable: the agent refuses anyway.
    REQUIRE(::chmod(socket.c_str(), 0666) == 0);
    const std::string refused = ask_as_nobody(**loop, socket);
    CHECK_THAT(refused, Catch::StartsWith("the agent refused to answer: uid 65534"));
    CHECK_THAT(refused, Catch::Contains("not root, the agent's user or a member of group"));
    CHECK((*server)->answered() == 0);
}

TEST_CASE("status client: a missing socket directory is told apart from a missing socket",
          "[status]") {
    test_support::TempDir dir;
    auto gone = status::fetch_answer(dir.path() / "run" / "status.sock", 1s);
    REQUIRE_FALSE(gone);
    CHECK(gone.error().kind == status::FetchError::Kind::not_running);
    CHECK_THAT(gone.error().message,
               Catch::Contains("the directory " + (dir.path() / "run").native() + " of " +
                               (dir.path() / "run/status.sock").native() + " does not exist"));
    auto missing = status::fetch_answer(dir.path() / "status.sock", 1s);
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.error().message, Catch::Contains("no status socket at"));
}

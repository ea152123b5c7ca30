// systemd's Type=notify against the real agent: a real Unix datagram socket
// stands in for systemd's NOTIFY_SOCKET and reads what sd_notify sends:
// READY=1 once the agent runs (not once online), STATUS= as the connection
// changes, WATCHDOG=1 at half of WATCHDOG_USEC from the loop (and none while
// the process is stopped, so a stalled loop is caught), STOPPING=1 at
// SIGTERM (docs/metrics.md, "systemd").
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstring>
#include <vector>

#include "rig.hpp"

using namespace outpost::integration;

namespace {

// One datagram as received, with when.
struct Notification {
    Clock::time_point at;
    std::string text;
};

// The systemd side: a bound SOCK_DGRAM socket at `path`.
class NotifySocket {
  public:
    explicit NotifySocket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        REQUIRE(path.size() < sizeof(address.sun_path));
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    // Reads datagrams until `done` holds for one of them or `limit` passes;
    // every datagram read is kept in received().
    std::optional<Notification> wait_for(const std::function<bool(const std::string&)>& done,
                                         std::chrono::milliseconds limit) {
        const auto deadline = Clock::now() + limit;
        while (Clock::now() < deadline) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 1))) <= 0) continue;
            char buffer[4096];
            ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
            if (n <= 0) continue;
            received_.push_back({Clock::now(), std::string(buffer, static_cast<std::size_t>(n))});
            if (done(received_.back().text)) return received_.back();
        }
        return std::nullopt;
    }
    // Everything that arrives within `span`.
    std::vector<Notification> collect(std::chrono::milliseconds span) {
        const std::size_t from = received_.size();
        (void)wait_for([](const std::string&) { return false; }, span);
        return {received_.begin() + static_cast<std::ptrdiff_t>(from), received_.end()};
    }
    [[nodiscard]] std::string all() const {
        std::string text;
        for (const auto& n : received_) text += n.text + " | ";
        return text;
    }

  private:
    std::string path_;
    int fd_ = -1;
    std::vector<Notification> received_;
};

auto starts(std::string prefix) {
    return [prefix](const std::string& text) { return text.starts_with(prefix); };
}

std::size_t count_watchdog(const std::vector<Notification>& got) {
    std::size_t n = 0;
    for (const auto& g : got) n += g.text == "WATCHDOG=1" ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("systemd notify: READY, STATUS on changes, WATCHDOG from the loop, STOPPING",
          "[integration][notify]") {
    Rig rig;
    NotifySocket systemd(rig.dir.file("notify.sock"));
    rig.agent.set_env("NOTIFY_SOCKET", rig.dir.file("notify.sock"));
    // 1 s: WATCHDOG=1 every 500 ms.
    rig.agent.set_env("WATCHDOG_USEC", "1000000");

    const auto started = Clock::now();
    const std::size_t from = rig.hub.mark();
    const std::size_t log_from = rig.agent.mark();
    rig.agent.start(rig.hub);
    auto ready = systemd.wait_for(starts("READY=1"), kFirstOnline);
    INFO("received: " << systemd.all());
    REQUIRE(ready);
    WARN("exec to READY=1: " << seconds(ready->at - started) << " s (this build)");
    rig.wait_online(from, log_from, kFirstOnline);
    auto online = systemd.wait_for(starts("STATUS=online to wss://"), kEventLimit);
    REQUIRE(online);
    CHECK_THAT(online->text, Catch::Contains("(session "));

    // WATCHDOG=1 about every 500 ms: at least 4 in 3 s even on a loaded machine.
    auto beats = systemd.collect(std::chrono::milliseconds(3000));
    CHECK(count_watchdog(beats) >= 4);

    // A stopped process (the stand-in for a stalled loop) pets nothing.
    rig.agent.signal(SIGSTOP);
    (void)systemd.collect(std::chrono::milliseconds(200));  // what was already on its way
    auto while_stopped = systemd.collect(std::chrono::milliseconds(1500));
    CHECK(count_watchdog(while_stopped) == 0);
    rig.agent.signal(SIGCONT);
    CHECK(systemd.wait_for([](const std::string& t) { return t == "WATCHDOG=1"; },
                           std::chrono::seconds(5)));

    // The control plane goes away: STATUS says the agent is backing off, why,
    // and when it tries again.
    rig.hub.stop();
    auto backoff = systemd.wait_for(starts("STATUS=backoff: "), kEventLimit);
    REQUIRE(backoff);
    CHECK_THAT(backoff->text, Catch::Contains("next attempt in "));

    rig.agent.signal(SIGTERM);
    CHECK(systemd.wait_for(starts("STOPPING=1"), kEventLimit));
    auto exited = rig.agent.wait_exit(std::chrono::seconds(20));
    REQUIRE(exited);
    CHECK(WIFEXITED(*exited));
}

TEST_CASE("systemd notify: READY=1 while the control plane is unreachable",
          "[integration][notify]") {
    Rig rig({}, false);  // no hub: the agent never gets online
    NotifySocket systemd(rig.dir.file("notify.sock"));
    rig.agent.set_env("NOTIFY_SOCKET", rig.dir.file("notify.sock"));
    // Nothing listens there: every attempt fails.
    rig.agent.start(rig.hub,
                    "wss://localhost:" + std::to_string(free_loopback_port()) + "/v1/agent");
    auto ready = systemd.wait_for(starts("READY=1"), kFirstOnline);
    INFO("received: " << systemd.all());
    REQUIRE(ready);
    // No WATCHDOG_USEC: no watchdog pets.
    auto later = systemd.wait_for(starts("STATUS=backoff"), kEventLimit);
    CHECK(later);
    CHECK(count_watchdog(systemd.collect(std::chrono::milliseconds(1000))) == 0);
}

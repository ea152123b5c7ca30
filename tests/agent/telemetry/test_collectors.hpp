#pragma once
// Collectors made for the pipeline's tests (the real ones are T1's and
// T2's): each does one thing a real one may do — work, fail, throw, find
// no source, take its time.

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "collectors/collector.hpp"

namespace outpost::telemetry_test {

// Writes uptime_s and counts its calls.
class UptimeCollector : public collectors::Collector {
  public:
    [[nodiscard]] std::string_view name() const override { return "uptime"; }
    Expected<collectors::Collected> collect(const collectors::CollectRequest&,
                                            protocol::outbound::Telemetry& sample) override {
        sample.system.uptime_s = ++calls;
        return collectors::Collected{};
    }
    std::atomic<std::uint64_t> calls = 0;
};

class FailingCollector : public collectors::Collector {
  public:
    [[nodiscard]] std::string_view name() const override { return "disks"; }
    Expected<collectors::Collected> collect(const collectors::CollectRequest&,
                                            protocol::outbound::Telemetry&) override {
        return fail(ErrorKind::io, "mountinfo unreadable");
    }
};

class ThrowingCollector : public collectors::Collector {
  public:
    [[nodiscard]] std::string_view name() const override { return "cpu"; }
    Expected<collectors::Collected> collect(const collectors::CollectRequest&,
                                            protocol::outbound::Telemetry&) override {
        throw std::runtime_error("bug");
    }
};

class AbsentCollector : public collectors::Collector {
  public:
    [[nodiscard]] std::string_view name() const override { return "containers"; }
    Expected<collectors::Collected> collect(const collectors::CollectRequest&,
                                            protocol::outbound::Telemetry&) override {
        return collectors::Collected{.skipped = true, .why = "no socket", .note = {}};
    }
};

// A Docker socket that hangs: the containers collector fails.
class HungDockerCollector : public collectors::Collector {
  public:
    [[nodiscard]] std::string_view name() const override { return "containers"; }
    Expected<collectors::Collected> collect(const collectors::CollectRequest&,
                                            protocol::outbound::Telemetry&) override {
        return fail(ErrorKind::timed_out, "GET /v1.41/containers/json: timed out");
    }
};

// Breaks its promise: returns `stuck` after it started, whatever the
// deadline (an NSS lookup through an LDAP server that does not answer).
class StuckCollector : public collectors::Collector {
  public:
    explicit StuckCollector(std::chrono::milliseconds stuck) : stuck_(stuck) {}
    [[nodiscard]] std::string_view name() const override { return "processes"; }
    Expected<collectors::Collected> collect(const collectors::CollectRequest&,
                                            protocol::outbound::Telemetry&) override {
        started = true;
        std::this_thread::sleep_for(stuck_);
        return collectors::Collected{};
    }
    std::atomic<bool> started = false;

  private:
    std::chrono::milliseconds stuck_;
};

// Busy for `work` of CPU (a /proc walk of a big host) or asleep (a slow
// statvfs), within its deadline.
class SlowCollector : public collectors::Collector {
  public:
    SlowCollector(std::chrono::milliseconds work, bool spin) : work_(work), spin_(spin) {}
    [[nodiscard]] std::string_view name() const override { return "processes"; }
    Expected<collectors::Collected> collect(const collectors::CollectRequest& request,
                                            protocol::outbound::Telemetry&) override {
        const auto until = std::min(request.deadline, std::chrono::steady_clock::now() + work_);
        if (!spin_) {
            std::this_thread::sleep_until(until);
        } else {
            volatile std::uint64_t x = 0;
            while (std::chrono::steady_clock::now() < until) x = x + 1;
        }
        return collectors::Collected{};
    }

  private:
    std::chrono::milliseconds work_;
    bool spin_;
};

}  // namespace outpost::telemetry_test

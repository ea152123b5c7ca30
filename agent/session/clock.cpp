#include "agent/session/clock.hpp"

namespace outpost::session {

std::chrono::steady_clock::time_point SystemClock::now() const {
    return std::chrono::steady_clock::now();
}

std::chrono::system_clock::time_point SystemClock::wall_now() const {
    return std::chrono::system_clock::now();
}

SystemRandom::SystemRandom() : engine_(std::random_device{}()) {}

std::uint64_t SystemRandom::uniform(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n)(engine_);
}

}  // namespace outpost::session

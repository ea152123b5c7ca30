#include "agent/alerts/alert_id.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace outpost::alerts {
namespace {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

void mix(std::uint64_t& hash, std::string_view bytes) {
    for (const char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= kFnvPrime;
    }
}

}  // namespace

std::string alert_id(std::string_view rule, std::string_view subject) {
    std::uint64_t hash = kFnvOffset;
    mix(hash, rule);
    mix(hash, std::string_view("\0", 1));
    mix(hash, subject);
    return fmt::format("a-{:016x}", hash);
}

}  // namespace outpost::alerts

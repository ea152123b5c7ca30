#pragma once
// <proc>/<pid>/stat and the Uid line of <proc>/<pid>/status (proc(5)), as
// pure functions over text. Built for a walk over 100 000 processes: no
// allocation, the name is a view into the caller's buffer.

#include <cstdint>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::collectors {

struct PidStat {
    std::string_view comm;        // between the first '(' and the last ')': may hold ' ' and ')'
    char state = '?';             // R, S, D, Z, T, t, X, I, …
    std::uint64_t utime = 0;      // clock ticks
    std::uint64_t stime = 0;      // clock ticks
    std::uint64_t threads = 0;    // num_threads
    std::uint64_t starttime = 0;  // clock ticks after boot; tells a reused pid apart
    std::uint64_t rss_pages = 0;
};

[[nodiscard]] Expected<PidStat> parse_pid_stat(std::string_view text);

// The real uid (first number of `Uid:`).
[[nodiscard]] Expected<std::uint32_t> parse_status_uid(std::string_view text);

}  // namespace outpost::collectors

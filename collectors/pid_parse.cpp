#include "collectors/pid_parse.hpp"

#include <array>

#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

// Fields after the comm's ')', counted from 0 (proc(5) numbers them from 1
// with state as 3): utime 14, stime 15, num_threads 20, starttime 22, rss 24.
constexpr std::size_t kUtime = 14 - 3;
constexpr std::size_t kStime = 15 - 3;
constexpr std::size_t kThreads = 20 - 3;
constexpr std::size_t kStartTime = 22 - 3;
constexpr std::size_t kRss = 24 - 3;

}  // namespace

Expected<PidStat> parse_pid_stat(std::string_view text) {
    const std::size_t open = text.find('(');
    const std::size_t close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
        return fail(ErrorKind::invalid_input, "pid stat without (comm)");
    }
    PidStat stat;
    stat.comm = text.substr(open + 1, close - open - 1);
    std::string_view rest = text.substr(close + 1);
    const std::string_view state = next_field(rest);
    if (state.size() != 1) return fail(ErrorKind::invalid_input, "pid stat without a state");
    stat.state = state.front();
    std::array<std::uint64_t, kRss + 1> values{};
    for (std::size_t i = 1; i < values.size(); ++i) {
        const std::string_view field = next_field(rest);
        // Some fields (tty_nr, priority, nice, …) may be negative; only the
        // ones we keep must be unsigned numbers.
        const bool kept =
            i == kUtime || i == kStime || i == kThreads || i == kStartTime || i == kRss;
        if (!kept) {
            if (!parse_i64(field) && !parse_u64(field)) {
                return fail(ErrorKind::invalid_input, "pid stat field not a number");
            }
            continue;
        }
        const auto value = parse_u64(field);
        if (!value) return fail(ErrorKind::invalid_input, "pid stat field not a number");
        values[i] = *value;
    }
    stat.utime = values[kUtime];
    stat.stime = values[kStime];
    stat.threads = values[kThreads];
    stat.starttime = values[kStartTime];
    stat.rss_pages = values[kRss];
    return stat;
}

Expected<std::uint32_t> parse_status_uid(std::string_view text) {
    while (!text.empty()) {
        std::string_view rest = next_line(text);
        if (next_field(rest) != "Uid:") continue;
        const auto uid = parse_u64(next_field(rest));
        if (!uid || *uid > UINT32_MAX) return fail(ErrorKind::invalid_input, "malformed Uid line");
        return static_cast<std::uint32_t>(*uid);
    }
    return fail(ErrorKind::invalid_input, "status has no Uid line");
}

}  // namespace outpost::collectors

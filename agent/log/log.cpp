#include "agent/log/log.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>

#include "agent/common/printable.hpp"
#include "agent/log/json_line.hpp"

namespace outpost::log {
namespace {

// Plain values with constant initialisation: no construction-order hazards.
Level g_min_level = Level::info;
Format g_format = Format::text;
Sink g_sink = nullptr;

void write_stderr(std::string_view line) {
    while (!line.empty()) {
        ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere left to report a logging failure
        line.remove_prefix(static_cast<size_t>(n));
    }
}

std::string now_rfc3339() {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

constexpr std::array<std::string_view, 5> kLevelNames{"trace", "debug", "info", "warn", "error"};

}  // namespace

std::string_view to_string(Level level) {
    return kLevelNames.at(static_cast<size_t>(level));
}

std::optional<Level> parse_level(std::string_view text) {
    for (size_t i = 0; i < kLevelNames.size(); ++i) {
        if (kLevelNames[i] == text) return static_cast<Level>(i);
    }
    return std::nullopt;
}

void configure(Level min_level, Format format) {
    g_min_level = min_level;
    g_format = format;
}

void set_sink(Sink sink) {
    g_sink = sink;
}
Level min_level() {
    return g_min_level;
}
bool enabled(Level level) {
    return level >= g_min_level;
}

std::string format_record(Level level, std::string_view module, std::string_view message,
                          Format format, std::string_view timestamp) {
    // Messages carry text from outside (a server's error message or close
    // reason, a config key): whatever its source, no terminal control and no
    // ill-formed UTF-8 may reach an operator's terminal raw, in either format
    // (a JSON `\u001b` is raw again after `jq -r`). One line per record:
    // embedded newlines would forge records.
    std::string clean = scrub_secrets(message);
    for (char& c : clean) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    clean = printable(clean);
    if (format == Format::json) {
        return json_line(
            {{"ts", timestamp}, {"level", to_string(level)}, {"module", module}, {"msg", clean}});
    }
    return fmt::format("{} {:<5} {}: {}\n", timestamp, to_string(level), module, clean);
}

void write(Level level, std::string_view module, std::string_view message) {
    if (!enabled(level)) return;
    std::string line = format_record(level, module, message, g_format, now_rfc3339());
    (g_sink ? g_sink : write_stderr)(line);
}

}  // namespace outpost::log

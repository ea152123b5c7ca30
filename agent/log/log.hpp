#pragma once
// Process-wide logging to stderr (journald keeps it): human text or JSON lines.
// Secrets never reach it: callers wrap tokens/keys in log::Redacted, and the
// writer scrubs anything shaped like a JWT or a bearer header as a safety net.

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

#include "agent/log/level.hpp"

namespace outpost::log {

// Sink for tests; the default writes each line to fd 2 with one write().
using Sink = void (*)(std::string_view line);

void configure(Level min_level, Format format);
void set_sink(Sink sink);  // nullptr restores stderr
[[nodiscard]] Level min_level();
[[nodiscard]] bool enabled(Level level);

// Formats one record (time, level, module, message) as a line ending in '\n'.
[[nodiscard]] std::string format_record(Level level, std::string_view module,
                                        std::string_view message, Format format,
                                        std::string_view timestamp);

void write(Level level, std::string_view module, std::string_view message);

// Replaces JWT-shaped substrings and "Bearer <x>" values with placeholders.
[[nodiscard]] std::string scrub_secrets(std::string_view text);

template <class... Args>
void emit(Level level, std::string_view module, fmt::format_string<Args...> format,
          Args&&... args) {
    if (!enabled(level)) return;
    write(level, module, fmt::format(format, std::forward<Args>(args)...));
}

template <class... Args>
void trace(std::string_view m, fmt::format_string<Args...> f, Args&&... a) {
    emit(Level::trace, m, f, std::forward<Args>(a)...);
}
template <class... Args>
void debug(std::string_view m, fmt::format_string<Args...> f, Args&&... a) {
    emit(Level::debug, m, f, std::forward<Args>(a)...);
}
template <class... Args>
void info(std::string_view m, fmt::format_string<Args...> f, Args&&... a) {
    emit(Level::info, m, f, std::forward<Args>(a)...);
}
template <class... Args>
void warn(std::string_view m, fmt::format_string<Args...> f, Args&&... a) {
    emit(Level::warn, m, f, std::forward<Args>(a)...);
}
template <class... Args>
void error(std::string_view m, fmt::format_string<Args...> f, Args&&... a) {
    emit(Level::error, m, f, std::forward<Args>(a)...);
}

// A value that must never be printed (token, key). Formats as "<redacted N bytes>".
struct Redacted {
    std::string_view value;
};

}  // namespace outpost::log

template <>
struct fmt::formatter<outpost::log::Redacted> : fmt::formatter<std::string_view> {
    template <class Ctx>
    auto format(const outpost::log::Redacted& r, Ctx& ctx) const {
        return fmt::format_to(ctx.out(), "<redacted {} bytes>", r.value.size());
    }
};

#include "agent/protocol/rfc3339.hpp"

#include <cstdint>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace outpost::protocol {
namespace {

// Reads exactly `width` digits at `pos`.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
    if (pos + width > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::unexpected<Error> bad(std::string_view why) {
    return fail(fmt::format("not an RFC 3339 date-time ({})", why));
}

// The fixed-width part, "YYYY-MM-DDTHH:MM:SS", checked field by field.
struct DateTime {
    std::chrono::year_month_day date;
    int hour = 0;
    int minute = 0;
    int second = 0;
};

Expected<DateTime> parse_date_time(std::string_view text) {
    // 0123456789012345678
    // YYYY-MM-DDTHH:MM:SS
    if (text.size() < 20) {
        return bad("too short");
    }
    const auto year = digits(text, 0, 4);
    const auto month = digits(text, 5, 2);
    const auto mday = digits(text, 8, 2);
    const auto hour = digits(text, 11, 2);
    const auto minute = digits(text, 14, 2);
    const auto second = digits(text, 17, 2);
    if (!year || !month || !mday || !hour || !minute || !second || text[4] != '-' ||
        text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
        text[16] != ':') {
        return bad("expected YYYY-MM-DDTHH:MM:SS");
    }
    const std::chrono::year_month_day date{std::chrono::year{*year},
                                           std::chrono::month{static_cast<unsigned>(*month)},
                                           std::chrono::day{static_cast<unsigned>(*mday)}};
    if (!date.ok()) {
        return bad("no such date");
    }
    if (*hour > 23 || *minute > 59 || *second > 60) {
        return bad("time of day out of range");
    }
    return DateTime{date, *hour, *minute, *second};
}

// An optional ".digits" at `pos` (moved past it), in nanoseconds.
Expected<std::int64_t> parse_fraction(std::string_view text, std::size_t& pos) {
    std::int64_t fraction_ns = 0;
    if (text[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        std::int64_t scale = 100'000'000;
        while (pos < text.size() && is_digit(text[pos])) {
            fraction_ns += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) {
            return bad("empty fraction");
        }
    }
    return fraction_ns;
}

// The time zone offset at `pos` (moved past it), "Z" or "+HH:MM"/"-HH:MM",
// in minutes east of UTC.
Expected<std::int64_t> parse_offset(std::string_view text, std::size_t& pos) {
    if (pos >= text.size()) {
        return bad("missing time zone offset");
    }
    std::int64_t offset_minutes = 0;
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        const auto off_hour = digits(text, pos + 1, 2);
        const auto off_minute = digits(text, pos + 4, 2);
        if (!off_hour || !off_minute || pos + 3 >= text.size() || text[pos + 3] != ':') {
            return bad("malformed offset");
        }
        if (*off_hour > 23 || *off_minute > 59) {
            return bad("offset out of range");
        }
        offset_minutes = (*off_hour * 60 + *off_minute) * (text[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return bad("malformed offset");
    }
    return offset_minutes;
}

Expected<TimePoint> to_time_point(const DateTime& at, std::int64_t fraction_ns,
                                  std::int64_t offset_minutes) {
    using namespace std::chrono;
    // Whole seconds since the epoch fit easily in 64 bits for years 0..9999;
    // the clock's nanosecond range is checked before converting.
    const std::int64_t day_count = sys_days{at.date}.time_since_epoch().count();
    const std::int64_t seconds_total =
        day_count * 86'400 + at.hour * 3'600 + at.minute * 60 + at.second - offset_minutes * 60;
    using Rep = TimePoint::duration;
    const auto limit = duration_cast<std::chrono::seconds>(Rep::max()).count() - 1;
    if (seconds_total > limit || seconds_total < -limit) {
        return bad("outside the representable range");
    }
    const auto since_epoch = std::chrono::seconds{seconds_total} + nanoseconds{fraction_ns};
    return TimePoint{duration_cast<Rep>(since_epoch)};
}

}  // namespace

std::string format_rfc3339(TimePoint time) {
    using namespace std::chrono;
    const auto millis = floor<milliseconds>(time);
    const auto day = floor<days>(millis);
    const year_month_day date{day};
    const hh_mm_ss clock{millis - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                       clock.subseconds().count());
}

std::string now_rfc3339() {
    return format_rfc3339(std::chrono::system_clock::now());
}

Expected<TimePoint> parse_rfc3339(std::string_view text) {
    const auto date_time = parse_date_time(text);
    if (!date_time) return std::unexpected(date_time.error());
    std::size_t pos = 19;
    const auto fraction_ns = parse_fraction(text, pos);
    if (!fraction_ns) return std::unexpected(fraction_ns.error());
    const auto offset_minutes = parse_offset(text, pos);
    if (!offset_minutes) return std::unexpected(offset_minutes.error());
    if (pos != text.size()) {
        return bad("trailing characters");
    }
    return to_time_point(*date_time, *fraction_ns, *offset_minutes);
}

}  // namespace outpost::protocol

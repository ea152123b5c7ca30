#include "collectors/memory_parse.hpp"

#include <algorithm>
#include <limits>

#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

// "  16318964 kB" → bytes; nullopt on garbage or overflow.
std::optional<std::uint64_t> kib_value(std::string_view rest) {
    const auto number = parse_u64(next_field(rest));
    const std::string_view unit = next_field(rest);
    if (!number || !next_field(rest).empty()) return std::nullopt;
    if (unit.empty()) return number;  // HugePages_* counts have no unit
    if (unit != "kB") return std::nullopt;
    if (*number > std::numeric_limits<std::uint64_t>::max() / 1024) return std::nullopt;
    return *number * 1024;
}

struct Slot {
    std::string_view name;
    std::uint64_t MemInfo::*member;
};

constexpr Slot kSlots[] = {
    {"MemTotal:", &MemInfo::total},       {"MemFree:", &MemInfo::free},
    {"Buffers:", &MemInfo::buffers},      {"Cached:", &MemInfo::cached},
    {"SwapTotal:", &MemInfo::swap_total}, {"SwapFree:", &MemInfo::swap_free},
};

std::optional<double> avg10_of(std::string_view rest) {
    for (std::string_view field = next_field(rest); !field.empty(); field = next_field(rest)) {
        if (field.substr(0, 6) == "avg10=") {
            const auto value = parse_decimal(field.substr(6));
            if (!value || *value > 100.0) return std::nullopt;
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace

Expected<MemInfo> parse_meminfo(std::string_view text) {
    MemInfo info;
    bool have_total = false;
    bool have_free = false;
    while (!text.empty()) {
        const std::string_view line = next_line(text);
        std::string_view rest = line;
        const std::string_view name = next_field(rest);
        const bool is_available = name == "MemAvailable:";
        const auto slot = std::find_if(std::begin(kSlots), std::end(kSlots),
                                       [&](const Slot& s) { return s.name == name; });
        if (!is_available && slot == std::end(kSlots)) continue;
        const auto bytes = kib_value(rest);
        if (!bytes) {
            return fail(ErrorKind::invalid_input, "malformed /proc/meminfo line `" +
                                                      printable_ascii(line.substr(0, 80)) + "`");
        }
        if (is_available) {
            info.available = *bytes;
            continue;
        }
        info.*(slot->member) = *bytes;
        have_total = have_total || name == "MemTotal:";
        have_free = have_free || name == "MemFree:";
    }
    if (!have_total || info.total == 0) {
        return fail(ErrorKind::invalid_input, "/proc/meminfo has no MemTotal");
    }
    if (!have_free) return fail(ErrorKind::invalid_input, "/proc/meminfo has no MemFree");
    return info;
}

MemoryFigures memory_figures(const MemInfo& info) {
    MemoryFigures figures;
    auto& m = figures.stats;
    m.total_bytes = info.total;
    if (info.available) {
        m.available_bytes = *info.available;
    } else {
        figures.estimated_available = true;
        // Each part is capped at what is left of the total, so huge values
        // cannot wrap around to a small sum.
        std::uint64_t sum = std::min(info.free, info.total);
        sum += std::min(info.buffers, info.total - sum);
        sum += std::min(info.cached, info.total - sum);
        m.available_bytes = sum;
    }
    m.available_bytes = std::min(m.available_bytes, info.total);
    m.used_bytes = info.total - m.available_bytes;
    m.used_percent = static_cast<double>(m.used_bytes) / static_cast<double>(info.total) * 100.0;
    m.swap_total_bytes = info.swap_total;
    m.swap_used_bytes = info.swap_total - std::min(info.swap_free, info.swap_total);
    return figures;
}

Expected<Pressure> parse_pressure(std::string_view text) {
    std::optional<double> some;
    std::optional<double> full;
    while (!text.empty()) {
        std::string_view rest = next_line(text);
        const std::string_view kind = next_field(rest);
        if (kind != "some" && kind != "full") continue;
        const auto avg10 = avg10_of(rest);
        if (!avg10) return fail(ErrorKind::invalid_input, "pressure line without a valid avg10");
        (kind == "some" ? some : full) = avg10;
    }
    if (!some) return fail(ErrorKind::invalid_input, "pressure file has no `some` line");
    return Pressure{*some, full};
}

}  // namespace outpost::collectors

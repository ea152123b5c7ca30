#include "collectors/cpu_parse.hpp"

#include <algorithm>
#include <array>

#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

using protocol::outbound::CpuStats;

// The columns after the `cpu`/`cpuN` label: at least four numbers.
std::optional<CpuTimes> parse_times(std::string_view rest) {
    std::array<std::uint64_t, 8> values{};
    std::size_t count = 0;
    for (std::string_view field = next_field(rest); !field.empty(); field = next_field(rest)) {
        const auto value = parse_u64(field);
        if (!value) return std::nullopt;
        if (count < values.size()) values[count] = *value;
        ++count;  // guest, guest_nice and any future column are read, not kept
    }
    if (count < 4) return std::nullopt;
    return CpuTimes{values[0], values[1], values[2], values[3],
                    values[4], values[5], values[6], values[7]};
}

std::optional<std::uint32_t> core_index(std::string_view label) {
    const auto index = parse_u64(label.substr(3));
    if (!index || *index > 1'000'000) return std::nullopt;
    return static_cast<std::uint32_t>(*index);
}

// Deltas of one counter set; nullopt when any counter went backwards or no
// time passed at all.
struct Deltas {
    double user, system, idle, iowait, steal, total;
};

std::optional<Deltas> deltas(const CpuTimes& before, const CpuTimes& after) {
    const std::array<std::uint64_t, 8> a{before.user,   before.nice, before.system,  before.idle,
                                         before.iowait, before.irq,  before.softirq, before.steal};
    const std::array<std::uint64_t, 8> b{after.user,   after.nice, after.system,  after.idle,
                                         after.iowait, after.irq,  after.softirq, after.steal};
    std::array<double, 8> d{};
    double total = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (b[i] < a[i]) return std::nullopt;
        d[i] = static_cast<double>(b[i] - a[i]);
        total += d[i];
    }
    if (total <= 0) return std::nullopt;
    // system includes the time spent in interrupts, as top's `sy` does not
    // but most dashboards expect: it is kernel time either way.
    return Deltas{d[0] + d[1], d[2] + d[5] + d[6], d[3], d[4], d[7], total};
}

double percent(double part, double whole) {
    return std::clamp(part / whole * 100.0, 0.0, 100.0);
}

double busy_percent(const Deltas& d) {
    return percent(d.total - d.idle - d.iowait, d.total);
}

std::vector<double> per_core(const ProcStat& previous, const ProcStat& current) {
    if (previous.cores.size() != current.cores.size()) return {};
    std::vector<double> busy;
    busy.reserve(current.cores.size());
    for (std::size_t i = 0; i < current.cores.size(); ++i) {
        if (previous.cores[i].index != current.cores[i].index) return {};
        const auto d = deltas(previous.cores[i].times, current.cores[i].times);
        if (!d) return {};
        busy.push_back(busy_percent(*d));
    }
    return busy;
}

}  // namespace

Expected<ProcStat> parse_proc_stat(std::string_view text) {
    ProcStat stat;
    bool have_total = false;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        std::string_view rest = line;
        const std::string_view label = next_field(rest);
        if (label.size() < 3 || label.substr(0, 3) != "cpu") continue;
        const auto times = parse_times(rest);
        if (!times) {
            return fail(ErrorKind::invalid_input,
                        "malformed /proc/stat line `" + printable_ascii(line.substr(0, 80)) + "`");
        }
        if (label == "cpu") {
            stat.total = *times;
            have_total = true;
            continue;
        }
        const auto index = core_index(label);
        if (!index) {
            return fail(ErrorKind::invalid_input, "malformed /proc/stat label `" +
                                                      printable_ascii(label.substr(0, 40)) + "`");
        }
        if (stat.cores.size() >= 65536) {
            return fail(ErrorKind::invalid_input, "/proc/stat lists more than 65536 cores");
        }
        stat.cores.push_back(CoreTimes{*index, *times});
    }
    if (!have_total) return fail(ErrorKind::invalid_input, "/proc/stat has no `cpu` line");
    return stat;
}

CpuStats cpu_shares(const ProcStat* previous, const ProcStat& current) {
    CpuStats cpu;
    cpu.cores = static_cast<std::uint32_t>(current.cores.size());
    if (previous == nullptr) return cpu;
    if (const auto d = deltas(previous->total, current.total)) {
        cpu.usage_percent = busy_percent(*d);
        cpu.user_percent = percent(d->user, d->total);
        cpu.system_percent = percent(d->system, d->total);
        cpu.iowait_percent = percent(d->iowait, d->total);
        cpu.steal_percent = percent(d->steal, d->total);
    }
    cpu.per_core_percent = per_core(*previous, current);
    return cpu;
}

}  // namespace outpost::collectors

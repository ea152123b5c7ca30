#include "collectors/memory_collector.hpp"

#include "collectors/memory_parse.hpp"
#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

using protocol::outbound::PressureStats;

// PSI: absent when <proc>/pressure does not exist (kernel < 4.20, or
// psi=0); a file that exists but does not parse leaves its fields absent and
// says so in `note`.
std::optional<PressureStats> read_pressure(const std::string& proc, std::string& note) {
    auto read = [&](const char* resource) -> std::optional<Pressure> {
        auto text = read_proc_file(proc + "/pressure/" + resource);
        if (!text) {
            if (text.error().kind() != ErrorKind::not_found) note = text.error().message();
            return std::nullopt;
        }
        auto parsed = parse_pressure(*text);
        if (!parsed) {
            note = "pressure/" + std::string(resource) + ": " + parsed.error().message();
            return std::nullopt;
        }
        return *parsed;
    };
    const auto cpu = read("cpu");
    const auto memory = read("memory");
    const auto io = read("io");
    if (!cpu && !memory && !io) return std::nullopt;
    PressureStats psi;
    if (cpu) psi.cpu_some = cpu->some_avg10;
    if (memory) {
        psi.memory_some = memory->some_avg10;
        psi.memory_full = memory->full_avg10;
    }
    if (io) {
        psi.io_some = io->some_avg10;
        psi.io_full = io->full_avg10;
    }
    return psi;
}

}  // namespace

Expected<Collected> MemoryCollector::collect(const CollectRequest& /*request*/,
                                             protocol::outbound::Telemetry& sample) {
    auto text = read_proc_file(roots_.proc + "/meminfo");
    if (!text) return std::unexpected(text.error());
    auto info = parse_meminfo(*text);
    if (!info) return std::unexpected(info.error());
    auto figures = memory_figures(*info);
    Collected collected;
    if (figures.estimated_available) {
        collected.note =
            "no MemAvailable (kernel before 3.14): available is MemFree + Buffers + Cached";
    }
    std::string psi_note;
    figures.stats.pressure = read_pressure(roots_.proc, psi_note);
    if (!psi_note.empty()) {
        collected.note += (collected.note.empty() ? "" : "; ") + psi_note;
    }
    sample.system.memory = std::move(figures.stats);
    return collected;
}

}  // namespace outpost::collectors

#include "collectors/disks_collector.hpp"

#include <algorithm>
#include <cstring>

#include "collectors/mountinfo_parse.hpp"
#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

using protocol::outbound::DiskStats;
using State = StatvfsOutcome::State;

std::uint64_t times(std::uint64_t a, std::uint64_t b) {
    std::uint64_t product = 0;
    return __builtin_mul_overflow(a, b, &product) ? UINT64_MAX : product;
}

double share(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) return 0;
    return std::clamp(static_cast<double>(part) / static_cast<double>(whole) * 100.0, 0.0, 100.0);
}

std::string outcome_error(const StatvfsOutcome& outcome, std::chrono::milliseconds timeout) {
    switch (outcome.state) {
        case State::ok:
            return {};
        case State::failed:
            return std::string("statvfs failed: ") + std::strerror(outcome.error);
        case State::hung:
            return "statvfs did not answer within " + std::to_string(timeout.count()) +
                   " ms (hung mount?)";
        case State::still_hung:
            return "statvfs still has not answered since an earlier sample (hung mount?)";
        case State::not_reached:
            return "not checked: an earlier mount took until the deadline";
    }
    return {};
}

// A disk with an error (a hung, failed or unchecked mount) is still a
// success of the collector, but not a quiet one: the note makes the sample
// say `partial` and `outpost status` show it. The first such disk is named;
// the rest are counted.
std::string disk_errors_note(const std::vector<DiskStats>& disks) {
    const auto has_error = [](const DiskStats& disk) { return disk.error.has_value(); };
    const auto first = std::find_if(disks.begin(), disks.end(), has_error);
    if (first == disks.end()) return {};
    std::string note = first->mount + ": " + *first->error;
    const auto more = std::count_if(first + 1, disks.end(), has_error);
    if (more > 0) note += " (and " + std::to_string(more) + " more disk(s) with an error)";
    return note;
}

}  // namespace

DiskStats disk_figures(const struct statvfs& stats) {
    DiskStats disk;
    const std::uint64_t unit = stats.f_frsize != 0 ? stats.f_frsize : stats.f_bsize;
    disk.total_bytes = times(stats.f_blocks, unit);
    // A garbage answer may claim more free than total, or more available
    // than free: each is capped by the one above it.
    const std::uint64_t free_blocks = std::min<std::uint64_t>(stats.f_bfree, stats.f_blocks);
    const std::uint64_t free_bytes = times(free_blocks, unit);
    disk.available_bytes = times(std::min<std::uint64_t>(stats.f_bavail, free_blocks), unit);
    disk.used_bytes = disk.total_bytes - std::min(free_bytes, disk.total_bytes);
    // Like df: the root-reserved blocks count neither as used nor available.
    const std::uint64_t usable = disk.used_bytes + disk.available_bytes;
    disk.used_percent = share(disk.used_bytes, usable < disk.used_bytes ? UINT64_MAX : usable);
    disk.inodes_total = stats.f_files;
    disk.inodes_used = stats.f_files - std::min(stats.f_ffree, stats.f_files);
    disk.inodes_used_percent = share(disk.inodes_used, disk.inodes_total);
    return disk;
}

DisksCollector::DisksCollector(DisksSettings settings, Roots roots,
                               StatvfsFunction statvfs_function)
    : settings_(std::move(settings)),
      roots_(std::move(roots)),
      runner_(std::move(statvfs_function)) {}

Expected<Collected> DisksCollector::collect(const CollectRequest& request,
                                            protocol::outbound::Telemetry& sample) {
    auto text = read_proc_file(roots_.proc + "/self/mountinfo", 64 << 20);
    if (!text) return std::unexpected(text.error());
    const MountInfo info = parse_mountinfo(*text);
    if (info.mounts.empty()) {
        return fail(ErrorKind::invalid_input, "mountinfo lists no mount that parses");
    }
    const MountSelection selection = select_disks(info, settings_, kMaxDisks);
    std::vector<std::string> paths;
    paths.reserve(selection.disks.size());
    for (const MountEntry* mount : selection.disks) paths.push_back(mount->mount_point);

    const auto deadline = std::min(request.deadline, request.now + settings_.timeout);
    const auto outcomes = runner_.run(paths, deadline);
    sample.system.disks.clear();
    sample.system.disks.reserve(paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
        DiskStats disk;
        if (outcomes[i].state == State::ok) {
            disk = disk_figures(outcomes[i].stats);
        } else {
            disk.error = outcome_error(outcomes[i], settings_.timeout);
        }
        disk.mount = selection.disks[i]->mount_point;
        disk.device = selection.disks[i]->source;
        disk.fs_type = selection.disks[i]->fs_type;
        sample.system.disks.push_back(std::move(disk));
    }

    Collected collected;
    collected.note = disk_errors_note(sample.system.disks);
    if (selection.dropped_by_cap > 0) {
        if (!collected.note.empty()) collected.note += "; ";
        collected.note += "disks: capped at " + std::to_string(kMaxDisks) + ", " +
                          std::to_string(selection.dropped_by_cap) + " more not sent";
    }
    if (info.malformed > 0) {
        collected.note += (collected.note.empty() ? "" : "; ") + std::string("mountinfo: ") +
                          std::to_string(info.malformed) + " malformed lines skipped";
    }
    return collected;
}

}  // namespace outpost::collectors

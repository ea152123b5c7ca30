#include "collectors/mountinfo_parse.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "collectors/proc_text.hpp"

namespace outpost::collectors {
namespace {

// Not disks. tmpfs and ramfs are memory (their use shows in memory's Shmem,
// and /run/user/… on every login would flood disk alerts); node_exporter's
// default keeps tmpfs, we do not. Sorted for binary search.
constexpr std::array<std::string_view, 33> kSkippedTypes = {
    "anon_inodefs",    "autofs",     "binfmt_misc", "bpf",       "cgroup",    "cgroup2",
    "configfs",        "debugfs",    "devpts",      "devtmpfs",  "efivarfs",  "erofs",
    "fuse.gvfsd-fuse", "fuse.lxcfs", "fuse.portal", "fusectl",   "hugetlbfs", "iso9660",
    "mqueue",          "nsfs",       "overlay",     "pipefs",    "proc",      "pstore",
    "ramfs",           "rpc_pipefs", "securityfs",  "selinuxfs", "sockfs",    "squashfs",
    "sysfs",           "tmpfs",      "tracefs",
};

constexpr std::array<std::string_view, 16> kNetworkTypes = {
    "9p",     "afs",   "ceph", "cifs", "fuse.glusterfs", "fuse.s3fs", "fuse.sshfs",  "glusterfs",
    "lustre", "ncpfs", "nfs",  "nfs4", "smb3",           "smbfs",     "fuse.rclone", "davfs",
};

bool is_octal(char c) {
    return c >= '0' && c <= '7';
}

}  // namespace

std::string decode_octal_escapes(std::string_view field) {
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        // At most \377: a byte.
        if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
            field[i + 1] <= '3' && is_octal(field[i + 2]) && is_octal(field[i + 3])) {
            out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                            (field[i + 3] - '0')));
            i += 3;
            continue;
        }
        out.push_back(field[i]);
    }
    return out;
}

MountInfo parse_mountinfo(std::string_view text) {
    MountInfo info;
    while (!text.empty()) {
        const std::string_view line = next_line(text);
        if (line.empty()) continue;
        std::string_view rest = line;
        // mount_id parent_id major:minor root mount_point options [optional…] - type source super
        std::array<std::string_view, 6> head{};
        for (auto& field : head) field = next_field(rest);
        std::string_view field = next_field(rest);
        while (!field.empty() && field != "-") field = next_field(rest);
        const std::string_view fs_type = next_field(rest);
        const std::string_view source = next_field(rest);
        if (head[5].empty() || field != "-" || fs_type.empty() ||
            head[2].find(':') == std::string_view::npos) {
            ++info.malformed;
            continue;
        }
        info.mounts.push_back(MountEntry{
            std::string(head[2]), decode_octal_escapes(head[3]), decode_octal_escapes(head[4]),
            decode_octal_escapes(fs_type), decode_octal_escapes(source)});
    }
    return info;
}

bool is_skipped_fs_type(std::string_view fs_type) {
    static_assert(std::is_sorted(kSkippedTypes.begin(), kSkippedTypes.end()));
    return std::binary_search(kSkippedTypes.begin(), kSkippedTypes.end(), fs_type);
}

bool is_network_fs_type(std::string_view fs_type) {
    return std::find(kNetworkTypes.begin(), kNetworkTypes.end(), fs_type) != kNetworkTypes.end();
}

MountSelection select_disks(const MountInfo& info, const DisksSettings& settings,
                            std::size_t max_disks) {
    // One slot per file system (device number + root), holding the mount
    // with the shortest mount point; file order is kept for the output.
    std::vector<const MountEntry*> kept;
    std::unordered_map<std::string, std::size_t> slot_of;
    slot_of.reserve(info.mounts.size());
    for (const MountEntry& mount : info.mounts) {
        if (is_skipped_fs_type(mount.fs_type)) continue;
        if (is_network_fs_type(mount.fs_type) && !settings.network_fs) continue;
        if (std::find(settings.exclude_mounts.begin(), settings.exclude_mounts.end(),
                      mount.mount_point) != settings.exclude_mounts.end()) {
            continue;
        }
        std::string identity = mount.device_number;
        identity += ' ';
        identity += mount.root;
        const auto [it, inserted] = slot_of.try_emplace(std::move(identity), kept.size());
        if (inserted) {
            kept.push_back(&mount);
        } else if (mount.mount_point.size() < kept[it->second]->mount_point.size()) {
            kept[it->second] = &mount;
        }
    }
    MountSelection selection;
    if (kept.size() > max_disks) {
        selection.dropped_by_cap = kept.size() - max_disks;
        kept.resize(max_disks);
    }
    selection.disks = std::move(kept);
    return selection;
}

}  // namespace outpost::collectors

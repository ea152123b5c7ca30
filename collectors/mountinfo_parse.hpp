#pragma once
// <proc>/self/mountinfo (proc(5)), and which of its mounts are disks worth
// reporting. Pure functions over text and values.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/settings.hpp"

namespace outpost::collectors {

struct MountEntry {
    std::string device_number;  // "major:minor" of the file system
    std::string root;           // the directory of the file system mounted here
    std::string mount_point;    // octal escapes (\040 …) decoded
    std::string fs_type;        // e.g. ext4, nfs4, fuse.sshfs
    std::string source;         // e.g. /dev/sda1, server:/export
};

struct MountInfo {
    std::vector<MountEntry> mounts;  // in file order
    std::size_t malformed = 0;       // lines skipped because they did not parse
};

// Lines that do not follow the format are skipped and counted, not fatal:
// one odd mount must not hide every disk.
[[nodiscard]] MountInfo parse_mountinfo(std::string_view text);

// "\040" → " " (the kernel escapes space, tab, newline and backslash so a
// path stays one field); anything that is not a valid 3-digit octal escape
// is kept as it is.
[[nodiscard]] std::string decode_octal_escapes(std::string_view field);

// Pseudo and memory file systems (proc, sysfs, cgroup, tmpfs, …), read-only
// images (squashfs, iso9660, erofs) and overlay layers: never a disk.
[[nodiscard]] bool is_skipped_fs_type(std::string_view fs_type);
// nfs, cifs, ceph, …: a disk only with collectors.disks.network_fs.
[[nodiscard]] bool is_network_fs_type(std::string_view fs_type);

struct MountSelection {
    std::vector<const MountEntry*> disks;  // at most `max_disks`, in file order
    std::size_t dropped_by_cap = 0;        // disks past the cap
};

// The mounts to statvfs: skipped types out, network ones only when enabled,
// `exclude_mounts` out, and each file system (device number + root) once, at
// its shortest mount point (a bind mount of / into a container is the same
// disk as /).
[[nodiscard]] MountSelection select_disks(const MountInfo& info, const DisksSettings& settings,
                                          std::size_t max_disks);

}  // namespace outpost::collectors

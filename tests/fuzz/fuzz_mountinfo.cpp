// libFuzzer target for <proc>/self/mountinfo: arbitrary bytes as the file.
// Every line is either a mount or counted as malformed; the disks chosen
// are mounts of the input, at most the cap, none of a skipped type, and
// each file system (device + root) at most once.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "collectors/mountinfo_parse.hpp"

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 1024 * 1024) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    using namespace outpost::collectors;
    const MountInfo info = parse_mountinfo(input);
    for (const MountEntry& mount : info.mounts) {
        require(mount.mount_point.size() <= input.size());
        require(!mount.fs_type.empty());
    }
    for (bool network_fs : {false, true}) {
        DisksSettings settings;
        settings.network_fs = network_fs;
        const MountSelection selection = select_disks(info, settings, 16);
        require(selection.disks.size() <= 16);
        std::set<std::string> identities;
        for (const MountEntry* disk : selection.disks) {
            require(disk >= info.mounts.data() && disk < info.mounts.data() + info.mounts.size());
            require(!is_skipped_fs_type(disk->fs_type));
            require(network_fs || !is_network_fs_type(disk->fs_type));
            require(identities.insert(disk->device_number + ' ' + disk->root).second);
        }
    }
    require(decode_octal_escapes(input).size() <= input.size());
    return 0;
}

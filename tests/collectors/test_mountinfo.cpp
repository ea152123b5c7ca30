// Which mounts are disks: mountinfo parsing and selection on a saved host
// with many mounts (nfs, overlay, tmpfs, bind mounts, btrfs subvolumes,
// escaped names), and at 10 000 mounts.
#include <catch2/catch.hpp>

#include <chrono>

#include "collectors/mountinfo_parse.hpp"
#include "collectors/proc_text.hpp"
#include "snapshot.hpp"

using namespace outpost::collectors;
using namespace outpost::collectors::test;

namespace {

MountInfo many_mounts() {
    auto text = read_proc_file(snapshot_proc("many-mounts") + "/self/mountinfo");
    REQUIRE(text);
    return parse_mountinfo(*text);
}

std::vector<std::string> mount_points(const MountSelection& selection) {
    std::vector<std::string> points;
    for (const MountEntry* mount : selection.disks) points.push_back(mount->mount_point);
    return points;
}

}  // namespace

TEST_CASE("the disks of a host with many mounts") {
    const MountInfo info = many_mounts();
    CHECK(info.mounts.size() == 43);
    CHECK(info.malformed == 1);  // the line without " - "
    const auto selection = select_disks(info, DisksSettings{}, 256);
    CHECK(mount_points(selection) ==
          std::vector<std::string>{
              "/",  // its bind into a container's rootfs-bind is the same disk
              "/boot", "/boot/efi",
              "/home",            // btrfs subvolume /@home
              "/var/lib/docker",  // the same btrfs, subvolume /@docker
              "/srv/data",        // /mnt/data-bind is a bind of it
              "/export",          // shorter than the earlier /srv/export/projects/current
              "/var/lib/kubelet/pods/8f1c/volumes/kubernetes.io~local-volume/pv0",  // another root
              "/media/usb stick", "/mnt/back\\slash\ttab", "/var/log"});
    CHECK(selection.dropped_by_cap == 0);
    const MountEntry& root = *selection.disks[0];
    CHECK(root.device_number == "259:2");
    CHECK(root.fs_type == "ext4");
    CHECK(root.source == "/dev/nvme0n1p2");
    CHECK(selection.disks[3]->root == "/@home");
}

TEST_CASE("network file systems are disks only with network_fs") {
    DisksSettings settings;
    settings.network_fs = true;
    settings.exclude_mounts = {"/boot/efi", "/var/log"};
    const MountInfo info = many_mounts();
    const auto points = mount_points(select_disks(info, settings, 256));
    CHECK(points == std::vector<std::string>{
                        "/", "/boot", "/home", "/var/lib/docker", "/srv/data", "/export",
                        "/var/lib/kubelet/pods/8f1c/volumes/kubernetes.io~local-volume/pv0",
                        "/mnt/nfs", "/mnt/old-nfs", "/mnt/smb", "/mnt/remote", "/media/usb stick",
                        "/mnt/back\\slash\ttab"});
}

TEST_CASE("the disk list is capped and says by how much") {
    const auto selection = select_disks(many_mounts(), DisksSettings{}, 4);
    CHECK(selection.disks.size() == 4);
    CHECK(selection.dropped_by_cap == 7);
}

TEST_CASE("mountinfo octal escapes decode, and only valid ones") {
    CHECK(decode_octal_escapes("/a\\040b") == "/a b");
    CHECK(decode_octal_escapes("\\011\\012\\134") == "\t\n\\");
    CHECK(decode_octal_escapes("/a\\04") == "/a\\04");    // truncated: kept
    CHECK(decode_octal_escapes("/a\\400") == "/a\\400");  // above \377: kept
    CHECK(decode_octal_escapes("/a\\08x") == "/a\\08x");  // not octal: kept
    CHECK(decode_octal_escapes("\\") == "\\");
}

TEST_CASE("odd mountinfo lines are skipped and counted") {
    const auto info = parse_mountinfo(
        "garbage\n\n1 2 3\n36 35 98:0 / /x rw - \n36 35 980 / /x rw - ext4 /dev/a rw\n"
        "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n");
    REQUIRE(info.mounts.size() == 1);
    CHECK(info.malformed == 4);
    CHECK(info.mounts[0].mount_point == "/mnt/parent");
    CHECK(info.mounts[0].root == "/mnt1");
    CHECK(info.mounts[0].fs_type == "ext3");
}

TEST_CASE("10 000 mounts are parsed and selected fast") {
    // Mostly container overlays and tmpfs, plus a few thousand bind mounts of
    // the same few disks: the shapes of a busy Kubernetes node.
    std::string text;
    for (int i = 0; i < 10'000; ++i) {
        const std::string n = std::to_string(i);
        switch (i % 4) {
            case 0:
                text += n + " 29 0:" + n + " / /var/lib/docker/overlay2/" + n +
                        "/merged rw,relatime - overlay overlay rw,lowerdir=/l/" + n + "\n";
                break;
            case 1:
                text += n + " 29 0:" + n + " / /var/lib/kubelet/pods/" + n +
                        "/volumes/kubernetes.io~secret/token rw - tmpfs tmpfs rw\n";
                break;
            case 2:
                text += n + " 29 259:2 /var/lib/kubelet/pods/" + std::to_string(i % 64) +
                        " /var/lib/kubelet/pods/" + n + "/etc-hosts rw - ext4 /dev/nvme0n1p2 rw\n";
                break;
            default:
                text += n + " 29 253:" + std::to_string(i % 512) + " / /mnt/disk\\040" + n +
                        " rw - xfs /dev/dm-" + n + " rw\n";
        }
    }
    const auto start = std::chrono::steady_clock::now();
    const MountInfo info = parse_mountinfo(text);
    const auto selection = select_disks(info, DisksSettings{}, 256);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(info.mounts.size() == 10'000);
    // Binds of 16 roots of 259:2 (i % 64 for i ≡ 2 mod 4) and 128 xfs
    // devices (i % 512 for i ≡ 3 mod 4); overlays and tmpfs are not disks.
    CHECK(selection.disks.size() == 16 + 128);
    CHECK(selection.dropped_by_cap == 0);
    const double ms = std::chrono::duration<double, std::milli>(took).count();
    WARN("10 000 mounts: parse + select in " << ms << " ms");
    CHECK(ms < 500);  // sanitizer build on a shared machine; ~10x the optimised figure
}

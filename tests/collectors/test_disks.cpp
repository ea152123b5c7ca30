// disks: statvfs figures like df, a hung statvfs, and the live host.
#include <catch2/catch.hpp>

#include <sys/statvfs.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "collectors/disks_collector.hpp"
#include "snapshot.hpp"

using namespace outpost::collectors;
using namespace outpost::collectors::test;
using namespace std::chrono_literals;

namespace {

// `df -B1 --output=size,used,avail,itotal,iused <path>`, parsed.
struct Df {
    std::uint64_t size = 0, used = 0, avail = 0, itotal = 0, iused = 0;
};

Df run_df(const char* path) {
    const std::string command =
        std::string("df -B1 --output=size,used,avail,itotal,iused ") + path + " 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char header[256];
    Df df;
    REQUIRE(std::fgets(header, sizeof(header), pipe) != nullptr);
    REQUIRE(std::fscanf(pipe, "%lu %lu %lu %lu %lu", &df.size, &df.used, &df.avail, &df.itotal,
                        &df.iused) == 5);
    ::pclose(pipe);
    return df;
}

// A statvfs that blocks on the paths named `hang` until released: the shape
// of a hard NFS mount whose server is gone. A real one cannot be made here
// (no NFS server, no FUSE in the test environment), so this stand-in is
// injected; everything else (helper thread, deadline, hung set) is real.
class HangingStatvfs {
  public:
    int call(const char* path, struct statvfs* out) {
        if (std::string(path) == "/mnt/nfs") {
            ++hung_calls;
            std::unique_lock lock(mutex_);
            released_.wait(lock, [&] { return released; });
        }
        return ::statvfs("/", out);
    }
    void release() {
        std::lock_guard lock(mutex_);
        released = true;
        released_.notify_all();
    }
    std::atomic<int> hung_calls{0};
    bool released = false;

  private:
    std::mutex mutex_;
    std::condition_variable released_;
};

}  // namespace

TEST_CASE("disk figures of / are df's") {
    struct statvfs stats {};
    REQUIRE(::statvfs("/", &stats) == 0);
    const auto disk = disk_figures(stats);
    const Df df = run_df("/");
    // df and our statvfs are a moment apart on a busy machine: allow a few MiB.
    CHECK(disk.total_bytes == df.size);
    CHECK(static_cast<double>(disk.used_bytes) == Approx(df.used).margin(64 << 20));
    CHECK(static_cast<double>(disk.available_bytes) == Approx(df.avail).margin(64 << 20));
    CHECK(disk.inodes_total == df.itotal);
    CHECK(static_cast<double>(disk.inodes_used) == Approx(df.iused).margin(10000));
    const double df_percent =
        static_cast<double>(df.used) / static_cast<double>(df.used + df.avail) * 100;
    CHECK(disk.used_percent == Approx(df_percent).margin(0.5));
}

TEST_CASE("disk figures of odd statvfs answers stay within range") {
    struct statvfs stats {};
    stats.f_frsize = 4096;
    stats.f_blocks = 100;
    stats.f_bfree = 200;  // more free than there is
    stats.f_bavail = 300;
    stats.f_files = 0;  // btrfs and others report no inode figures
    auto disk = disk_figures(stats);
    CHECK(disk.used_bytes == 0);
    CHECK(disk.available_bytes == 100 * 4096);
    CHECK(disk.used_percent == Approx(0.0));
    CHECK(disk.inodes_used_percent == Approx(0.0));
    stats.f_blocks = UINT64_MAX;  // overflows in bytes: saturates
    stats.f_bfree = 0;
    stats.f_bavail = 0;
    disk = disk_figures(stats);
    CHECK(disk.total_bytes == UINT64_MAX);
    CHECK(disk.used_percent == Approx(100.0));
    // Root-reserved blocks are neither used nor available, like df.
    stats = {};
    stats.f_frsize = 1024;
    stats.f_blocks = 1000;
    stats.f_bfree = 300;
    stats.f_bavail = 250;
    disk = disk_figures(stats);
    CHECK(disk.used_percent == Approx(700.0 / 950.0 * 100.0));
}

TEST_CASE("a hung statvfs returns by the deadline and is not called again while stuck") {
    auto hanging = std::make_shared<HangingStatvfs>();
    DisksSettings settings;
    settings.network_fs = true;
    settings.timeout = 300ms;
    DisksCollector disks(
        settings, snapshot_roots("many-mounts"),
        [hanging](const char* path, struct statvfs* out) { return hanging->call(path, out); });
    const auto find = [](const outpost::protocol::outbound::Telemetry& sample,
                         const std::string& mount) {
        for (const auto& disk : sample.system.disks) {
            if (disk.mount == mount) return disk;
        }
        FAIL("no disk " << mount);
        return outpost::protocol::outbound::DiskStats{};
    };

    outpost::protocol::outbound::Telemetry first;
    auto start = std::chrono::steady_clock::now();
    auto collected = disks.collect(request_at(start), first);
    REQUIRE(collected);
    // Not a quiet success: the note makes the sample say `partial`.
    CHECK_THAT(collected->note,
               Catch::StartsWith("/mnt/nfs: statvfs did not answer within 300 ms (hung mount?) "
                                 "(and ") &&
                   Catch::Contains("more disk(s) with an error)"));
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(took < 1s);
    CHECK(took >= 300ms);
    CHECK(hanging->hung_calls == 1);
    CHECK(disks.runner().stuck_threads() == 1);
    CHECK(find(first, "/").error == std::nullopt);
    CHECK(find(first, "/").total_bytes > 0);
    REQUIRE(find(first, "/mnt/nfs").error);
    CHECK(*find(first, "/mnt/nfs").error == "statvfs did not answer within 300 ms (hung mount?)");
    // The mounts after it in the pass were not reached this time.
    REQUIRE(find(first, "/mnt/smb").error);
    CHECK(find(first, "/mnt/smb").error->find("not checked") != std::string::npos);

    // The next pass skips the stuck mount: no second stuck call, no second
    // stuck thread, and the others are read again.
    outpost::protocol::outbound::Telemetry second;
    start = std::chrono::steady_clock::now();
    collected = disks.collect(request_at(start), second);
    REQUIRE(collected);
    CHECK_THAT(collected->note, Catch::StartsWith("/mnt/nfs: statvfs still has not answered"));
    CHECK(std::chrono::steady_clock::now() - start < 300ms);
    CHECK(hanging->hung_calls == 1);
    CHECK(disks.runner().stuck_threads() == 1);
    REQUIRE(find(second, "/mnt/nfs").error);
    CHECK(find(second, "/mnt/nfs").error->find("still has not answered") != std::string::npos);
    CHECK(find(second, "/mnt/smb").error == std::nullopt);

    // The server comes back: the stuck call returns, its thread ends, and the
    // mount is read again on the next pass.
    hanging->release();
    for (int i = 0; i < 200 && disks.runner().stuck_threads() != 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    CHECK(disks.runner().stuck_threads() == 0);
    outpost::protocol::outbound::Telemetry third;
    collected = disks.collect(request_now(), third);
    REQUIRE(collected);
    CHECK(collected->note.find("statvfs") == std::string::npos);
    CHECK(hanging->hung_calls == 2);
    CHECK(find(third, "/mnt/nfs").error == std::nullopt);
}

TEST_CASE("the request deadline bounds the disks pass even with a longer timeout") {
    auto hanging = std::make_shared<HangingStatvfs>();
    DisksSettings settings;
    settings.network_fs = true;
    settings.timeout = 60s;
    DisksCollector disks(
        settings, snapshot_roots("many-mounts"),
        [hanging](const char* path, struct statvfs* out) { return hanging->call(path, out); });
    outpost::protocol::outbound::Telemetry sample;
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(disks.collect(request_at(start, std::chrono::seconds(0)), sample));
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    hanging->release();
}

TEST_CASE("disks of the live host are within range") {
    DisksCollector disks(DisksSettings{}, Roots{});
    outpost::protocol::outbound::Telemetry sample;
    const auto start = std::chrono::steady_clock::now();
    auto collected = disks.collect(request_now(), sample);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    WARN("disks collect on this host: " << ms << " ms for " << sample.system.disks.size()
                                        << " disks");
    REQUIRE(collected);
    REQUIRE_FALSE(sample.system.disks.empty());
    bool saw_root = false;
    for (const auto& disk : sample.system.disks) {
        INFO(disk.mount);
        CHECK(disk.error == std::nullopt);
        CHECK_FALSE(disk.fs_type.empty());
        CHECK(disk.used_percent >= 0.0);
        CHECK(disk.used_percent <= 100.0);
        CHECK(disk.inodes_used_percent >= 0.0);
        CHECK(disk.inodes_used_percent <= 100.0);
        CHECK(disk.used_bytes <= disk.total_bytes);
        saw_root = saw_root || disk.mount == "/";
        if (disk.mount == "/") CHECK(disk.total_bytes > 0);
    }
    CHECK(saw_root);
}

TEST_CASE("a root without mountinfo is an error") {
    DisksCollector disks(DisksSettings{}, Roots{"/nonexistent-proc", "/nonexistent-sys"});
    outpost::protocol::outbound::Telemetry sample;
    auto collected = disks.collect(request_now(), sample);
    REQUIRE_FALSE(collected);
    CHECK(collected.error().kind() == outpost::ErrorKind::not_found);
}

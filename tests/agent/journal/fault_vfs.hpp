#pragma once
// A real SQLite VFS for tests: SQLite's default one ("unix", the real file
// system) with a counter and a switch on the syncs of write-ahead logs.
// It proves that a group commit really syncs the WAL, and lets a test see
// what the agent does when that sync fails or the disk is full (errors no
// real disk produces on demand).

#include "agent/journal/journal.hpp"

namespace journal_test {

struct FaultVfs {
    static constexpr const char* kName = "outpost-fault-vfs";
    // Registers the VFS once (not as the default) and returns its state.
    static FaultVfs& install();

    int wal_syncs = 0;            // xSync calls on a -wal file that succeeded
    int fail_next_wal_syncs = 0;  // the next N fail with SQLITE_IOERR_FSYNC
    bool disk_full = false;       // while set, every write fails with SQLITE_FULL
    int slow_wal_syncs_ms = 0;    // each WAL sync first sleeps this long (a slow disk)

    // Options of a journal.sync: full journal on this VFS.
    static outpost::journal::Options full_sync_options() {
        outpost::journal::Options options;
        options.sync = outpost::journal::SyncMode::full;
        options.vfs = kName;
        return options;
    }
};

}  // namespace journal_test

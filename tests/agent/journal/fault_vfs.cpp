#include "fault_vfs.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace journal_test {
namespace {

FaultVfs g_state;
sqlite3_vfs g_vfs;
sqlite3_vfs* g_base = nullptr;

// Our file object: SQLite allocates szOsFile bytes; the base VFS's own file
// object follows ours.
struct ShimFile {
    sqlite3_file base;
    sqlite3_file* real;
    bool wal;
};

sqlite3_file* real(sqlite3_file* f) {
    return reinterpret_cast<ShimFile*>(f)->real;
}

int shim_close(sqlite3_file* f) {
    return real(f)->pMethods->xClose(real(f));
}
int shim_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
    return real(f)->pMethods->xRead(real(f), b, n, o);
}
int shim_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    if (g_state.disk_full) return SQLITE_FULL;
    return real(f)->pMethods->xWrite(real(f), b, n, o);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 s) {
    return real(f)->pMethods->xTruncate(real(f), s);
}
int shim_sync(sqlite3_file* f, int flags) {
    auto* shim = reinterpret_cast<ShimFile*>(f);
    if (shim->wal && g_state.fail_next_wal_syncs > 0) {
        --g_state.fail_next_wal_syncs;
        return SQLITE_IOERR_FSYNC;
    }
    if (shim->wal && g_state.slow_wal_syncs_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(g_state.slow_wal_syncs_ms));
    const int rc = real(f)->pMethods->xSync(real(f), flags);
    if (shim->wal && rc == SQLITE_OK) ++g_state.wal_syncs;
    return rc;
}
int shim_file_size(sqlite3_file* f, sqlite3_int64* s) {
    return real(f)->pMethods->xFileSize(real(f), s);
}
int shim_lock(sqlite3_file* f, int l) {
    return real(f)->pMethods->xLock(real(f), l);
}
int shim_unlock(sqlite3_file* f, int l) {
    return real(f)->pMethods->xUnlock(real(f), l);
}
int shim_check_reserved(sqlite3_file* f, int* r) {
    return real(f)->pMethods->xCheckReservedLock(real(f), r);
}
int shim_file_control(sqlite3_file* f, int op, void* arg) {
    return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int shim_sector_size(sqlite3_file* f) {
    return real(f)->pMethods->xSectorSize(real(f));
}
int shim_device(sqlite3_file* f) {
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int shim_shm_map(sqlite3_file* f, int pg, int sz, int ext, void volatile** p) {
    return real(f)->pMethods->xShmMap(real(f), pg, sz, ext, p);
}
int shim_shm_lock(sqlite3_file* f, int o, int n, int fl) {
    return real(f)->pMethods->xShmLock(real(f), o, n, fl);
}
void shim_shm_barrier(sqlite3_file* f) {
    real(f)->pMethods->xShmBarrier(real(f));
}
int shim_shm_unmap(sqlite3_file* f, int d) {
    return real(f)->pMethods->xShmUnmap(real(f), d);
}
int shim_fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) {
    return real(f)->pMethods->xFetch(real(f), o, n, p);
}
int shim_unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) {
    return real(f)->pMethods->xUnfetch(real(f), o, p);
}

const sqlite3_io_methods kMethods = {
    3,
    shim_close,
    shim_read,
    shim_write,
    shim_truncate,
    shim_sync,
    shim_file_size,
    shim_lock,
    shim_unlock,
    shim_check_reserved,
    shim_file_control,
    shim_sector_size,
    shim_device,
    shim_shm_map,
    shim_shm_lock,
    shim_shm_barrier,
    shim_shm_unmap,
    shim_fetch,
    shim_unfetch,
};

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    auto* shim = reinterpret_cast<ShimFile*>(f);
    std::memset(shim, 0, sizeof *shim);
    shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
    shim->wal = (flags & SQLITE_OPEN_WAL) != 0;
    const int rc = g_base->xOpen(g_base, name, shim->real, flags, out_flags);
    // Our methods only once the real file is open: SQLite calls xClose on a
    // file whose pMethods is set, even after a failed open.
    if (rc == SQLITE_OK && shim->real->pMethods != nullptr) shim->base.pMethods = &kMethods;
    return rc;
}

}  // namespace

FaultVfs& FaultVfs::install() {
    if (g_base == nullptr) {
        g_base = sqlite3_vfs_find(nullptr);
        g_vfs = *g_base;
        g_vfs.zName = kName;
        g_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_base->szOsFile;
        g_vfs.xOpen = shim_open;
        g_vfs.pNext = nullptr;
        sqlite3_vfs_register(&g_vfs, 0);
    }
    return g_state;
}

}  // namespace journal_test

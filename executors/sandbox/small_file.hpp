#pragma once
// Whole small files of /proc and cgroupfs, read with plain read(2): they are
// read after every command (cgroup.procs, cgroup.events), an ifstream costs
// more than the read itself, and it throws when a process vanishes mid-read.

#include <optional>
#include <string>

namespace outpost::executors {

// The file's bytes; "" for a missing file; nullopt when it could not be
// opened for another reason (EMFILE, ENOMEM, ...), so the caller knows it
// learned nothing. A read error ends the text where it happened (a /proc
// file whose process has gone).
[[nodiscard]] std::optional<std::string> read_file_or_missing(const std::string& path);
// The same with "" for every failure.
[[nodiscard]] std::string read_file(const std::string& path);

}  // namespace outpost::executors

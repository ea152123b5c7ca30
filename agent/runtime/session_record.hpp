#pragma once
// What the agent keeps about its last session in the state directory
// (protocol.md §3.1, §5): the host's boot_id when that session came up, so a
// start after a reboot can be told from a crash or an upgrade, and the last
// welcome.reconnect_spread_s, the window §5's spread and boot splay use.
//
// The file (`<state_dir>/session`) is a few text lines, written whole at
// every new session's welcome: to a temporary file, fsync, rename, fsync of
// the directory, mode 0600. A missing file means "no session yet"; an
// unreadable or corrupt one is an error the caller logs and then treats the
// same way (connect at once: nothing is lost but one splay).

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::runtime {

struct SessionRecord {
    std::string boot_id;                                     // empty: unknown
    std::optional<std::chrono::seconds> reconnect_spread{};  // none received yet

    friend bool operator==(const SessionRecord&, const SessionRecord&) = default;
};

[[nodiscard]] std::filesystem::path session_record_path(const std::filesystem::path& state_dir);

// The file's text, and back; decoding refuses anything it did not write.
[[nodiscard]] std::string encode_session_record(const SessionRecord& record);
[[nodiscard]] Expected<SessionRecord> decode_session_record(std::string_view text);

// nullopt when the file does not exist; an error when it cannot be read or
// is not a record (ErrorKind::invalid_input).
[[nodiscard]] Expected<std::optional<SessionRecord>> load_session_record(
    const std::filesystem::path& file);
// Atomically replaces the file (mode 0600); nothing is written (and no
// fsync made) when the file already holds this record.
[[nodiscard]] Expected<void> save_session_record(const std::filesystem::path& file,
                                                 const SessionRecord& record);

// §5: a host whose boot_id differs from the last session's has rebooted.
// Without a record, or with either boot_id unknown, it has not (as far as
// anyone can tell): such a start connects at once.
[[nodiscard]] bool host_rebooted_since(const std::optional<SessionRecord>& last,
                                       std::string_view boot_id);

}  // namespace outpost::runtime

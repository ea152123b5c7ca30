#pragma once
// Small helpers every /proc parser shares: read a pseudo file whole, split
// it into lines and fields, and turn a field into a number without trusting
// it (a truncated line, a 40-digit number, garbage).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/common/error.hpp"

namespace outpost::collectors {

// The whole file, at most `max_bytes` (a pseudo file has no honest size: its
// st_size is 0 or 4096). Missing file: ErrorKind::not_found; larger than the
// bound: ErrorKind::invalid_input.
[[nodiscard]] Expected<std::string> read_proc_file(const std::string& path,
                                                   std::size_t max_bytes = 1 << 20);

// Same, relative to an open directory (the processes walk opens
// <proc>/<pid>/stat without building a path string per process). `buffer`
// is reused; returns false when the file is gone or unreadable.
[[nodiscard]] bool read_small_file_at(int dir_fd, const char* name, std::string& buffer,
                                      std::size_t max_bytes = 64 * 1024);

// Cuts the next line (without its '\n') off the front of `text`.
[[nodiscard]] std::string_view next_line(std::string_view& text);

// Cuts the next run of non-blank characters off the front of `text`, skipping
// spaces and tabs before it; empty at the end.
[[nodiscard]] std::string_view next_field(std::string_view& text);

// A decimal unsigned number, the whole field; nullopt on anything else or on
// overflow.
[[nodiscard]] std::optional<std::uint64_t> parse_u64(std::string_view field);
[[nodiscard]] std::optional<std::int64_t> parse_i64(std::string_view field);

// A decimal number with an optional fraction ("0.52", "88.89"), as the kernel
// prints loadavg, uptime and PSI; nullopt on anything else.
[[nodiscard]] std::optional<double> parse_decimal(std::string_view field);

// Printable ASCII only: control bytes, DEL and bytes ≥ 0x80 become '?'.
// For names a process chose itself (comm), which reach JSON and terminals.
[[nodiscard]] std::string printable_ascii(std::string_view text);

}  // namespace outpost::collectors

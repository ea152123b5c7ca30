#pragma once
// What the journal stores of a result's output: no more than a
// command_result of protocol.max_message_bytes can ever carry. The runner
// captures up to max_output_bytes per stream (2 x that per result), but
// dispatch's to_wire cuts each message to max_message_bytes; keeping the
// rest cost disk and, while a full disk held results in memory, RSS.

#include <cstddef>
#include <string_view>

#include "agent/journal/command.hpp"

namespace outpost::journal {

struct StoredOutput {
    std::string_view stdout_text;  // a prefix of the result's
    std::string_view stderr_text;
    bool stdout_truncated = false;
    bool stderr_truncated = false;
};

// The streams cut so that together they hold at most `max_message_bytes`
// bytes, shared like to_wire shares a message (each gets half; one that
// needs less leaves the rest to the other), cut between UTF-8 characters.
// Every byte to_wire could send of the whole capture is kept — it measures
// escaped bytes in a budget smaller than max_message_bytes, so it keeps
// less of each stream than this does — and to_wire cuts the stored result
// exactly as it would have cut the whole one. 0 keeps everything.
[[nodiscard]] StoredOutput fit_stored_output(const CommandResult& result,
                                             std::size_t max_message_bytes);

// The same, applied to the result itself (for a result held in memory).
void cut_stored_output(CommandResult& result, std::size_t max_message_bytes);

}  // namespace outpost::journal

#pragma once
// Keeps every `telemetry` message under protocol.max_message_bytes (pure).
//
// First the lists are capped (a host with 10 000 mounts or 5 000 veth
// interfaces sends the first SplitLimits items of each, in the collector's
// order; the cut is counted and logged). What still does not fit is split
// into parts, numbered as docs/protocol-notes.md ("Split telemetry")
// describes for a server:
// - a sample that fits is one message without `part`;
// - otherwise parts 1..count, each with the sample's node_id, seq and
//   collected_at and `part: {index, count}`, sent one after another;
// - part 1 carries every single-valued section (cpu, memory, load, uptime,
//   processes) and the `collectors` problems; every part repeats `agent`
//   (small, and it carries the running outbox totals a server must never
//   see go backwards); the list items (disks, then network, then
//   containers) fill part 1 and then the next parts in their order, each
//   item whole in one part.
// A list item that cannot fit even alone beside the part's other sections is
// left out and counted (`unsendable`).
// Part 1's own sections can be over a low limit (1 024 per-core values, two
// top lists of 100, every collector's message, under a sealed 4 KiB
// limit): then the per-core values go first, then the top lists (halved
// until it fits), then the problem messages are shortened; the values cut
// are counted (`trimmed`). A part 1 that still does not fit cannot be sent
// at all: the sample is `dropped` (no parts), for the caller to count.

#include <cstddef>
#include <vector>

#include "agent/protocol/telemetry.hpp"

namespace outpost::telemetry {

struct SplitLimits {
    std::size_t max_message_bytes = 1024 * 1024;  // protocol.max_message_bytes
    std::size_t max_disks = 256;
    std::size_t max_interfaces = 256;
    std::size_t max_containers = 1000;
    std::size_t max_cores = 1024;
    std::size_t max_top_processes = 100;
};

struct SplitSample {
    std::vector<protocol::outbound::Telemetry> parts;  // one: not split
    std::size_t capped = 0;                            // list items cut by the caps
    std::size_t unsendable = 0;                        // items too large for any part
    std::size_t trimmed = 0;  // part 1 values cut to fit (per-core, top lists, messages)
    bool dropped = false;     // part 1 cannot fit even trimmed: nothing to send
};

[[nodiscard]] SplitSample split_sample(protocol::outbound::Telemetry sample,
                                       const SplitLimits& limits);

// The size of the whole encoded message (envelope included) that carries
// `body`, as the outbox will encode it.
[[nodiscard]] std::size_t encoded_size(const protocol::outbound::Telemetry& body);

}  // namespace outpost::telemetry

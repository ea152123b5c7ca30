#include "agent/telemetry/sample_split.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "agent/protocol/outbound_encoder.hpp"

namespace outpost::telemetry {
namespace {

using protocol::outbound::Telemetry;

// An envelope as the outbox makes it: a UUID v4 id and an RFC 3339 ts with
// milliseconds have fixed lengths.
constexpr std::string_view kIdOfUuidLength = "00000000-0000-4000-8000-000000000000";
constexpr std::string_view kTsOfRfc3339Length = "2026-01-01T00:00:00.000Z";

template <class T>
std::size_t cap(std::vector<T>& list, std::size_t limit) {
    if (list.size() <= limit) return 0;
    const std::size_t cut = list.size() - limit;
    list.resize(limit);
    return cut;
}

std::size_t cap_lists(Telemetry& sample, const SplitLimits& limits) {
    std::size_t cut = cap(sample.system.disks, limits.max_disks) +
                      cap(sample.system.network, limits.max_interfaces) +
                      cap(sample.containers, limits.max_containers);
    if (sample.system.cpu) cut += cap(sample.system.cpu->per_core_percent, limits.max_cores);
    if (sample.system.processes) {
        cut += cap(sample.system.processes->top_cpu, limits.max_top_processes) +
               cap(sample.system.processes->top_rss, limits.max_top_processes);
    }
    return cut;
}

// Room for `part: {index, count}` with counts up to 9 999 999.
constexpr protocol::outbound::SamplePart kLargestPart{9'999'999, 9'999'999};
// A problem message shortened to fit part 1 keeps this many bytes.
constexpr std::size_t kShortMessage = 64;

// Cuts part 1's own values, least telling first, until `first` (with its
// largest `part`) fits; returns how many values were cut.
std::size_t trim_first_part(Telemetry& first, std::size_t max_bytes) {
    const auto fits = [&] { return encoded_size(first) <= max_bytes; };
    std::size_t cut = 0;
    if (first.system.cpu && !fits()) {
        cut += std::exchange(first.system.cpu->per_core_percent, {}).size();
    }
    if (auto& processes = first.system.processes) {
        while (!fits() && (!processes->top_cpu.empty() || !processes->top_rss.empty())) {
            for (auto* list : {&processes->top_cpu, &processes->top_rss}) {
                const std::size_t keep = list->size() / 2;
                cut += list->size() - keep;
                list->resize(keep);
            }
        }
    }
    for (auto& problem : first.collectors) {
        if (fits()) break;
        if (problem.message.size() <= kShortMessage) continue;
        // Cut on a UTF-8 boundary: never in the middle of a character.
        std::size_t end = kShortMessage;
        while (end > 0 && (static_cast<unsigned char>(problem.message[end]) & 0xC0) == 0x80) --end;
        problem.message.resize(end);
        problem.message += "…";
        ++cut;
    }
    return cut;
}

// What the parts after the first carry besides their list items.
Telemetry later_part_base(const Telemetry& sample) {
    Telemetry base;
    base.node_id = sample.node_id;
    base.seq = sample.seq;
    base.collected_at = sample.collected_at;
    base.agent = sample.agent;
    return base;
}

// Packs list items into parts greedily, in order. An item's cost is what it
// adds to an encoded part: measured once, alone beside the part's base, plus
// one byte for the comma that separates it from a neighbour.
class Packer {
  public:
    Packer(Telemetry first_base, Telemetry later_base, std::size_t max_bytes)
        : later_base_(std::move(later_base)), max_bytes_(max_bytes) {
        first_base.part = kLargestPart;
        later_base_.part = kLargestPart;
        first_base_size_ = encoded_size(first_base);
        later_base_size_ = encoded_size(later_base_);
        open(std::move(first_base), first_base_size_);
    }

    template <class Item>
    void add(Item item, std::vector<Item> Telemetry::*list) {
        add_with([&](Telemetry& t) -> std::vector<Item>& { return t.*list; }, std::move(item));
    }
    void add_disk(protocol::outbound::DiskStats d) {
        add_with(
            [](Telemetry & t) -> auto& { return t.system.disks; }, std::move(d));
    }
    void add_interface(protocol::outbound::NetworkStats n) {
        add_with(
            [](Telemetry & t) -> auto& { return t.system.network; }, std::move(n));
    }

    [[nodiscard]] std::vector<Telemetry> finish() && {
        parts_.push_back(std::move(current_));
        return std::move(parts_);
    }
    [[nodiscard]] std::size_t unsendable() const { return unsendable_; }

  private:
    void open(Telemetry base, std::size_t base_size) {
        current_ = std::move(base);
        current_size_ = base_size;
    }

    template <class ListOf, class Item>
    void add_with(ListOf list_of, Item item) {
        Telemetry alone = later_base_;
        list_of(alone).push_back(item);
        const std::size_t cost = encoded_size(alone) - later_base_size_ + 1;
        if (later_base_size_ + cost > max_bytes_) {
            ++unsendable_;
            return;
        }
        if (current_size_ + cost > max_bytes_) {
            parts_.push_back(std::move(current_));
            open(later_base_, later_base_size_);
        }
        list_of(current_).push_back(std::move(item));
        current_size_ += cost;
    }

    Telemetry later_base_;
    std::size_t max_bytes_;
    std::size_t first_base_size_ = 0;
    std::size_t later_base_size_ = 0;
    std::vector<Telemetry> parts_;
    Telemetry current_;
    std::size_t current_size_ = 0;
    std::size_t unsendable_ = 0;
};

}  // namespace

std::size_t encoded_size(const Telemetry& body) {
    return protocol::encode(protocol::OutboundMessage{std::string(kIdOfUuidLength),
                                                      std::string(kTsOfRfc3339Length), body})
        .size();
}

SplitSample split_sample(Telemetry sample, const SplitLimits& limits) {
    SplitSample out;
    out.capped = cap_lists(sample, limits);
    sample.part.reset();
    if (encoded_size(sample) <= limits.max_message_bytes) {
        out.parts.push_back(std::move(sample));
        return out;
    }
    auto disks = std::exchange(sample.system.disks, {});
    auto network = std::exchange(sample.system.network, {});
    auto containers = std::exchange(sample.containers, {});
    Telemetry later = later_part_base(sample);
    sample.part = kLargestPart;
    out.trimmed = trim_first_part(sample, limits.max_message_bytes);
    if (encoded_size(sample) > limits.max_message_bytes) {
        out.dropped = true;
        return out;
    }
    Packer packer(std::move(sample), std::move(later), limits.max_message_bytes);
    for (auto& d : disks) packer.add_disk(std::move(d));
    for (auto& n : network) packer.add_interface(std::move(n));
    for (auto& c : containers) packer.add(std::move(c), &Telemetry::containers);
    out.unsendable = packer.unsendable();
    out.parts = std::move(packer).finish();
    const auto count = static_cast<std::uint32_t>(out.parts.size());
    for (std::uint32_t i = 0; i < count; ++i) {
        out.parts[i].part = protocol::outbound::SamplePart{i + 1, count};
    }
    return out;
}

}  // namespace outpost::telemetry

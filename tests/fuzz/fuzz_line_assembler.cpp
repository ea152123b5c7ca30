// libFuzzer target for the file sources' line assembler
// (agent/logs/file/line_assembler.hpp): arbitrary bytes as a log file, fed
// in chunks and under budgets both chosen by the input. Whatever the bytes,
// every record is valid UTF-8 within the cap, and the records are exactly
// those of the file split at LF (a CR before it dropped), each built from
// the line alone: chunking and budgets change nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/json/utf8.hpp"
#include "agent/logs/file/line_assembler.hpp"

namespace {

using outpost::logs::LogRecord;
using outpost::logs::TimePoint;
using outpost::logs::file::LineAssembler;
using outpost::logs::file::make_record;
using outpost::logs::file::ReadBudget;

void require(bool condition) {
    if (!condition) __builtin_trap();
}

bool same(const LogRecord& a, const LogRecord& b) {
    return a.text == b.text && a.cut_bytes == b.cut_bytes && a.partial == b.partial;
}

// The records of `file` line by line, without the assembler.
std::vector<LogRecord> reference(std::string_view file, std::size_t cap) {
    std::vector<LogRecord> out;
    std::size_t start = 0;
    for (std::size_t newline; (newline = file.find('\n', start)) != std::string_view::npos;
         start = newline + 1) {
        std::string_view line = file.substr(start, newline - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.push_back(make_record(line.substr(0, cap + 3), line.size(), cap, TimePoint{}));
    }
    if (start < file.size()) {
        const std::string_view rest = file.substr(start);
        LogRecord last = make_record(rest.substr(0, cap + 3), rest.size(), cap, TimePoint{});
        last.partial = true;
        out.push_back(last);
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3 || size > 64 * 1024) return 0;
    // Three bytes of settings: the cap (1..256), the chunk size (1..64) and
    // the records per feed (1..16); the rest is the file.
    const std::size_t cap = std::size_t{data[0]} + 1;
    const std::size_t chunk = data[1] % 64 + 1;
    const std::size_t per_feed = data[2] % 16 + 1;
    const std::string_view file(reinterpret_cast<const char*>(data) + 3, size - 3);

    LineAssembler assembler(cap);
    std::vector<LogRecord> records;
    std::size_t position = 0;
    while (position < file.size()) {
        const std::string_view piece = file.substr(position, chunk);
        ReadBudget budget{records.size() + per_feed, SIZE_MAX};
        const std::size_t used = assembler.feed(piece, records, budget, TimePoint{});
        require(used <= piece.size());
        require(used > 0);  // the budget always has room for one more line
        position += used;
    }
    if (assembler.holding()) records.push_back(assembler.take_partial(TimePoint{}));
    require(!assembler.holding());

    const auto expected = reference(file, cap);
    require(records.size() == expected.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        require(same(records[i], expected[i]));
        require(records[i].text.size() <= cap);
        require(outpost::json::utf8::find_invalid(records[i].text) == std::string_view::npos);
    }
    return 0;
}

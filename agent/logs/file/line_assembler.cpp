#include "agent/logs/file/line_assembler.hpp"

#include <cstring>
#include <utility>

#include "agent/common/json/utf8.hpp"

namespace outpost::logs::file {

namespace {

// Every raw byte yields at least one byte of text (an ill-formed subpart of
// 1..3 bytes becomes the 3 bytes of U+FFFD), so no byte at or past offset
// max_line_bytes can reach the text; a code point that starts below it is at
// most 4 bytes long. Keeping 3 more bytes decides every cut exactly.
constexpr std::size_t kCutSlack = 3;

}  // namespace

LogRecord make_record(std::string_view raw_prefix, std::uint64_t total_bytes,
                      std::size_t max_line_bytes, TimePoint ts) {
    LogRecord record;
    record.ts = ts;
    std::size_t pos = 0;
    while (pos < raw_prefix.size()) {
        const auto step = json::utf8::step(raw_prefix, pos);
        const std::size_t out_len = step.valid ? step.length : json::utf8::kReplacement.size();
        if (record.text.size() + out_len > max_line_bytes) break;
        if (step.valid) {
            record.text.append(raw_prefix.substr(pos, step.length));
        } else {
            record.text.append(json::utf8::kReplacement);
        }
        pos += step.length;
    }
    record.cut_bytes = total_bytes - pos;
    return record;
}

LineAssembler::LineAssembler(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {
    kept_.reserve(max_line_bytes_ + kCutSlack);
}

void LineAssembler::append(std::string_view bytes) {
    const std::size_t room = max_line_bytes_ + kCutSlack - kept_.size();
    kept_.append(bytes.substr(0, room));
    line_bytes_ += bytes.size();
}

std::size_t LineAssembler::feed(std::string_view chunk, std::vector<LogRecord>& out,
                                ReadBudget& budget, TimePoint now) {
    std::size_t pos = 0;
    while (pos < chunk.size() && !budget.exhausted(out.size())) {
        if (!holding()) since_ = now;
        const void* found = std::memchr(chunk.data() + pos, '\n', chunk.size() - pos);
        const std::size_t end =
            found != nullptr
                ? static_cast<std::size_t>(static_cast<const char*>(found) - chunk.data())
                : chunk.size();
        std::string_view segment = chunk.substr(pos, end - pos);
        if (pending_cr_ && !segment.empty()) {
            // The CR held back from the previous chunk was not before an LF.
            pending_cr_ = false;
            append("\r");
        }
        if (!segment.empty() && segment.back() == '\r') {
            segment.remove_suffix(1);
            pending_cr_ = true;
        }
        append(segment);
        if (found == nullptr) return chunk.size();
        pos = end + 1;
        pending_cr_ = false;  // "\r\n": the CR belongs to the terminator
        out.push_back(finish_line(now, false));
        budget.bytes_used += out.back().text.size();
    }
    return pos;
}

LogRecord LineAssembler::take_partial(TimePoint now) {
    if (pending_cr_) {
        pending_cr_ = false;
        append("\r");
    }
    return finish_line(now, true);
}

void LineAssembler::discard() {
    kept_.clear();
    line_bytes_ = 0;
    pending_cr_ = false;
}

LogRecord LineAssembler::finish_line(TimePoint ts, bool partial) {
    LogRecord record = make_record(kept_, line_bytes_, max_line_bytes_, ts);
    record.partial = partial;
    discard();
    return record;
}

}  // namespace outpost::logs::file

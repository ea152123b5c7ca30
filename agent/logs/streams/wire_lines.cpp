#include "agent/logs/streams/wire_lines.hpp"

#include <fmt/format.h>

#include "agent/common/json/utf8.hpp"
#include "agent/protocol/rfc3339.hpp"

namespace outpost::logs::streams {
namespace {

// The envelope, the other members and the markers, generously.
constexpr std::size_t kEnvelopeReserve = 1024;
constexpr std::size_t kWorstEscape = 6;

// The longest prefix of `text` of at most `limit` bytes that ends at a code
// point boundary (the text is valid UTF-8: sources sanitize it).
std::size_t boundary_at_or_below(std::string_view text, std::size_t limit) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto step = json::utf8::step(text, pos);
        if (pos + step.length > limit) break;
        pos += step.length;
    }
    return pos;
}

}  // namespace

std::string cut_marker(std::uint64_t cut_bytes) {
    return fmt::format(" [outpost: {} bytes cut]", cut_bytes);
}

std::size_t max_text_for(std::size_t max_message_bytes) {
    if (max_message_bytes <= kEnvelopeReserve) return 0;
    return (max_message_bytes - kEnvelopeReserve) / kWorstEscape;
}

protocol::outbound::LogLine to_log_line(std::string_view stream_id, LogRecord record,
                                        std::size_t max_text_bytes) {
    if (record.text.size() > max_text_bytes) {
        const std::size_t keep = boundary_at_or_below(record.text, max_text_bytes);
        record.cut_bytes += record.text.size() - keep;
        record.text.resize(keep);
    }
    protocol::outbound::LogLine line;
    line.stream_id = std::string(stream_id);
    line.ts = protocol::format_rfc3339(record.ts);
    line.partial = record.partial;
    if (record.cut_bytes > 0) {
        record.text += cut_marker(record.cut_bytes);
        line.truncated = true;
    }
    line.line = std::move(record.text);
    return line;
}

protocol::outbound::LogLine drop_marker(std::string_view stream_id, std::uint64_t lines,
                                        TimePoint now) {
    protocol::outbound::LogLine line;
    line.stream_id = std::string(stream_id);
    line.line = fmt::format("[outpost: {} lines dropped]", lines);
    line.ts = protocol::format_rfc3339(now);
    line.dropped = lines;
    return line;
}

}  // namespace outpost::logs::streams

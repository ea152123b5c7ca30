#include "agent/status/streams_section.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "agent/protocol/rfc3339.hpp"

namespace outpost::status {

void write_streams(json::JsonWriter& w, const std::vector<StreamInfo>& streams) {
    w.key("streams").begin_array();
    for (const StreamInfo& s : streams) {
        w.begin_object();
        w.member("stream_id", s.stream_id);
        w.member("source", s.source);
        w.member("since", protocol::format_rfc3339(s.since));
        w.member("lines_sent", s.lines_sent);
        w.member("dropped", s.dropped);
        w.member("lost", s.lost);
        w.member("backlog_bytes", s.backlog_bytes);
        w.member("paused", s.paused);
        w.end_object();
    }
    w.end_array();
}

std::vector<StreamInfo> read_streams(json::ObjectReader& r) {
    std::vector<StreamInfo> out;
    auto value = r.find("streams", false);
    if (!value || value->is_null()) return out;
    for (json::ObjectReader& s : r.objects("streams")) {
        StreamInfo info;
        info.stream_id = s.string("stream_id");
        info.source = s.string("source");
        const std::string since = s.string("since");
        if (auto parsed = protocol::parse_rfc3339(since)) {
            info.since = *parsed;
        } else {
            s.fail("since", "not an RFC 3339 time: " + parsed.error().message());
        }
        info.lines_sent = s.uint64("lines_sent");
        info.dropped = s.uint64("dropped");
        info.lost = s.uint64("lost");
        info.backlog_bytes = s.uint64("backlog_bytes");
        if (auto paused = s.find("paused")) {
            auto b = paused->boolean();
            if (!b) s.fail("paused", "not a boolean");
            info.paused = b.value_or(false);
        }
        out.push_back(std::move(info));
    }
    return out;
}

void render_streams(std::string& out, const std::vector<StreamInfo>& streams, TimePoint now) {
    out += fmt::format("log streams: {} open\n", streams.size());
    for (const StreamInfo& s : streams) {
        const auto age = std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::seconds>(now - s.since).count());
        out += fmt::format(
            "  {} ({}): for {} s, {} line(s) sent, {} dropped, {} lost, {} byte(s) behind{}\n",
            printable(s.stream_id), printable(s.source), age, s.lines_sent, s.dropped, s.lost,
            s.backlog_bytes, s.paused ? ", paused (send queue full)" : "");
    }
}

}  // namespace outpost::status

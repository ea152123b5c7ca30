#include "agent/common/json/json_writer.hpp"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "agent/common/json/utf8.hpp"

namespace outpost::json {

namespace {

// How many bytes one ASCII byte takes inside a JSON string (append_json_string).
std::size_t escaped_ascii_size(std::uint8_t byte) {
    switch (byte) {
        case '"':
        case '\\':
        case '\b':
        case '\f':
        case '\n':
        case '\r':
        case '\t':
            return 2;
        default:
            return byte < 0x20 ? 6 : 1;
    }
}

}  // namespace

std::size_t json_string_prefix_fitting(std::string_view value, std::size_t budget) {
    std::size_t pos = 0;
    std::size_t used = 0;
    while (pos < value.size()) {
        const auto byte = static_cast<std::uint8_t>(value[pos]);
        std::size_t length = 1;
        std::size_t size = 0;
        if (byte >= 0x80) {
            const utf8::Step s = utf8::step(value, pos);
            length = s.length;
            size = s.valid ? s.length : utf8::kReplacement.size();
        } else {
            size = escaped_ascii_size(byte);
        }
        if (used + size > budget) break;
        used += size;
        pos += length;
    }
    return pos;
}

void append_json_string(std::string& out, std::string_view value) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t pos = 0;
    while (pos < value.size()) {
        const auto byte = static_cast<std::uint8_t>(value[pos]);
        if (byte >= 0x80) {
            const utf8::Step s = utf8::step(value, pos);
            out.append(s.valid ? value.substr(pos, s.length) : utf8::kReplacement);
            pos += s.length;
            continue;
        }
        switch (byte) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\b':
                out.append("\\b");
                break;
            case '\f':
                out.append("\\f");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            default:
                if (byte < 0x20) {
                    out.append("\\u00");
                    out.push_back(kHex[byte >> 4]);
                    out.push_back(kHex[byte & 0x0F]);
                } else {
                    out.push_back(static_cast<char>(byte));
                }
        }
        ++pos;
    }
    out.push_back('"');
}

void JsonWriter::before_value() {
    if (need_comma_) {
        out_.push_back(',');
    }
    need_comma_ = true;
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    out_.push_back('{');
    need_comma_ = false;
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    out_.push_back('}');
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    before_value();
    out_.push_back('[');
    need_comma_ = false;
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    out_.push_back(']');
    need_comma_ = true;
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    before_value();
    append_json_string(out_, name);
    out_.push_back(':');
    need_comma_ = false;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
    before_value();
    append_json_string(out_, value);
    return *this;
}

JsonWriter& JsonWriter::number(std::int64_t value) {
    before_value();
    fmt::format_to(std::back_inserter(out_), "{}", value);
    return *this;
}

JsonWriter& JsonWriter::number(std::uint64_t value) {
    before_value();
    fmt::format_to(std::back_inserter(out_), "{}", value);
    return *this;
}

JsonWriter& JsonWriter::number(double value) {
    if (!std::isfinite(value)) {
        return null();
    }
    before_value();
    // Shortest representation that round-trips; always valid JSON for finite values.
    fmt::format_to(std::back_inserter(out_), "{}", value);
    return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
    before_value();
    out_.append(value ? "true" : "false");
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    out_.append("null");
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    before_value();
    out_.append(json);
    return *this;
}

JsonWriter& JsonWriter::member(std::string_view name, const std::optional<std::string>& value) {
    key(name);
    return value ? string(*value) : null();
}

JsonWriter& JsonWriter::member(std::string_view name, const std::optional<std::int64_t>& value) {
    key(name);
    return value ? number(*value) : null();
}

JsonWriter& JsonWriter::member(std::string_view name, const std::optional<std::uint64_t>& value) {
    key(name);
    return value ? number(*value) : null();
}

JsonWriter& JsonWriter::member(std::string_view name, const std::optional<double>& value) {
    key(name);
    return value ? number(*value) : null();
}

}  // namespace outpost::json

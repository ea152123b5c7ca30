#pragma once
// A small streaming JSON writer: the only way this project produces JSON text.
// Strings are escaped per RFC 8259 and ill-formed UTF-8 becomes U+FFFD, so the
// output is always valid UTF-8 JSON whatever bytes the caller passes in.
// Structure (matching begin/end, key before each object member) is the
// caller's job; the writer only places commas and colons.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace outpost::json {

class JsonWriter {
  public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);

    JsonWriter& string(std::string_view value);
    JsonWriter& number(std::int64_t value);
    JsonWriter& number(std::uint64_t value);
    JsonWriter& number(int value) { return number(static_cast<std::int64_t>(value)); }
    JsonWriter& number(double value);  // NaN and infinities are written as null
    JsonWriter& boolean(bool value);
    JsonWriter& null();

    // Pre-serialized JSON (e.g. a config object kept as text); not validated.
    JsonWriter& raw(std::string_view json);

    // Convenience: key + value; nullopt writes null.
    JsonWriter& member(std::string_view name, std::string_view value) {
        return key(name).string(value);
    }
    JsonWriter& member(std::string_view name, const char* value) { return key(name).string(value); }
    JsonWriter& member(std::string_view name, const std::string& value) {
        return key(name).string(value);
    }
    JsonWriter& member(std::string_view name, std::int64_t value) {
        return key(name).number(value);
    }
    JsonWriter& member(std::string_view name, std::uint64_t value) {
        return key(name).number(value);
    }
    JsonWriter& member(std::string_view name, int value) { return key(name).number(value); }
    JsonWriter& member(std::string_view name, double value) { return key(name).number(value); }
    JsonWriter& member(std::string_view name, bool value) { return key(name).boolean(value); }
    JsonWriter& member(std::string_view name, const std::optional<std::string>& value);
    JsonWriter& member(std::string_view name, const std::optional<std::int64_t>& value);
    JsonWriter& member(std::string_view name, const std::optional<std::uint64_t>& value);
    JsonWriter& member(std::string_view name, const std::optional<double>& value);

    [[nodiscard]] const std::string& str() const& { return out_; }
    [[nodiscard]] std::string take() && { return std::move(out_); }
    void reserve(std::size_t bytes) { out_.reserve(bytes); }

  private:
    void before_value();

    std::string out_;
    bool need_comma_ = false;
};

// Appends `value` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view value);

// The longest prefix of `value`, ending between two characters (or ill-formed
// subparts), whose escaped form — what append_json_string writes between the
// quotes — takes at most `budget` bytes.
[[nodiscard]] std::size_t json_string_prefix_fitting(std::string_view value, std::size_t budget);

}  // namespace outpost::json

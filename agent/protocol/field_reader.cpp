#include "agent/protocol/field_reader.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "agent/protocol/limits.hpp"

namespace outpost::protocol {
namespace {

using simdjson::dom::element_type;

std::string_view type_name(element_type type) {
    switch (type) {
        case element_type::ARRAY:
            return "an array";
        case element_type::OBJECT:
            return "an object";
        case element_type::INT64:
        case element_type::UINT64:
        case element_type::DOUBLE:
            return "a number";
        case element_type::STRING:
            return "a string";
        case element_type::BOOL:
            return "a boolean";
        case element_type::NULL_VALUE:
            return "null";
    }
    return "unknown";
}

std::string wrong_type(std::string_view wanted, simdjson::dom::element value) {
    return fmt::format("must be {}, not {}", wanted, type_name(value.type()));
}

bool has_nul(std::string_view text) {
    return text.find('\0') != std::string_view::npos;
}

}  // namespace

void append_pointer_token(std::string& pointer, std::string_view token) {
    pointer.push_back('/');
    for (const char c : token) {
        if (c == '~') {
            pointer.append("~0");
        } else if (c == '/') {
            pointer.append("~1");
        } else {
            pointer.push_back(c);
        }
    }
}

bool is_valid_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > limits::kMaxIdLength) {
        return false;
    }
    for (const char c : id) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

FieldReader::FieldReader(simdjson::dom::object object, std::string pointer)
    : object_(object), pointer_(std::move(pointer)) {}

std::string FieldReader::pointer_to(std::string_view key) const {
    std::string pointer = pointer_;
    append_pointer_token(pointer, key);
    return pointer;
}

void FieldReader::fail_at(std::string pointer, std::string message) {
    if (!error_) {
        error_ =
            ProtocolError{ErrorCode::schema, std::move(message), std::move(pointer), std::nullopt};
    }
}

void FieldReader::fail(std::string_view key, std::string message) {
    fail_at(pointer_to(key), std::move(message));
}

std::optional<simdjson::dom::element> FieldReader::find(std::string_view key, bool required) {
    if (error_) {
        return std::nullopt;
    }
    simdjson::dom::element value;
    if (object_.at_key(key).get(value) != simdjson::SUCCESS) {
        if (required) {
            fail(key, "missing required field");
        }
        return std::nullopt;
    }
    return value;
}

std::string FieldReader::string(std::string_view key) {
    const auto value = find(key, true);
    if (!value) {
        return {};
    }
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS) {
        fail(key, wrong_type("a string", *value));
        return {};
    }
    return std::string(text);
}

std::string FieldReader::non_empty_string(std::string_view key) {
    std::string text = string(key);
    if (!failed() && text.empty()) {
        fail(key, "must not be empty");
    }
    return text;
}

std::optional<std::string> FieldReader::optional_string(std::string_view key) {
    const auto value = find(key, false);
    if (!value || value->is_null()) {
        return std::nullopt;
    }
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS) {
        fail(key, wrong_type("a string or null", *value));
        return std::nullopt;
    }
    return std::string(text);
}

std::string FieldReader::c_string(std::string_view key) {
    std::string text = non_empty_string(key);
    if (!failed() && has_nul(text)) {
        fail(key, "must not contain U+0000");
    }
    return text;
}

std::string FieldReader::request_id(std::string_view key) {
    std::string id = string(key);
    if (!failed() && !is_valid_request_id(id)) {
        fail(key, fmt::format("must be 1-{} characters of [A-Za-z0-9._:-]", limits::kMaxIdLength));
    }
    return id;
}

std::string FieldReader::timestamp(std::string_view key) {
    std::string text = string(key);
    if (!failed()) {
        if (auto parsed = parse_rfc3339(text); !parsed) {
            fail(key, parsed.error().message());
        }
    }
    return text;
}

std::optional<TimePoint> FieldReader::optional_time(std::string_view key) {
    const std::optional<std::string> text = optional_string(key);
    if (!text) {
        return std::nullopt;
    }
    auto parsed = parse_rfc3339(*text);
    if (!parsed) {
        fail(key, parsed.error().message());
        return std::nullopt;
    }
    return *parsed;
}

std::optional<std::uint64_t> FieldReader::read_uint(simdjson::dom::element value,
                                                    std::string_view key, std::uint64_t min,
                                                    std::uint64_t max) {
    std::uint64_t number = 0;
    switch (value.type()) {
        case element_type::INT64: {
            const std::int64_t signed_value = value.get_int64().value_unsafe();
            if (signed_value < 0) {
                fail(key, fmt::format("must be between {} and {}", min, max));
                return std::nullopt;
            }
            number = static_cast<std::uint64_t>(signed_value);
            break;
        }
        case element_type::UINT64:
            number = value.get_uint64().value_unsafe();
            break;
        case element_type::DOUBLE:
            fail(key, "must be an integer");
            return std::nullopt;
        default:
            fail(key, wrong_type("an integer", value));
            return std::nullopt;
    }
    if (number < min || number > max) {
        fail(key, fmt::format("must be between {} and {}", min, max));
        return std::nullopt;
    }
    return number;
}

std::uint64_t FieldReader::uint(std::string_view key, std::uint64_t min, std::uint64_t max) {
    const auto value = find(key, true);
    if (!value) {
        return 0;
    }
    return read_uint(*value, key, min, max).value_or(0);
}

std::optional<std::uint64_t> FieldReader::optional_uint(std::string_view key, std::uint64_t min,
                                                        std::uint64_t max) {
    const auto value = find(key, false);
    if (!value || value->is_null()) {
        return std::nullopt;
    }
    return read_uint(*value, key, min, max);
}

std::optional<std::uint64_t> FieldReader::clamped_uint(std::string_view key, std::uint64_t min,
                                                       std::uint64_t max) {
    const auto value = find(key, false);
    if (!value) return std::nullopt;
    switch (value->type()) {
        case element_type::INT64: {
            const std::int64_t v = value->get_int64().value_unsafe();
            return v < 0 ? min : std::clamp(static_cast<std::uint64_t>(v), min, max);
        }
        case element_type::UINT64:
            return std::clamp(value->get_uint64().value_unsafe(), min, max);
        case element_type::DOUBLE: {
            const double v = value->get_double().value_unsafe();
            if (!(v >= static_cast<double>(min))) return min;  // also NaN (not from JSON)
            if (v >= static_cast<double>(max)) return max;
            return std::clamp(static_cast<std::uint64_t>(v), min, max);
        }
        default:
            return std::nullopt;
    }
}

std::optional<std::string> FieldReader::lenient_timestamp(std::string_view key) {
    const auto value = find(key, false);
    std::string_view text;
    if (!value || value->get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
    if (!parse_rfc3339(text)) return std::nullopt;
    return std::string(text);
}

bool FieldReader::boolean(std::string_view key) {
    const auto value = find(key, true);
    if (!value) {
        return false;
    }
    bool flag = false;
    if (value->get_bool().get(flag) != simdjson::SUCCESS) {
        fail(key, wrong_type("a boolean", *value));
    }
    return flag;
}

std::optional<bool> FieldReader::optional_boolean(std::string_view key) {
    const auto value = find(key, false);
    if (!value || value->is_null()) {
        return std::nullopt;
    }
    bool flag = false;
    if (value->get_bool().get(flag) != simdjson::SUCCESS) {
        fail(key, wrong_type("a boolean or null", *value));
        return std::nullopt;
    }
    return flag;
}

std::vector<std::string> FieldReader::c_string_array(std::string_view key) {
    const auto value = find(key, true);
    if (!value) {
        return {};
    }
    simdjson::dom::array array;
    if (value->get_array().get(array) != simdjson::SUCCESS) {
        fail(key, wrong_type("an array of strings", *value));
        return {};
    }
    std::vector<std::string> items;
    items.reserve(array.size());
    std::size_t index = 0;
    for (const simdjson::dom::element item : array) {
        std::string_view text;
        if (item.get_string().get(text) != simdjson::SUCCESS) {
            fail_at(fmt::format("{}/{}", pointer_to(key), index), wrong_type("a string", item));
            return {};
        }
        if (has_nul(text)) {
            fail_at(fmt::format("{}/{}", pointer_to(key), index), "must not contain U+0000");
            return {};
        }
        items.emplace_back(text);
        ++index;
    }
    return items;
}

std::map<std::string, std::string> FieldReader::optional_c_string_map(std::string_view key) {
    const auto value = find(key, false);
    if (!value || value->is_null()) {
        return {};
    }
    simdjson::dom::object map_object;
    if (value->get_object().get(map_object) != simdjson::SUCCESS) {
        fail(key, wrong_type("an object of strings", *value));
        return {};
    }
    std::map<std::string, std::string> result;
    for (const auto field : map_object) {
        std::string member_pointer = pointer_to(key);
        append_pointer_token(member_pointer, field.key);
        std::string_view text;
        if (field.value.get_string().get(text) != simdjson::SUCCESS) {
            fail_at(std::move(member_pointer), wrong_type("a string", field.value));
            return {};
        }
        if (field.key.empty() || has_nul(field.key) ||
            field.key.find('=') != std::string_view::npos) {
            fail_at(std::move(member_pointer), "name must be non-empty without '=' or U+0000");
            return {};
        }
        if (has_nul(text)) {
            fail_at(std::move(member_pointer), "must not contain U+0000");
            return {};
        }
        result.emplace(field.key, text);
    }
    return result;
}

std::string FieldReader::object_json(std::string_view key) {
    const auto value = find(key, true);
    if (!value) {
        return {};
    }
    if (!value->is_object()) {
        fail(key, wrong_type("an object", *value));
        return {};
    }
    return simdjson::minify(*value);
}

}  // namespace outpost::protocol

#include "event.hpp"

#include <simdjson.h>

namespace outpost::integration {
namespace {

simdjson::dom::parser& shared_parser() {
    static simdjson::dom::parser parser;
    return parser;
}

// The element at `pointer` ("" = the root), parsed afresh: the element is
// valid until the next lookup.
std::optional<simdjson::dom::element> lookup(const std::string& line, std::string_view pointer) {
    simdjson::dom::element root;
    if (shared_parser().parse(line).get(root) != simdjson::SUCCESS) return std::nullopt;
    if (pointer.empty()) return root;
    simdjson::dom::element value;
    if (root.at_pointer(pointer).get(value) != simdjson::SUCCESS) return std::nullopt;
    return value;
}

}  // namespace

Event::Event(std::string line, Clock::time_point at, std::size_t index)
    : line_(std::move(line)), at_(at), index_(index) {
    valid_ = lookup(line_, "").has_value();
}

bool Event::is_message(std::string_view type) const {
    return is("message") && str("/type") == type;
}

bool Event::is_sent(std::string_view type) const {
    return is("sent") && str("/type") == type;
}

std::optional<std::string> Event::str(std::string_view pointer) const {
    auto e = lookup(line_, pointer);
    std::string_view s;
    if (!e || e->get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
    return std::string(s);
}

std::optional<std::int64_t> Event::num(std::string_view pointer) const {
    auto e = lookup(line_, pointer);
    std::int64_t i = 0;
    if (!e || e->get_int64().get(i) != simdjson::SUCCESS) return std::nullopt;
    return i;
}

std::optional<bool> Event::boolean(std::string_view pointer) const {
    auto e = lookup(line_, pointer);
    bool b = false;
    if (!e || e->get_bool().get(b) != simdjson::SUCCESS) return std::nullopt;
    return b;
}

bool Event::is_null(std::string_view pointer) const {
    auto e = lookup(line_, pointer);
    return e && e->is_null();
}

bool Event::has(std::string_view pointer) const {
    return lookup(line_, pointer).has_value();
}

std::optional<std::vector<std::string>> Event::strings(std::string_view pointer) const {
    auto e = lookup(line_, pointer);
    simdjson::dom::array array;
    if (!e || e->get_array().get(array) != simdjson::SUCCESS) return std::nullopt;
    std::vector<std::string> out;
    for (auto item : array) {
        std::string_view s;
        if (item.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
    }
    return out;
}

}  // namespace outpost::integration

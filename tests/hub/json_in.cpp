#include "json_in.hpp"

#include <cmath>

namespace outpost::hub {

std::optional<JsonDoc> JsonDoc::parse(std::string_view text) {
    JsonDoc doc;
    doc.parser_ = std::make_unique<simdjson::dom::parser>();
    simdjson::padded_string padded(text);
    if (doc.parser_->parse(padded).get(doc.root_) != simdjson::SUCCESS) return std::nullopt;
    return doc;
}

std::optional<simdjson::dom::element> get_field(simdjson::dom::element obj, std::string_view key) {
    simdjson::dom::object o;
    if (obj.get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
    simdjson::dom::element value;
    if (o.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
    return value;
}

std::optional<std::string_view> get_str(simdjson::dom::element obj, std::string_view key) {
    auto field = get_field(obj, key);
    std::string_view s;
    if (!field || field->get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
    return s;
}

std::optional<int64_t> get_int(simdjson::dom::element obj, std::string_view key) {
    auto field = get_field(obj, key);
    if (!field) return std::nullopt;
    int64_t i = 0;
    if (field->get_int64().get(i) == simdjson::SUCCESS) return i;
    double d = 0;
    if (field->get_double().get(d) == simdjson::SUCCESS && std::isfinite(d) && std::trunc(d) == d &&
        std::fabs(d) < 9.0e15) {
        return static_cast<int64_t>(d);
    }
    return std::nullopt;
}

}  // namespace outpost::hub

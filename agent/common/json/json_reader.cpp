#include "agent/common/json/json_reader.hpp"

#include <utility>

namespace outpost::json {

using simdjson::SUCCESS;
using simdjson::dom::element_type;

std::string_view kind_name(Kind kind) {
    switch (kind) {
        case Kind::object:
            return "an object";
        case Kind::array:
            return "an array";
        case Kind::string:
            return "a string";
        case Kind::number:
            return "a number";
        case Kind::boolean:
            return "a boolean";
        case Kind::null:
            return "null";
    }
    return "something else";
}

Kind Value::kind() const {
    switch (element_.type()) {
        case element_type::OBJECT:
            return Kind::object;
        case element_type::ARRAY:
            return Kind::array;
        case element_type::STRING:
            return Kind::string;
        case element_type::INT64:
        case element_type::UINT64:
        case element_type::DOUBLE:
            return Kind::number;
        case element_type::BOOL:
            return Kind::boolean;
        case element_type::NULL_VALUE:
            return Kind::null;
    }
    return Kind::null;
}

bool Value::is_int64() const {
    return element_.type() == element_type::INT64;
}

std::optional<std::string_view> Value::string() const {
    std::string_view text;
    if (element_.get_string().get(text) != SUCCESS) return std::nullopt;
    return text;
}

std::optional<std::int64_t> Value::int64() const {
    std::int64_t n = 0;
    if (element_.get_int64().get(n) != SUCCESS) return std::nullopt;
    return n;
}

std::optional<std::uint64_t> Value::uint64() const {
    std::uint64_t n = 0;
    if (element_.get_uint64().get(n) != SUCCESS) return std::nullopt;
    return n;
}

std::optional<double> Value::number() const {
    double n = 0;
    if (element_.get_double().get(n) != SUCCESS) return std::nullopt;
    return n;
}

std::optional<bool> Value::boolean() const {
    bool b = false;
    if (element_.get_bool().get(b) != SUCCESS) return std::nullopt;
    return b;
}

std::optional<Object> Value::object() const {
    simdjson::dom::object object;
    if (element_.get_object().get(object) != SUCCESS) return std::nullopt;
    return Object(object);
}

std::optional<Array> Value::array() const {
    simdjson::dom::array array;
    if (element_.get_array().get(array) != SUCCESS) return std::nullopt;
    return Array(array);
}

std::string Value::minified() const {
    return simdjson::minify(element_);
}

Object::Member Object::Iterator::operator*() const {
    const auto field = *it_;
    return Member{field.key, Value(field.value)};
}

Object::Iterator& Object::Iterator::operator++() {
    ++it_;
    return *this;
}

std::optional<Value> Object::find(std::string_view key) const {
    simdjson::dom::element value;
    if (object_.at_key(key).get(value) != SUCCESS) return std::nullopt;
    return Value(value);
}

std::size_t Object::size() const {
    return object_.size();
}
Object::Iterator Object::begin() const {
    return Iterator(object_.begin());
}
Object::Iterator Object::end() const {
    return Iterator(object_.end());
}

Value Array::Iterator::operator*() const {
    return Value(*it_);
}

Array::Iterator& Array::Iterator::operator++() {
    ++it_;
    return *this;
}

std::size_t Array::size() const {
    return array_.size();
}
Array::Iterator Array::begin() const {
    return Iterator(array_.begin());
}
Array::Iterator Array::end() const {
    return Iterator(array_.end());
}

Expected<Document> Document::parse(std::string_view text) {
    auto parser = std::make_unique<simdjson::dom::parser>();
    simdjson::dom::element root;
    // parse() copies into a padded buffer of its own when `text` is not padded.
    if (const auto error = parser->parse(text.data(), text.size()).get(root); error != SUCCESS) {
        return fail(ErrorKind::invalid_input, simdjson::error_message(error));
    }
    return Document(std::move(parser), root);
}

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

ObjectReader::ObjectReader(Object object)
    : ObjectReader(object, "", std::make_shared<std::optional<std::string>>()) {}

ObjectReader::ObjectReader(Object object, std::string pointer,
                           std::shared_ptr<std::optional<std::string>> error)
    : object_(object), pointer_(std::move(pointer)), error_(std::move(error)) {}

std::string ObjectReader::pointer_to(std::string_view key) const {
    std::string pointer = pointer_;
    append_pointer_token(pointer, key);
    return pointer;
}

void ObjectReader::fail(std::string_view key, std::string_view why) {
    if (!failed()) *error_ = pointer_to(key) + ": " + std::string(why);
}

std::optional<Value> ObjectReader::find(std::string_view key, bool required) {
    if (failed()) return std::nullopt;
    auto value = object_.find(key);
    if (!value && required) fail(key, "missing");
    return value;
}

std::string ObjectReader::string(std::string_view key) {
    const auto value = find(key);
    if (!value) return {};
    const auto text = value->string();
    if (!text) fail(key, "not a string");
    return std::string(text.value_or(""));
}

std::optional<std::string> ObjectReader::optional_string(std::string_view key) {
    const auto value = find(key, false);
    if (!value || value->is_null()) return std::nullopt;
    const auto text = value->string();
    if (!text) fail(key, "not a string or null");
    return text ? std::optional<std::string>(*text) : std::nullopt;
}

std::uint64_t ObjectReader::uint64(std::string_view key) {
    const auto value = find(key);
    if (!value) return 0;
    const auto n = value->uint64();
    if (!n) fail(key, "not a non-negative integer");
    return n.value_or(0);
}

std::optional<std::int64_t> ObjectReader::optional_int64(std::string_view key) {
    const auto value = find(key, false);
    if (!value || value->is_null()) return std::nullopt;
    const auto n = value->int64();
    if (!n) fail(key, "not an integer or null");
    return n;
}

std::optional<Array> ObjectReader::array(std::string_view key) {
    const auto value = find(key);
    if (!value) return std::nullopt;
    auto items = value->array();
    if (!items) fail(key, "not an array");
    return items;
}

std::vector<std::string> ObjectReader::strings(std::string_view key) {
    std::vector<std::string> out;
    const auto items = array(key);
    if (!items) return out;
    for (const Value item : *items) {
        const auto text = item.string();
        if (!text) {
            fail(key, "has a member that is not a string");
            return {};
        }
        out.emplace_back(*text);
    }
    return out;
}

std::optional<ObjectReader> ObjectReader::object(std::string_view key, bool required) {
    const auto value = find(key, required);
    if (!value || (!required && value->is_null())) return std::nullopt;
    const auto inner = value->object();
    if (!inner) {
        fail(key, "not an object");
        return std::nullopt;
    }
    return ObjectReader(*inner, pointer_to(key), error_);
}

std::vector<ObjectReader> ObjectReader::objects(std::string_view key) {
    std::vector<ObjectReader> out;
    const auto items = array(key);
    if (!items) return out;
    std::size_t index = 0;
    for (const Value item : *items) {
        const auto inner = item.object();
        if (!inner) {
            fail(key, "has a member that is not an object");
            return {};
        }
        out.push_back(
            ObjectReader(*inner, pointer_to(key) + "/" + std::to_string(index++), error_));
    }
    return out;
}

std::map<std::string, std::string, std::less<>> ObjectReader::string_map(std::string_view key) {
    std::map<std::string, std::string, std::less<>> out;
    auto inner = object(key);
    if (!inner) return out;
    for (const auto [name, value] : inner->object_) {
        const auto text = value.string();
        if (!text) {
            inner->fail(name, "not a string");
            return {};
        }
        out.emplace(std::string(name), std::string(*text));
    }
    return out;
}

std::map<std::string, std::uint64_t, std::less<>> ObjectReader::uint64_map(std::string_view key) {
    std::map<std::string, std::uint64_t, std::less<>> out;
    auto inner = object(key);
    if (!inner) return out;
    for (const auto [name, value] : inner->object_) {
        const auto n = value.uint64();
        if (!n) {
            inner->fail(name, "not a non-negative integer");
            return {};
        }
        out.emplace(std::string(name), *n);
    }
    return out;
}

}  // namespace outpost::json

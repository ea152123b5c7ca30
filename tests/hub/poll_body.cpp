#include "poll_body.hpp"

#include "json_in.hpp"

namespace outpost::hub {

std::expected<PollRequestBody, PollBodyError> parse_poll_request(std::string_view body) {
    auto doc = JsonDoc::parse(body);
    if (!doc) return std::unexpected(PollBodyError{400, "body is not JSON"});
    if (!doc->is_object()) return std::unexpected(PollBodyError{400, "body is not an object"});
    if (auto protocol = get_field(doc->root(), "protocol")) {
        std::string_view name;
        if (protocol->get_string().get(name) != simdjson::SUCCESS) {
            return std::unexpected(PollBodyError{400, "protocol is not a string"});
        }
        if (name != "outpost.v1") {
            return std::unexpected(
                PollBodyError{426, "protocol " + std::string(name) + " is not outpost.v1"});
        }
    }
    auto messages = get_field(doc->root(), "messages");
    simdjson::dom::array list;
    if (!messages || messages->get_array().get(list) != simdjson::SUCCESS) {
        return std::unexpected(PollBodyError{400, "messages is missing or not an array"});
    }
    PollRequestBody out;
    for (auto element : list) {
        if (!element.is_object()) {
            return std::unexpected(PollBodyError{400, "a message is not a JSON object"});
        }
        const auto type = get_str(element, "type").value_or("");
        if (out.messages.empty()) out.starts_period = type == "hello";
        out.types.emplace_back(type);
        out.messages.push_back(simdjson::minify(element));
    }
    return out;
}

std::string render_poll_answer(const std::vector<std::string_view>& messages) {
    size_t size = 16;
    for (auto m : messages) size += m.size() + 1;
    std::string out;
    out.reserve(size);
    out += R"({"messages":[)";
    for (size_t i = 0; i < messages.size(); ++i) {
        if (i > 0) out += ',';
        out += messages[i];
    }
    out += "]}";
    return out;
}

}  // namespace outpost::hub

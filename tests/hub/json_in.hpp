#pragma once
// Reading JSON text (simdjson DOM) behind a few small helpers.

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace outpost::hub {

// One parsed document; views into it stay valid while the JsonDoc lives.
class JsonDoc {
  public:
    // nullopt when `text` is not valid JSON (including invalid UTF-8).
    [[nodiscard]] static std::optional<JsonDoc> parse(std::string_view text);

    [[nodiscard]] simdjson::dom::element root() const { return root_; }
    [[nodiscard]] bool is_object() const { return root_.is_object(); }
    // The document as compact single-line JSON.
    [[nodiscard]] std::string minified() const { return simdjson::minify(root_); }

  private:
    std::unique_ptr<simdjson::dom::parser> parser_;
    simdjson::dom::element root_;
};

[[nodiscard]] std::optional<simdjson::dom::element> get_field(simdjson::dom::element obj,
                                                              std::string_view key);
[[nodiscard]] std::optional<std::string_view> get_str(simdjson::dom::element obj,
                                                      std::string_view key);
// Integers, or numbers with an integral value (JSON has one number type).
[[nodiscard]] std::optional<int64_t> get_int(simdjson::dom::element obj, std::string_view key);

}  // namespace outpost::hub

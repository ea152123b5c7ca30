#include "agent/config/yaml_document.hpp"

#include <exception>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

namespace outpost::config {
namespace {

// Watches the event stream (where aliases are not expanded) for where each
// document starts and for the first explicit tag.
class StreamShape final : public YAML::EventHandler {
  public:
    void OnDocumentStart(const YAML::Mark& mark) override { last_start = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                  const std::string&) override {
        note_tag(mark, tag);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        note_tag(mark, tag);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        note_tag(mark, tag);
    }
    void OnMapEnd() override {}

    YAML::Mark last_start = YAML::Mark::null_mark();
    std::optional<TextRefusal> first_tag;

  private:
    // yaml-cpp gives "?" (plain) or "!" (quoted) for a node without a tag, and
    // resolves the `!!` shorthand to the tag:yaml.org,2002: prefix.
    void note_tag(const YAML::Mark& mark, const std::string& tag) {
        if (first_tag || tag.empty() || tag == "?" || tag == "!") return;
        constexpr std::string_view kCore = "tag:yaml.org,2002:";
        const std::string written = tag.starts_with(kCore) ? "!!" + tag.substr(kCore.size()) : tag;
        first_tag = TextRefusal{
            position_of_mark(mark),
            fmt::format("YAML tags such as `{}` are not supported; write the plain value",
                        written)};
    }
};

// A second document (or content the parser cannot place), or a tag: the
// config is one document of plain maps, lists and scalars.
std::optional<TextRefusal> check_stream(const std::string& text) {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    StreamShape shape;
    const bool one = parser.HandleNextDocument(shape);
    if (shape.first_tag) return shape.first_tag;
    if (!one || !parser.HandleNextDocument(shape)) return std::nullopt;
    if (shape.first_tag) return shape.first_tag;
    const Position where = position_of_mark(shape.last_start);
    return TextRefusal{where.line > 0 ? where : Position{1, 1},
                       "more than one YAML document (`---`), or content outside the "
                       "document (such as a stray `,`); the config is one document"};
}

}  // namespace

Position position_of_mark(const YAML::Mark& mark) {
    if (mark.is_null() || mark.line < 0 || mark.column < 0) {
        return Position{};
    }
    return Position{mark.line + 1, mark.column + 1};
}

std::expected<YAML::Node, TextRefusal> parse_one_document(std::string_view text) {
    const std::string copy(text);
    try {
        if (auto refusal = check_stream(copy)) {
            return std::unexpected(std::move(*refusal));
        }
        return YAML::Load(copy);
    } catch (const YAML::Exception& e) {
        return std::unexpected(TextRefusal{position_of_mark(e.mark), "invalid YAML: " + e.msg});
    } catch (const std::exception& e) {
        return std::unexpected(TextRefusal{Position{}, fmt::format("cannot parse: {}", e.what())});
    }
}

}  // namespace outpost::config

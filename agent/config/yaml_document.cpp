#include "agent/config/yaml_document.hpp"

#include <exception>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

namespace outpost::config {
namespace {

// Ignores every event but the start of a document.
class DocumentStarts final : public YAML::EventHandler {
  public:
    void OnDocumentStart(const YAML::Mark& mark) override { last_start = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}

    YAML::Mark last_start = YAML::Mark::null_mark();
};

// Where a second document (or content the parser cannot place) starts.
std::optional<Position> second_document(const std::string& text) {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentStarts starts;
    if (!parser.HandleNextDocument(starts) || !parser.HandleNextDocument(starts)) {
        return std::nullopt;
    }
    const Position where = position_of_mark(starts.last_start);
    return where.line > 0 ? where : Position{1, 1};
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
        if (auto where = second_document(copy)) {
            return std::unexpected(
                TextRefusal{*where,
                            "more than one YAML document (`---`), or content outside the "
                            "document (such as a stray `,`); the config is one document"});
        }
        return YAML::Load(copy);
    } catch (const YAML::Exception& e) {
        return std::unexpected(TextRefusal{position_of_mark(e.mark), "invalid YAML: " + e.msg});
    } catch (const std::exception& e) {
        return std::unexpected(TextRefusal{Position{}, fmt::format("cannot parse: {}", e.what())});
    }
}

}  // namespace outpost::config

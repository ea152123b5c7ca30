// Renders the documented example config (packaging/agent.yaml) from the
// schema docs. Layout rule the tests rely on: prose comments are `# text` (a
// space after the `#`); optional keys are `#key: example` (the `#` directly
// before the text), so deleting every such `#` yields a config that lists, and
// sets, every key.

#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "agent/config/schema.hpp"

namespace outpost::config {
namespace {

constexpr std::size_t kWidth = 80;

constexpr std::string_view kHeader = R"(# Outpost agent configuration.
#
# Generated from the config schema (outpost::config::render_example_yaml) and
# checked by the tests, so it lists every key the agent knows. `key: value`
# lines show the default (server.url is required: set your own); `#key: value`
# lines are optional keys shown with an example value: remove the `#` to use
# them. A key with no value (`key:`) counts as absent.
#
# Durations: an integer and a unit, one of ms, s, m, h, d (500ms, 30s, 5m, 7d).
# Sizes: bytes as an integer, or an integer and a unit, one of B, KiB, MiB,
# GiB, TiB (512B, 64KiB, 16MiB).
)";

// Writes `text` as `# ` comment lines at `indent`, wrapped at kWidth.
void comment(std::ostream& out, const std::string& indent, std::string_view text,
             std::string_view hanging = "") {
    std::string line;
    bool first = true;
    const auto flush = [&] {
        out << indent << "# " << (first ? "" : hanging) << line << '\n';
        line.clear();
        first = false;
    };
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find(' ', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view word = text.substr(pos, end - pos);
        const std::size_t used = indent.size() + 2 + (first ? 0 : hanging.size());
        if (!line.empty() && used + line.size() + 1 + word.size() > kWidth) {
            flush();
        }
        if (!line.empty()) {
            line += ' ';
        }
        line += word;
        pos = end + 1;
    }
    if (!line.empty()) {
        flush();
    }
}

std::string meta(const KeyDoc& doc) {
    std::string presence;
    switch (doc.presence) {
        case Presence::required:
            presence = "Required";
            break;
        case Presence::defaulted:
            presence = "Default: " + doc.default_value;
            break;
        case Presence::derived:
            presence = "Default: " + doc.default_value;
            break;
        default:
            presence = "Optional";
            break;
    }
    const std::string type =
        doc.constraint.empty() ? doc.type : fmt::format("{}, {}", doc.type, doc.constraint);
    return fmt::format("{}. {}.", presence, type);
}

// The key line: set for required/defaulted keys, commented out otherwise.
std::string key_line(const KeyDoc& doc) {
    switch (doc.presence) {
        case Presence::required:
            return fmt::format("{}: {}", doc.key, doc.example);
        case Presence::defaulted:
            return fmt::format("{}: {}", doc.key, doc.default_value);
        default:
            return fmt::format("#{}: {}", doc.key, doc.example);
    }
}

void render_entries(std::ostream& out, const KeyDoc& doc, const std::string& indent) {
    comment(out, indent, doc.description);
    comment(out, indent, "Optional. A list of maps, each with these keys:");
    for (const auto& child : doc.children) {
        comment(out, indent, fmt::format("- {}: {} {}", child.key, child.description, meta(child)),
                "  ");
    }
    // A list whose entries cannot all hold every key (`logs.sources`: a file
    // or a unit) gives its own example entries, one line each, written as
    // they sit under the key.
    if (!doc.example.empty()) {
        comment(out, indent, "Example entries:");
        out << indent << doc.key << ":\n";
        std::istringstream lines(doc.example);
        for (std::string line; std::getline(lines, line);) {
            out << indent << "  " << line << '\n';
        }
        return;
    }
    comment(out, indent, "Example entry:");
    out << indent << doc.key << ":\n";
    // The `#` goes right before the text (not in place of a space), so
    // deleting it leaves a correctly indented entry.
    bool first = true;
    for (const auto& child : doc.children) {
        const std::string value =
            child.presence == Presence::defaulted ? child.default_value : child.example;
        out << indent << (first ? "  #- " : "    #") << child.key << ": " << value << '\n';
        first = false;
    }
}

void render_keys(std::ostream& out, const std::vector<KeyDoc>& docs, const std::string& indent) {
    bool first = true;
    for (const auto& doc : docs) {
        if (!first) {
            out << '\n';
        }
        first = false;
        if (doc.presence == Presence::entries) {
            render_entries(out, doc, indent);
            continue;
        }
        if (doc.presence == Presence::section) {  // a section in a section (collectors.disks)
            comment(out, indent, doc.description);
            out << indent << doc.key << ":\n";
            render_keys(out, doc.children, indent + "  ");
            continue;
        }
        comment(out, indent, doc.description);
        comment(out, indent, meta(doc));
        out << indent << key_line(doc) << '\n';
    }
}

}  // namespace

std::string render_example_yaml() {
    std::ostringstream out;
    out << kHeader;
    for (const auto& section : schema_docs()) {
        out << '\n';
        if (section.presence == Presence::entries) {  // a top-level list (`alerts`)
            render_entries(out, section, "");
            continue;
        }
        comment(out, "", section.description);
        out << section.key << ":\n";
        render_keys(out, section.children, "  ");
    }
    return out.str();
}

}  // namespace outpost::config

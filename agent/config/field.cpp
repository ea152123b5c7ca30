#include "agent/config/field.hpp"

#include <string_view>

#include "agent/config/suggest.hpp"
#include "agent/config/yaml_document.hpp"

namespace outpost::config {
namespace {

std::string_view leaf_of(std::string_view path) {
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// A suggestion for `path`: a sibling a typo away; then, outside list entries,
// the same key in another section or a full path a typo away; then a sibling
// sharing a prefix.
std::optional<std::string> suggest(const std::string& path,
                                   const std::vector<std::string>& sibling_names) {
    const std::string_view leaf = leaf_of(path);
    const std::string_view parent = std::string_view(path).substr(0, path.size() - leaf.size());
    const auto in_parent = [&parent](const std::string& name) {
        return std::string(parent) + name;
    };
    if (auto near = nearest_by_edits(leaf, sibling_names)) {
        return in_parent(*near);
    }
    if (path.find('[') == std::string::npos) {
        static const std::vector<std::string> all_paths = [] {
            std::vector<std::string> paths;
            for (auto& candidate : all_key_paths()) {
                if (candidate.find('[') == std::string::npos) {
                    paths.push_back(std::move(candidate));
                }
            }
            return paths;
        }();
        for (const auto& candidate : all_paths) {
            if (leaf_of(candidate) == leaf) {
                return candidate;  // the right key in the wrong section
            }
        }
        if (auto near = nearest_by_edits(path, all_paths)) {
            return near;
        }
    }
    if (auto near = closest_match(leaf, sibling_names)) {
        return in_parent(*near);
    }
    return std::nullopt;
}

}  // namespace

Position position_of(const YAML::Node& node) {
    return position_of_mark(node.Mark());
}

std::string describe_kind(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return "nothing";
        case YAML::NodeType::Scalar:
            return "the value " + quote_found(node.Scalar());
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a map";
    }
    return "something else";
}

void Context::error(const YAML::Node& at, std::string message) const {
    Position position = position_of(at);
    if (position.line == 0) {
        position = where;
    }
    sink->add(position, path, std::move(message));
}

void report_unknown_key(const Context& parent, Position at, const std::string& path,
                        const std::vector<std::string>& sibling_names) {
    if (parent.sink->full()) {
        parent.sink->add(at, path, "unknown key");  // counted only; skip the search
        return;
    }
    if (auto near = suggest(path, sibling_names)) {
        parent.sink->add(at, path, fmt::format("unknown key; did you mean `{}`?", *near));
        return;
    }
    parent.sink->add(at, path,
                     fmt::format("unknown key (allowed here: {})", fmt::join(sibling_names, ", ")));
}

}  // namespace outpost::config

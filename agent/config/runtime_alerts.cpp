#include "agent/config/runtime_alerts.hpp"

#include <algorithm>
#include <exception>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "agent/config/field.hpp"
#include "agent/config/issues.hpp"
#include "agent/config/tables.hpp"
#include "agent/config/value_parsers.hpp"

namespace outpost::config {
namespace {

// Deeper than a rule list can be: an object nested past this is refused
// rather than recursed into.
constexpr int kMaxDepth = 4;

// The JSON as the YAML the file would hold: strings and numbers become
// scalars with their text, so the schema's converters read them as in the file.
std::optional<YAML::Node> to_yaml(const json::Value& value, int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    switch (value.kind()) {
        case json::Kind::string:
            return YAML::Node(std::string(*value.string()));
        case json::Kind::number:
            return YAML::Node(value.minified());
        case json::Kind::boolean:
            return YAML::Node(*value.boolean() ? "true" : "false");
        case json::Kind::null:
            return YAML::Node(YAML::NodeType::Null);
        case json::Kind::array: {
            YAML::Node list(YAML::NodeType::Sequence);
            const auto array = value.array();  // named: a range-for keeps no temporary alive
            for (const auto item : *array) {
                auto node = to_yaml(item, depth + 1);
                if (!node) return std::nullopt;
                list.push_back(*node);
            }
            return list;
        }
        case json::Kind::object: {
            YAML::Node map(YAML::NodeType::Map);
            const auto object = value.object();
            for (const auto member : *object) {
                const std::string key(member.key);
                if (map[key].IsDefined()) return std::nullopt;  // duplicate: refused below
                auto node = to_yaml(member.value, depth + 1);
                if (!node) return std::nullopt;
                map[key] = *node;
            }
            return map;
        }
    }
    return std::nullopt;
}

std::string_view operator_text(AlertOperator op) {
    switch (op) {
        case AlertOperator::greater:
            return ">";
        case AlertOperator::greater_or_equal:
            return ">=";
        case AlertOperator::less:
            return "<";
        case AlertOperator::less_or_equal:
            return "<=";
    }
    return ">";
}

}  // namespace

std::optional<AlertsConfig> parse_runtime_alerts(const json::Value& value,
                                                 const std::function<void(std::string)>& problem) {
    if (!value.array()) {
        problem(fmt::format("`alerts`: expected a list of rules, found {}",
                            json::kind_name(value.kind())));
        return std::nullopt;
    }
    const auto node = to_yaml(value, 0);
    if (!node) {
        problem("`alerts`: nested too deeply or a duplicate key");
        return std::nullopt;
    }
    const auto& table = root_table();
    const auto row = std::ranges::find_if(
        table, [](const Field<Config>& field) { return field.doc.key == "alerts"; });
    if (row == table.end()) {
        problem("`alerts`: not in the config schema");
        return std::nullopt;
    }
    Config scratch{};
    IssueSink sink("config_update");
    try {
        row->load(*node, scratch, Context{&sink, "alerts", Position{}});
    } catch (const std::exception& e) {
        problem(fmt::format("`alerts`: cannot load: {}", e.what()));
        return std::nullopt;
    }
    auto issues = sink.take();
    if (!issues.empty()) {
        for (const auto& issue : issues) {
            problem(fmt::format("{}: {}", quote_found(issue.key_path), issue.message));
        }
        return std::nullopt;
    }
    scratch.alerts.builtin = false;
    return scratch.alerts;
}

void write_runtime_alerts(json::JsonWriter& out, const AlertsConfig& alerts) {
    out.key("alerts").begin_array();
    for (const auto& rule : alerts.rules) {
        out.begin_object()
            .member("name", rule.name)
            .member("metric", rule.metric)
            .member("operator", operator_text(rule.op))
            .member("threshold", fmt::format("{}", rule.threshold))
            .member("for", format_duration(rule.for_duration))
            .member("severity", protocol::outbound::to_string(rule.severity));
        if (rule.clear) out.member("clear", fmt::format("{}", *rule.clear));
        if (rule.message) out.member("message", *rule.message);
        out.end_object();
    }
    out.end_array();
}

}  // namespace outpost::config

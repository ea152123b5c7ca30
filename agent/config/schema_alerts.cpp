// The `alerts` list (docs/configuration.md, "alerts"): one table row per
// key of a rule, plus what relates a rule's keys (the clear threshold's side,
// unique names). Absent, the list is the original design's rules; an empty
// list turns alerting off. config_update's `alerts` loads through this same
// row (runtime_overrides.cpp), so the control plane's rules are checked
// exactly as the file's.

#include <charconv>
#include <cmath>
#include <memory>
#include <set>

#include "agent/alerts/message_template.hpp"
#include "agent/alerts/metric_path.hpp"
#include "agent/config/tables.hpp"

namespace outpost::config {
namespace {

using namespace std::chrono_literals;

Converter<double> number() {
    return {"number", "finite", "a number (e.g. 90 or 0.5)",
            [](std::string_view text) -> Expected<double> {
                double value = 0;
                const auto* end = text.data() + text.size();
                const auto [stop, error] = std::from_chars(text.data(), end, value);
                if (error != std::errc{} || stop != end) return fail("not a number");
                if (!std::isfinite(value)) return fail("not a finite number");
                return value;
            }};
}

Converter<std::string> metric_path() {
    return {"metric path", "", "a metric path (e.g. system.disks[*].used_percent)",
            [](std::string_view text) -> Expected<std::string> {
                auto checked = alerts::check_metric_path(text);
                if (!checked) return std::unexpected(std::move(checked.error()));
                return std::string(text);
            }};
}

Converter<std::string> message_template() {
    auto text = free_text(1, alerts::kMaxMessageBytes);
    return {"template", text.constraint,
            "a message of 1 to 512 bytes with {rule}, {metric}, {subject}, {value}, {threshold}",
            [length = text.convert](std::string_view message) -> Expected<std::string> {
                auto checked = length(message);
                if (!checked) return checked;
                if (auto ok = alerts::check_message_template(message); !ok) {
                    return std::unexpected(std::move(ok.error()));
                }
                return checked;
            }};
}

std::vector<Field<AlertRule>> rule_table() {
    using R = AlertRule;
    return {
        key("name", &R::name, name_token("._-", 64), required("disk_full"),
            "Unique name; the `rule` of the rule's alert messages."),
        key("metric", &R::metric, metric_path(), required("system.disks[*].used_percent"),
            "What to watch: a metric path into the telemetry sample."),
        key("operator", &R::op,
            one_of<AlertOperator>({{">", AlertOperator::greater},
                                   {">=", AlertOperator::greater_or_equal},
                                   {"<", AlertOperator::less},
                                   {"<=", AlertOperator::less_or_equal}}),
            required("\">\""), "How the value compares to the threshold when the rule holds."),
        key("threshold", &R::threshold, number(), required("80"), "The threshold."),
        key("for", &R::for_duration, duration_in(0s, 7 * 24h), defaults_to("0s"),
            "How long the condition must hold before the alert fires."),
        key("severity", &R::severity,
            one_of<AlertSeverity>({{"critical", AlertSeverity::critical},
                                   {"warning", AlertSeverity::warning},
                                   {"info", AlertSeverity::info}}),
            defaults_to("warning"), "A firing critical alert makes the node `degraded`."),
        key("clear", &R::clear, number(), derived("same as threshold", "75"),
            "A firing alert resolves only once the value is past this (hysteresis)."),
        key("message", &R::message, message_template(),
            derived("{rule}: {metric}{subject} is {value} (threshold {threshold})",
                    "\"Disk{subject} is {value}% full\""),
            "Alert text; {rule} {metric} {subject} {value} {threshold} are filled in."),
    };
}

// The original design's rules (docs/configuration.md lists them).
std::vector<AlertRule> builtin_rules() {
    return {
        AlertRule{.name = "cpu_high",
                  .metric = "system.cpu.usage_percent",
                  .op = AlertOperator::greater,
                  .threshold = 90,
                  .for_duration = 5min,
                  .severity = AlertSeverity::critical,
                  .clear = 80,
                  .message = std::nullopt},
        AlertRule{.name = "disk_full",
                  .metric = "system.disks[*].used_percent",
                  .op = AlertOperator::greater,
                  .threshold = 80,
                  .for_duration = 0s,
                  .severity = AlertSeverity::warning,
                  .clear = 75,
                  .message = std::nullopt},
        AlertRule{.name = "memory_high",
                  .metric = "system.memory.used_percent",
                  .op = AlertOperator::greater,
                  .threshold = 90,
                  .for_duration = 1min,
                  .severity = AlertSeverity::warning,
                  .clear = 85,
                  .message = std::nullopt},
    };
}

// A rule resolves once its value is past `clear`, so `clear` must not be on
// the firing side of the threshold: with `>`, clear <= threshold.
void check_clear(const AlertRule& rule, const YAML::Node& item, const Context& ctx) {
    if (!rule.clear) return;
    for (const char* input : {".operator", ".threshold", ".clear"}) {
        if (ctx.sink->has_issue_under(ctx.path + input)) return;  // already said what is wrong
    }
    const bool above =
        rule.op == AlertOperator::greater || rule.op == AlertOperator::greater_or_equal;
    if (above ? *rule.clear <= rule.threshold : *rule.clear >= rule.threshold) return;
    ctx.child(ctx.path + ".clear", ctx.where)
        .error(
            item["clear"],
            fmt::format("clear ({}) must be {} the threshold ({}) for operator "
                        "`{}`: an alert resolves on the other side",
                        alerts::format_number(*rule.clear), above ? "at or below" : "at or above",
                        alerts::format_number(rule.threshold), above ? ">" : "<"));
}

// A rule's issues name it: `alerts[disk_full].threshold` when the item has
// a usable name, `alerts[2].threshold` (0-based) when it has none.
std::string item_path(const Context& ctx, const YAML::Node& item, std::size_t index) {
    const YAML::Node name = item.IsMap() ? item["name"] : YAML::Node();
    if (name.IsDefined() && name.IsScalar() && name_token("._-", 64).convert(name.Scalar())) {
        return fmt::format("{}[{}]", ctx.path, name.Scalar());
    }
    return fmt::format("{}[{}]", ctx.path, index);
}

void load_rules(const YAML::Node& node, const std::vector<Field<AlertRule>>& table,
                AlertsConfig& into, const Context& ctx) {
    if (!node.IsDefined() || node.IsNull()) {
        into = AlertsConfig{builtin_rules(), true};
        return;
    }
    if (!node.IsSequence()) {
        ctx.error(node, fmt::format("expected a list of maps, found {}", describe_kind(node)));
        return;
    }
    into = AlertsConfig{};
    std::set<std::string> names;
    std::size_t index = 0;
    for (const auto& item : node) {
        const auto path = item_path(ctx, item, index++);
        const Position at = position_of(item);
        const auto item_ctx = ctx.child(path, at.line > 0 ? at : ctx.where);
        ctx.sink->record(path, item_ctx.where);
        if (!item.IsMap()) {
            item_ctx.error(item,
                           fmt::format("expected a map of keys, found {}", describe_kind(item)));
            continue;
        }
        AlertRule rule{};
        apply_table(item, table, rule, item_ctx);
        check_clear(rule, item, item_ctx);
        if (!rule.name.empty() && !names.insert(rule.name).second) {
            item_ctx.child(path + ".name", item_ctx.where)
                .error(item["name"], fmt::format("a rule named `{}` is given twice", rule.name));
        }
        into.rules.push_back(std::move(rule));
    }
}

}  // namespace

Field<Config> alerts_row() {
    auto table = std::make_shared<const std::vector<Field<AlertRule>>>(rule_table());
    KeyDoc doc{"alerts",
               "list of maps",
               "",
               Presence::entries,
               "",
               "",
               "Alert rules. Without this key: cpu_high, disk_full and memory_high (see "
               "docs/configuration.md); `alerts: []` turns alerting off. Changeable at runtime.",
               docs_of(*table)};
    return Field<Config>{std::move(doc), "a list of maps",
                         [table](const YAML::Node& node, Config& target, const Context& ctx) {
                             load_rules(node, *table, target.alerts, ctx);
                         }};
}

}  // namespace outpost::config

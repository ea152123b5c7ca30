#include "agent/alerts/metric_resolve.hpp"

#include <array>

#include <fmt/format.h>

#include "agent/common/json/json_writer.hpp"
#include "agent/protocol/telemetry_encoder.hpp"

namespace outpost::alerts {
namespace {

// The members that name a list item, in the order they are tried: a disk
// by its mount, a network interface by name, a container or process by name.
constexpr std::array<std::string_view, 5> kIdentifyingMembers{"mount", "interface", "name", "id",
                                                              "pid"};

// A member's value as selector text: strings as they are, integers in
// decimal; anything else cannot be selected on.
std::optional<std::string> selector_text(const json::Value& value) {
    if (auto text = value.string()) return std::string(*text);
    if (auto number = value.int64()) return std::to_string(*number);
    return std::nullopt;
}

std::string identify(const json::Value& item, std::size_t index) {
    if (auto object = item.object()) {
        for (const auto name : kIdentifyingMembers) {
            if (auto member = object->find(name)) {
                if (auto text = selector_text(*member)) return fmt::format("{}={}", name, *text);
            }
        }
    }
    return fmt::format("[{}]", index);
}

std::string joined(const std::string& subject, const std::string& part) {
    return subject.empty() ? part : subject + ", " + part;
}

// An item whose collector says it could not be read (a disk's `error`):
// its numbers are zeros, not readings.
bool item_failed(const json::Value& item) {
    const auto object = item.object();
    if (!object) return false;
    const auto error = object->find("error");
    return error && !error->is_null();
}

class Resolver {
  public:
    Resolver(const MetricPath& path, std::vector<Reading>& out) : steps_(path.steps), out_(out) {}

    void step(const json::Value& at, std::size_t index, const std::string& subject, bool failed) {
        const auto object = at.object();
        const auto member = object ? object->find(steps_[index].member) : std::nullopt;
        if (!member || member->is_null()) return gap(index, subject);
        if (!steps_[index].selector) return next(*member, index, subject, failed);
        const auto list = member->array();
        if (!list) return gap(index, subject);
        const Selector& selector = *steps_[index].selector;
        std::size_t position = 0;
        for (const auto item : *list) {
            if (selector.kind == Selector::Kind::every) {
                next(item, index, joined(subject, identify(item, position)), failed);
            } else if (matches(item, selector)) {
                return next(item, index, joined(subject, match_subject(selector)), failed);
            }
            ++position;
        }
        if (selector.kind == Selector::Kind::match) gap(index, subject);
    }

  private:
    static std::string match_subject(const Selector& selector) {
        return fmt::format("{}={}", selector.key, selector.value);
    }

    static bool matches(const json::Value& item, const Selector& selector) {
        const auto object = item.object();
        if (!object) return false;
        const auto member = object->find(selector.key);
        if (!member) return false;
        const auto text = selector_text(*member);
        return text && *text == selector.value;
    }

    // `value` is what step `index` selected: the reading, or the next step's input.
    void next(const json::Value& value, std::size_t index, const std::string& subject,
              bool failed) {
        failed = failed || item_failed(value);
        if (index + 1 < steps_.size()) return step(value, index + 1, subject, failed);
        const auto number = value.number();
        out_.push_back(Reading{subject, failed ? std::nullopt : number});
    }

    // Nothing at step `index`: a gap for the one subject the rest of the path
    // names, or no reading when a wildcard follows (its subjects are unknown).
    void gap(std::size_t index, std::string subject) {
        for (std::size_t i = index; i < steps_.size(); ++i) {
            if (!steps_[i].selector) continue;
            if (steps_[i].selector->kind == Selector::Kind::every) return;
            subject = joined(subject, match_subject(*steps_[i].selector));
        }
        out_.push_back(Reading{std::move(subject), std::nullopt});
    }

    const std::vector<PathStep>& steps_;
    std::vector<Reading>& out_;
};

std::string member_names(const json::Object& object) {
    std::string names;
    for (const auto member : object) {
        if (!names.empty()) names += ", ";
        names += member.key;
    }
    return names;
}

std::string prefix_of(const MetricPath& path, std::size_t steps) {
    std::string prefix;
    for (std::size_t i = 0; i < steps; ++i) {
        if (!prefix.empty()) prefix += '.';
        prefix += path.steps[i].member;
    }
    return prefix.empty() ? "the sample" : "`" + prefix + "`";
}

}  // namespace

Expected<EncodedSample> EncodedSample::of(const protocol::outbound::Telemetry& sample) {
    json::JsonWriter out;
    protocol::write_telemetry(out, sample);
    auto document = json::Document::parse(std::move(out).take());
    if (!document) return std::unexpected(document.error().context("encoded sample"));
    return EncodedSample(std::move(*document));
}

std::vector<Reading> resolve(const MetricPath& path, const json::Value& root) {
    std::vector<Reading> out;
    if (path.steps.empty()) return out;
    Resolver(path, out).step(root, 0, "", false);
    return out;
}

std::string shape_problem(const MetricPath& path, const json::Value& root) {
    json::Value at = root;
    for (std::size_t i = 0; i < path.steps.size(); ++i) {
        const PathStep& step = path.steps[i];
        const auto object = at.object();
        if (!object) return fmt::format("{} is not a section", prefix_of(path, i));
        const auto member = object->find(step.member);
        if (!member) {
            return fmt::format("{} has no field `{}` (it has: {})", prefix_of(path, i), step.member,
                               member_names(*object));
        }
        at = *member;
        if (!step.selector) continue;
        const auto list = at.array();
        if (!list) return fmt::format("{} is not a list: no selector", prefix_of(path, i + 1));
        const auto first = list->begin();
        if (!(first != list->end())) return "";  // a list of nothing: nothing to check
        at = *first;
        if (step.selector->kind == Selector::Kind::match) {
            const auto item = at.object();
            if (!item || !item->find(step.selector->key)) {
                return fmt::format("the items of {} have no field `{}`{}", prefix_of(path, i + 1),
                                   step.selector->key,
                                   item ? fmt::format(" (they have: {})", member_names(*item))
                                        : std::string(" (they are numbers: use [*])"));
            }
        }
    }
    if (at.kind() != json::Kind::number) {
        return fmt::format("{} is {}, not a number", prefix_of(path, path.steps.size()),
                           json::kind_name(at.kind()));
    }
    return "";
}

}  // namespace outpost::alerts

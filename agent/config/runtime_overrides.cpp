#include "agent/config/runtime_overrides.hpp"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "agent/common/json/json_reader.hpp"
#include "agent/common/json/json_writer.hpp"
#include "agent/config/field.hpp"
#include "agent/config/issues.hpp"
#include "agent/config/runtime_alerts.hpp"
#include "agent/config/tables.hpp"
#include "agent/config/value_parsers.hpp"

namespace outpost::config {
namespace {

// Past this many problems, or this many bytes of them, the rest are only
// counted: the reason goes back in a command_ack, and protocol.max_message_bytes
// may be as small as 4KiB.
constexpr std::size_t kMaxProblems = 10;
constexpr std::size_t kMaxReasonBytes = 1024;

// `text` cut to at most `limit` bytes without splitting a UTF-8 sequence.
std::string cut_utf8(std::string text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
    return text + "…";
}

// One runtime-changeable key: where it lives in Config and in
// RuntimeOverrides, and how its value is written in the file's syntax. Its
// type, range and messages are the schema row's; nothing here validates.
struct RuntimeKey {
    std::string section;
    std::string name;
    std::function<void(const Config&, RuntimeOverrides&)> take;  // from a schema-loaded Config
    std::function<void(const RuntimeOverrides&, Config&)> put;   // set override → Config
    std::function<void(const RuntimeOverrides&, RuntimeOverrides&)> merge;  // set → into
    std::function<std::optional<std::string>(const RuntimeOverrides&)> text;

    [[nodiscard]] std::string path() const { return section + "." + name; }
};

template <class S, class T>
RuntimeKey runtime_key(std::string section, std::string name, S Config::*in_config, T S::*member,
                       std::optional<T> RuntimeOverrides::*slot, std::string (*format)(T)) {
    return RuntimeKey{std::move(section),
                      std::move(name),
                      [=](const Config& config, RuntimeOverrides& into) {
                          into.*slot = (config.*in_config).*member;
                      },
                      [=](const RuntimeOverrides& from, Config& config) {
                          if (from.*slot) (config.*in_config).*member = *(from.*slot);
                      },
                      [=](const RuntimeOverrides& update, RuntimeOverrides& into) {
                          if (update.*slot) into.*slot = update.*slot;
                      },
                      [=](const RuntimeOverrides& from) -> std::optional<std::string> {
                          if (!(from.*slot)) return std::nullopt;
                          return format(*(from.*slot));
                      }};
}

// The schema's spelling of each level (logging.level's one_of); the round
// trip to_json → parse_runtime_overrides is tested for every level.
std::string level_name(LogLevel level) {
    switch (level) {
        case LogLevel::trace:
            return "trace";
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
    }
    return "info";
}

// In schema order, grouped by section (to_json relies on the grouping).
const std::vector<RuntimeKey>& runtime_keys() {
    static const std::vector<RuntimeKey> keys{
        runtime_key("telemetry", "interval", &Config::telemetry, &TelemetryConfig::interval,
                    &RuntimeOverrides::telemetry_interval, &format_duration),
        runtime_key("health", "interval", &Config::health, &HealthConfig::interval,
                    &RuntimeOverrides::health_interval, &format_duration),
        runtime_key("logging", "level", &Config::logging, &LoggingConfig::level,
                    &RuntimeOverrides::logging_level, &level_name),
    };
    return keys;
}

const RuntimeKey* find_runtime_key(std::string_view section, std::string_view name) {
    for (const auto& key : runtime_keys()) {
        if (key.section == section && key.name == name) return &key;
    }
    return nullptr;
}

bool section_has_runtime_keys(std::string_view section) {
    return std::ranges::any_of(runtime_keys(),
                               [&](const RuntimeKey& key) { return key.section == section; });
}

const KeyDoc* find_doc(const std::vector<KeyDoc>& docs, std::string_view name) {
    for (const auto& doc : docs) {
        if (doc.key == name) return &doc;
    }
    return nullptr;
}

std::vector<std::string> names_of(const std::vector<KeyDoc>& docs) {
    std::vector<std::string> names;
    for (const auto& doc : docs) names.push_back(doc.key);
    return names;
}

std::string_view json_kind(const json::Value& value) {
    return json::kind_name(value.kind());
}

// The problems of one update, in document order.
class Problems {
  public:
    void add(std::string problem) {
        if (problems_.empty()) {
            problem = cut_utf8(std::move(problem), kMaxReasonBytes);
        } else if (problems_.size() >= kMaxProblems || bytes_ + problem.size() > kMaxReasonBytes) {
            ++suppressed_;
            return;
        }
        bytes_ += problem.size();
        problems_.push_back(std::move(problem));
    }
    [[nodiscard]] bool empty() const { return problems_.empty(); }
    [[nodiscard]] std::string joined() const {
        std::string out = fmt::format("{}", fmt::join(problems_, "; "));
        if (suppressed_ > 0) out += fmt::format("; {} more problems not shown", suppressed_);
        return out;
    }

  private:
    std::vector<std::string> problems_;
    std::size_t bytes_ = 0;
    std::size_t suppressed_ = 0;
};

// The file loader's unknown-key message (with its did-you-mean), naming the
// key: "unknown key `telemetry.intervall`; did you mean `telemetry.interval`?".
std::string unknown_key(const std::string& path, const std::vector<std::string>& siblings) {
    IssueSink sink("config_update");
    report_unknown_key(Context{&sink, "", Position{}}, Position{}, path, siblings);
    auto issues = sink.take();
    std::string message = issues.empty() ? std::string("unknown key") : issues.front().message;
    constexpr std::string_view kHead = "unknown key";
    if (message.starts_with(kHead)) {
        message.insert(kHead.size(), " " + quote_found(path));
    } else {
        message = quote_found(path) + ": " + message;
    }
    return message;
}

bool is_at_or_under(std::string_view path, std::string_view key) {
    return path == key || (path.starts_with(key) && path.size() > key.size() &&
                           (path[key.size()] == '.' || path[key.size()] == '['));
}

// Loads `given` (the runtime keys of one section, as scalars) through the
// section's schema row into a scratch Config, so every value is converted
// and range-checked exactly as in the file; then copies them into `into`.
void load_section(const std::string& section, const YAML::Node& given,
                  const std::vector<const RuntimeKey*>& keys, RuntimeOverrides& into,
                  Problems& problems) {
    const auto& table = root_table();
    const auto row = std::ranges::find_if(
        table, [&](const Field<Config>& field) { return field.doc.key == section; });
    if (row == table.end()) {  // a runtime key outside the schema: a bug here
        problems.add(fmt::format("{}: not in the config schema", quote_found(section)));
        return;
    }
    Config scratch{};
    IssueSink sink("config_update");
    try {
        row->load(given, scratch, Context{&sink, section, Position{}});
    } catch (const std::exception& e) {
        problems.add(fmt::format("{}: cannot load: {}", quote_found(section), e.what()));
        return;
    }
    // The row also fills the section's other keys with their defaults; only
    // issues about the given keys matter (there should be no others).
    bool failed = false;
    for (const auto& issue : sink.take()) {
        const bool about_given = std::ranges::any_of(keys, [&](const RuntimeKey* key) {
            return is_at_or_under(issue.key_path, key->path());
        });
        if (about_given) {
            problems.add(fmt::format("{}: {}", quote_found(issue.key_path), issue.message));
            failed = true;
        }
    }
    if (failed) return;
    for (const RuntimeKey* key : keys) key->take(scratch, into);
}

void parse_section(const std::string& section, const KeyDoc& doc, const json::Value& value,
                   RuntimeOverrides& into, Problems& problems) {
    const auto object = value.object();
    if (doc.presence != Presence::section || !object) {
        if (doc.presence == Presence::section && section_has_runtime_keys(section)) {
            problems.add(fmt::format("{}: expected a map of keys, found {}", quote_found(section),
                                     json_kind(value)));
        } else {
            problems.add(fmt::format("{} cannot be changed at runtime", quote_found(section)));
        }
        return;
    }
    YAML::Node given(YAML::NodeType::Map);
    std::vector<const RuntimeKey*> keys;
    std::set<std::string, std::less<>> seen;
    for (const auto field : *object) {
        const std::string name(field.key);
        const std::string path = section + "." + name;
        if (!seen.insert(name).second) {
            problems.add(fmt::format("{}: duplicate key", quote_found(path)));
            continue;
        }
        const KeyDoc* child = find_doc(doc.children, name);
        if (child == nullptr) {
            problems.add(unknown_key(path, names_of(doc.children)));
            continue;
        }
        const RuntimeKey* key = find_runtime_key(section, name);
        if (key == nullptr) {
            problems.add(fmt::format("{} cannot be changed at runtime", quote_found(path)));
            continue;
        }
        const auto text = field.value.string();
        if (!text) {
            problems.add(fmt::format(
                "{}: expected a JSON string in the config file's syntax ({}{}), "
                "found {}",
                quote_found(path), child->type,
                child->constraint.empty() ? "" : " " + child->constraint, json_kind(field.value)));
            continue;
        }
        given[name] = YAML::Node(std::string(*text));
        keys.push_back(key);
    }
    if (!keys.empty()) load_section(section, given, keys, into, problems);
}

}  // namespace

std::vector<std::string> runtime_key_paths() {
    std::vector<std::string> paths;
    for (const auto& key : runtime_keys()) paths.push_back(key.path());
    return paths;
}

Expected<RuntimeOverrides> parse_runtime_overrides(std::string_view config_json) {
    const auto document = json::Document::parse(config_json);
    if (!document) {
        return fail(ErrorKind::invalid_input,
                    fmt::format("config: not valid JSON: {}", document.error().message()));
    }
    const auto top = document->root().object();
    if (!top) {
        return fail(ErrorKind::invalid_input,
                    fmt::format("config: expected an object shaped like the config file, found {}",
                                json_kind(document->root())));
    }
    const auto& sections = schema_docs();
    RuntimeOverrides result;
    Problems problems;
    std::set<std::string, std::less<>> seen;
    for (const auto field : *top) {
        const std::string name(field.key);
        if (!seen.insert(name).second) {
            problems.add(fmt::format("{}: duplicate key", quote_found(name)));
            continue;
        }
        if (name == "alerts") {  // a list, replaced as a whole
            result.alerts = parse_runtime_alerts(
                field.value, [&](std::string problem) { problems.add(std::move(problem)); });
            continue;
        }
        const KeyDoc* doc = find_doc(sections, name);
        if (doc == nullptr) {
            if (const auto dot = name.find('.'); dot != std::string::npos) {
                // `{"telemetry.interval": ..}`: a key path where a section belongs.
                problems.add(
                    fmt::format("unknown key {}; nest the sections as in the file: "
                                "{{\"{}\": {{\"{}\": ..}}}}",
                                quote_found(name), name.substr(0, dot), name.substr(dot + 1)));
            } else {
                problems.add(unknown_key(name, names_of(sections)));
            }
            continue;
        }
        parse_section(name, *doc, field.value, result, problems);
    }
    if (!problems.empty()) return fail(ErrorKind::invalid_input, problems.joined());
    return result;
}

RuntimeOverrides merge(const RuntimeOverrides& base, const RuntimeOverrides& update) {
    RuntimeOverrides merged = base;
    for (const auto& key : runtime_keys()) key.merge(update, merged);
    if (update.alerts) merged.alerts = update.alerts;
    return merged;
}

std::string to_json(const RuntimeOverrides& overrides) {
    json::JsonWriter out;
    out.begin_object();
    std::string open_section;
    for (const auto& key : runtime_keys()) {
        auto text = key.text(overrides);
        if (!text) continue;
        if (open_section != key.section) {
            if (!open_section.empty()) out.end_object();
            out.key(key.section).begin_object();
            open_section = key.section;
        }
        out.member(key.name, *text);
    }
    if (!open_section.empty()) out.end_object();
    if (overrides.alerts) write_runtime_alerts(out, *overrides.alerts);
    out.end_object();
    return std::move(out).take();
}

Config apply(Config config, const RuntimeOverrides& overrides) {
    for (const auto& key : runtime_keys()) key.put(overrides, config);
    if (overrides.alerts) config.alerts = *overrides.alerts;
    return config;
}

Expected<RuntimeOverrides> accept_config_update(const RuntimeOverrides& current,
                                                std::string_view config_json,
                                                const PersistOverrides& persist) {
    auto update = parse_runtime_overrides(config_json);
    if (!update) return std::unexpected(std::move(update.error()));
    if (update->empty()) return current;
    RuntimeOverrides merged = merge(current, *update);
    if (!persist) return fail(ErrorKind::unavailable, "runtime changes cannot be persisted here");
    if (auto saved = persist(to_json(merged)); !saved) {
        return std::unexpected(std::move(saved.error()));
    }
    return merged;
}

}  // namespace outpost::config

#pragma once
// The table machinery: a Field<S> is one row of a section's schema (its docs
// plus how to load it into an S), and apply_table() is the one generic loop
// that loads any map against any table: unknown keys, duplicates, missing
// required keys and defaults are all handled here, never per key.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "agent/config/converters.hpp"
#include "agent/config/issues.hpp"
#include "agent/config/schema.hpp"

namespace outpost::config {

[[nodiscard]] Position position_of(const YAML::Node& node);
[[nodiscard]] std::string describe_kind(const YAML::Node& node);  // "a map", "nothing", …

// Where in the document loading is, and where issues go.
struct Context {
    IssueSink* sink;
    std::string path;  // key path of the value being loaded
    Position where;    // fallback position (the key's) for nodes without one

    void error(const YAML::Node& at, std::string message) const;
    [[nodiscard]] Context child(std::string child_path, Position child_where) const {
        return Context{sink, std::move(child_path), child_where};
    }
};

// An unknown key at `path`: reported with a did-you-mean when one is close.
void report_unknown_key(const Context& parent, Position at, const std::string& path,
                        const std::vector<std::string>& sibling_names);

// What a key means when absent (the `default` column of a table row).
struct Absent {
    Presence presence;
    std::string default_value;
    std::string example;
};
[[nodiscard]] inline Absent required(std::string example) {
    return {Presence::required, "", std::move(example)};
}
[[nodiscard]] inline Absent defaults_to(std::string literal) {
    return {Presence::defaulted, std::move(literal), ""};
}
[[nodiscard]] inline Absent optional(std::string example) {
    return {Presence::optional, "", std::move(example)};
}
[[nodiscard]] inline Absent derived(std::string how, std::string example) {
    return {Presence::derived, std::move(how), std::move(example)};
}

template <class S>
struct Field {
    KeyDoc doc;
    std::string expected;  // for "required key is missing (expected …)"
    std::function<void(const YAML::Node&, S&, const Context&)> load;
};

template <class T>
std::optional<T> convert_scalar(const YAML::Node& node, const Converter<T>& conv,
                                const Context& ctx) {
    if (!node.IsScalar()) {
        ctx.error(node, fmt::format("expected {}, found {}", conv.expected, describe_kind(node)));
        return std::nullopt;
    }
    auto value = conv.convert(node.Scalar());
    if (!value) {
        ctx.error(node, fmt::format("expected {}, found {}: {}", conv.expected,
                                    quote_found(node.Scalar()), value.error().message()));
        return std::nullopt;
    }
    return std::move(*value);
}

// A row for a scalar key, or for a list of scalars when the member is a
// std::vector of the converter's type.
template <class S, class M, class T>
[[nodiscard]] Field<S> key(std::string name, M S::*member, Converter<T> conv, Absent absent,
                           std::string description) {
    Field<S> field{KeyDoc{std::move(name),
                          conv.type,
                          conv.constraint,
                          absent.presence,
                          std::move(absent.default_value),
                          std::move(absent.example),
                          std::move(description),
                          {}},
                   conv.expected,
                   {}};
    if constexpr (std::is_same_v<M, std::vector<T>>) {
        field.doc.type = "list of " + conv.type;
        field.expected = "a list of " + conv.type;
        field.load = [member, conv](const YAML::Node& node, S& target, const Context& ctx) {
            if (!node.IsSequence()) {
                ctx.error(node, fmt::format("expected a list of {}, found {}", conv.type,
                                            describe_kind(node)));
                return;
            }
            std::vector<T> values;
            std::size_t index = 0;
            for (const auto& item : node) {
                const auto item_ctx =
                    ctx.child(fmt::format("{}[{}]", ctx.path, index++), ctx.where);
                if (auto value = convert_scalar(item, conv, item_ctx)) {
                    values.push_back(std::move(*value));
                }
            }
            target.*member = std::move(values);
        };
    } else {
        static_assert(std::is_assignable_v<M&, T>, "member cannot hold the converter's type");
        field.load = [member, conv](const YAML::Node& node, S& target, const Context& ctx) {
            if (auto value = convert_scalar(node, conv, ctx)) {
                target.*member = std::move(*value);
            }
        };
    }
    return field;
}

template <class S>
void apply_table(const YAML::Node& map, const std::vector<Field<S>>& fields, S& target,
                 const Context& ctx);

template <class T>
[[nodiscard]] std::vector<KeyDoc> docs_of(const std::vector<Field<T>>& fields) {
    std::vector<KeyDoc> docs;
    for (const auto& field : fields) {
        docs.push_back(field.doc);
    }
    return docs;
}

// A row for a nested map loaded with its own table.
template <class S, class T>
[[nodiscard]] Field<S> section(std::string name, T S::*member, std::vector<Field<T>> fields,
                               std::string description) {
    KeyDoc doc{std::move(name),        "section",      "", Presence::section, "", "",
               std::move(description), docs_of(fields)};
    auto table = std::make_shared<const std::vector<Field<T>>>(std::move(fields));
    return Field<S>{std::move(doc), "a map of keys",
                    [member, table](const YAML::Node& node, S& target, const Context& ctx) {
                        apply_table(node, *table, target.*member, ctx);
                    }};
}

// A row for a list of maps, each loaded with the entry table. An absent or
// empty list means no entries.
template <class S, class T>
[[nodiscard]] Field<S> entries(std::string name, std::vector<T> S::*member,
                               std::vector<Field<T>> fields, std::string description) {
    KeyDoc doc{std::move(name),        "list of maps", "", Presence::entries, "", "",
               std::move(description), docs_of(fields)};
    auto table = std::make_shared<const std::vector<Field<T>>>(std::move(fields));
    return Field<S>{
        std::move(doc), "a list of maps",
        [member, table](const YAML::Node& node, S& target, const Context& ctx) {
            if (!node.IsDefined() || node.IsNull()) {
                return;  // absent or empty: no entries
            }
            if (!node.IsSequence()) {
                ctx.error(node,
                          fmt::format("expected a list of maps, found {}", describe_kind(node)));
                return;
            }
            std::vector<T> values;
            std::size_t index = 0;
            for (const auto& item : node) {
                auto item_path = fmt::format("{}[{}]", ctx.path, index++);
                const Position at = position_of(item);
                ctx.sink->record(item_path, at.line > 0 ? at : ctx.where);
                if (item.IsNull()) {
                    ctx.child(item_path, ctx.where)
                        .error(item, "expected a map of keys, found nothing");
                    values.emplace_back();
                    continue;
                }
                T entry{};
                apply_table(item, *table, entry,
                            ctx.child(std::move(item_path), at.line > 0 ? at : ctx.where));
                values.push_back(std::move(entry));
            }
            target.*member = std::move(values);
        }};
}

namespace detail {

// What a map said about each key of its table.
enum class Given { no, yes, empty };

[[nodiscard]] inline std::string key_path(const Context& ctx, const std::string& name) {
    return ctx.path.empty() ? name : ctx.path + "." + name;
}

// The row of `name` in the table, fields.size() when there is none.
template <class S>
[[nodiscard]] std::size_t find_field(const std::vector<Field<S>>& fields, const std::string& name) {
    std::size_t index = 0;
    while (index < fields.size() && fields[index].doc.key != name) {
        ++index;
    }
    return index;
}

template <class S>
void report_unknown_field(const Context& ctx, Position at, const std::string& path,
                          const std::vector<Field<S>>& fields) {
    std::vector<std::string> names;
    for (const auto& field : fields) {
        names.push_back(field.doc.key);
    }
    report_unknown_key(ctx, at, path, names);
}

// Loads every key the map gives, noting in `given` and `given_at` which
// were given (and where); unknown and duplicate keys are reported.
template <class S>
void load_given_keys(const YAML::Node& map, const std::vector<Field<S>>& fields, S& target,
                     const Context& ctx, std::vector<Given>& given,
                     std::vector<Position>& given_at) {
    for (const auto& pair : map) {
        const YAML::Node& name_node = pair.first;
        if (!name_node.IsScalar()) {
            ctx.error(name_node,
                      fmt::format("expected a key name, found {}", describe_kind(name_node)));
            continue;
        }
        const std::string& name = name_node.Scalar();
        const std::string path = key_path(ctx, name);
        Position at = position_of(name_node);
        if (at.line == 0) {
            at = ctx.where;
        }
        const std::size_t index = find_field(fields, name);
        if (index == fields.size()) {
            report_unknown_field(ctx, at, path, fields);
            continue;
        }
        if (given[index] != Given::no) {
            ctx.sink->add(
                at, path,
                fmt::format("duplicate key (first given at line {})", given_at[index].line));
            continue;
        }
        given_at[index] = at;
        ctx.sink->record(path, at);
        const YAML::Node& value = pair.second;
        if (value.IsNull()) {
            given[index] = Given::empty;  // `key:` with no value means "not set"
            continue;
        }
        given[index] = Given::yes;
        fields[index].load(value, target, ctx.child(path, at));
    }
}

// What each key the map did not give (or gave no value) comes to: one case
// per kind of presence.
template <class S>
void apply_missing_keys(const std::vector<Field<S>>& fields, S& target, const Context& ctx,
                        const std::vector<Given>& given, const std::vector<Position>& given_at) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (given[i] == Given::yes) {
            continue;
        }
        const Field<S>& field = fields[i];
        const Position at = given[i] == Given::empty ? given_at[i] : ctx.where;
        const auto field_ctx = ctx.child(key_path(ctx, field.doc.key), at);
        switch (field.doc.presence) {
            case Presence::required:
                ctx.sink->add(at, field_ctx.path,
                              fmt::format("required key {} (expected {})",
                                          given[i] == Given::empty ? "has no value" : "is missing",
                                          field.expected));
                break;
            case Presence::defaulted:
                // Defaults are scalar literals; a scalar node avoids a parse per key.
                field.load(YAML::Node(field.doc.default_value), target, field_ctx);
                break;
            case Presence::section:
            case Presence::entries:
                field.load(YAML::Node(YAML::NodeType::Null), target, field_ctx);
                break;
            case Presence::optional:
            case Presence::derived:
                break;
        }
    }
}

}  // namespace detail

template <class S>
void apply_table(const YAML::Node& map, const std::vector<Field<S>>& fields, S& target,
                 const Context& ctx) {
    const bool absent = !map.IsDefined() || map.IsNull();
    if (!absent && !map.IsMap()) {
        ctx.error(map, fmt::format("expected a map of keys, found {}", describe_kind(map)));
        return;
    }
    std::vector<detail::Given> given(fields.size(), detail::Given::no);
    std::vector<Position> given_at(fields.size());
    if (!absent) {
        detail::load_given_keys(map, fields, target, ctx, given, given_at);
    }
    detail::apply_missing_keys(fields, target, ctx, given, given_at);
}

}  // namespace outpost::config

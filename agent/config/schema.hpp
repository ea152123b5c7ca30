#pragma once
// The public face of the config schema: what keys exist, their types,
// defaults and descriptions. The typed tables behind it live in
// schema_sections.cpp, schema_collectors.cpp and schema_executor.cpp; validation (loader.cpp), the
// example config (example_yaml.cpp) and key enumeration all read them.

#include <string>
#include <vector>

namespace outpost::config {

enum class Presence {
    required,   // must be given
    defaulted,  // `default_value` (a YAML literal) applies when absent
    optional,   // absent means "not set"
    derived,    // absent means computed from other keys (`default_value` says how)
    section,    // a map of further keys (`children`)
    entries,    // a list of maps, each following `children`
};

struct KeyDoc {
    std::string key;         // name within its parent, e.g. `url`
    std::string type;        // e.g. `duration`, `size`, `URL`
    std::string constraint;  // allowed range or values; may be empty
    Presence presence = Presence::optional;
    std::string default_value;  // defaulted: YAML literal; derived: prose
    std::string example;        // YAML literal shown for required/optional/derived keys;
                                // entries: its own example entries (lines under the key)
    std::string description;
    std::vector<KeyDoc> children;
};

// The top-level sections, in file order.
[[nodiscard]] const std::vector<KeyDoc>& schema_docs();

// Every key path, e.g. `server.url`, `executor.commands`,
// `executor.commands[].name` (entry keys use `[]`); sections themselves are
// not listed.
[[nodiscard]] std::vector<std::string> all_key_paths();

// A complete example config with every key documented. Defaulted and required
// keys appear as `key: value`; optional and derived keys as `#key: example`
// (a `#` directly followed by the key; prose comments are `# text`).
[[nodiscard]] std::string render_example_yaml();

}  // namespace outpost::config

#pragma once
// The typed schema tables (internal to the config module).

#include <vector>

#include "agent/config/config.hpp"
#include "agent/config/field.hpp"

namespace outpost::config {

// One row per top-level section, in file order (schema_sections.cpp).
[[nodiscard]] const std::vector<Field<Config>>& root_table();

// The `collectors` section (schema_collectors.cpp).
[[nodiscard]] std::vector<Field<CollectorsSettings>> collectors_table();

// The `executor` section with its command-entry table (schema_executor.cpp).
[[nodiscard]] std::vector<Field<ExecutorConfig>> executor_table();

// The `alerts` list of rules, with its built-in default (schema_alerts.cpp).
[[nodiscard]] Field<Config> alerts_row();

// The `logs` section: log sources and stream limits (schema_logs.cpp).
[[nodiscard]] Field<Config> logs_row();

}  // namespace outpost::config

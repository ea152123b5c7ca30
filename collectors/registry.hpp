#pragma once
// The one list of collectors (registry.cpp): each row names a collector,
// says whether the settings enable it, and makes it. Nothing registers
// itself; adding a collector is adding a row.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/collector.hpp"
#include "collectors/settings.hpp"

namespace outpost::collectors {

// The enabled collectors, in the table's order (the order they run in).
[[nodiscard]] std::vector<std::unique_ptr<Collector>> make_collectors(
    const CollectorsSettings& settings, const Roots& roots);

// Every collector's name, enabled or not, in the table's order (status
// lists the disabled ones too).
[[nodiscard]] std::vector<std::string_view> collector_names();

// The names of the collectors the settings turn off, in the table's order
// (`outpost status` lists them as disabled).
[[nodiscard]] std::vector<std::string> disabled_collector_names(const CollectorsSettings& settings);

}  // namespace outpost::collectors

#pragma once
// The production SourceOpener: a config entry's source by its kind, a
// FileSource (agent/logs/file/) or a JournalSource (agent/logs/journal/).

#include <memory>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "agent/logs/log_source.hpp"

namespace outpost::logs::streams {

[[nodiscard]] Expected<std::unique_ptr<LogSource>> open_source(const config::LogSourceEntry& entry,
                                                               const config::LogsConfig& logs);

}  // namespace outpost::logs::streams

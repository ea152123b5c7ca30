#include "agent/runtime/runtime_config.hpp"

#include "agent/log/log.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "agent";

config::RuntimeOverrides persisted_overrides(journal::Journal* journal) {
    if (journal == nullptr) return {};
    auto blob = journal->get(config::kRuntimeOverridesKey);
    if (!blob) {
        log::error(kLog,
                   "cannot read the runtime config changes (journal key `{}`), ignoring them: {}",
                   config::kRuntimeOverridesKey, blob.error().message());
        return {};
    }
    if (!*blob) return {};
    auto parsed = config::parse_runtime_overrides(**blob);
    if (!parsed) {
        log::error(kLog, "ignoring the persisted runtime config changes {} (journal key `{}`): {}",
                   **blob, config::kRuntimeOverridesKey, parsed.error().message());
        return {};
    }
    return *parsed;
}

}  // namespace

void configure_logging(const config::LoggingConfig& logging) {
    log::configure(logging.level, logging.format);
}

RuntimeConfig::RuntimeConfig(const config::Config& file, AgentJournal& journal)
    : file_(file),
      journal_(journal),
      overrides_(persisted_overrides(journal.get())),
      effective_(config::apply(file, overrides_)) {
    if (!overrides_.empty()) {
        configure_logging(effective_.logging);
        log::info(kLog, "runtime config changes applied over the config file: {}",
                  config::to_json(overrides_));
    }
}

Expected<void> RuntimeConfig::accept(std::string_view request_id, std::string_view config_json) {
    auto next = config::accept_config_update(
        overrides_, config_json, [&](std::string_view blob) -> Expected<void> {
            journal::Journal* journal = journal_.get();
            if (journal == nullptr) {
                return fail(ErrorKind::unavailable,
                            "cannot persist runtime config changes, the journal is unavailable: " +
                                journal_.error());
            }
            if (auto put =
                    journal->apply_config_update(request_id, std::chrono::system_clock::now(),
                                                 config::kRuntimeOverridesKey, blob);
                !put) {
                return std::unexpected(
                    put.error().context("cannot persist runtime config changes"));
            }
            return {};
        });
    if (!next) return std::unexpected(std::move(next.error()));
    overrides_ = std::move(*next);
    recompute();
    log::info(kLog, "runtime config changes now in force: {}", config::to_json(overrides_));
    return {};
}

void RuntimeConfig::replace_file(config::Config file) {
    file_ = std::move(file);
    recompute();
}

void RuntimeConfig::recompute() {
    const auto health_interval = effective_.health.interval;
    const config::AlertsConfig previous_alerts = effective_.alerts;
    const auto telemetry_interval = effective_.telemetry.interval;
    effective_ = config::apply(file_, overrides_);
    configure_logging(effective_.logging);
    if (effective_.health.interval != health_interval && on_health_interval_changed_) {
        on_health_interval_changed_();
    }
    if (effective_.alerts != previous_alerts && on_alerts_changed_) on_alerts_changed_();
    if (effective_.telemetry.interval != telemetry_interval && on_telemetry_interval_changed_) {
        on_telemetry_interval_changed_();
    }
}

}  // namespace outpost::runtime

#include "agent/runtime/config_reload.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/config/loader.hpp"
#include "agent/log/log.hpp"

namespace outpost::runtime {
namespace {

constexpr std::string_view kLog = "agent";
// Issues listed in `outpost status` (all of them go to the log).
constexpr std::size_t kIssuesShown = 3;

// Moves section `member` of `loaded` into `next` (reloadable) and notes
// whether it changes.
template <typename Section>
void take(std::string_view key, Section config::Config::*member, const config::Config& loaded,
          ReloadPlan& plan) {
    if (plan.next.*member == loaded.*member) return;
    plan.next.*member = loaded.*member;
    plan.changed.emplace_back(key);
}

// Notes whether a restart-only value differs; `next` keeps the one in force.
template <typename Value>
void keep(std::string_view key, const Value& in_force, const Value& in_file, ReloadPlan& plan) {
    if (!(in_force == in_file)) plan.restart_needed.emplace_back(key);
}

std::string issues_text(const std::vector<config::ConfigIssue>& issues) {
    std::string text;
    for (std::size_t i = 0; i < issues.size() && i < kIssuesShown; ++i) {
        text += (i == 0 ? "" : "; ") + config::format_issue(issues[i]);
    }
    if (issues.size() > kIssuesShown) {
        text += fmt::format(" (and {} more, see the log)", issues.size() - kIssuesShown);
    }
    return text;
}

}  // namespace

// The table of docs/configuration.md, "Reloading": a key added to Config
// must be added here too, as reloadable or restart-only.
ReloadPlan plan_reload(const config::Config& in_force, const config::Config& loaded) {
    ReloadPlan plan{.next = in_force, .changed = {}, .restart_needed = {}};
    using C = config::Config;
    take("telemetry", &C::telemetry, loaded, plan);
    take("health", &C::health, loaded, plan);
    take("logging", &C::logging, loaded, plan);
    take("alerts", &C::alerts, loaded, plan);
    take("logs", &C::logs, loaded, plan);
    if (!(in_force.executor.commands == loaded.executor.commands)) {
        plan.next.executor.commands = loaded.executor.commands;
        plan.changed.emplace_back("executor.commands");
    }
    keep("server", in_force.server, loaded.server, plan);
    keep("auth", in_force.auth, loaded.auth, plan);
    keep("security", in_force.security, loaded.security, plan);
    keep("reconnect", in_force.reconnect, loaded.reconnect, plan);
    keep("collectors", in_force.collectors, loaded.collectors, plan);
    keep("outbox", in_force.outbox, loaded.outbox, plan);
    keep("journal", in_force.journal, loaded.journal, plan);
    keep("protocol", in_force.protocol, loaded.protocol, plan);
    keep("node", in_force.node, loaded.node, plan);
    keep("status", in_force.status, loaded.status, plan);
    keep("metrics", in_force.metrics, loaded.metrics, plan);
    keep("executor.max_concurrent", in_force.executor.max_concurrent,
         loaded.executor.max_concurrent, plan);
    keep("executor.max_queued", in_force.executor.max_queued, loaded.executor.max_queued, plan);
    keep("executor.max_queued_stdin_bytes", in_force.executor.max_queued_stdin_bytes,
         loaded.executor.max_queued_stdin_bytes, plan);
    return plan;
}

ConfigReloader::ConfigReloader(std::string path, std::chrono::system_clock::time_point loaded_at,
                               Parts parts)
    : parts_(parts),
      info_{.path = std::move(path),
            .loaded_at = loaded_at,
            .last_reload = {},
            .restart_needed = {}} {}

void ConfigReloader::refuse(std::string why) {
    log::error(kLog, "config reload: {} is not applied, the config in force is unchanged: {}",
               info_.path, why);
    info_.last_reload = status::ReloadInfo{
        .at = std::chrono::system_clock::now(), .result = "failed", .error = std::move(why)};
}

void ConfigReloader::reload() {
    log::info(kLog, "SIGHUP: reloading the config from {}", info_.path);
    auto loaded = config::load_config_file(info_.path);
    if (!loaded) {
        for (const config::ConfigIssue& issue : loaded.error()) {
            log::error(kLog, "config reload: {}", config::format_issue(issue));
        }
        refuse(issues_text(loaded.error()));
        return;
    }
    ReloadPlan plan = plan_reload(parts_.runtime.file(), *loaded);
    // The allow-list is built (paths, users, regexes) before anything
    // changes: a file that fails here changes nothing either.
    auto allow_list = ReloadableAllowList::build(plan.next);
    if (!allow_list) {
        refuse("allow-list: " + allow_list.error().message());
        return;
    }
    if (before_) before_();
    parts_.allow_list.replace(std::move(*allow_list));
    parts_.runtime.replace_file(std::move(plan.next));
    for (const Observer& observer : observers_) observer(parts_.runtime.effective());
    if (after_) after_();

    const auto now = std::chrono::system_clock::now();
    info_.loaded_at = now;
    info_.last_reload = status::ReloadInfo{.at = now, .result = "ok", .error = {}};
    info_.restart_needed = plan.restart_needed;
    log::info(kLog, "config reloaded from {}: {}; allow-list: {} entries", info_.path,
              plan.changed.empty() ? std::string("no reloadable key changed")
                                   : fmt::format("changed {}", fmt::join(plan.changed, ", ")),
              parts_.allow_list.size());
    if (!plan.restart_needed.empty()) {
        log::warn(kLog,
                  "config reload: {} changed in the file but apply only at a restart "
                  "(systemctl restart outpost); the start-up values stay in force",
                  fmt::join(plan.restart_needed, ", "));
    }
}

}  // namespace outpost::runtime

#pragma once
// The allow-list (executors/policy) as the dispatcher's CommandPolicy:
// approved requests become a RunSpec with the entry's sandbox profile.

#include <memory>

#include "agent/common/error.hpp"
#include "agent/config/config.hpp"
#include "agent/dispatch/command_policy.hpp"
#include "executors/policy/allow_list.hpp"

namespace outpost::runtime {

// Builds the allow-list once (paths, users, regexes checked at load); the
// error names the entry that is wrong.
[[nodiscard]] Expected<dispatch::CommandPolicy> make_allow_list_policy(
    const config::Config& config);

// The allow-list in force, replaced whole by a config reload (SIGHUP). The
// dispatcher's policy() reads the one in force at each check, so a request
// checked after a reload meets the new entries, while a command already
// approved keeps the RunSpec it was approved with: a reload never touches a
// running command. Loop thread only, like the dispatcher.
class ReloadableAllowList {
  public:
    using Built = std::shared_ptr<const policy::AllowList>;

    // Builds (and so checks) an allow-list without putting it in force: a
    // reload builds first and replaces only once everything validated.
    [[nodiscard]] static Expected<Built> build(const config::Config& config);

    explicit ReloadableAllowList(Built first);

    void replace(Built next) { *current_ = std::move(next); }
    [[nodiscard]] std::size_t size() const { return (*current_)->size(); }

    // The dispatcher's CommandPolicy over whichever allow-list is in force.
    [[nodiscard]] dispatch::CommandPolicy policy() const;

  private:
    // Shared with every policy() function handed out, so replace() reaches
    // them all.
    std::shared_ptr<Built> current_;
};

}  // namespace outpost::runtime

#pragma once
// The agent's journal, or why there is none. A journal that cannot be
// opened does not stop the agent: it stays connected and honest (commands
// rejected with the reason, health fails, status{degraded}).

#include <filesystem>
#include <optional>
#include <string>

#include "agent/config/config.hpp"
#include "agent/journal/journal.hpp"

namespace outpost::runtime {

class AgentJournal {
  public:
    // Opens <node.state_dir>/journal.db; a failure is logged and kept.
    [[nodiscard]] static AgentJournal open(const config::Config& config);

    // Null when the journal is unavailable; error() then says why.
    [[nodiscard]] journal::Journal* get() { return journal_ ? &*journal_ : nullptr; }
    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

    // After the agent's parts are gone: writes the result_ack marks still
    // pending. Unwritten, their results would only be re-sent once after
    // the restart (the journal's destructor tries too, silently).
    void flush_at_stop();

  private:
    std::filesystem::path path_;
    std::optional<journal::Journal> journal_;
    std::string error_;
};

}  // namespace outpost::runtime

#include "agent/logs/journal/unit_match.hpp"

#include <cstring>
#include <initializer_list>

namespace outpost::logs {
namespace {

// systemd-coredump's MESSAGE_ID (catalog: "Process … dumped core").
constexpr const char* kCoredumpMessageId = "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1";

Expected<void> add_all(sd_journal* journal, std::initializer_list<std::string> matches) {
    for (const auto& match : matches) {
        if (const int r = sd_journal_add_match(journal, match.data(), match.size()); r < 0) {
            return fail(ErrorKind::invalid_input,
                        "journal match " + match + ": " + std::strerror(-r));
        }
    }
    return {};
}

}  // namespace

Expected<void> match_unit(sd_journal* journal, const std::string& unit) {
    sd_journal_flush_matches(journal);
    // Matches of one group are ANDed; sd_journal_add_disjunction() ORs the
    // groups.
    if (auto ok = add_all(journal, {"_SYSTEMD_UNIT=" + unit}); !ok) return ok;
    sd_journal_add_disjunction(journal);
    if (auto ok = add_all(journal, {"_PID=1", "UNIT=" + unit}); !ok) return ok;
    sd_journal_add_disjunction(journal);
    return add_all(journal, {kCoredumpMessageId, "_UID=0", "COREDUMP_UNIT=" + unit});
}

}  // namespace outpost::logs

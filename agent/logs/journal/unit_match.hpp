#pragma once
// Which journal entries belong to a unit: the same three sets `journalctl -u`
// shows (docs/log-streaming.md, "journald sources").

#include <string>

#include <systemd/sd-journal.h>

#include "agent/common/error.hpp"

namespace outpost::logs {

// Replaces the matches of `journal` with those of `unit`:
//   _SYSTEMD_UNIT=unit                      what the unit's processes logged;
//   _PID=1 + UNIT=unit                      systemd's own messages about it
//                                           (started, stopped, failed);
//   MESSAGE_ID=<coredump> + _UID=0 + COREDUMP_UNIT=unit
//                                           systemd-coredump's report of a
//                                           crash of one of its processes.
// The trusted `_` fields are set by journald, so a process cannot log into
// another unit's stream; `UNIT=` and `COREDUMP_UNIT=` are only believed from
// PID 1 and root, as journalctl does.
[[nodiscard]] Expected<void> match_unit(sd_journal* journal, const std::string& unit);

}  // namespace outpost::logs

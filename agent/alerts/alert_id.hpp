#pragma once
// alert_id (protocol.md §3.2): stable for one rule and one subject across
// restarts and across agent versions, so the server can pair a `resolved`
// with its `firing` even when the agent restarted between them.
//
// It is `a-` followed by the 16 lowercase hex digits of the 64-bit FNV-1a
// hash of the rule's name, a NUL byte, and the subject (docs/alerts.md). The
// name and subject are short and chosen by the operator, not an attacker,
// so a non-cryptographic hash is enough; the rule's definition is not part of
// it, so editing a threshold keeps the id.

#include <string>
#include <string_view>

namespace outpost::alerts {

[[nodiscard]] std::string alert_id(std::string_view rule, std::string_view subject);

}  // namespace outpost::alerts

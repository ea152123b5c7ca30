#pragma once
// libsodium must be initialised once per process before any other call.

#include "agent/common/error.hpp"

namespace outpost::auth {

// Runs sodium_init() the first time it is called (thread-safe) and reports the
// remembered outcome on every later call. Every function of this module that
// uses libsodium calls it, so callers need not; `main` may call it early to
// fail fast.
[[nodiscard]] Expected<void> init_sodium();

// For code paths that cannot return an error (random ids): a process whose
// libsodium cannot initialise has no randomness source, a broken invariant,
// so this prints the reason and aborts, as libsodium itself would.
void require_sodium();

}  // namespace outpost::auth

#pragma once
// The auth tests' temp dir is the shared one (tests/support).

#include "tests/support/temp_dir.hpp"

namespace outpost::auth::test {

using TempDir = outpost::test_support::TempDir;

}  // namespace outpost::auth::test

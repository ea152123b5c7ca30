#include "agent/auth/sodium.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace outpost::auth {

Expected<void> init_sodium() {
    // A function-local static is initialised exactly once, even under threads.
    static const int status = sodium_init();
    if (status < 0) {
        return fail("libsodium failed to initialise (no usable randomness source?)");
    }
    return {};
}

void require_sodium() {
    if (auto ready = init_sodium(); !ready) {
        std::fprintf(stderr, "outpost: fatal: %s\n", ready.error().message().c_str());
        std::abort();
    }
}

}  // namespace outpost::auth

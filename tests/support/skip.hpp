#pragma once
// Catch2 2.x has no SKIP: OUTPOST_SKIP(why) warns with the reason and leaves
// the test case, which then passes. Only for what the host cannot offer (a
// kernel feature, root); never to hide a failure.

#include <catch2/catch.hpp>

#define OUTPOST_SKIP(why) \
    do {                  \
        WARN(why);        \
        return;           \
    } while (false)

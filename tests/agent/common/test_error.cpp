#include <catch2/catch.hpp>

#include "agent/common/error.hpp"

using outpost::Error;
using outpost::ErrorKind;

TEST_CASE("an Error keeps its kind through context") {
    const Error base(ErrorKind::exec_failed, "exec /bin/x: No such file or directory");
    const Error wrapped = base.context("starting a-1");
    CHECK(wrapped.kind() == ErrorKind::exec_failed);
    CHECK(wrapped.message() == "starting a-1: exec /bin/x: No such file or directory");
}

TEST_CASE("an Error made from a message alone is unspecified") {
    CHECK(Error("boom").kind() == ErrorKind::unspecified);
    auto failed = outpost::Expected<int>(outpost::fail("boom"));
    CHECK(failed.error().kind() == ErrorKind::unspecified);
    auto kinded = outpost::Expected<int>(outpost::fail(ErrorKind::timed_out, "slow"));
    CHECK(kinded.error().kind() == ErrorKind::timed_out);
    CHECK(outpost::to_string(kinded.error().kind()) == "timed_out");
}

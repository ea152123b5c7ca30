# Fails when a Catch2 test case name in TEST_BINARY contains `;`: CMake's
# lists split such a name, catch_discover_tests registers the fragments, and
# each fragment runs no test at all.
execute_process(COMMAND ${TEST_BINARY} --list-test-names-only
                OUTPUT_VARIABLE names RESULT_VARIABLE listed)
if(NOT listed EQUAL 0 AND NOT listed GREATER 0)
    message(FATAL_ERROR "${TEST_BINARY} --list-test-names-only failed: ${listed}")
endif()
string(FIND "${names}" ";" semicolon)
if(NOT semicolon EQUAL -1)
    string(REPLACE ";" "<SEMICOLON>" shown "${names}")
    message(FATAL_ERROR "test case names must not contain ';' (ctest would run nothing):\n${shown}")
endif()
message(STATUS "no test case name contains ';'")

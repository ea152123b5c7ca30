#pragma once
// Finds outpost-exec-as, the program that lets a run change uid without the
// agent forking itself (executors/sandbox/exec_as/exec_as.cpp). It runs as
// root on the agent's behalf, so it is used only from a trusted location:
// it and every directory above it owned by root and not writable by group
// or others, as for allow-list programs.

#include <string>
#include <vector>

namespace outpost::runtime {

struct ExecHelperSearch {
    std::string path;                 // resolved; empty: not usable
    std::vector<std::string> refused;  // "<candidate>: <why>" for each one tried
};

// Looks next to the running executable (a build tree), then in
// ../libexec/outpost/ relative to it (the installed layout, /usr/bin ->
// /usr/libexec/outpost).
[[nodiscard]] ExecHelperSearch find_exec_helper();

// The same for a given list of candidates, in order.
[[nodiscard]] ExecHelperSearch find_exec_helper(const std::vector<std::string>& candidates);

}  // namespace outpost::runtime

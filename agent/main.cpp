#include <span>

#include "agent/cli/main.hpp"

int main(int argc, char** argv) {
    return outpost::cli::run_main(std::span<char*>(argv, static_cast<size_t>(argc)));
}

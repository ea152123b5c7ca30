#pragma once

namespace outpost::hub {

// `outpost-hub [options]` or `outpost-hub gen-certs --dir D`; returns the exit code.
int Main(int argc, char** argv);

}  // namespace outpost::hub

// outpost-hub: the test control plane (see docs/test-hub.md).
#include "cli.hpp"

int main(int argc, char** argv) {
    return outpost::hub::Main(argc, argv);
}

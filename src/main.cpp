#include "app/run.hpp"

int main(int argc, char** argv) {
    return letta_stream::app::main(argc, argv);
}

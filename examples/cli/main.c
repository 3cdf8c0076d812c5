/* unetseg: command-line front end of the library (examples/cli/commands.c). */
#include "cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }

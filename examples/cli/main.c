/* unetseg: command-line front end of the library. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: unetseg <command> [options]\n"
            "commands:\n"
            "  summary   print the Keras-style layer table of a Unet\n"
            "  match     list the layers a predicate selects\n"
            "  init      build a Unet with Keras initialisation and save it\n"
            "  predict   run a model on an image or a safetensors tensor\n"
            "  train     train a Unet on images and masks (safetensors or a folder)\n"
            "  demo-data write a synthetic dataset of shapes on noisy backgrounds\n"
            "options: --help (also after a command), --version [--verbose]\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        if (argc > 2 && (strcmp(argv[2], "--verbose") == 0 || strcmp(argv[2], "-v") == 0))
            fputs(unetseg_runtime_info(), stdout);
        else
            printf("unetseg %s (ABI %d)\n", unetseg_version_string(), unetseg_abi_version());
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "summary") == 0) return cli_summary(argc - 2, argv + 2);
    if (strcmp(cmd, "predict") == 0) return cli_predict(argc - 2, argv + 2);
    if (strcmp(cmd, "init") == 0) return cli_init(argc - 2, argv + 2);
    if (strcmp(cmd, "match") == 0) return cli_match(argc - 2, argv + 2);
    if (strcmp(cmd, "train") == 0) return cli_train(argc - 2, argv + 2);
    if (strcmp(cmd, "demo-data") == 0) return cli_demo_data(argc - 2, argv + 2);
    fprintf(stderr, "unetseg: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}

/* unetseg init --output W.safetensors [model options]: build a Unet with the
 * Keras initialisation and save it (weights + model description). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_init(int argc, char **argv) {
    const char *output = NULL;
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    int rc = CLI_EXIT_OK;
    if (unetseg_unet_options_create(&o)) return CLI_EXIT_RUNTIME;
    unetseg_unet_options_set_input_shape(o, 256, 256, 3);
    for (int i = 0; i < argc && rc == CLI_EXIT_OK; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: unetseg init --output W.safetensors [model options as for summary]\n"
                   "        [--seed N]\n");
            unetseg_unet_options_free(o);
            return CLI_EXIT_OK;
        }
        if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
            output = argv[++i];
            continue;
        }
        int r = cli_parse_model_option(o, argc, argv, &i);
        if (r == 0) fprintf(stderr, "unetseg init: unknown option or missing value '%s'\n", argv[i]);
        if (r <= 0) rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && !output) {
        fprintf(stderr, "unetseg init: --output is required\n");
        rc = CLI_EXIT_USAGE;
    }
    int32_t st = UNETSEG_OK;
    if (rc == CLI_EXIT_OK && ((st = unetseg_unet_create(o, &m)) ||
                              (st = unetseg_model_save_weights(m, output)))) {
        cli_report(output, st);
        rc = CLI_EXIT_RUNTIME;
    }
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
    return rc;
}

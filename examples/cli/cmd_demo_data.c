/* unetseg demo-data --output DIR [--count N] [--size S] [--seed S]: a
 * synthetic segmentation dataset (shapes on noisy backgrounds) as PNGs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "folder_data.h"

int cli_demo_data(int argc, char **argv) {
    const char *out = NULL;
    long count = 64, size = 64;
    unsigned long long seed = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) {
            printf("usage: unetseg demo-data --output DIR [--count N] [--size S] [--seed S]\n"
                   "writes DIR/images/*.png, DIR/masks/*.png, DIR/holdout.png, DIR/holdout_mask.png\n");
            return CLI_EXIT_OK;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "unetseg demo-data: unknown option or missing value '%s'\n", a);
            return CLI_EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--count")) count = strtol(v, NULL, 10);
        else if (!strcmp(a, "--size")) size = strtol(v, NULL, 10);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "unetseg demo-data: unknown option '%s'\n", a);
            return CLI_EXIT_USAGE;
        }
    }
    if (!out || count < 1 || count > 100000 || size < 32 || size > 4096 || size % 32) {
        fprintf(stderr, "unetseg demo-data: --output DIR is required; --count 1..100000, "
                        "--size a multiple of 32 in 32..4096\n");
        return CLI_EXIT_USAGE;
    }
    if (!cli_write_demo_data(out, (int)count, (int)size, seed)) return CLI_EXIT_RUNTIME;
    fprintf(stderr, "unetseg: wrote %ld images and masks of %ldx%ld into %s\n", count, size, size, out);
    return CLI_EXIT_OK;
}

/* unetseg demo-data --output DIR [--count N] [--size S] [--seed S]: a
 * synthetic segmentation dataset (shapes on noisy backgrounds) as PNGs. */
#include <stdio.h>

#include "cli.h"
#include "folder_data.h"

typedef struct demo_data_options {
    const char *output;
    long long count, size;
    unsigned long long seed;
} demo_data_options;

#define FIELD(name) offsetof(demo_data_options, name)
static const cli_option demo_data_table[] = {
    {"output", CLI_TEXT, .offset = FIELD(output)},
    {"count", CLI_INTEGER, .offset = FIELD(count), .min = 1, .max = 100000},
    {"size", CLI_INTEGER, .offset = FIELD(size), .min = 32, .max = 4096},
    {"seed", CLI_UNSIGNED, .offset = FIELD(seed)},
    {.name = NULL},
};

static int parse_demo_data_options(int argc, char **argv, void *options) {
    demo_data_options *o = options;
    *o = (demo_data_options){.count = 64, .size = 64, .seed = 1};
    const cli_group groups[] = {{demo_data_table, o}};
    int rc = cli_parse_options(argc, argv, groups, 1);
    if (rc == CLI_EXIT_OK && o->size % 32) {
        fprintf(stderr, "unetseg: --size: %lld is not a multiple of 32\n", o->size);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && !o->output) {
        fprintf(stderr, "unetseg demo-data: --output DIR is required\n");
        rc = CLI_EXIT_USAGE;
    }
    return rc;
}

static int run_demo_data(void *options) {
    const demo_data_options *o = options;
    if (!cli_write_demo_data(o->output, (int)o->count, (int)o->size, o->seed)) return CLI_EXIT_RUNTIME;
    fprintf(stderr, "unetseg: wrote %lld images and masks of %lldx%lld into %s\n", o->count, o->size,
            o->size, o->output);
    return CLI_EXIT_OK;
}

const cli_command cli_command_demo_data = {
    "demo-data", "write a synthetic dataset of shapes on noisy backgrounds",
    "usage: unetseg demo-data --output DIR [--count N] [--size S] [--seed S]\n"
    "writes DIR/images/*.png, DIR/masks/*.png, DIR/holdout.png, DIR/holdout_mask.png\n"
    "--count 1..100000 (default 64), --size a multiple of 32 in 32..4096 (default 64),\n"
    "--seed 0..2^64-1 (default 1)\n",
    sizeof(demo_data_options), parse_demo_data_options, run_demo_data,
};

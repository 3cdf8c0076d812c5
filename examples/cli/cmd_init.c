/* unetseg init --output W.safetensors [model options]: build a Unet with the
 * Keras initialisation and save it (weights + model description). */
#include <stdio.h>

#include "cli.h"
#include "files.h"

typedef struct init_options {
    const char *output, *encoder_weights;
    cli_model_args model;
} init_options;

static const cli_option init_table[] = {
    {"output", CLI_TEXT, .offset = offsetof(init_options, output)},
    {"encoder-weights", CLI_TEXT, .offset = offsetof(init_options, encoder_weights)},
    {.name = NULL},
};

static int parse_init_options(int argc, char **argv, void *options) {
    init_options *o = options;
    cli_model_default_size(&o->model, 256, 256);
    const cli_group groups[] = {{init_table, o}, {cli_model_table, &o->model}};
    int rc = cli_parse_options(argc, argv, groups, 2);
    if (rc == CLI_EXIT_OK && !o->output) {
        fprintf(stderr, "unetseg init: --output is required\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK) rc = cli_model_check(&o->model);
    return rc;
}

static int run_init(void *options) {
    const init_options *o = options;
    unetseg_unet_options *uo = NULL;
    unetseg_model *m = NULL;
    cli_output out;
    int rc = cli_model_build(&o->model, &uo);
    int32_t st = UNETSEG_OK;
    if (rc == CLI_EXIT_OK && (!cli_make_parent_dirs(o->output) || !cli_output_prepare(o->output, &out)))
        rc = CLI_EXIT_RUNTIME; /* reported */
    if (rc == CLI_EXIT_OK && (st = unetseg_unet_create(uo, &m))) {
        cli_report("model", st);
        rc = CLI_EXIT_RUNTIME;
    }
    if (rc == CLI_EXIT_OK && o->encoder_weights && cli_load_encoder_weights(o->encoder_weights, m))
        rc = CLI_EXIT_RUNTIME; /* reported */
    if (rc == CLI_EXIT_OK && (st = unetseg_model_save_weights(m, out.path))) {
        cli_report(o->output, st);
        rc = CLI_EXIT_RUNTIME;
    }
    if (rc == CLI_EXIT_OK) cli_output_done(&out);
    unetseg_model_free(m);
    unetseg_unet_options_free(uo);
    return rc;
}

const cli_command cli_command_init = {
    "init", "build a Unet with Keras initialisation and save it",
    "usage: unetseg init --output W.safetensors [model options as for summary]\n"
    "        [--seed N] [--encoder-weights E.safetensors]\n"
    "--encoder-weights: encoder-only weights (the encoder-only output of\n"
    "keras_to_safetensors.py, e.g. classification_models' ImageNet ResNet34) over\n"
    "the initialisation.\n",
    sizeof(init_options), parse_init_options, run_init,
};

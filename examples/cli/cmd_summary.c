/* unetseg summary [model options] [--insert ...]: the Keras-style layer table. */
#include <stdio.h>

#include "cli.h"

typedef struct summary_options {
    cli_model_args model;
    cli_insertions ins;
} summary_options;

static int parse_summary_options(int argc, char **argv, void *options) {
    summary_options *o = options;
    cli_model_default_size(&o->model, 256, 256);
    const cli_group groups[] = {{cli_insert_table, &o->ins}, {cli_model_table, &o->model}};
    int rc = cli_parse_options(argc, argv, groups, 2);
    if (rc == CLI_EXIT_OK) rc = cli_check_insertions(&o->ins);
    if (rc == CLI_EXIT_OK) rc = cli_model_check(&o->model);
    return rc;
}

static int run_summary(void *options) {
    const summary_options *o = options;
    unetseg_unet_options *uo = NULL;
    unetseg_model *m = NULL;
    const char *text = NULL;
    int rc = cli_model_build(&o->model, &uo);
    int32_t st = UNETSEG_OK;
    if (rc == CLI_EXIT_OK && (st = unetseg_unet_create(uo, &m))) cli_report("summary", st);
    if (rc == CLI_EXIT_OK && !st) st = cli_apply_insertions(m, &o->ins);
    if (rc == CLI_EXIT_OK && !st && !(st = unetseg_model_summary(m, &text))) fputs(text, stdout);
    if (rc == CLI_EXIT_OK) rc = cli_exit_code(st);
    unetseg_model_free(m);
    unetseg_unet_options_free(uo);
    return rc;
}

const cli_command cli_command_summary = {
    "summary", "print the Keras-style layer table of a Unet",
    "usage: unetseg summary [--backbone resnet18|resnet34] [--classes N]\n"
    "         [--size HxWxC] [--decoder upsampling|transpose]\n"
    "         [--activation sigmoid|softmax|linear] [--decoder-filters a,b,...]\n"
    "         [--no-decoder-bn] [--encoder-freeze] [--seed S]\n"
    "         [--insert EXPR [--dropout dropout|spatial|conditional] [--rate R]\n"
    "          [--mode always|training|never] [--spatial] [--before] [--suffix S]]...\n"
    "These are the model options of every command that builds a Unet; --size\n"
    "defaults to 256x256x3. Every command takes '--size 64x64' or '--size=64x64',\n"
    "with option names spelled out in full.\n",
    sizeof(summary_options), parse_summary_options, run_summary,
};

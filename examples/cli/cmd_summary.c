/* unetseg summary [model options]: print the Keras-style layer table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_summary(int argc, char **argv) {
    unetseg_unet_options *o = NULL;
    unetseg_model *m = NULL;
    const char *text = NULL;
    cli_insertions ins;
    int rc = CLI_EXIT_OK;
    cli_insertions_init(&ins);
    if (unetseg_unet_options_create(&o)) return CLI_EXIT_RUNTIME;
    unetseg_unet_options_set_input_shape(o, 256, 256, 3);
    for (int i = 0; i < argc && rc == CLI_EXIT_OK; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: unetseg summary [--backbone resnet18|resnet34] [--classes N]\n"
                   "         [--size HxWxC] [--decoder upsampling|transpose]\n"
                   "         [--activation sigmoid|softmax|linear] [--decoder-filters a,b,...]\n"
                   "         [--no-decoder-bn] [--encoder-freeze]\n"
                   "         [--insert EXPR [--dropout dropout|spatial|conditional] [--rate R]\n"
                   "          [--mode always|training|never] [--spatial] [--before] [--suffix S]]...\n");
            unetseg_unet_options_free(o);
            return CLI_EXIT_OK;
        }
        int r = cli_parse_insert_option(&ins, argc, argv, &i);
        if (r == 0) r = cli_parse_model_option(o, argc, argv, &i);
        if (r == 0) fprintf(stderr, "unetseg summary: unknown option '%s'\n", argv[i]);
        if (r <= 0) rc = CLI_EXIT_USAGE;
    }
    int32_t st = UNETSEG_OK;
    if (rc == CLI_EXIT_OK) rc = cli_check_insertions(&ins);
    if (rc == CLI_EXIT_OK && (st = unetseg_unet_create(o, &m)) != UNETSEG_OK)
        cli_report("summary", st);
    if (rc == CLI_EXIT_OK && !st) st = cli_apply_insertions(m, &ins);
    if (rc == CLI_EXIT_OK && !st && (st = unetseg_model_summary(m, &text)) == UNETSEG_OK)
        fputs(text, stdout);
    if (st) rc = cli_exit_code(st);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
    return rc;
}

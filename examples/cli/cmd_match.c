/* unetseg match [model options] 'EXPR': the layers a predicate selects, one
 * per line in layer order on stdout, "N of M layers match" on stderr;
 * exit status 3 when nothing matches. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

typedef struct match_options {
    const char *expr;
    cli_model_args model;
} match_options;

static int expression(void *target, const char *flag, char *v) {
    match_options *o = target;
    (void)flag;
    if (!o->expr) {
        o->expr = v;
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "unetseg match: unexpected argument '%s' (one expression: quote it)\n", v);
    return CLI_EXIT_USAGE;
}

static const cli_option match_table[] = {
    {.name = NULL, .call = expression}, /* the positional EXPR */
};

static int parse_match_options(int argc, char **argv, void *options) {
    match_options *o = options;
    cli_model_default_size(&o->model, 256, 256);
    const cli_group groups[] = {{match_table, o}, {cli_model_table, &o->model}};
    int rc = cli_parse_options(argc, argv, groups, 2);
    if (rc == CLI_EXIT_OK && !o->expr) {
        fprintf(stderr, "unetseg match: an expression is required\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK) rc = cli_model_check(&o->model);
    return rc;
}

/* Print the matching names and the count; the exit code. */
static int report_matches(const unetseg_model *m, const int32_t *idx, int32_t count, int32_t total,
                          int32_t st) {
    for (int32_t k = 0; k < count; k++) {
        const char *name = NULL;
        unetseg_model_layer_name(m, idx[k], &name);
        printf("%s\n", name);
    }
    if (st == UNETSEG_OK || st == UNETSEG_E_NO_MATCH) fprintf(stderr, "%d of %d layers match\n", count, total);
    if (st == UNETSEG_E_NO_MATCH) {
        fprintf(stderr, "unetseg: %s\n", unetseg_last_error());
        return CLI_EXIT_NO_MATCH;
    }
    if (st) cli_report("match", st);
    return st ? CLI_EXIT_RUNTIME : CLI_EXIT_OK;
}

static int run_match(void *options) {
    const match_options *o = options;
    unetseg_unet_options *uo = NULL;
    unetseg_model *m = NULL;
    unetseg_matcher *mt = NULL;
    int32_t *idx = NULL, total = 0, count = 0, st;
    if ((st = unetseg_matcher_parse(o->expr, &mt))) {
        cli_report(o->expr, st);
        return CLI_EXIT_USAGE;
    }
    int rc = cli_model_build(&o->model, &uo);
    if (rc == CLI_EXIT_OK) {
        if (!(st = unetseg_unet_create(uo, &m)) && !(st = unetseg_model_layer_count(m, &total))) {
            idx = malloc((size_t)total * sizeof *idx);
            st = idx ? unetseg_model_match(m, mt, idx, total, &count) : UNETSEG_E_NOMEM;
        }
        rc = report_matches(m, idx, count, total, st);
    }
    free(idx);
    unetseg_matcher_free(mt);
    unetseg_model_free(m);
    unetseg_unet_options_free(uo);
    return rc;
}

const cli_command cli_command_match = {
    "match", "list the layers a predicate selects",
    "usage: unetseg match [model options as for summary] 'EXPR'\n"
    "EXPR: words (substrings), glob:PAT, re:REGEX, kind=K, region=R,\n"
    "      ! & | and parentheses, e.g. 'conv & stage & !conv3 & region=encoder'\n",
    sizeof(match_options), parse_match_options, run_match,
};

/* The --insert/--dropout/--rate/--mode options shared by several commands:
 * each --insert EXPR starts a new insertion; the options after it set its
 * dropout kind, rate and mode (defaults: dropout, 0.5, training). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_insertions_init(cli_insertions *ins) { memset(ins, 0, sizeof *ins); }

static int parse_kind(const char *v, int32_t *kind) {
    if (strcmp(v, "dropout") == 0) *kind = UNETSEG_LAYER_DROPOUT;
    else if (strcmp(v, "spatial") == 0) *kind = UNETSEG_LAYER_SPATIAL_DROPOUT2D;
    else if (strcmp(v, "conditional") == 0) *kind = UNETSEG_LAYER_CONDITIONAL_DROPOUT;
    else return 0;
    return 1;
}

static int parse_mode(const char *v, int32_t *mode) {
    if (strcmp(v, "training") == 0) *mode = UNETSEG_DROPOUT_TRAINING;
    else if (strcmp(v, "always") == 0) *mode = UNETSEG_DROPOUT_ALWAYS;
    else if (strcmp(v, "never") == 0) *mode = UNETSEG_DROPOUT_NEVER;
    else return 0;
    return 1;
}

int cli_parse_insert_option(cli_insertions *ins, int argc, char **argv, int *i) {
    const char *opt = argv[*i];
    if (strcmp(opt, "--insert") && strcmp(opt, "--dropout") && strcmp(opt, "--rate") &&
        strcmp(opt, "--mode") && strcmp(opt, "--spatial") && strcmp(opt, "--before") &&
        strcmp(opt, "--suffix"))
        return 0;
    if (strcmp(opt, "--insert") == 0) {
        if (ins->n == CLI_MAX_INSERTIONS) {
            fprintf(stderr, "unetseg: at most %d --insert options\n", CLI_MAX_INSERTIONS);
            return -1;
        }
        if (*i + 1 >= argc) {
            fprintf(stderr, "unetseg: --insert needs an expression\n");
            return -1;
        }
        cli_insertion *n = &ins->items[ins->n++];
        n->expr = argv[++*i];
        n->kind = UNETSEG_LAYER_DROPOUT;
        n->rate = 0.5;
        n->mode = UNETSEG_DROPOUT_TRAINING;
        n->spatial = 0;
        n->conditional_only = 0;
        n->before = 0;
        n->suffix = NULL;
        return 1;
    }
    if (ins->n == 0) {
        fprintf(stderr, "unetseg: %s must follow an --insert EXPR\n", opt);
        return -1;
    }
    cli_insertion *cur = &ins->items[ins->n - 1];
    if (strcmp(opt, "--before") == 0) {
        cur->before = 1;
        return 1;
    }
    if (strcmp(opt, "--suffix") == 0 && *i + 1 < argc) {
        cur->suffix = argv[++*i];
        return 1;
    }
    if (strcmp(opt, "--spatial") == 0) {
        cur->spatial = 1;
        cur->conditional_only = 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "unetseg: %s needs a value\n", opt);
        return -1;
    }
    const char *v = argv[++*i];
    char *end = NULL;
    if (strcmp(opt, "--mode") == 0) cur->conditional_only = 1;
    int ok = strcmp(opt, "--dropout") == 0 ? parse_kind(v, &cur->kind)
             : strcmp(opt, "--mode") == 0  ? parse_mode(v, &cur->mode)
                                           : (cur->rate = strtod(v, &end), end != v && *end == '\0');
    if (!ok) {
        fprintf(stderr, "unetseg: bad value '%s' for %s (--dropout dropout|spatial|conditional, "
                        "--mode always|training|never, --rate in [0,1))\n", v, opt);
        return -1;
    }
    return 1;
}

int cli_exit_code(int32_t status) {
    if (status == UNETSEG_OK) return CLI_EXIT_OK;
    if (status == UNETSEG_E_NO_MATCH) return CLI_EXIT_NO_MATCH;
    if (status == UNETSEG_E_SYNTAX) return CLI_EXIT_USAGE;
    return CLI_EXIT_RUNTIME;
}

int cli_check_insertions(const cli_insertions *ins) {
    for (int k = 0; k < ins->n; k++) {
        const cli_insertion *n = &ins->items[k];
        if (n->conditional_only && n->kind != UNETSEG_LAYER_CONDITIONAL_DROPOUT) {
            fprintf(stderr, "unetseg: --mode and --spatial apply to --dropout conditional only "
                            "(insertion '%s')\n", n->expr);
            return CLI_EXIT_USAGE;
        }
        if (!(n->rate >= 0.0 && n->rate < 1.0)) {
            fprintf(stderr, "unetseg: --rate %g is not in [0, 1) (insertion '%s')\n", n->rate, n->expr);
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

int32_t cli_apply_insertions(unetseg_model *model, const cli_insertions *ins) {
    for (int k = 0; k < ins->n; k++) {
        const cli_insertion *n = &ins->items[k];
        unetseg_matcher *mt = NULL;
        unetseg_insert_options *o = NULL;
        int32_t count = 0;
        int32_t st = unetseg_matcher_parse(n->expr, &mt);
        if (!st) st = unetseg_insert_options_create(&o);
        if (!st) st = unetseg_insert_options_set_kind(o, n->kind);
        if (!st) st = unetseg_insert_options_set_rate(o, n->rate);
        if (!st) st = unetseg_insert_options_set_mode(o, n->mode, n->spatial);
        if (!st && n->before) st = unetseg_insert_options_set_position(o, UNETSEG_INSERT_BEFORE);
        if (!st && n->suffix) st = unetseg_insert_options_set_suffix(o, n->suffix);
        if (!st) st = unetseg_model_insert_dropout(model, mt, o, &count);
        if (!st) fprintf(stderr, "unetseg: inserted %d layer(s) at '%s'\n", count, n->expr);
        unetseg_insert_options_free(o);
        unetseg_matcher_free(mt);
        if (st) {
            cli_report(n->expr, st);
            return st;
        }
    }
    return UNETSEG_OK;
}

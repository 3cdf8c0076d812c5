/* The --insert/--dropout/--rate/--mode options shared by several commands:
 * each --insert EXPR starts a new insertion; the options after it set its
 * dropout kind, rate and mode (defaults: dropout, 0.5, training). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

static int insert(void *target, const char *flag, char *expr) {
    cli_insertions *ins = target;
    if (ins->n == CLI_MAX_INSERTIONS) {
        fprintf(stderr, "unetseg: at most %d %s options\n", CLI_MAX_INSERTIONS, flag);
        return CLI_EXIT_USAGE;
    }
    ins->items[ins->n++] = (cli_insertion){.expr = expr, .kind = UNETSEG_LAYER_DROPOUT, .rate = 0.5,
                                           .mode = UNETSEG_DROPOUT_TRAINING};
    return CLI_EXIT_OK;
}

/* The insertion that an option after --insert configures, or NULL. */
static cli_insertion *current(void *target, const char *flag) {
    cli_insertions *ins = target;
    if (ins->n > 0) return &ins->items[ins->n - 1];
    fprintf(stderr, "unetseg: %s must follow an --insert EXPR\n", flag);
    return NULL;
}

static int bad_value(const char *flag, const char *v, const char *wanted) {
    fprintf(stderr, "unetseg: %s: '%s' is not %s\n", flag, v, wanted);
    return CLI_EXIT_USAGE;
}

static int dropout(void *target, const char *flag, char *v) {
    cli_insertion *cur = current(target, flag);
    if (!cur) return CLI_EXIT_USAGE;
    return parse_kind(v, &cur->kind) ? CLI_EXIT_OK : bad_value(flag, v, "dropout, spatial or conditional");
}

static int mode(void *target, const char *flag, char *v) {
    cli_insertion *cur = current(target, flag);
    if (!cur) return CLI_EXIT_USAGE;
    cur->conditional_only = 1;
    return parse_mode(v, &cur->mode) ? CLI_EXIT_OK : bad_value(flag, v, "always, training or never");
}

static int rate(void *target, const char *flag, char *v) {
    cli_insertion *cur = current(target, flag);
    return cur && cli_parse_real(flag, v, (cli_interval)CLI_FRACTION, &cur->rate) ? CLI_EXIT_OK
                                                                                 : CLI_EXIT_USAGE;
}

static int suffix(void *target, const char *flag, char *v) {
    cli_insertion *cur = current(target, flag);
    if (!cur) return CLI_EXIT_USAGE;
    cur->suffix = v;
    return CLI_EXIT_OK;
}

static int spatial(void *target, const char *flag, char *v) {
    (void)v;
    cli_insertion *cur = current(target, flag);
    if (!cur) return CLI_EXIT_USAGE;
    cur->spatial = cur->conditional_only = 1;
    return CLI_EXIT_OK;
}

static int before(void *target, const char *flag, char *v) {
    (void)v;
    cli_insertion *cur = current(target, flag);
    if (!cur) return CLI_EXIT_USAGE;
    cur->before = 1;
    return CLI_EXIT_OK;
}

const cli_option cli_insert_table[] = {
    {"insert", CLI_CALL, .call = insert},
    {"dropout", CLI_CALL, .call = dropout},
    {"rate", CLI_CALL, .call = rate},
    {"mode", CLI_CALL, .call = mode},
    {"spatial", CLI_ACTION, .call = spatial},
    {"before", CLI_ACTION, .call = before},
    {"suffix", CLI_CALL, .call = suffix},
    {.name = NULL},
};

int cli_check_insertions(const cli_insertions *ins) {
    for (int k = 0; k < ins->n; k++) {
        const cli_insertion *n = &ins->items[k];
        if (n->conditional_only && n->kind != UNETSEG_LAYER_CONDITIONAL_DROPOUT) {
            fprintf(stderr, "unetseg: --mode and --spatial apply to --dropout conditional only "
                            "(insertion '%s')\n", n->expr);
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

/* The model options shared by summary, match, init, predict and train. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cli_model_default_size(cli_model_args *a, long long h, long long w) {
    a->size_given = 1;
    a->height = h;
    a->width = w;
    a->channels = 3;
}

/* Split `v` at `sep` into at most `max` whole integers of [min, max_value]
 * (messages name `opt`); the number of parts, or -1. */
static int integer_list(const char *opt, const char *v, char sep, long long *out, int max,
                        long long min, long long max_value) {
    char part[64];
    int n = 0;
    for (const char *p = v;; n++) {
        size_t len = strcspn(p, (char[]){sep, '\0'});
        if (n == max || len >= sizeof part) return -1;
        memcpy(part, p, len);
        part[len] = '\0';
        if (!cli_parse_integer(opt, part, min, max_value, &out[n])) return -2;
        if (p[len] == '\0') return n + 1;
        p += len + 1;
    }
}

/* HxW or HxWxC, each part a whole integer (the library checks the ranges). */
static int parse_size(void *target, const char *flag, char *v) {
    cli_model_args *a = target;
    long long parts[3] = {0, 0, 3};
    int n = integer_list(flag, v, 'x', parts, 3, INT64_MIN, INT64_MAX);
    if (n == -2) return CLI_EXIT_USAGE;
    if (n < 2) {
        fprintf(stderr, "unetseg: %s wants HxW or HxWxC, got '%s'\n", flag, v);
        return CLI_EXIT_USAGE;
    }
    a->size_given = 1;
    a->height = parts[0];
    a->width = parts[1];
    a->channels = parts[2];
    return CLI_EXIT_OK;
}

static int parse_filters(void *target, const char *flag, char *v) {
    cli_model_args *a = target;
    int n = integer_list(flag, v, ',', a->filters, CLI_MAX_DECODER_FILTERS, 1, INT64_MAX);
    if (n == -2) return CLI_EXIT_USAGE;
    if (n < 1) {
        fprintf(stderr, "unetseg: %s wants a,b,c,... (at most %d), got '%s'\n", flag,
                CLI_MAX_DECODER_FILTERS, v);
        return CLI_EXIT_USAGE;
    }
    a->n_filters = n;
    return CLI_EXIT_OK;
}

#define FIELD(name) offsetof(cli_model_args, name)
const cli_option cli_model_table[] = {
    {"backbone", CLI_TEXT, .offset = FIELD(backbone)},
    {"classes", CLI_INTEGER, .offset = FIELD(classes), .min = 1, .max = INT64_MAX},
    {"size", CLI_CALL, .call = parse_size},
    {"decoder", CLI_TEXT, .offset = FIELD(decoder)},
    {"activation", CLI_TEXT, .offset = FIELD(activation)},
    {"decoder-filters", CLI_CALL, .call = parse_filters},
    {"no-decoder-bn", CLI_FLAG, .offset = FIELD(no_decoder_bn)},
    {"encoder-freeze", CLI_FLAG, .offset = FIELD(encoder_freeze)},
    {"seed", CLI_UNSIGNED, .offset = FIELD(seed)},
    {.name = NULL},
};

static int32_t activation_code(const char *s) {
    if (strcmp(s, "sigmoid") == 0) return UNETSEG_ACT_SIGMOID;
    if (strcmp(s, "softmax") == 0) return UNETSEG_ACT_SOFTMAX;
    if (strcmp(s, "linear") == 0) return UNETSEG_ACT_LINEAR;
    return -1; /* the library says what it takes */
}

/* st, and the option to blame in *what if st is an error. */
static int32_t named(const char **what, const char *name, int32_t st) {
    if (st) *what = name;
    return st;
}

/* The setters in a fixed order (they are independent of each other). */
static int32_t apply_architecture(const cli_model_args *a, unetseg_unet_options *o, const char **what) {
    int32_t st = UNETSEG_OK;
    if (!st && a->backbone)
        st = named(what, "--backbone", unetseg_unet_options_set_backbone(o, a->backbone));
    if (!st && a->size_given)
        st = named(what, "--size",
                   unetseg_unet_options_set_input_shape(o, a->height, a->width, a->channels));
    if (!st && a->classes)
        st = named(what, "--classes", unetseg_unet_options_set_classes(o, a->classes));
    if (!st && a->activation)
        st = named(what, "--activation",
                   unetseg_unet_options_set_activation(o, activation_code(a->activation)));
    return st;
}

static int32_t apply_decoder(const cli_model_args *a, unetseg_unet_options *o, const char **what) {
    int32_t st = UNETSEG_OK;
    int64_t filters[CLI_MAX_DECODER_FILTERS];
    for (int k = 0; k < a->n_filters; k++) filters[k] = a->filters[k];
    if (!st && a->decoder)
        st = named(what, "--decoder", unetseg_unet_options_set_decoder_block_type(o, a->decoder));
    if (!st && a->n_filters)
        st = named(what, "--decoder-filters",
                   unetseg_unet_options_set_decoder_filters(o, filters, a->n_filters));
    if (!st && a->no_decoder_bn)
        st = named(what, "--no-decoder-bn", unetseg_unet_options_set_decoder_use_batchnorm(o, 0));
    if (!st && a->encoder_freeze)
        st = named(what, "--encoder-freeze", unetseg_unet_options_set_encoder_freeze(o, 1));
    if (!st) st = named(what, "--seed", unetseg_unet_options_set_seed(o, a->seed));
    return st;
}

int cli_model_build(const cli_model_args *a, unetseg_unet_options **out) {
    const char *what = "options";
    int32_t st = unetseg_unet_options_create(out);
    if (!st) st = apply_architecture(a, *out, &what);
    if (!st) st = apply_decoder(a, *out, &what);
    if (!st) return CLI_EXIT_OK;
    cli_report(what, st);
    unetseg_unet_options_free(*out);
    *out = NULL;
    return st == UNETSEG_E_NOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
}

int cli_model_check(const cli_model_args *a) {
    unetseg_unet_options *o = NULL;
    int rc = cli_model_build(a, &o);
    unetseg_unet_options_free(o);
    return rc;
}

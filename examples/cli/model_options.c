/* Parsing of the model options shared by several commands. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_report(const char *what, int32_t status) {
    fprintf(stderr, "unetseg: %s: %s: %s\n", what, unetseg_status_string(status),
            unetseg_last_error());
}

/* strtoll/strtoull/strtod accept leading blanks; a whole value does not. */
static int starts_number(const char *v) {
    return v && *v && !isspace((unsigned char)*v);
}

int cli_parse_integer(const char *opt, const char *v, long long min, long long max,
                      long long *out) {
    char *end = NULL;
    errno = 0;
    long long x = starts_number(v) ? strtoll(v, &end, 10) : 0;
    if (!end || end == v || *end != '\0') {
        fprintf(stderr, "unetseg: %s: '%s' is not an integer\n", opt, v);
        return 0;
    }
    if (errno == ERANGE || x < min || x > max) {
        fprintf(stderr, "unetseg: %s: %s is out of range (%lld to %lld)\n", opt, v, min, max);
        return 0;
    }
    *out = x;
    return 1;
}

int cli_parse_unsigned(const char *opt, const char *v, unsigned long long *out) {
    char *end = NULL;
    errno = 0;
    /* strtoull takes "-1" as its two's complement: only digits here */
    unsigned long long x = v && isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
    if (!end || *end != '\0') {
        fprintf(stderr, "unetseg: %s: '%s' is not an unsigned integer\n", opt, v);
        return 0;
    }
    if (errno == ERANGE) {
        fprintf(stderr, "unetseg: %s: %s is out of range (0 to %llu)\n", opt, v, (unsigned long long)-1);
        return 0;
    }
    *out = x;
    return 1;
}

int cli_parse_real(const char *opt, const char *v, double *out) {
    char *end = NULL;
    double x = starts_number(v) ? strtod(v, &end) : 0;
    if (!end || end == v || *end != '\0') {
        fprintf(stderr, "unetseg: %s: '%s' is not a number\n", opt, v);
        return 0;
    }
    if (!isfinite(x)) {
        fprintf(stderr, "unetseg: %s: %s is not finite\n", opt, v);
        return 0;
    }
    *out = x;
    return 1;
}

/* One integer of a --size value, followed by `stop` (or the end). */
static const char *size_part(const char *s, char stop, long long *out) {
    char *end = NULL;
    errno = 0;
    *out = starts_number(s) ? strtoll(s, &end, 10) : 0;
    if (!end || end == s || errno == ERANGE || (*end != stop && *end != '\0')) return NULL;
    return end;
}

/* HxW or HxWxC, whole (the library checks the ranges). */
static int parse_size(const char *s, int64_t *h, int64_t *w, int64_t *c) {
    long long a, b, d = 3;
    const char *p = size_part(s, 'x', &a);
    if (!p || *p != 'x' || !(p = size_part(p + 1, 'x', &b))) return 0;
    if (*p == 'x' && (!(p = size_part(p + 1, '\0', &d)) || *p)) return 0;
    *h = a;
    *w = b;
    *c = d;
    return 1;
}

static int parse_filters(const char *s, int64_t *filters, int32_t *n) {
    char *end;
    *n = 0;
    while (*s && *n < 16) {
        filters[(*n)++] = strtoll(s, &end, 10);
        if (end == s) return 0;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return 0;
    }
    return *n > 0 && *s == '\0';
}

static int32_t parse_activation(const char *s) {
    if (strcmp(s, "sigmoid") == 0) return UNETSEG_ACT_SIGMOID;
    if (strcmp(s, "softmax") == 0) return UNETSEG_ACT_SOFTMAX;
    if (strcmp(s, "linear") == 0) return UNETSEG_ACT_LINEAR;
    return -1;
}

int cli_parse_model_option(unetseg_unet_options *o, int argc, char **argv, int *i) {
    const char *opt = argv[*i];
    int32_t st = UNETSEG_OK;
    if (strcmp(opt, "--no-decoder-bn") == 0) {
        st = unetseg_unet_options_set_decoder_use_batchnorm(o, 0);
    } else if (strcmp(opt, "--encoder-freeze") == 0) {
        st = unetseg_unet_options_set_encoder_freeze(o, 1);
    } else {
        static const char *const with_value[] = {"--backbone", "--classes", "--size", "--decoder",
                                                 "--activation", "--decoder-filters", "--seed"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= strcmp(opt, with_value[k]) == 0;
        if (!known) return 0;
        if (*i + 1 >= argc) {
            fprintf(stderr, "unetseg: %s needs a value\n", opt);
            return -1;
        }
        const char *v = argv[++*i];
        int64_t h, w, c, filters[16];
        int32_t n;
        long long classes;
        unsigned long long seed;
        if (strcmp(opt, "--backbone") == 0) {
            st = unetseg_unet_options_set_backbone(o, v);
        } else if (strcmp(opt, "--classes") == 0) {
            if (!cli_parse_integer(opt, v, 1, INT64_MAX, &classes)) return -1;
            st = unetseg_unet_options_set_classes(o, classes);
        } else if (strcmp(opt, "--size") == 0) {
            if (!parse_size(v, &h, &w, &c)) {
                fprintf(stderr, "unetseg: --size wants HxW or HxWxC, got '%s'\n", v);
                return -1;
            }
            st = unetseg_unet_options_set_input_shape(o, h, w, c);
        } else if (strcmp(opt, "--decoder") == 0) {
            st = unetseg_unet_options_set_decoder_block_type(o, v);
        } else if (strcmp(opt, "--activation") == 0) {
            st = unetseg_unet_options_set_activation(o, parse_activation(v));
        } else if (strcmp(opt, "--decoder-filters") == 0) {
            if (!parse_filters(v, filters, &n)) {
                fprintf(stderr, "unetseg: --decoder-filters wants a,b,c,... got '%s'\n", v);
                return -1;
            }
            st = unetseg_unet_options_set_decoder_filters(o, filters, n);
        } else {
            if (!cli_parse_unsigned(opt, v, &seed)) return -1;
            st = unetseg_unet_options_set_seed(o, seed);
        }
    }
    if (st) {
        cli_report(opt, st);
        return -1;
    }
    return 1;
}

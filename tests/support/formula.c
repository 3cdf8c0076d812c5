/* Deterministic formula parameter values; see formula.h. */
#include "support/formula.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t formula_splitmix64(uint64_t x) {
    x += UINT64_C(0x9E3779B97F4A7C15);
    uint64_t z = x;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t formula_fnv1a64(const char *text) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)text; *p; ++p) {
        h ^= (uint64_t)*p;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static double u_of_hash(uint64_t h, int64_t k) {
    return (double)(formula_splitmix64(h + (uint64_t)k) >> 40) / 16777216.0;
}

double formula_u(const char *name, int64_t k) { return u_of_hash(formula_fnv1a64(name), k); }

/* The rule of one parameter tensor, computed once per tensor. */
typedef enum {
    F_NONE, F_KERNEL, F_BIAS, F_GAMMA, F_BETA, F_MEAN, F_VAR, F_DATA_MEAN, F_DATA_VAR
} formula_kind;

typedef struct {
    formula_kind kind;
    uint64_t hash;
    double kernel_scale; /* sqrt(3 / fan) for kernels */
} formula_rule;

static formula_rule make_rule(const char *param_name, const int64_t *shape, int32_t rank) {
    formula_rule r = {F_NONE, formula_fnv1a64(param_name), 0.0};
    const char *slash = strrchr(param_name, '/');
    const char *param = slash ? slash + 1 : param_name;
    size_t layer_len = slash ? (size_t)(slash - param_name) : 0;
    int is_bn_data = layer_len == 7 && strncmp(param_name, "bn_data", 7) == 0;

    if (strcmp(param, "kernel") == 0) {
        if (rank >= 3) {
            r.kind = F_KERNEL;
            r.kernel_scale = sqrt(3.0 / (double)(shape[0] * shape[1] * shape[2]));
        }
    } else if (strcmp(param, "bias") == 0) {
        r.kind = F_BIAS;
    } else if (strcmp(param, "gamma") == 0) {
        r.kind = F_GAMMA;
    } else if (strcmp(param, "beta") == 0) {
        r.kind = F_BETA;
    } else if (strcmp(param, "moving_mean") == 0) {
        r.kind = is_bn_data ? F_DATA_MEAN : F_MEAN;
    } else if (strcmp(param, "moving_variance") == 0) {
        r.kind = is_bn_data ? F_DATA_VAR : F_VAR;
    }
    return r;
}

static float rule_value(const formula_rule *r, int64_t k) {
    double u = u_of_hash(r->hash, k);
    double v;
    switch (r->kind) {
    case F_KERNEL: v = (2.0 * u - 1.0) * r->kernel_scale; break;
    case F_BIAS: v = 0.1 * (2.0 * u - 1.0); break;
    case F_GAMMA: v = 0.5 + u; break;
    case F_BETA: v = 0.2 * (2.0 * u - 1.0); break;
    case F_MEAN: v = 0.2 * (2.0 * u - 1.0); break;
    case F_VAR: v = 0.5 + u; break;
    case F_DATA_MEAN: v = 100.0 + 50.0 * u; break;
    case F_DATA_VAR: v = 3000.0 + 2000.0 * u; break;
    default: return NAN;
    }
    return (float)v;
}

float formula_value(const char *param_name, const int64_t *shape, int32_t rank, int64_t k) {
    formula_rule r = make_rule(param_name, shape, rank);
    return rule_value(&r, k);
}

int32_t formula_fill_model(unetseg_model *model) {
    int32_t count = 0;
    int32_t st = unetseg_model_param_tensor_count(model, &count);
    if (st != UNETSEG_OK) return st;
    for (int32_t i = 0; i < count; ++i) {
        const char *borrowed = NULL;
        st = unetseg_model_param_tensor_name(model, i, &borrowed);
        if (st != UNETSEG_OK) return st;
        /* Copy the name: the borrowed pointer may not survive param_set. */
        char name[512];
        if (strlen(borrowed) >= sizeof name) return UNETSEG_E_INVALID_ARG;
        strcpy(name, borrowed);

        unetseg_tensor *t = NULL;
        st = unetseg_model_param_get(model, name, &t);
        if (st != UNETSEG_OK) return st;
        int32_t rank = 0;
        int64_t shape[UNETSEG_MAX_RANK];
        int64_t numel = 0;
        st = unetseg_tensor_rank(t, &rank);
        if (st == UNETSEG_OK) st = unetseg_tensor_shape(t, shape, UNETSEG_MAX_RANK);
        if (st == UNETSEG_OK) st = unetseg_tensor_numel(t, &numel);
        if (st == UNETSEG_OK) {
            formula_rule r = make_rule(name, shape, rank);
            if (r.kind == F_NONE) {
                st = UNETSEG_E_UNSUPPORTED;
            } else {
                float *data = unetseg_tensor_data(t);
                for (int64_t k = 0; k < numel; ++k) data[k] = rule_value(&r, k);
                st = unetseg_model_param_set(model, name, t);
            }
        }
        unetseg_tensor_free(t);
        if (st != UNETSEG_OK) return st;
    }
    return UNETSEG_OK;
}

int32_t formula_self_check(void) {
    int32_t bad = 0;
    if (formula_splitmix64(0) != FORMULA_CHECK_SPLITMIX64_OF_0) {
        fprintf(stderr, "formula: splitmix64(0) mismatch\n");
        ++bad;
    }
    if (formula_fnv1a64("conv0/kernel") != FORMULA_CHECK_FNV1A64_CONV0_KERNEL) {
        fprintf(stderr, "formula: fnv1a64 mismatch\n");
        ++bad;
    }
#define FORMULA_CHECK_ONE(name, rank, d0, d1, d2, d3, k, expected)                        \
    do {                                                                                  \
        const int64_t shape_[4] = {d0, d1, d2, d3};                                       \
        float got_ = formula_value(name, shape_, rank, k);                                \
        if (got_ != (expected)) {                                                         \
            fprintf(stderr, "formula: %s[%d] = %.9g, expected %.9g\n", name, (int)(k),    \
                    (double)got_, (double)(expected));                                    \
            ++bad;                                                                        \
        }                                                                                 \
    } while (0);
    FORMULA_SELF_CHECK(FORMULA_CHECK_ONE)
#undef FORMULA_CHECK_ONE
#define FORMULA_CHECK_INPUT(name, k, u_expected, x_expected)                              \
    do {                                                                                  \
        double u_ = formula_u(name, k);                                                   \
        float x_ = (float)(255.0 * u_);                                                   \
        if (u_ != (u_expected) || x_ != (x_expected)) {                                   \
            fprintf(stderr, "formula: u(%s, %d) = %.17g, expected %.17g\n", name, (int)(k), \
                    u_, (double)(u_expected));                                            \
            ++bad;                                                                        \
        }                                                                                 \
    } while (0);
    FORMULA_SELF_CHECK_INPUT(FORMULA_CHECK_INPUT)
#undef FORMULA_CHECK_INPUT
    return bad;
}

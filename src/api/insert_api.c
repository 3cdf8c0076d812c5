/* Public entry points of layer matching (the dry run), dropout insertion
 * and its options handle. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/insert.h"
#include "graph/matcher.h"

struct unetseg_insert_options {
    us_insert_spec spec;
};

#define CHECK_OPTIONS(o, fn)                                                        \
    do {                                                                            \
        us_clear_error();                                                           \
        if (!(o)) return us_fail(UNETSEG_E_INVALID_ARG, fn ": options is NULL");    \
    } while (0)

UNETSEG_API int32_t unetseg_insert_options_create(unetseg_insert_options **out) {
    us_clear_error();
    if (!out) return us_fail(UNETSEG_E_INVALID_ARG, "insert_options_create: out is NULL");
    *out = us_calloc(1, sizeof **out);
    if (!*out) return us_fail(UNETSEG_E_NOMEM, "insert_options_create: out of memory");
    (*out)->spec.kind = UNETSEG_LAYER_DROPOUT;
    (*out)->spec.cfg.rate = 0.5;
    (*out)->spec.cfg.mode = UNETSEG_DROPOUT_TRAINING;
    (*out)->spec.position = UNETSEG_INSERT_AFTER;
    strcpy((*out)->spec.suffix, "_dropout");
    return UNETSEG_OK;
}

UNETSEG_API void unetseg_insert_options_free(unetseg_insert_options *options) { free(options); }

UNETSEG_API int32_t unetseg_insert_options_set_kind(unetseg_insert_options *o, int32_t kind) {
    CHECK_OPTIONS(o, "insert_options_set_kind");
    if (kind != UNETSEG_LAYER_DROPOUT && kind != UNETSEG_LAYER_SPATIAL_DROPOUT2D &&
        kind != UNETSEG_LAYER_CONDITIONAL_DROPOUT)
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "insert_options_set_kind: %d is not DROPOUT, SPATIAL_DROPOUT2D or "
                       "CONDITIONAL_DROPOUT",
                       kind);
    o->spec.kind = kind;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_insert_options_set_rate(unetseg_insert_options *o, double rate) {
    CHECK_OPTIONS(o, "insert_options_set_rate");
    if (!(rate >= 0.0 && rate < 1.0))
        return us_fail(UNETSEG_E_INVALID_ARG, "insert_options_set_rate: rate %g is not in [0, 1)",
                       rate);
    o->spec.cfg.rate = rate;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_insert_options_set_mode(unetseg_insert_options *o, int32_t mode,
                                                    int32_t spatial) {
    CHECK_OPTIONS(o, "insert_options_set_mode");
    if (mode < UNETSEG_DROPOUT_TRAINING || mode > UNETSEG_DROPOUT_NEVER || (spatial != 0 && spatial != 1))
        return us_fail(UNETSEG_E_INVALID_ARG,
                       "insert_options_set_mode: mode must be TRAINING, ALWAYS or NEVER and "
                       "spatial 0 or 1");
    o->spec.cfg.mode = mode;
    o->spec.cfg.spatial = spatial;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_insert_options_set_position(unetseg_insert_options *o,
                                                        int32_t position) {
    CHECK_OPTIONS(o, "insert_options_set_position");
    if (position != UNETSEG_INSERT_AFTER && position != UNETSEG_INSERT_BEFORE)
        return us_fail(UNETSEG_E_INVALID_ARG, "insert_options_set_position: AFTER or BEFORE");
    o->spec.position = position;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_insert_options_set_suffix(unetseg_insert_options *o,
                                                      const char *suffix) {
    CHECK_OPTIONS(o, "insert_options_set_suffix");
    size_t len = suffix ? strlen(suffix) : 0;
    if (len < 1 || len > 32)
        return us_fail(UNETSEG_E_INVALID_ARG, "insert_options_set_suffix: 1..32 characters");
    for (size_t i = 0; i < len; i++) {
        char c = suffix[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return us_fail(UNETSEG_E_INVALID_ARG,
                           "insert_options_set_suffix: '%s' has a character outside [A-Za-z0-9_.-]",
                           suffix);
    }
    memcpy(o->spec.suffix, suffix, len + 1);
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_insert_options_set_allow_no_match(unetseg_insert_options *o,
                                                              int32_t allow) {
    CHECK_OPTIONS(o, "insert_options_set_allow_no_match");
    if (allow != 0 && allow != 1)
        return us_fail(UNETSEG_E_INVALID_ARG, "insert_options_set_allow_no_match: 0 or 1");
    o->spec.allow_no_match = allow;
    return UNETSEG_OK;
}

UNETSEG_API int32_t unetseg_model_match(const unetseg_model *model,
                                        const unetseg_matcher *matcher, int32_t *indices,
                                        int32_t capacity, int32_t *count) {
    US_CLEAR_ERROR_ON(model);
    if (count) *count = 0;
    if (!model) return us_fail(UNETSEG_E_INVALID_ARG, "model_match: model is NULL");
    if (!matcher) return us_fail(UNETSEG_E_INVALID_ARG, "model_match: matcher is NULL");
    if (!count) return us_fail(UNETSEG_E_INVALID_ARG, "model_match: count is NULL");
    if (capacity < 0)
        return us_fail(UNETSEG_E_INVALID_ARG, "model_match: capacity %d is negative",
                       (int)capacity);
    if (capacity > 0 && !indices)
        return us_fail(UNETSEG_E_INVALID_ARG, "model_match: indices is NULL (capacity %d)",
                       (int)capacity);
    return us_model_match(model, matcher, indices, capacity, count, "model_match");
}

UNETSEG_API int32_t unetseg_model_insert_dropout(unetseg_model *model,
                                                 const unetseg_matcher *matcher,
                                                 const unetseg_insert_options *options,
                                                 int32_t *inserted) {
    US_CLEAR_ERROR_ON(model);
    if (inserted) *inserted = 0;
    if (!model || !matcher || !options)
        return us_fail(UNETSEG_E_INVALID_ARG, "insert_dropout: NULL argument");
    int32_t n = 0;
    int32_t st = us_model_insert(model, matcher, &options->spec, &n);
    if (!st && inserted) *inserted = n;
    return st;
}

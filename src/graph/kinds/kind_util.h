/* Helpers shared by the layer kinds in this directory (internal to them). */
#ifndef US_GRAPH_KINDS_KIND_UTIL_H
#define US_GRAPH_KINDS_KIND_UTIL_H

#include "core/error.h"
#include "graph/layer_kinds.h"

#define US_MAX_DIM ((int64_t)1 << 20)

/* Silences unused-argument warnings of functions that fit a table slot. */
#define US_UNUSED(x) (void)(x)

static inline int us_in_range(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }
static inline int64_t us_count4(const int64_t s[4]) { return s[0] * s[1] * s[2] * s[3]; }
/* v, or -1 when the size d it derives from is unknown. */
static inline int64_t us_dim_or_unknown(int64_t d, int64_t v) { return d < 0 ? -1 : v; }
static inline int32_t us_is_0_or_1(int32_t v) { return v == 0 || v == 1; }

/* Shape rule of the kinds whose output is shaped as their first input. */
int32_t us_kind_infer_same(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]);
/* Shape rule of Concatenate (concat = 1) and Add: height and width agree,
 * channels add up (or agree). */
int32_t us_kind_infer_merge(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4],
                            int concat);
/* Windowed layers (Conv2D, MaxPooling2D): kernel and strides 1..64, padding
 * VALID or SAME; and the output height and width. */
int32_t us_kind_check_window(const char *name, const us_layer_config *c);
int32_t us_kind_infer_window(const us_layer *l, const int64_t in[4], int64_t out[4]);
/* The gradient slot of parameter `name`, or NULL when it is not trained. */
float *us_kind_param_grad(const us_layer *l, const us_backward_args *a, const char *name);

#endif

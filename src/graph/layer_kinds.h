/* The layer table: per kind, its names, shape rule, parameters and forward
 * kernel. Adding a layer kind = one file in src/ops plus one row here. */
#ifndef US_GRAPH_LAYER_KINDS_H
#define US_GRAPH_LAYER_KINDS_H

#include "graph/model.h"
#include "ops/ops.h"

#define US_LAYER_KIND_COUNT 13

/* Execution context of one forward pass. */
typedef struct us_exec_ctx {
    int32_t training;     /* 1 = training mode (BN batch stats, dropout on) */
    int32_t mc_dropout;   /* model-level switch: ConditionalDropout(TRAINING) on */
    int32_t all_dropout;  /* Monte-Carlo prediction: every dropout on but NEVER */
    uint64_t seed, step;  /* dropout masks depend on (seed, layer id, step, position) */
    /* Training passes: where activations and gradients are kept between
     * passes, so a step touches no fresh pages (the trainer's); NULL: a
     * pool of this pass only. */
    us_buffer_pool *pool;
} us_exec_ctx;

/* What a backward function gets. */
typedef struct us_backward_args {
    const float *const *in;        /* forward inputs */
    const int64_t (*in_shape)[4];
    int32_t n_in;
    const float *out;              /* forward output */
    const int64_t *out_shape;
    const float *dy;               /* gradient of the output */
    float *const *dx;              /* per input, or NULL */
    float *const *dparams;         /* per parameter, or NULL */
    const float *aux;
} us_backward_args;

typedef struct us_layer_kind {
    const char *keras_class; /* "Conv2D" (summary type column) */
    const char *lower_name;  /* "conv2d" (matcher kind=...) */
    int32_t min_in, max_in;  /* inbound count limits */
    int32_t elementwise;     /* output may overwrite its single input */
    /* Output shape from inbound shapes; -1 dims propagate. Sets a message and
     * returns UNETSEG_E_SHAPE when the inputs do not fit. */
    int32_t (*infer)(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]);
    /* Create the parameters (zero / Keras neutral values) for input shape in0. */
    int32_t (*make_params)(us_layer *l, const int64_t in0[4]);
    /* Forward on concrete shapes. `aux` (aux_floats of them, training only,
     * else NULL) keeps what backward needs besides inputs and output. */
    int32_t (*forward)(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*in_shape)[4], int32_t n_in, float *out,
                       const int64_t out_shape[4], float *aux);
    /* Backward: accumulate into dx[j] (NULL: input j needs no gradient) and
     * dparams[p] (NULL: parameter p is not trained). NULL for kinds whose
     * backward is not needed (the input layer). */
    int32_t (*backward)(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
    /* Floats of saved state per layer in training (0 for most kinds). */
    int64_t (*aux_floats)(const us_layer *l, const int64_t out_shape[4]);
} us_layer_kind;

const us_layer_kind *us_layer_kind_get(int32_t kind);

/* Helpers shared by the forward and backward functions of the table. */
const float *us_layer_param(const us_layer *l, const char *name);
void us_layer_conv_geom(const us_layer *l, const int64_t in[4], const int64_t out[4],
                        us_conv_geom *g);
int32_t us_dropout_active(const us_layer *l, const us_exec_ctx *ctx);
int32_t us_dropout_spatial(const us_layer *l);
/* Key of a dropout layer's masks in this pass: (seed, layer name, step). */
uint64_t us_dropout_key(const us_layer *l, const us_exec_ctx *ctx);
int us_bn_uses_batch_stats(const us_layer *l, const us_exec_ctx *ctx);
/* Validate the kind-specific configuration values (rates, sizes, enums). */
int32_t us_layer_config_check(int32_t kind, const char *name, const us_layer_config *cfg);

#endif

/* The layer table (docs/DESIGN.md section 2): everything about a layer kind
 * is one us_layer_kind, defined in its own file under src/graph/kinds/ and
 * listed by one line of the table in layer_kinds.c. The graph description
 * (io/graph_text.c), the parameter counts and the validation are driven by
 * the table; the numeric kernels are in src/ops. */
#ifndef US_GRAPH_LAYER_KINDS_H
#define US_GRAPH_LAYER_KINDS_H

#include <stddef.h>

#include "graph/model.h"
#include "ops/ops.h"

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
    /* Training BatchNorm layers all-reduce their statistics through this
     * (synchronised BatchNorm, unetseg_trainer_set_batchnorm_sync_hook);
     * fn NULL: each batch alone. */
    us_bn_sync bn_sync;
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

/* One configuration setting of a kind: a member of us_layer_config, saved in
 * the graph description as key=value when it differs from `def` (a line
 * without the key means `def`, so a default may never change). */
typedef enum us_field_type { US_FIELD_I32, US_FIELD_I64, US_FIELD_F64 } us_field_type;
typedef struct us_cfg_field {
    const char *key;    /* the member's name: "filters" */
    size_t offset;      /* offsetof(us_layer_config, member) */
    us_field_type type; /* from the member's C type */
    double def;
} us_cfg_field;
#define US_FIELD_TYPE_OF(member)                                                              \
    _Generic(((us_layer_config *)0)->member, int32_t: US_FIELD_I32, int64_t: US_FIELD_I64,   \
             double: US_FIELD_F64)
#define US_FIELD(member, def)                                                                  \
    {#member, offsetof(us_layer_config, member), US_FIELD_TYPE_OF(member), def}
#define US_FIELDS(array) array, (int32_t)(sizeof array / sizeof *array)

/* One parameter a layer creates: Keras name, shape, initial value. */
typedef struct us_param_spec {
    const char *name;
    int32_t is_statistic; /* moving_mean/variance: never trained */
    int32_t rank;
    int64_t shape[4];
    float fill;
} us_param_spec;

typedef struct us_layer_kind {
    const char *keras_class; /* "Conv2D": the summary's type column */
    const char *lower_name;  /* "conv2d": graph description, matcher kind=... */
    int32_t min_in, max_in;  /* inbound count limits */
    int32_t elementwise;     /* output may overwrite its single input */
    const us_cfg_field *fields; /* its settings, in the description's order */
    int32_t n_fields;
    /* Validate the settings (rates, sizes, enums); NULL: nothing to check. */
    int32_t (*check)(const char *name, const us_layer_config *c);
    /* The parameters of a valid configuration on `cin` input channels, in
     * Keras order; returns how many (<= US_MAX_PARAMS). NULL: none. */
    int32_t (*params)(const us_layer_config *c, int64_t cin, us_param_spec out[US_MAX_PARAMS]);
    /* Output shape from inbound shapes; -1 dims propagate. Sets a message and
     * returns UNETSEG_E_SHAPE when the inputs do not fit. */
    int32_t (*infer)(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4]);
    /* Forward on concrete shapes. `aux` (aux_floats of them, training only,
     * else NULL) keeps what backward needs besides inputs and output. */
    int32_t (*forward)(const us_layer *l, const us_exec_ctx *ctx, const float *const *in,
                       const int64_t (*in_shape)[4], int32_t n_in, float *out,
                       const int64_t out_shape[4], float *aux);
    /* Backward: accumulate into dx[j] (NULL: input j needs no gradient) and
     * dparams[p] (NULL: parameter p is not trained). NULL for kinds whose
     * backward is not needed (the input layer). */
    int32_t (*backward)(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
    /* Floats of saved state per layer in training; NULL: none. */
    int64_t (*aux_floats)(const us_layer *l, const int64_t out_shape[4]);
} us_layer_kind;

/* The kind UNETSEG_LAYER_* (0 .. UNETSEG_LAYER_KIND_COUNT-1), or NULL. */
const us_layer_kind *us_layer_kind_get(int32_t kind);
/* The kind whose lower_name is `name`, or -1. */
int32_t us_layer_kind_find(const char *name);

/* Validate the kind's settings (INVALID_ARG with `name` in the message). */
int32_t us_layer_config_check(int32_t kind, const char *name, const us_layer_config *cfg);
/* `in` with every member that is not a setting of `kind` zeroed: what a
 * layer keeps, so that it is exactly what its description saves. */
void us_layer_config_canonical(int32_t kind, const us_layer_config *in, us_layer_config *out);
/* The setting called `key` of `kind`, else of any kind (a description may
 * carry another kind's setting, which the layer then drops); NULL if none. */
const us_cfg_field *us_cfg_field_find(int32_t kind, const char *key);

/* Create a new layer's parameters for input channels cin. */
int32_t us_layer_make_params(us_layer *l, us_share_group *group, int64_t cin);
/* Elements of the parameters a layer of this configuration creates on cin
 * input channels; 0 when cin or a size is below 1, or on overflow. */
int64_t us_layer_param_count(int32_t kind, const us_layer_config *cfg, int64_t cin);

/* Helpers of the kinds that the executor and trainer use too. */
const float *us_layer_param(const us_layer *l, const char *name);
/* Layer l's parameter `name` (e.g. "kernel"), or NULL. */
us_param *us_layer_find_param(us_layer *l, const char *name);
void us_layer_conv_geom(const us_layer *l, const int64_t in[4], const int64_t out[4],
                        us_conv_geom *g);
int32_t us_dropout_active(const us_layer *l, const us_exec_ctx *ctx);
/* Key of a dropout layer's masks in this pass: (seed, layer name, step). */
uint64_t us_dropout_key(const us_layer *l, const us_exec_ctx *ctx);
int us_bn_uses_batch_stats(const us_layer *l, const us_exec_ctx *ctx);
/* The number of rows a training BatchNorm's statistics covered (its aux
 * after forward): the layer's own, or all replicas' when synchronised. */
double us_bn_aux_rows(const float *aux, int64_t c);

#endif

/* The model: an ordered list of layers in topological order, the same list as
 * Keras `model.layers` (internal). */
#ifndef US_GRAPH_MODEL_H
#define US_GRAPH_MODEL_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "graph/buffer_pool.h"
#include "graph/layer_index.h"
#include "graph/param_share.h"
#include "graph/profile.h"
#include "unetseg.h"

#define US_MAX_NAME 127
#define US_MAX_PARAMS 4

/* Every configuration value any layer kind uses; each kind reads its own. */
typedef struct us_layer_config {
    int64_t filters, kernel_h, kernel_w, stride_h, stride_w; /* conv, pool */
    int32_t padding, use_bias;                               /* conv, pool */
    double epsilon, momentum;                                /* batchnorm */
    int32_t center, scale;                                   /* batchnorm */
    int32_t activation;                                      /* activation */
    int64_t pad_top, pad_bottom, pad_left, pad_right;        /* zero padding */
    int64_t size_h, size_w;                                  /* upsampling */
    int32_t interpolation;                                   /* upsampling */
    double rate;                                             /* dropouts */
    int32_t mode, spatial;                                   /* conditional dropout */
    int64_t height, width, channels;                         /* input */
} us_layer_config;

typedef struct us_param {
    char name[24];          /* Keras name: kernel, bias, gamma, beta, moving_mean, ... */
    int32_t is_statistic;   /* moving_mean/variance: never trainable */
    unetseg_tensor *value;  /* data->value: read through either; write only after
                               us_param_make_writable (graph/param_share.h) */
    us_param_data *data;    /* the block holding the values, shared with clones */
} us_param;

typedef struct us_layer {
    char *name;
    int32_t id;       /* stable over insertions; inbound links use ids */
    int32_t kind;     /* UNETSEG_LAYER_* */
    int32_t region;   /* UNETSEG_REGION_* */
    int32_t trainable;
    int32_t inserted; /* added by dropout insertion: never re-matched */
    int32_t n_in;
    int32_t *in_ids;
    us_layer_config cfg;
    int32_t n_params;
    us_param params[US_MAX_PARAMS];
    int64_t shape[4]; /* output (N, H, W, C) as built; -1 = unknown (None) */
} us_layer;

struct unetseg_model {
    us_layer *layers;
    int32_t n_layers, cap_layers;
    int32_t next_id;
    us_layer_index index; /* by name and id; rebuilt by whatever reorders layers */
    /* Builder facts: a description line for the summary ("Unet('resnet34') {...}"),
     * the input size multiple forward() requires, backbone layer count. */
    char *description;
    int64_t input_multiple;
    int32_t n_backbone_layers;
    uint64_t seed;           /* dropout masks: (seed, layer id, step, element) */
    uint64_t step;           /* advanced by every forward pass */
    int32_t mc_dropout;      /* model-level Monte-Carlo switch */
    int32_t threads;         /* 0 = all cores */
    char *summary_text;      /* cache behind unetseg_model_summary */
    char *param_name_cache;  /* "{layer}/{param}" behind param_tensor_name */
    char *load_report;       /* text behind unetseg_model_load_weights' report */
    /* The clone family: its budget of transformed kernels, which the
     * parameter blocks keep (graph/param_share.h). */
    us_share_group *group;
    /* Outputs of the layers of the last input shape of an inference pass,
     * kept so that the next pass of that shape maps no fresh pages (with a
     * new shape they are freed first; freed with the model). Training passes
     * keep theirs in the trainer's pool (us_exec_ctx.pool). */
    us_buffer_pool run_pool;
    int64_t run_pool_shape[4];
    /* Inference passes run at run_pool_shape: transformed kernels are only
     * made from the second on (kernel_plan.h). */
    int64_t passes_at_shape;
    us_profile profile; /* per-layer timing, while on (unetseg_model_set_profiling) */
    /* The message of the last failed call on this model (unetseg_model_last_error);
     * written by us_fail during calls on the model, even through a const handle. */
    char last_error[US_ERROR_SIZE];
};

/* A new empty model; NOMEM. us_model_free releases it and all it owns
 * (NULL is ignored). The public create/free are these, with argument checks. */
int32_t us_model_new(unetseg_model **out);
void us_model_free(unetseg_model *m);

/* Index of the layer with this name / id, or -1. */
int32_t us_model_find(const unetseg_model *m, const char *name);
int32_t us_model_index_of_id(const unetseg_model *m, int32_t id);

/* Append a layer of `kind` with a copy of cfg, after validating the name, the
 * inbound names, the configuration and the inferred shape; creates its
 * parameters. On error the model is unchanged. */
int32_t us_model_append(unetseg_model *m, const char *name, int32_t kind,
                        const char *const *inbound, int32_t n_in, const us_layer_config *cfg);

/* Release what a layer owns (not the layer struct itself). */
void us_layer_clear(us_layer *layer);
/* Drop cached text (summary etc.) after a mutation. */
void us_model_invalidate(unetseg_model *m);
/* Bound the transformed kernels of m's clone family to `bytes` (>= 0) and
 * drop those of blocks only m holds (they are made again within the bound
 * when needed); shared blocks keep theirs until their weights change. */
void us_model_set_kernel_cache_limit(unetseg_model *m, int64_t bytes);

/* Apply the model's thread setting for the passes run by this thread;
 * returns the thread count in effect. */
int32_t us_model_apply_threads(const unetseg_model *m);
/* Around every pass of a public call: applies the thread setting and, on
 * the blas variant, holds OpenBLAS at one thread until the matching end
 * restores the host's setting. Pass begin's result to end. */
int us_model_pass_begin(const unetseg_model *m);
void us_model_pass_end(int token);

/* Parameter "{layer}/{param}" lookup; NULL if absent. */
us_param *us_model_find_param(const unetseg_model *m, const char *full_name);

/* Elements of all parameters, and of those a training step updates
 * (trainable layers, moving statistics excluded). */
void us_model_param_totals(const unetseg_model *m, int64_t *total, int64_t *trainable);

/* The Keras model.summary() table (graph/summary.c), kept in the model
 * until the next mutation. Errors: NOMEM. */
int32_t us_model_summary(unetseg_model *m, const char **text);

#endif

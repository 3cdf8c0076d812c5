/*
 * unetseg.h - the one public header of unetseg, a C11 library for semantic
 * segmentation with a U-Net on a ResNet encoder (Keras segmentation_models
 * compatible layer names, shapes and weights).
 *
 * Conventions (see docs/ABI.md):
 *  - Every fallible call returns an int32_t status: UNETSEG_OK (0) or a
 *    negative UNETSEG_E_* code. The codes are pinned forever; new ones are
 *    only appended.
 *  - On failure, unetseg_last_error() returns a thread-local message naming
 *    the problem, outputs are set to NULL/0, and nothing the caller owns is
 *    changed. A failed call on a model or trainer also leaves its message in
 *    the handle (unetseg_model_last_error, unetseg_trainer_last_error), for
 *    callers that cannot stay on one OS thread (Go, async runtimes).
 *  - Handles are opaque. Whatever a *_create returns belongs to the caller and
 *    is released with the matching *_free, which accepts NULL.
 *  - Inputs (names, shapes, values) are copied. Getters that return
 *    `const char *` or `const float *` return borrowed pointers that stay valid
 *    until the next mutating call on the same handle.
 *  - Tensors are float32, row-major; images are NHWC (Keras channels_last).
 *  - One handle is used by one thread at a time; different handles may be used
 *    concurrently: they share no mutable state (clones of a model share its
 *    weights read-only, copy-on-write: unetseg_model_clone). What the process shares needs
 *    no initialisation call, and none of it changes a result:
 *      - a pool of worker threads: started by the first pass that runs on
 *        more than one thread, grown to the most threads a pass has asked
 *        for less one (at most 63), asleep between passes, joined at exit or
 *        unload; unetseg_set_max_threads bounds it (and every pass's
 *        threads), unetseg_shutdown_workers stops it until the next pass;
 *      - the bound of unetseg_set_max_threads;
 *      - the kernel variant, chosen once from the CPU and the environment
 *        (UNETSEG_ISA, UNETSEG_NO_WINOGRAD);
 *      - on CPUs without AVX2 + FMA only (the "blas" variant), OpenBLAS's
 *        thread count: set to 1 while a pass runs, then back to the
 *        host's value when the last concurrent pass ends.
 *    With the pool comes one pthread_atfork handler (a forked child starts
 *    with an empty pool). Nothing else is global: no environment variable is
 *    written, no signal handler installed, no file opened but those the
 *    caller names. Per thread: the last-error text and the text of
 *    unetseg_runtime_info.
 */
#ifndef UNETSEG_H
#define UNETSEG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(UNETSEG_BUILDING) && defined(__GNUC__)
#define UNETSEG_API __attribute__((visibility("default")))
#else
#define UNETSEG_API
#endif

/* ---------------------------------------------------------------- versions */
#define UNETSEG_VERSION_MAJOR 0
#define UNETSEG_VERSION_MINOR 1
#define UNETSEG_VERSION_PATCH 0
/* The ABI number is the soname suffix: libunetseg.so.<UNETSEG_ABI_VERSION>. */
#define UNETSEG_ABI_VERSION 1

/* The same as one number, MAJOR * 10000 + MINOR * 100 + PATCH (as zstd's
 * ZSTD_VERSION_NUMBER), for comparisons in code and bindings. */
#define UNETSEG_VERSION_NUMBER \
    (UNETSEG_VERSION_MAJOR * 10000 + UNETSEG_VERSION_MINOR * 100 + UNETSEG_VERSION_PATCH)

/* "MAJOR.MINOR.PATCH" of the library actually loaded (static text). */
UNETSEG_API const char *unetseg_version_string(void);
/* UNETSEG_VERSION_NUMBER of the library actually loaded. Cannot fail. */
UNETSEG_API int32_t unetseg_version_number(void);
/* ABI number of the library actually loaded; compare with UNETSEG_ABI_VERSION. */
UNETSEG_API int32_t unetseg_abi_version(void);
/* What this process runs with, as lines of text: version, CPU model and
 * vector features, the GEMM kernel variant in use, default threads,
 * OpenBLAS's build and core. Thread-local text, valid until the next call on
 * the same thread; do not free it. Cannot fail. */
UNETSEG_API const char *unetseg_runtime_info(void);

/* ------------------------------------------------------------ status codes */
#define UNETSEG_OK 0
#define UNETSEG_E_INVALID_ARG (-1)   /* NULL pointer, value out of range */
#define UNETSEG_E_NOMEM (-2)         /* an allocation failed or is too large */
#define UNETSEG_E_SHAPE (-3)         /* tensor shapes do not fit */
#define UNETSEG_E_NOT_FOUND (-4)     /* no layer / parameter of that name */
#define UNETSEG_E_NAME_EXISTS (-5)   /* a layer of that name already exists */
#define UNETSEG_E_STATE (-6)         /* the handle is in the wrong state */
#define UNETSEG_E_IO (-7)            /* a file could not be opened/read/written */
#define UNETSEG_E_FORMAT (-8)        /* a file is malformed, truncated or lying */
#define UNETSEG_E_NO_MATCH (-9)      /* a matcher selected no layer */
#define UNETSEG_E_SYNTAX (-10)       /* a text expression does not parse */
#define UNETSEG_E_GRAPH (-11)        /* unknown inbound layer, cycle, bad wiring */
#define UNETSEG_E_UNSUPPORTED (-12)  /* valid request this build cannot do */
#define UNETSEG_E_NUMERIC (-13)      /* NaN or infinity where it would poison state */

/* Static text describing a status code ("unknown status" for others). */
UNETSEG_API const char *unetseg_status_string(int32_t status);
/* Thread-local detail of the last failure on this thread ("" if none).
 * Borrowed; valid until the next unetseg call on this thread. A runtime
 * that may move a task to another OS thread between two calls (Go) pins it
 * around the call and this read, or reads the handle's copy instead
 * (unetseg_model_last_error, unetseg_trainer_last_error; docs/ABI.md). */
UNETSEG_API const char *unetseg_last_error(void);

/* ------------------------------------------------------------------ tensor */
typedef struct unetseg_tensor unetseg_tensor;

#define UNETSEG_MAX_RANK 8

/* Create a zero-filled float32 tensor of `rank` (1..UNETSEG_MAX_RANK) dims,
 * each in 1..2^31-1, at most 2^34 elements in all.
 * Errors: INVALID_ARG (NULL, bad rank or dim), NOMEM. */
UNETSEG_API int32_t unetseg_tensor_create(int32_t rank, const int64_t *shape,
                                          unetseg_tensor **out);
/* Release a tensor (NULL is fine). */
UNETSEG_API void unetseg_tensor_free(unetseg_tensor *tensor);
/* Rank of the tensor into *rank. Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_tensor_rank(const unetseg_tensor *tensor, int32_t *rank);
/* Copy the shape into shape[0..rank-1]; `capacity` is the length of `shape`.
 * Errors: INVALID_ARG (NULL), SHAPE (capacity < rank). */
UNETSEG_API int32_t unetseg_tensor_shape(const unetseg_tensor *tensor, int64_t *shape,
                                         int32_t capacity);
/* Number of elements into *count. Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_tensor_numel(const unetseg_tensor *tensor, int64_t *count);
/* Borrowed pointer to the contiguous row-major data (NULL on a NULL tensor).
 * Valid until the tensor is freed. */
UNETSEG_API float *unetseg_tensor_data(unetseg_tensor *tensor);
/* The same, read-only, for a const tensor (read-only views in bindings). */
UNETSEG_API const float *unetseg_tensor_data_const(const unetseg_tensor *tensor);
/* Copy `count` floats from `src` into the tensor; count must equal numel.
 * Errors: INVALID_ARG (NULL), SHAPE (count differs). */
UNETSEG_API int32_t unetseg_tensor_copy_from(unetseg_tensor *tensor, const float *src,
                                             int64_t count);
/* Copy the tensor's `count` floats into `dst`; count must equal numel.
 * Errors: INVALID_ARG (NULL), SHAPE (count differs). */
UNETSEG_API int32_t unetseg_tensor_copy_to(const unetseg_tensor *tensor, float *dst,
                                           int64_t count);

/* Read the tensor called `name` from a safetensors file (F32; F16, BF16 and
 * F64 are converted; rank 1..UNETSEG_MAX_RANK). *out is a new tensor, the
 * caller's. Errors: INVALID_ARG, IO, FORMAT, NOT_FOUND (no such tensor), NOMEM. */
UNETSEG_API int32_t unetseg_tensor_load(const char *path, const char *name,
                                        unetseg_tensor **out);
/* Write n tensors, named names[i], to a safetensors file (F32), atomically
 * (temporary file + rename). Errors: INVALID_ARG (NULL, duplicate names), IO, NOMEM. */
UNETSEG_API int32_t unetseg_tensors_save(const char *path, const char *const *names,
                                         const unetseg_tensor *const *tensors, int32_t n);

/* ------------------------------------------------------------ layer kinds */
#define UNETSEG_LAYER_INPUT 0
#define UNETSEG_LAYER_CONV2D 1
#define UNETSEG_LAYER_CONV2D_TRANSPOSE 2
#define UNETSEG_LAYER_BATCHNORM 3
#define UNETSEG_LAYER_ACTIVATION 4
#define UNETSEG_LAYER_ZERO_PADDING2D 5
#define UNETSEG_LAYER_MAX_POOLING2D 6
#define UNETSEG_LAYER_UPSAMPLING2D 7
#define UNETSEG_LAYER_CONCATENATE 8
#define UNETSEG_LAYER_ADD 9
#define UNETSEG_LAYER_DROPOUT 10
#define UNETSEG_LAYER_SPATIAL_DROPOUT2D 11
#define UNETSEG_LAYER_CONDITIONAL_DROPOUT 12
#define UNETSEG_LAYER_KIND_COUNT 13 /* kinds are 0 .. UNETSEG_LAYER_KIND_COUNT-1 */

#define UNETSEG_PADDING_VALID 0
#define UNETSEG_PADDING_SAME 1 /* TensorFlow rule: extra pad at bottom/right */

#define UNETSEG_ACT_LINEAR 0
#define UNETSEG_ACT_RELU 1
#define UNETSEG_ACT_SIGMOID 2
#define UNETSEG_ACT_SOFTMAX 3 /* over the channel (last) axis */
#define UNETSEG_ACT_TANH 4

#define UNETSEG_INTERP_NEAREST 0
#define UNETSEG_INTERP_BILINEAR 1

/* ConditionalDropout modes */
#define UNETSEG_DROPOUT_TRAINING 0 /* active only in training */
#define UNETSEG_DROPOUT_ALWAYS 1   /* active in training and inference (MC) */
#define UNETSEG_DROPOUT_NEVER 2    /* never active */

/* Regions, set by the builders (UNETSEG_REGION_NONE for hand-added layers). */
#define UNETSEG_REGION_NONE 0
#define UNETSEG_REGION_ENCODER 1
#define UNETSEG_REGION_DECODER 2
#define UNETSEG_REGION_HEAD 3

/* Lower-case Keras class name of a kind ("conv2d", "inputlayer", ...), or NULL. */
UNETSEG_API const char *unetseg_layer_kind_name(int32_t kind);

/* ------------------------------------------------------------------- model */
typedef struct unetseg_model unetseg_model;

/* Create an empty model (no layers). Errors: INVALID_ARG, NOMEM. */
UNETSEG_API int32_t unetseg_model_create(unetseg_model **out);
/* Release a model and everything it owns (NULL is fine). */
UNETSEG_API void unetseg_model_free(unetseg_model *model);
/* The message of the last failed call on this model ("" if none has
 * failed; "" for NULL), set with the thread-local one: by every function
 * that takes the model (`const` or not) as an argument, unetseg_trainer_create
 * included; not by unetseg_model_free, nor by the calls that create a model
 * (a failed create leaves no handle). A later successful call does not
 * clear it. Borrowed; valid until the next call on the model. Reading it
 * changes no error state. Cannot fail. */
UNETSEG_API const char *unetseg_model_last_error(const unetseg_model *model);

/*
 * Adding layers. Layers are appended to an ordered list (the Keras
 * `model.layers` order); every inbound name must already be in the list, so
 * the list is always in topological order and cycles cannot be built.
 * Names are 1..127 characters of [A-Za-z0-9_.-] and unique in the model.
 * The output shape is inferred at once; parameters are created zero-filled
 * (BatchNorm: gamma=1, moving_variance=1) with their Keras shapes.
 * Common errors: INVALID_ARG (NULL, bad name or value), NAME_EXISTS,
 * GRAPH (unknown inbound layer), SHAPE (the inbound shape does not fit),
 * NOMEM. On error the model is unchanged.
 */
/* The input layer; exactly one, added first. height/width may be -1 (None);
 * channels >= 1. */
UNETSEG_API int32_t unetseg_model_add_input(unetseg_model *model, const char *name,
                                            int64_t height, int64_t width,
                                            int64_t channels);
/* Conv2D: kernel (kh, kw, cin, filters) HWIO, optional bias (filters). */
UNETSEG_API int32_t unetseg_model_add_conv2d(unetseg_model *model, const char *name,
                                             const char *inbound, int64_t filters,
                                             int64_t kernel_h, int64_t kernel_w,
                                             int64_t stride_h, int64_t stride_w,
                                             int32_t padding, int32_t use_bias);
/* Conv2DTranspose: kernel (kh, kw, filters, cin), TF output-size rules. */
UNETSEG_API int32_t unetseg_model_add_conv2d_transpose(
    unetseg_model *model, const char *name, const char *inbound, int64_t filters,
    int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
    int32_t padding, int32_t use_bias);
/* BatchNormalization over the channel axis: gamma (if scale), beta (if center),
 * moving_mean, moving_variance. epsilon > 0, momentum in [0, 1). */
UNETSEG_API int32_t unetseg_model_add_batchnorm(unetseg_model *model, const char *name,
                                                const char *inbound, double epsilon,
                                                double momentum, int32_t center,
                                                int32_t scale);
/* Activation: one of UNETSEG_ACT_*. */
UNETSEG_API int32_t unetseg_model_add_activation(unetseg_model *model, const char *name,
                                                 const char *inbound, int32_t activation);
/* ZeroPadding2D with explicit top/bottom/left/right padding (>= 0). */
UNETSEG_API int32_t unetseg_model_add_zero_padding2d(unetseg_model *model,
                                                     const char *name, const char *inbound,
                                                     int64_t top, int64_t bottom,
                                                     int64_t left, int64_t right);
/* MaxPooling2D with pool size, strides and padding (VALID or SAME). */
UNETSEG_API int32_t unetseg_model_add_max_pooling2d(unetseg_model *model,
                                                    const char *name, const char *inbound,
                                                    int64_t pool_h, int64_t pool_w,
                                                    int64_t stride_h, int64_t stride_w,
                                                    int32_t padding);
/* UpSampling2D by integer factors; interpolation UNETSEG_INTERP_*. */
UNETSEG_API int32_t unetseg_model_add_upsampling2d(unetseg_model *model,
                                                   const char *name, const char *inbound,
                                                   int64_t size_h, int64_t size_w,
                                                   int32_t interpolation);
/* Most inbound layers of one layer (Concatenate, Add). */
#define UNETSEG_MAX_INBOUND 64
/* Concatenate on the channel axis, inputs in the given order
 * (2 <= n <= UNETSEG_MAX_INBOUND). */
UNETSEG_API int32_t unetseg_model_add_concatenate(unetseg_model *model, const char *name,
                                                  const char *const *inbound, int32_t n);
/* Add: element-wise sum of n (2..UNETSEG_MAX_INBOUND) inputs of the same shape. */
UNETSEG_API int32_t unetseg_model_add_add(unetseg_model *model, const char *name,
                                          const char *const *inbound, int32_t n);
/* Dropout(rate), rate in [0, 1). */
UNETSEG_API int32_t unetseg_model_add_dropout(unetseg_model *model, const char *name,
                                              const char *inbound, double rate);
/* SpatialDropout2D(rate): one draw per (sample, channel). rate in [0, 1). */
UNETSEG_API int32_t unetseg_model_add_spatial_dropout2d(unetseg_model *model,
                                                        const char *name,
                                                        const char *inbound, double rate);
/* ConditionalDropout(rate, mode UNETSEG_DROPOUT_*, spatial 0/1). */
UNETSEG_API int32_t unetseg_model_add_conditional_dropout(unetseg_model *model,
                                                          const char *name,
                                                          const char *inbound, double rate,
                                                          int32_t mode, int32_t spatial);

/* ---------------------------------------------------------- layer queries */
/* Number of layers (including the input layer) into *count. */
UNETSEG_API int32_t unetseg_model_layer_count(const unetseg_model *model, int32_t *count);
/* Index of the layer called `name` into *index. Errors: NOT_FOUND. */
UNETSEG_API int32_t unetseg_model_layer_index(const unetseg_model *model, const char *name,
                                              int32_t *index);
/* Borrowed name of layer `index`. Errors: INVALID_ARG (index out of range). */
UNETSEG_API int32_t unetseg_model_layer_name(const unetseg_model *model, int32_t index,
                                             const char **name);
/* Kind (UNETSEG_LAYER_*) of layer `index`. */
UNETSEG_API int32_t unetseg_model_layer_kind(const unetseg_model *model, int32_t index,
                                             int32_t *kind);
/* Region (UNETSEG_REGION_*) of layer `index`. */
UNETSEG_API int32_t unetseg_model_layer_region(const unetseg_model *model, int32_t index,
                                               int32_t *region);
/* Number of inbound layers of layer `index`. */
UNETSEG_API int32_t unetseg_model_layer_inbound_count(const unetseg_model *model,
                                                      int32_t index, int32_t *count);
/* Borrowed name of inbound `which` (0-based) of layer `index`. */
UNETSEG_API int32_t unetseg_model_layer_inbound(const unetseg_model *model, int32_t index,
                                                int32_t which, const char **name);
/* Output shape (N, H, W, C) of layer `index` as built; unknown dims are -1
 * (N is always -1, "None"). */
UNETSEG_API int32_t unetseg_model_layer_output_shape(const unetseg_model *model,
                                                     int32_t index, int64_t shape[4]);
/* Number of scalar parameters of layer `index`. */
UNETSEG_API int32_t unetseg_model_layer_param_count(const unetseg_model *model,
                                                    int32_t index, int64_t *count);
/* Whether layer `index` is trainable (1) or frozen (0). */
UNETSEG_API int32_t unetseg_model_layer_trainable(const unetseg_model *model,
                                                  int32_t index, int32_t *trainable);
/* Freeze (0) or unfreeze (1) the layer called `name`. Errors: NOT_FOUND. */
UNETSEG_API int32_t unetseg_model_set_trainable(unetseg_model *model, const char *name,
                                                int32_t trainable);
/* Total, trainable and non-trainable parameter counts (Keras rules: BN moving
 * statistics and frozen layers are non-trainable). Any output may be NULL. */
UNETSEG_API int32_t unetseg_model_param_totals(const unetseg_model *model, int64_t *total,
                                               int64_t *trainable, int64_t *non_trainable);

/* ------------------------------------------------------------- parameters */
/* Number of parameter tensors of the model into *count. */
UNETSEG_API int32_t unetseg_model_param_tensor_count(const unetseg_model *model,
                                                     int32_t *count);
/* Borrowed "{layer}/{param}" name of parameter tensor `index`; valid until
 * the next call of this function or a mutating call on the model. */
UNETSEG_API int32_t unetseg_model_param_tensor_name(const unetseg_model *model,
                                                    int32_t index, const char **name);
/* A copy of the parameter "{layer}/{param}" (e.g. "conv0/kernel"); the new
 * tensor is the caller's. Errors: NOT_FOUND, NOMEM. */
UNETSEG_API int32_t unetseg_model_param_get(const unetseg_model *model, const char *name,
                                            unetseg_tensor **out);
/* Overwrite the parameter "{layer}/{param}" with a copy of `value`, whose
 * shape must equal the parameter's and whose values must be finite.
 * Errors: NOT_FOUND, SHAPE, NUMERIC (NaN or infinity; nothing changes). */
UNETSEG_API int32_t unetseg_model_param_set(unetseg_model *model, const char *name,
                                            const unetseg_tensor *value);

/* ---------------------------------------------------------------- running */
/* A Keras-style summary (the model.summary() table, one layer a line, with
 * totals). Borrowed text, valid until the next mutating call on the model. */
UNETSEG_API int32_t unetseg_model_summary(unetseg_model *model, const char **text);
/*
 * Forward pass in inference mode: BatchNorm uses its moving statistics;
 * Dropout and SpatialDropout2D are the identity; ConditionalDropout is active
 * only in mode ALWAYS (or with the model's Monte-Carlo switch on).
 * `input` is (N, H, W, C) with C equal to the input layer's channels; H and W
 * may differ from the built size (shapes are inferred again). `*output` is a
 * new tensor, the caller's, holding the last layer's output.
 * Errors: INVALID_ARG, SHAPE (rank, channels, or sizes the graph cannot take,
 * e.g. a U-Net input whose H or W is not a multiple of 32), STATE (no layers),
 * NOMEM.
 */
UNETSEG_API int32_t unetseg_model_forward(unetseg_model *model, const unetseg_tensor *input,
                                          unetseg_tensor **output);


/*
 * The same forward pass, also returning copies of intermediate activations:
 * activations[i] receives a new tensor (the caller's) holding the output of
 * the layer named layer_names[i] (n >= 0 names; NULL arrays allowed when
 * n == 0). On error every activations[i] and *output are NULL.
 * Errors: as unetseg_model_forward, plus NOT_FOUND (unknown layer name).
 */
UNETSEG_API int32_t unetseg_model_forward_with_activations(unetseg_model *model,
                                                           const unetseg_tensor *input,
                                                           const char *const *layer_names,
                                                           int32_t n,
                                                           unetseg_tensor **activations,
                                                           unetseg_tensor **output);

/* ---------------------------------------------------------------- weights */
/* Load modes */
#define UNETSEG_LOAD_STRICT 0  /* every model parameter must be in the file, and
                                  every tensor of the file must be a parameter */
#define UNETSEG_LOAD_PARTIAL 1 /* load the parameters the file has (e.g. encoder-
                                  only weights); the others keep their values */

/*
 * Save every parameter to a safetensors file: tensors "{layer}/{param}" in
 * Keras layout (Conv2D kernel HWIO), dtype F32, and in the metadata the whole
 * layer list ("unetseg.graph"), so unetseg_model_load() rebuilds the model.
 * The file is written to a temporary name and renamed: a failed save never
 * leaves a partial file at `path`. Errors: INVALID_ARG, IO, NOMEM.
 */
UNETSEG_API int32_t unetseg_model_save_weights(const unetseg_model *model, const char *path);
/*
 * Load parameters by name from a safetensors file (F32; F16, BF16 and F64 are
 * converted). Tensors named "optimizer/..." (a checkpoint's optimizer state)
 * are skipped. Shapes must match exactly in both modes. All-or-nothing: on any
 * error no parameter of the model changes. `report` (may be NULL) receives a
 * borrowed text valid until the next mutating call on the model:
 * "loaded N of M parameter tensors; not in file: ...; unused in file: ...".
 * Errors: INVALID_ARG, IO, FORMAT (malformed, truncated or lying file),
 * SHAPE (a tensor's shape differs), NOT_FOUND (strict mode: a parameter is
 * missing or the file has a tensor the model lacks), NUMERIC (a weight is
 * NaN or infinite), NOMEM.
 */
UNETSEG_API int32_t unetseg_model_load_weights(unetseg_model *model, const char *path,
                                               int32_t mode, const char **report);
/*
 * Create a model from a file written by unetseg_model_save_weights: rebuild
 * its layer list from the metadata, then load its weights strictly.
 * Errors: as unetseg_model_load_weights; FORMAT if the file has no unetseg
 * model description (e.g. weights converted from Keras: build the model with
 * unetseg_unet_create and use unetseg_model_load_weights).
 */
UNETSEG_API int32_t unetseg_model_load(const char *path, unetseg_model **out);

/* ----------------------------------------------------------------- clones */
/*
 * A new model equal to `model`, for running one model on several threads
 * (a server: one clone per worker thread, all on one copy of the weights).
 * The clone has the same layers, names, settings, parameter values,
 * Monte-Carlo switch, dropout seed and step and thread setting, so its
 * passes give the same bits as `model`'s; its working memory (activation
 * buffers, summary and report texts, last error) is its own. The parameter
 * values are shared copy-on-write: both handles read one copy until one of
 * them changes a parameter (unetseg_model_param_set, _load_weights, a
 * trainer's step, BatchNorm recalibration or checkpoint load), which gives
 * that handle its own copy of what it changes first; the other keeps the
 * old values. The Winograd-transformed kernels kept for inference are
 * shared the same way, and a model and all clones made from it (or from
 * its clones) keep at most 48 MiB of them together (by default).
 * Each handle is then independent: free them in any order, use each from
 * one thread at a time, different handles concurrently (the shared counts
 * are atomic). Cloning counts as a call on `model` (not concurrently with
 * another call on it); a clone of a clone shares the same values.
 * *out is a new model, the caller's; an empty model clones to an empty one.
 * Errors: INVALID_ARG (NULL model or out), NOMEM.
 */
UNETSEG_API int32_t unetseg_model_clone(const unetseg_model *model, unetseg_model **out);
/*
 * Parameter memory of `model` together with others[0..n_others-1] (other
 * models, e.g. its clones; n_others >= 0, others may be NULL when n_others
 * is 0), in bytes of float32 values: *unique_bytes what these models hold,
 * each shared copy counted once however many of them share it (the memory
 * the weights really take); *total_bytes the sum of each listed model's
 * parameter bytes (what as many independent models would take: a model's
 * alone is 4 x its unetseg_model_param_totals total); *cache_bytes the
 * Winograd-transformed kernels their passes keep, each counted once. Any
 * output may be NULL. Counts as a call on each listed model (not
 * concurrently with another call on one of them). Records a failure on
 * `model`. Errors: INVALID_ARG (NULL model, n_others < 0, others NULL with
 * n_others > 0, a NULL others[i]), NOMEM.
 */
UNETSEG_API int32_t unetseg_model_param_bytes(const unetseg_model *model,
                                              const unetseg_model *const *others,
                                              int32_t n_others, int64_t *unique_bytes,
                                              int64_t *total_bytes, int64_t *cache_bytes);

/* ---------------------------------------------------------------- threads */
/* Threads used by this model's passes: 1..256, or 0 for all cores (the
 * default); at most the bound of unetseg_set_max_threads. Results do not
 * depend on it (each matrix product is split into shape-determined blocks;
 * on the blas variant OpenBLAS, whose thread setting is process-wide, runs
 * on one thread during a pass, and the host's setting is restored after).
 * Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_model_set_threads(unetseg_model *model, int32_t threads);
/* Bound, in bytes (>= 0), the Winograd-transformed convolution kernels that
 * `model` and its clones keep between passes (default 48 MiB; 0 keeps
 * none). Memory for speed: a convolution whose kernel is not kept
 * transforms it on every pass (same path, same bits). Kernels are made
 * from a model's second pass at an input shape on (making them costs
 * several passes' time, which a model run once would spend for nothing).
 * A bound below what the network would keep goes to the kernels that
 * save the most per byte (those a pass would transform most often, then
 * those shared by the fewest output tiles; then kernels packed for the
 * GEMM of small maps' im2col, 1x1 or strided convolutions, up to 96 output
 * pixels, more pixels first). Unet('resnet34') would keep
 * about 233 MiB at batch 1, 256x256 (Zen 5, one / two threads: forward
 * 42-44 / 24-25 ms at 374 MiB peak RSS); within the default 48 MiB,
 * 45-46 / 27-28 ms at 172 MiB; with 0, 47-49 / 26-34 ms (a slow spell)
 * at 124 MiB.
 * Kernels this model alone holds are dropped now (made again within the
 * bound when needed); kernels shared with clones stay until their weights
 * change. Results do not depend on it. Not while a pass of the model or a
 * clone runs. Errors: INVALID_ARG (NULL model, bytes < 0). */
UNETSEG_API int32_t unetseg_model_set_kernel_cache_limit(unetseg_model *model, int64_t bytes);
/* Process-wide bound on threads: every pass runs on at most `threads`
 * threads (a model asking for more, or for all cores, gets `threads`), and
 * the worker pool holds at most threads - 1 workers (the calling thread is
 * the other one); lowering it below the pool's size stops the pool's
 * workers (as unetseg_shutdown_workers). 1..256, or 0 for no bound (the
 * default). Takes effect at the next pass; results do not change.
 * Errors: INVALID_ARG (out of range). */
UNETSEG_API int32_t unetseg_set_max_threads(int32_t threads);
/* Stop and join the worker pool's threads now (e.g. before a host forks,
 * sandboxes itself or unloads the library; the library's destructor also
 * joins them at unload or exit). Waits for a parallel region in flight on
 * another thread (milliseconds), not for whole passes. The next pass that
 * needs workers starts them again, so calling it is always safe; passes
 * running meanwhile on other threads finish on threads of their own.
 * Cannot fail. */
UNETSEG_API void unetseg_shutdown_workers(void);

/* -------------------------------------------------------------- profiling */
/* Per-layer timing of this model's inference passes (forward, MC and tiled
 * prediction, a trainer's evaluation; not training steps), the way
 * torch.profiler or ONNX Runtime's profiling report it: turn it on (1) or
 * off (0); either clears what was gathered. While on, every layer a pass
 * runs adds its wall time and, on several threads, its idle time: the
 * pass's threads times that wall time, less the time threads spent
 * working on the layer (a worker woken late, a thread done while another
 * still works, the layer's single-threaded stretches), which is what keeps
 * two threads from being twice as fast. A layer fused into the one before
 * it (BatchNormalization, ReLU after a conv, in passes that return no
 * intermediate outputs) or reused from an earlier pass (MC samples after
 * the first) does not run on its own and gets nothing. Costs two clock
 * reads a layer; results do not change. Off by default; a clone starts
 * with it off; adding layers clears what was gathered at the next pass.
 * Errors: INVALID_ARG (NULL model, enabled not 0 or 1). */
UNETSEG_API int32_t unetseg_model_set_profiling(unetseg_model *model, int32_t enabled);
/* What profiling gathered for layer `index` (0..count-1): *runs the times
 * it ran, *total_ms its wall time over them, *idle_ms the thread time no
 * thread worked on it (0 on one thread). All 0 when profiling is off or
 * nothing ran. Any output may be NULL. Errors: INVALID_ARG (NULL model,
 * index out of range). */
UNETSEG_API int32_t unetseg_model_layer_profile(const unetseg_model *model, int32_t index,
                                                int64_t *runs, double *total_ms, double *idle_ms);
/* The profile as a table, slowest layer first: runs, ms a run, share of
 * the layer time, idle % (of the layer's time on all the pass's threads).
 * Borrowed text, valid until the next call of this function or
 * unetseg_model_set_profiling on the model, or its free. Errors:
 * INVALID_ARG, NOMEM. */
UNETSEG_API int32_t unetseg_model_profile(unetseg_model *model, const char **text);

/* ------------------------------------------------------ dropout and MC */
/* Seed of the model's dropout masks; also resets the step counter. Masks
 * depend only on (seed, layer, step, element), never on threads or order.
 * Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_model_set_seed(unetseg_model *model, uint64_t seed);
/* Model-level Monte-Carlo switch: 1 makes every ConditionalDropout in mode
 * TRAINING active in inference (BatchNorm keeps its moving statistics);
 * 0 (the default) turns it off. Each forward() call then draws new masks
 * (the step counter advances). Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_model_set_mc_dropout(unetseg_model *model, int32_t enabled);
/*
 * Monte-Carlo dropout prediction: `samples` (1..1000) stochastic forward
 * passes with BatchNorm in inference mode and every dropout layer active
 * (except ConditionalDropout in mode NEVER). Returns new tensors (the
 * caller's): the mean prediction (N, H, W, C), the per-element standard
 * deviation over the samples (N, H, W, C; population form, divided by
 * `samples`), and the predictive entropy of the mean (N, H, W, 1): binary
 * entropy when C == 1, categorical over channels
 * otherwise (natural log; probabilities clamped to [1e-7, 1]). Pass i uses
 * masks of (seed, layer, step i), so results are reproducible for a seed and
 * independent of the model's own step counter. Memory does not grow with
 * `samples`. Any of mean/std/entropy may be NULL if not wanted.
 * Errors: as unetseg_model_forward, INVALID_ARG (samples out of range).
 */
UNETSEG_API int32_t unetseg_model_predict_mc(unetseg_model *model, const unetseg_tensor *input,
                                             int32_t samples, uint64_t seed,
                                             unetseg_tensor **mean, unetseg_tensor **std,
                                             unetseg_tensor **entropy);

/* ------------------------------------------------ tiled sliding window */
/*
 * Prediction on images of any size (1x1 up to the tensor limits; no size
 * multiple) by a sliding window: the image is cut into overlapping tiles of
 * a fixed size that the network takes, `batch` tiles go through the network
 * per pass, and each tile's output, weighted, is added into the output,
 * divided at the end by the total weight of each pixel. Peak memory is the
 * output plus one batch of tiles and its activations, not the image's area
 * times the network's activations.
 *
 * Along each axis tile i starts at i * (tile - overlap) - margin: the first
 * tile's kept part (the tile less `margin` pixels at every side, whose
 * outputs are dropped) starts at pixel 0, and tiles follow until a kept part
 * reaches the image's end. Where a tile reaches past the image its pixels
 * are the image reflected at the border (numpy's "reflect", the edge pixel
 * not repeated; reflected again where the image is shorter than the
 * padding). When the image and its margins fit in less than a tile, the
 * tile shrinks to their size rounded up to the model's size multiple (32
 * for Unet(); for other models the largest power of two up to 32 that
 * divides the tile). Blend weights within the kept part of length L
 * (position p = 0 .. L-1): UNIFORM 1; GAUSSIAN exp(-(p - (L-1)/2)^2 /
 * (2 s^2)) with s = 0.125 L (MONAI's sigma_scale), a tile's weight being the
 * product of its row and column weights. With an overlap of at least twice
 * the network's receptive-field halo and margin = the halo, every pixel
 * farther than the halo from the image border equals whole-image inference
 * (within float rounding), whatever the blend.
 */
#define UNETSEG_BLEND_UNIFORM 0  /* every kept tile pixel weighs 1 */
#define UNETSEG_BLEND_GAUSSIAN 1 /* weights fall off from the tile's centre */

typedef struct unetseg_tile_options unetseg_tile_options;

/* Defaults: tile 512x512, overlap 128, margin 0, UNETSEG_BLEND_GAUSSIAN,
 * batch 1. Errors: INVALID_ARG, NOMEM. */
UNETSEG_API int32_t unetseg_tile_options_create(unetseg_tile_options **out);
/* Release options (NULL is fine). */
UNETSEG_API void unetseg_tile_options_free(unetseg_tile_options *options);
/* Tile height and width, each 1..65536 (the model must take that size:
 * multiples of 32 for Unet()). Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_tile_options_set_tile(unetseg_tile_options *options, int64_t tile_h,
                                                  int64_t tile_w);
/* Pixels shared by neighbouring tiles, 0..65535; must be smaller than the
 * tile (checked by the predict calls). Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_tile_options_set_overlap(unetseg_tile_options *options,
                                                     int64_t overlap);
/* Pixels at each side of a tile whose outputs are dropped (the network
 * sees them as context), 0..32767; 2 * margin must not exceed the overlap
 * (checked by the predict calls). Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_tile_options_set_margin(unetseg_tile_options *options,
                                                    int64_t margin);
/* UNETSEG_BLEND_UNIFORM or UNETSEG_BLEND_GAUSSIAN. Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_tile_options_set_blend(unetseg_tile_options *options, int32_t blend);
/* Tiles per forward pass, 1..1024 (memory grows with it). Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_tile_options_set_batch(unetseg_tile_options *options, int32_t batch);
/*
 * Inference-mode prediction of `input` (N, H, W, C), C the input layer's
 * channels, H and W any size, tile by tile as described above. *output is
 * a new tensor (N, H, W, classes), the caller's. Dropout as in
 * unetseg_model_forward (the model's step advances once per call).
 * Errors: INVALID_ARG (NULL; overlap not smaller than the tile, or
 * 2 * margin above the overlap), SHAPE (rank or channels; a tile size the
 * graph cannot take, or a model whose output is not its input's size),
 * STATE (no layers), NOMEM (also: output above 2^34 elements).
 */
UNETSEG_API int32_t unetseg_model_predict_tiled(unetseg_model *model, const unetseg_tensor *input,
                                                const unetseg_tile_options *options,
                                                unetseg_tensor **output);
/*
 * Monte-Carlo dropout prediction of a whole image, tile by tile: each batch
 * of tiles goes through unetseg_model_predict_mc (`samples` 1..1000 passes,
 * BatchNorm in inference mode, every dropout but NEVER active, pass i with
 * the masks of (seed, layer, step i); masks also depend on a tile's place
 * in its batch, so results are reproducible for a seed and the same
 * options). Per pixel, the samples of every tile covering it are pooled,
 * each tile's weighted by its blend weight: *mean (N, H, W, C) is their
 * weighted mean (equal to unetseg_model_predict_tiled where no dropout is
 * active), *std (N, H, W, C) their weighted population standard deviation
 * (a single tile's: predict_mc's std), *entropy (N, H, W, 1) the entropy of
 * the mean as in unetseg_model_predict_mc. Any of mean/std/entropy may be
 * NULL if not wanted. Errors: as unetseg_model_predict_tiled, INVALID_ARG
 * (samples out of range).
 */
UNETSEG_API int32_t unetseg_model_predict_tiled_mc(unetseg_model *model,
                                                   const unetseg_tensor *input,
                                                   const unetseg_tile_options *options,
                                                   int32_t samples, uint64_t seed,
                                                   unetseg_tensor **mean, unetseg_tensor **std,
                                                   unetseg_tensor **entropy);

/* ---------------------------------------------------------------- matchers */
/*
 * A matcher selects layers by name, kind and region. Conditions added with
 * the setters must all hold (AND); a new matcher with no condition matches
 * every layer. Layers added by dropout insertion are never matched.
 */
typedef struct unetseg_matcher unetseg_matcher;
/* Callback condition: return non-zero to select the layer. */
typedef int32_t (*unetseg_match_fn)(const char *name, int32_t kind, void *user);
/* Releases a callback's `user` pointer (unetseg_matcher_callback_ex). */
typedef void (*unetseg_destroy_fn)(void *user);

/* Create an empty matcher (matches all). Errors: INVALID_ARG, NOMEM. */
UNETSEG_API int32_t unetseg_matcher_create(unetseg_matcher **out);
/* Release a matcher (NULL is fine). */
UNETSEG_API void unetseg_matcher_free(unetseg_matcher *matcher);
/* The name must contain `substring` (non-empty). */
UNETSEG_API int32_t unetseg_matcher_require(unetseg_matcher *matcher, const char *substring);
/* The name must not contain `substring` (non-empty). */
UNETSEG_API int32_t unetseg_matcher_exclude(unetseg_matcher *matcher, const char *substring);
/* The whole name must match the shell glob `pattern` (fnmatch: * ? [...]). */
UNETSEG_API int32_t unetseg_matcher_glob(unetseg_matcher *matcher, const char *pattern);
/* The name must match the POSIX extended regex (unanchored, as regexec).
 * Errors: SYNTAX (the regex does not compile; message says why). */
UNETSEG_API int32_t unetseg_matcher_regex(unetseg_matcher *matcher, const char *regex);
/* The layer kind must be `kind` (UNETSEG_LAYER_*); repeated calls accept any
 * of the given kinds. */
UNETSEG_API int32_t unetseg_matcher_kind(unetseg_matcher *matcher, int32_t kind);
/* The layer region must be `region` (UNETSEG_REGION_ENCODER/DECODER/HEAD);
 * repeated calls accept any of the given regions. */
UNETSEG_API int32_t unetseg_matcher_region(unetseg_matcher *matcher, int32_t region);
/* The callback must return non-zero; `user` is passed through unchanged and
 * must outlive the matcher's use. */
UNETSEG_API int32_t unetseg_matcher_callback(unetseg_matcher *matcher, unetseg_match_fn fn,
                                             void *user);
/* The same, and the matcher owns `user`: destroy(user) is called exactly
 * once, by unetseg_matcher_free, or before this call returns if it fails
 * (so a binding can hand over a reference and never leak it). destroy may
 * be NULL (then as unetseg_matcher_callback). Errors: INVALID_ARG (NULL
 * matcher or fn), NOMEM. */
UNETSEG_API int32_t unetseg_matcher_callback_ex(unetseg_matcher *matcher, unetseg_match_fn fn,
                                                void *user, unetseg_destroy_fn destroy);
/*
 * Parse the one-line text form (docs/dropout.md): a bare word is a substring
 * of the name; glob:PATTERN a shell glob over the whole name; re:REGEX a POSIX
 * extended regex; kind=conv2d a layer kind (lower-case Keras class name);
 * region=encoder|decoder|head; operators ! (not), & (and), | (or), in that
 * precedence, and parentheses; words may be quoted with '...'.
 * Example: "conv & stage & !conv3 & region=encoder".
 * Errors: SYNTAX with the column (1-based) of the problem in the message.
 */
UNETSEG_API int32_t unetseg_matcher_parse(const char *expression, unetseg_matcher **out);
/*
 * Dry run: indices of the layers the matcher selects, in layer order.
 * Writes up to `capacity` indices into `indices` (may be NULL when capacity
 * is 0) and the number of matches into *count.
 * Errors: INVALID_ARG; NO_MATCH when nothing matches (*count = 0), with a
 * message that suggests real names.
 */
UNETSEG_API int32_t unetseg_model_match(const unetseg_model *model,
                                        const unetseg_matcher *matcher, int32_t *indices,
                                        int32_t capacity, int32_t *count);

/* -------------------------------------------------------------- insertion */
#define UNETSEG_INSERT_AFTER 0  /* every consumer of the target reads the dropout */
#define UNETSEG_INSERT_BEFORE 1 /* the dropout feeds the target (one-input layers) */

typedef struct unetseg_insert_options unetseg_insert_options;

/* Defaults: kind UNETSEG_LAYER_DROPOUT, rate 0.5, mode TRAINING, spatial 0,
 * position AFTER, suffix "_dropout", zero matches is an error.
 * Errors: INVALID_ARG, NOMEM. */
UNETSEG_API int32_t unetseg_insert_options_create(unetseg_insert_options **out);
/* Release options (NULL is fine). */
UNETSEG_API void unetseg_insert_options_free(unetseg_insert_options *options);
/* Dropout kind: UNETSEG_LAYER_DROPOUT, _SPATIAL_DROPOUT2D or _CONDITIONAL_DROPOUT. */
UNETSEG_API int32_t unetseg_insert_options_set_kind(unetseg_insert_options *options,
                                                    int32_t kind);
/* Rate in [0, 1). */
UNETSEG_API int32_t unetseg_insert_options_set_rate(unetseg_insert_options *options,
                                                    double rate);
/* ConditionalDropout mode (UNETSEG_DROPOUT_*) and spatial flag (0/1). */
UNETSEG_API int32_t unetseg_insert_options_set_mode(unetseg_insert_options *options,
                                                    int32_t mode, int32_t spatial);
/* UNETSEG_INSERT_AFTER or UNETSEG_INSERT_BEFORE. */
UNETSEG_API int32_t unetseg_insert_options_set_position(unetseg_insert_options *options,
                                                        int32_t position);
/* New layers are named <target><suffix> (1..32 characters of [A-Za-z0-9_.-]). */
UNETSEG_API int32_t unetseg_insert_options_set_suffix(unetseg_insert_options *options,
                                                      const char *suffix);
/* 1: zero matches is not an error (nothing is inserted). */
UNETSEG_API int32_t unetseg_insert_options_set_allow_no_match(unetseg_insert_options *options,
                                                              int32_t allow);
/*
 * Insert one dropout layer at every layer the matcher selects, in layer
 * order. All-or-nothing: everything is validated first; on any error the
 * model is unchanged. Weights stay bound to their layers by name.
 * *inserted (may be NULL) receives the number of new layers.
 * Errors: INVALID_ARG (NULL; BEFORE on a layer with several inputs or on the
 * input layer), NO_MATCH (message "insert_dropout: ..." naming real layers),
 * NAME_EXISTS (e.g. inserting twice at one place), NOMEM.
 */
UNETSEG_API int32_t unetseg_model_insert_dropout(unetseg_model *model,
                                                 const unetseg_matcher *matcher,
                                                 const unetseg_insert_options *options,
                                                 int32_t *inserted);

/* ---------------------------------------------------------------- training */
/* Losses (segmentation_models names and maths; see docs/TRAINING.md). */
#define UNETSEG_LOSS_BCE 0               /* binary cross-entropy */
#define UNETSEG_LOSS_CCE 1               /* categorical cross-entropy */
#define UNETSEG_LOSS_DICE 2              /* 1 - F1 score (soft), smooth 1e-5 */
#define UNETSEG_LOSS_JACCARD 3           /* 1 - IoU (soft), smooth 1e-5 */
#define UNETSEG_LOSS_BINARY_FOCAL 4      /* alpha 0.25, gamma 2 */
#define UNETSEG_LOSS_CATEGORICAL_FOCAL 5 /* alpha 0.25, gamma 2 */
#define UNETSEG_LOSS_BCE_DICE 6
#define UNETSEG_LOSS_BCE_JACCARD 7
#define UNETSEG_LOSS_CCE_DICE 8
#define UNETSEG_LOSS_CCE_JACCARD 9

/* Optimizers */
#define UNETSEG_OPTIMIZER_SGD 0  /* momentum, Nesterov, weight decay */
#define UNETSEG_OPTIMIZER_ADAM 1 /* Keras defaults: beta1 0.9, beta2 0.999, eps 1e-7 */

/* Learning-rate schedules */
#define UNETSEG_SCHEDULE_CONSTANT 0
#define UNETSEG_SCHEDULE_STEP 1   /* lr * gamma^floor(step / step_size) */
#define UNETSEG_SCHEDULE_COSINE 2 /* min_lr + (lr - min_lr)(1 + cos(pi step / total)) / 2 */

typedef struct unetseg_train_options unetseg_train_options;
typedef struct unetseg_trainer unetseg_trainer;

/* Defaults: loss BCE, optimizer Adam, lr 1e-3, momentum 0, Nesterov 0,
 * weight decay 0, beta1 0.9, beta2 0.999, epsilon 1e-7, constant schedule,
 * seed 0, no class weights. Errors: INVALID_ARG, NOMEM. */
UNETSEG_API int32_t unetseg_train_options_create(unetseg_train_options **out);
/* Release options (NULL is fine). */
UNETSEG_API void unetseg_train_options_free(unetseg_train_options *options);
/* One of UNETSEG_LOSS_*. */
UNETSEG_API int32_t unetseg_train_options_set_loss(unetseg_train_options *options, int32_t loss);
/* Per-class weights (n = classes, each >= 0) for CCE, Dice, Jaccard and their
 * sums, as segmentation_models' class_weights; NULL/0 removes them. */
UNETSEG_API int32_t unetseg_train_options_set_class_weights(unetseg_train_options *options,
                                                            const float *weights, int32_t n);
/* One of UNETSEG_OPTIMIZER_* with its learning rate (> 0). */
UNETSEG_API int32_t unetseg_train_options_set_optimizer(unetseg_train_options *options,
                                                        int32_t optimizer,
                                                        double learning_rate);
/* SGD: momentum in [0, 1), nesterov 0/1, weight decay >= 0 (L2 added to the
 * gradient, also applied by Adam). */
UNETSEG_API int32_t unetseg_train_options_set_sgd(unetseg_train_options *options,
                                                  double momentum, int32_t nesterov,
                                                  double weight_decay);
/* Adam: beta1, beta2 in [0, 1), epsilon > 0. */
UNETSEG_API int32_t unetseg_train_options_set_adam(unetseg_train_options *options,
                                                   double beta1, double beta2, double epsilon);
/* Schedule: UNETSEG_SCHEDULE_* with its parameters (STEP: step_size >= 1 and
 * gamma in (0, 1]; COSINE: total_steps >= 1 and min_lr >= 0; unused ones
 * are ignored). */
UNETSEG_API int32_t unetseg_train_options_set_schedule(unetseg_train_options *options,
                                                       int32_t schedule, int64_t step_size,
                                                       double gamma, int64_t total_steps,
                                                       double min_lr);
/* Seed of the dropout masks during training. */
UNETSEG_API int32_t unetseg_train_options_set_seed(unetseg_train_options *options,
                                                   uint64_t seed);

/*
 * A trainer updates `model` in place; the model must outlive the trainer and
 * must not be edited (layers inserted) while the trainer exists. The loss is
 * computed on the logits when the last layer is a sigmoid or softmax
 * Activation (numerically safe), otherwise on the last layer's output taken
 * as logits. Errors: INVALID_ARG, STATE (no layers or no trainable
 * parameters), NOMEM.
 */
UNETSEG_API int32_t unetseg_trainer_create(unetseg_model *model,
                                           const unetseg_train_options *options,
                                           unetseg_trainer **out);
/* Release a trainer (NULL is fine); the model stays. The working memory of
 * training steps (kept between steps so that they reuse it) is released. */
UNETSEG_API void unetseg_trainer_free(unetseg_trainer *trainer);
/* The message of the last failed call on this trainer ("" if none; "" for
 * NULL), set with the thread-local one by every unetseg_trainer_* function
 * that takes the trainer (a failed unetseg_trainer_create records on its
 * model). A later successful call does not clear it. Borrowed; valid until
 * the next call on the trainer. Reading it changes no error state. */
UNETSEG_API const char *unetseg_trainer_last_error(const unetseg_trainer *trainer);
/*
 * One training step on a batch: images (N, H, W, C) and masks (N, H, W,
 * classes) with values in [0, 1] (one-hot for several classes). Training-mode
 * forward (BatchNorm on batch statistics, moving statistics updated with the
 * unbiased variance; dropout on), backward, one optimizer update of every
 * trainable parameter. *loss (may be NULL) receives the batch loss before the
 * update. Deterministic for a seed. Errors: INVALID_ARG, SHAPE (images and
 * masks differ in N, H or W, masks' channels differ from the output's, or the
 * input does not fit the model), NUMERIC (an image value is NaN/infinite, a
 * mask value is outside [0, 1], or the loss or a gradient came out
 * non-finite: the step is then not applied and the weights, moments and BN
 * statistics are unchanged), NOMEM. Inference (forward) does not check:
 * NaN in gives NaN out, never a crash.
 */
UNETSEG_API int32_t unetseg_trainer_step(unetseg_trainer *trainer, const unetseg_tensor *images,
                                         const unetseg_tensor *masks, double *loss);
/* Inference-mode loss and metrics (threshold 0.5, smooth 1e-5, mean over
 * classes) on a batch; any output may be NULL. Changes nothing.
 * Errors: INVALID_ARG, SHAPE, NUMERIC (an image value is NaN/infinite or a
 * mask value is outside [0, 1]), NOMEM. */
UNETSEG_API int32_t unetseg_trainer_evaluate(unetseg_trainer *trainer,
                                             const unetseg_tensor *images,
                                             const unetseg_tensor *masks, double *loss,
                                             double *iou, double *fscore);
/*
 * BatchNorm recalibration (as torch.optim.swa_utils.update_bn): with reset=1
 * start a new average; each call runs a training-mode forward on `images`
 * (no update of the weights, no backward) and sets every BatchNorm moving
 * statistic to the running mean of the batch statistics seen since the
 * reset (unbiased variance). Call it over the training set after training:
 * the moving statistics then describe the final weights instead of lagging
 * behind them (Keras' momentum 0.99 averages over ~100 steps of changing
 * weights). Errors: INVALID_ARG, SHAPE, NUMERIC, NOMEM.
 */
UNETSEG_API int32_t unetseg_trainer_recalibrate_bn(unetseg_trainer *trainer,
                                                   const unetseg_tensor *images, int32_t reset);
/* Steps taken so far, and the learning rate the next step will use. */
UNETSEG_API int32_t unetseg_trainer_progress(const unetseg_trainer *trainer, int64_t *steps,
                                             double *learning_rate);
/* Set the base learning rate (> 0, finite) that the schedule starts from, for
 * the next steps: Keras' `optimizer.learning_rate = lr`, as ReduceLROnPlateau
 * does. The schedule is then applied to it (STEP: lr * gamma^floor(step /
 * step_size); COSINE: from lr towards min_lr); the step count is unchanged.
 * A checkpoint does not record it: a resuming program sets it again.
 * Errors: INVALID_ARG (NULL trainer, lr <= 0 or not finite; nothing changes). */
UNETSEG_API int32_t unetseg_trainer_set_learning_rate(unetseg_trainer *trainer,
                                                      double learning_rate);
/*
 * Take up the model's trainable flags as they are now, after
 * unetseg_model_set_trainable (e.g. unfreezing the encoder after a few
 * epochs; Keras' recompile with the same optimizer): a parameter trained
 * before and still trained keeps its optimizer moments, a newly trained one
 * starts with zero moments, a newly frozen one drops them; the step count,
 * the learning rate and the schedule are unchanged, and
 * unetseg_trainer_gradient_count follows. Without this call a trainer keeps
 * training the parameters it saw at creation. A checkpoint saved afterwards
 * holds the moments of the new set: load it into a trainer of the same
 * flags. Errors: INVALID_ARG (NULL trainer), STATE (no trainable parameter
 * left), NOMEM; on any error the trainer is unchanged.
 */
UNETSEG_API int32_t unetseg_trainer_sync_trainable(unetseg_trainer *trainer);
/*
 * Data-parallel training (one trainer per process or device, each on its
 * own part of the batch, as PyTorch's DistributedDataParallel): a hook the
 * host sets is called once per unetseg_trainer_step, after the backward
 * pass and before the update, with every trained parameter's gradient of
 * this trainer's batch, back to back in parameter order (the order of
 * unetseg_model_param_tensor_name, skipping frozen layers and BatchNorm
 * statistics; `count` is unetseg_trainer_gradient_count). The hook replaces
 * them in place by what every trainer must apply, normally the mean over
 * the ranks: MPI_Allreduce(MPI_IN_PLACE, gradients, count, MPI_FLOAT,
 * MPI_SUM, comm) then a division by the rank count (each rank's loss is
 * already a mean over its own batch). Any transport works: MPI, NCCL,
 * sockets, threads. The hook is called on every step whose backward pass
 * completed, even when this trainer's loss is not finite (the other ranks
 * are waiting in the all-reduce); the finiteness check runs on what the
 * hook leaves, so all ranks skip or apply a step together. A step that
 * fails before (SHAPE, NOMEM) does not call it: treat a failed step as
 * fatal for the group. Return 0; any other value fails the step with IO
 * (nothing applied). Without a BatchNorm sync hook (below), BatchNorm uses
 * each trainer's own batch statistics and keeps its own moving statistics:
 * save one rank's model, or average the statistics through
 * unetseg_model_param_get / _set before saving. Called on the thread of unetseg_trainer_step; the
 * hook must not call into this trainer or its model.
 */
typedef int32_t (*unetseg_gradient_hook)(float *gradients, int64_t count, void *user);
/* Set (or with NULL remove) the gradient hook; `user` is passed through.
 * Errors: INVALID_ARG (trainer NULL). */
UNETSEG_API int32_t unetseg_trainer_set_gradient_hook(unetseg_trainer *trainer,
                                                     unetseg_gradient_hook hook, void *user);
/*
 * Synchronised BatchNorm (PyTorch's SyncBatchNorm) for data-parallel
 * training: with this hook set, every BatchNorm layer that uses batch
 * statistics in unetseg_trainer_step computes them over the union of all
 * the ranks' batches, so N ranks of batch B train as one process of batch
 * N x B (within float rounding; the gradient hook must average, and each
 * rank's moving statistics then stay equal). Each such layer calls the
 * hook three times per step, in the same order on every rank: in forward
 * with its per-channel sums of x plus its row count (C + 1 values), then
 * with its per-channel sums of squared deviations from the global mean
 * (C), and in backward with the sums of dy and dy * xhat (2 C). The hook
 * replaces sums[0..count) in place by their SUM over the ranks, e.g.
 * MPI_Allreduce(MPI_IN_PLACE, sums, count, MPI_DOUBLE, MPI_SUM, comm), and
 * returns 0; any other value fails the step with IO (nothing applied;
 * treat it as fatal for the group, as a failed step may leave the others
 * waiting). unetseg_trainer_recalibrate_bn and _evaluate do not call it.
 * Without the hook the results are bit-identical to an unsynchronised
 * trainer. Called on the thread of unetseg_trainer_step; the hook must not
 * call into this trainer or its model.
 */
typedef int32_t (*unetseg_batchnorm_sync_hook)(double *sums, int64_t count, void *user);
/* Set (or with NULL remove) the BatchNorm sync hook; `user` is passed
 * through. Errors: INVALID_ARG (trainer NULL). */
UNETSEG_API int32_t unetseg_trainer_set_batchnorm_sync_hook(unetseg_trainer *trainer,
                                                            unetseg_batchnorm_sync_hook hook,
                                                            void *user);
/* The number of floats the gradient hook receives (the trained parameters'
 * elements). Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_trainer_gradient_count(const unetseg_trainer *trainer, int64_t *count);
/* Save weights, the layer list and the optimizer state (moments, step) to a
 * safetensors checkpoint. Errors: INVALID_ARG, IO, NOMEM. */
UNETSEG_API int32_t unetseg_trainer_save_checkpoint(const unetseg_trainer *trainer,
                                                    const char *path);
/* Resume from a checkpoint of the same model and optimizer: weights,
 * moments and step are restored, so training continues exactly.
 * All-or-nothing. Errors: INVALID_ARG, IO, FORMAT, SHAPE, NOT_FOUND, NOMEM. */
UNETSEG_API int32_t unetseg_trainer_load_checkpoint(unetseg_trainer *trainer, const char *path);

/* ------------------------------------------------------- Unet() builders */
/*
 * Options of the Keras segmentation_models builders, with the same defaults:
 * backbone "resnet34", input (-1, -1, 3) i.e. (None, None, 3), classes 1,
 * activation sigmoid, decoder_block_type "upsampling", decoder_filters
 * (256, 128, 64, 32, 16), decoder_use_batchnorm 1, encoder_freeze 0, and
 * initialisation seed 0. Setters copy their arguments.
 */
typedef struct unetseg_unet_options unetseg_unet_options;

/* Create options with the defaults above. Errors: INVALID_ARG, NOMEM. */
UNETSEG_API int32_t unetseg_unet_options_create(unetseg_unet_options **out);
/* Name of backbone `index` (0, 1, ...: "resnet18", "resnet34"), or NULL
 * past the last: what unetseg_unet_options_set_backbone accepts, e.g. for a
 * usage text. The text is static. */
UNETSEG_API const char *unetseg_backbone_name(int32_t index);
/* Release options (NULL is fine). */
UNETSEG_API void unetseg_unet_options_free(unetseg_unet_options *options);
/* A name of unetseg_backbone_name ("resnet18", "resnet34"). Errors:
 * INVALID_ARG (NULL or unknown name). */
UNETSEG_API int32_t unetseg_unet_options_set_backbone(unetseg_unet_options *options,
                                                      const char *backbone);
/* Input height, width (each -1 for None, or a positive multiple of 32) and
 * channels (>= 1). Errors: INVALID_ARG. */
UNETSEG_API int32_t unetseg_unet_options_set_input_shape(unetseg_unet_options *options,
                                                         int64_t height, int64_t width,
                                                         int64_t channels);
/* Number of output classes (filters of final_conv), >= 1. */
UNETSEG_API int32_t unetseg_unet_options_set_classes(unetseg_unet_options *options,
                                                     int64_t classes);
/* Head activation: UNETSEG_ACT_SIGMOID, _SOFTMAX or _LINEAR; the last layer
 * is named after it ("sigmoid", "softmax", "linear"). */
UNETSEG_API int32_t unetseg_unet_options_set_activation(unetseg_unet_options *options,
                                                        int32_t activation);
/* "upsampling" or "transpose". */
UNETSEG_API int32_t unetseg_unet_options_set_decoder_block_type(unetseg_unet_options *options,
                                                                const char *block_type);
/* Filters of each decoder block (1..16 blocks, each 1..65536). */
UNETSEG_API int32_t unetseg_unet_options_set_decoder_filters(unetseg_unet_options *options,
                                                             const int64_t *filters, int32_t n);
/* 1: Conv-BN-ReLU blocks (convs without bias); 0: Conv(bias)-ReLU. */
UNETSEG_API int32_t unetseg_unet_options_set_decoder_use_batchnorm(
    unetseg_unet_options *options, int32_t use_batchnorm);
/* 1: every encoder layer except BatchNormalization is frozen (Keras). */
UNETSEG_API int32_t unetseg_unet_options_set_encoder_freeze(unetseg_unet_options *options,
                                                            int32_t freeze);
/* Seed of the Keras-style weight initialisation (he_uniform, glorot_uniform). */
UNETSEG_API int32_t unetseg_unet_options_set_seed(unetseg_unet_options *options, uint64_t seed);

/* Build the backbone alone: a classification_models ResNet without top
 * (layers `data` .. `relu1`), initialised. Errors: INVALID_ARG, NOMEM. */
UNETSEG_API int32_t unetseg_encoder_create(const unetseg_unet_options *options,
                                           unetseg_model **out);
/* Append the U-Net decoder and head to a model holding that backbone (skip
 * layers stage4_unit1_relu1, stage3_unit1_relu1, stage2_unit1_relu1, relu0 and
 * output relu1), and initialise the new layers. Errors: INVALID_ARG,
 * GRAPH (a skip layer is missing), STATE (the model already has a decoder),
 * NOMEM. On error the model is unchanged. */
UNETSEG_API int32_t unetseg_decoder_append(unetseg_model *model,
                                           const unetseg_unet_options *options);
/* Unet(): encoder + decoder + head, exactly the Keras layer list, initialised
 * as Keras does; forward() requires H and W divisible by 32. */
UNETSEG_API int32_t unetseg_unet_create(const unetseg_unet_options *options,
                                        unetseg_model **out);

#ifdef __cplusplus
}
#endif
#endif /* UNETSEG_H */

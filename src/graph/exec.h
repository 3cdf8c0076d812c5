/* Executing the layer list on concrete shapes (internal). */
#ifndef US_GRAPH_EXEC_H
#define US_GRAPH_EXEC_H

#include "graph/layer_kinds.h"
#include "graph/model.h"

/* Concrete output shape of every layer for an input of (n, h, w, c); shapes
 * is n_layers x 4. Errors: SHAPE with the failing layer's name. */
int32_t us_infer_shapes(const unetseg_model *m, const int64_t input_shape[4],
                        int64_t (*shapes)[4]);

/* Called after each layer with its output, e.g. to copy activations out;
 * return non-zero to abort with that status. */
typedef int32_t (*us_layer_observer)(void *user, int32_t layer, const float *data,
                                     const int64_t shape[4]);

/* Run the model on `input` (shape checked by the caller against the input
 * layer); writes the last layer's output into a new tensor *out. Activation
 * buffers are released (and reused) after their last consumer. */
int32_t us_model_run(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                     us_layer_observer observer, void *user, unetseg_tensor **out);

/* The same pass reusing outputs computed earlier: given[i] != NULL is layer
 * i's output (not recomputed); layers with skip[i] set are not run (the
 * caller guarantees no running layer reads them unless given). */
int32_t us_model_run_given(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                           const float *const *given, const uint8_t *skip, unetseg_tensor **out);

/* Checks every forward entry point makes on its input: a non-empty model,
 * rank 4, the input layer's channel count, the builder's size multiple. */
int32_t us_check_forward_input(const unetseg_model *model, const unetseg_tensor *input);

#endif

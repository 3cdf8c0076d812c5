/* Backward functions of the layer table (internal; see layer_kinds.h). */
#ifndef US_GRAPH_LAYER_BACKWARD_H
#define US_GRAPH_LAYER_BACKWARD_H

#include "graph/layer_kinds.h"

int32_t us_bwd_conv(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
int32_t us_bwd_batchnorm(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
int32_t us_bwd_activation(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
int32_t us_bwd_zero_pad(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
int32_t us_bwd_maxpool(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
int32_t us_bwd_upsampling(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
int32_t us_bwd_concat(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
int32_t us_bwd_add(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
int32_t us_bwd_dropout(const us_layer *l, const us_exec_ctx *ctx, const us_backward_args *a);
/* BatchNormalization keeps batch mean, 1/std and biased variance (3 x C). */
int64_t us_aux_batchnorm(const us_layer *l, const int64_t out_shape[4]);

#endif

/* Which convs of an inference pass keep their Winograd-transformed kernels
 * (internal). The clone family's budget (param_share.h) goes first to the
 * kernels that save the most per byte, not to the first layers that ask. */
#ifndef US_GRAPH_KERNEL_PLAN_H
#define US_GRAPH_KERNEL_PLAN_H

#include <stdint.h>

#include "graph/model.h"

/* keep[i] = 1 for each Conv2D that may use a kept kernel in a pass whose
 * layer output shapes are `shapes`: the ones already kept, then, in order
 * of value, those that fit in the budget left; 0 elsewhere. NOMEM. */
int32_t us_kernel_plan(unetseg_model *m, const int64_t (*shapes)[4], uint8_t *keep);

#endif

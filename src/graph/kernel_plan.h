/* Which convs of an inference pass keep their Winograd-transformed kernels
 * (internal). The clone family's budget (param_share.h) goes first to the
 * kernels that save the most per byte, not to the first layers that ask. */
#ifndef US_GRAPH_KERNEL_PLAN_H
#define US_GRAPH_KERNEL_PLAN_H

#include <stdint.h>

#include "graph/model.h"

/* keep[i] = 1 for each Conv2D that may use a kept kernel in a pass whose
 * layer output shapes are `shapes`: the ones already kept, then, if
 * make_new, in order of value, those that fit in the budget left; 0
 * elsewhere. A model's first pass at an input shape makes none: making
 * them costs several passes' time (page faults on fresh memory), which a
 * model run once would spend for nothing. NOMEM. */
int32_t us_kernel_plan(unetseg_model *m, const int64_t (*shapes)[4], int make_new, uint8_t *keep);

#endif

/* Inference fusion plan (internal): which layers the executor can skip
 * because a Conv2D does their work. Only for inference passes without an
 * observer (every layer's own output is then never looked at). */
#ifndef US_GRAPH_FUSION_H
#define US_GRAPH_FUSION_H

#include "graph/model.h"

typedef struct us_fusion {
    int32_t *producer;  /* per layer: the layer whose buffer holds its output */
    int32_t *skipped;   /* per layer: 1 if another layer computes it */
    int32_t *pad_of;    /* per conv or max pooling: the folded ZeroPadding2D, or -1 */
    int32_t *up_of;     /* per conv: the nearest UpSampling2D it reads through, or -1 */
    int32_t *cat_of;    /* per conv: the Concatenate whose inputs it reads side by side
                         * (each through its nearest UpSampling2D when that is skipped), or -1 */
    int32_t *bn_of;     /* per conv: the folded BatchNormalization, or -1 */
    int32_t *relu_of;   /* per conv or BatchNormalization: the fused ReLU Activation, or -1 */
} us_fusion;

/* Plan the fusions; readers[i] is the number of layers reading layer i. */
int32_t us_fusion_plan(const unetseg_model *m, const int32_t *readers, us_fusion *f);
void us_fusion_free(us_fusion *f);

#endif

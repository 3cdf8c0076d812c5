/* Inference fusion: ZeroPadding2D -> Conv2D(valid) or MaxPooling2D(valid)
 * reads the unpadded input with larger pads (zeros outside); nearest UpSampling2D -> Conv2D reads the input before
 * upsampling (the executor expands it row by row where the conv's kernel
 * can, graph/exec.c); Concatenate -> Conv2D reads the concatenation's
 * inputs side by side, and those that are nearest UpSamplings before
 * upsampling (Winograd's input transform reads them in place: a U-Net
 * decoder block's copies are never made); Conv2D -> BatchNormalization [-> ReLU] applies the folded
 * normalisation and the ReLU to each output chunk while it is in cache, and
 * a BatchNormalization of anything else -> ReLU is one pass. A
 * layer is only absorbed when the conv is its sole reader (or it is the
 * conv's sole reader), so no other layer ever needs the skipped output. */
#include "graph/fusion.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"

void us_fusion_free(us_fusion *f) {
    free(f->producer);
    free(f->skipped);
    free(f->pad_of);
    free(f->up_of);
    free(f->cat_of);
    free(f->bn_of);
    free(f->relu_of);
}

/* The single layer reading layer i, or -1. */
static int32_t sole_reader(const unetseg_model *m, const int32_t *readers, int32_t i) {
    if (readers[i] != 1) return -1;
    for (int32_t k = i + 1; k < m->n_layers; k++)
        for (int32_t j = 0; j < m->layers[k].n_in; j++)
            if (m->layers[k].in_ids[j] == m->layers[i].id) return k;
    return -1;
}

static int is_relu(const us_layer *l) {
    return l->kind == UNETSEG_LAYER_ACTIVATION && l->cfg.activation == UNETSEG_ACT_RELU;
}

int32_t us_fusion_plan(const unetseg_model *m, const int32_t *readers, us_fusion *f) {
    size_t n = (size_t)m->n_layers;
    f->producer = us_malloc_array(n, sizeof(int32_t));
    f->skipped = us_calloc_array(n, sizeof(int32_t));
    f->pad_of = us_malloc_array(n, sizeof(int32_t));
    f->up_of = us_malloc_array(n, sizeof(int32_t));
    f->cat_of = us_malloc_array(n, sizeof(int32_t));
    f->bn_of = us_malloc_array(n, sizeof(int32_t));
    f->relu_of = us_malloc_array(n, sizeof(int32_t));
    if (!f->producer || !f->skipped || !f->pad_of || !f->up_of || !f->cat_of || !f->bn_of || !f->relu_of)
        return us_fail(UNETSEG_E_NOMEM, "forward: out of memory");
    for (int32_t i = 0; i < m->n_layers; i++) f->producer[i] = i, f->pad_of[i] = f->up_of[i] = f->cat_of[i] = f->bn_of[i] = f->relu_of[i] = -1;
    for (int32_t i = 0; i < m->n_layers; i++) {
        const us_layer *l = &m->layers[i];
        if (l->kind == UNETSEG_LAYER_MAX_POOLING2D && l->cfg.padding == UNETSEG_PADDING_VALID) {
            int32_t in = us_model_index_of_id(m, l->in_ids[0]);
            if (m->layers[in].kind == UNETSEG_LAYER_ZERO_PADDING2D && readers[in] == 1) {
                f->pad_of[i] = in;
                f->skipped[in] = 1;
            }
        }
        /* A BatchNormalization not folded into a conv (a pre-activation)
         * applies its ReLU in the same pass over memory */
        if (l->kind == UNETSEG_LAYER_BATCHNORM && !f->skipped[i]) {
            int32_t relu = sole_reader(m, readers, i);
            if (relu >= 0 && is_relu(&m->layers[relu])) {
                f->relu_of[i] = relu;
                f->skipped[relu] = 1;
                f->producer[relu] = i;
            }
        }
        if (l->kind != UNETSEG_LAYER_CONV2D) continue;
        int32_t in = us_model_index_of_id(m, l->in_ids[0]);
        if (m->layers[in].kind == UNETSEG_LAYER_ZERO_PADDING2D && readers[in] == 1 &&
            l->cfg.padding == UNETSEG_PADDING_VALID) {
            f->pad_of[i] = in;
            f->skipped[in] = 1;
        }
        if (m->layers[in].kind == UNETSEG_LAYER_UPSAMPLING2D && readers[in] == 1 &&
            m->layers[in].cfg.interpolation == UNETSEG_INTERP_NEAREST) {
            f->up_of[i] = in;
            f->skipped[in] = 1;
        }
        if (m->layers[in].kind == UNETSEG_LAYER_CONCATENATE && readers[in] == 1) {
            f->cat_of[i] = in;
            f->skipped[in] = 1;
            for (int32_t j = 0; j < m->layers[in].n_in; j++) {
                int32_t part = us_model_index_of_id(m, m->layers[in].in_ids[j]);
                if (m->layers[part].kind == UNETSEG_LAYER_UPSAMPLING2D && readers[part] == 1 &&
                    m->layers[part].cfg.interpolation == UNETSEG_INTERP_NEAREST)
                    f->skipped[part] = 1;
            }
        }
        int32_t bn = sole_reader(m, readers, i);
        if (bn < 0 || m->layers[bn].kind != UNETSEG_LAYER_BATCHNORM) continue;
        f->bn_of[i] = bn;
        f->skipped[bn] = 1;
        f->producer[bn] = i;
        int32_t relu = sole_reader(m, readers, bn);
        if (relu >= 0 && is_relu(&m->layers[relu])) {
            f->relu_of[i] = relu;
            f->skipped[relu] = 1;
            f->producer[relu] = i;
        }
    }
    return UNETSEG_OK;
}

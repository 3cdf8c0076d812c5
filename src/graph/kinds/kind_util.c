/* Helpers shared by the layer kinds (see kind_util.h). */
#include "graph/kinds/kind_util.h"

#include <string.h>

int32_t us_kind_infer_same(const us_layer *l, const int64_t (*in)[4], int32_t n_in,
                           int64_t out[4]) {
    US_UNUSED(l), US_UNUSED(n_in);
    memcpy(out, in[0], 4 * sizeof(int64_t));
    return UNETSEG_OK;
}

/* Two known sizes must agree; an unknown one takes the other's value. */
static int32_t merge_dim(const us_layer *l, const char *what, int64_t a, int64_t b, int64_t *out) {
    if (a >= 0 && b >= 0 && a != b)
        return us_fail(UNETSEG_E_SHAPE, "%s: inputs differ in %s (%lld vs %lld)", l->name, what,
                       (long long)a, (long long)b);
    *out = a >= 0 ? a : b;
    return UNETSEG_OK;
}

int32_t us_kind_infer_merge(const us_layer *l, const int64_t (*in)[4], int32_t n_in, int64_t out[4],
                            int concat) {
    int32_t st;
    memcpy(out, in[0], 4 * sizeof(int64_t));
    for (int32_t i = 1; i < n_in; i++) {
        if ((st = merge_dim(l, "height", out[1], in[i][1], &out[1]))) return st;
        if ((st = merge_dim(l, "width", out[2], in[i][2], &out[2]))) return st;
        if (concat)
            out[3] = out[3] < 0 || in[i][3] < 0 ? -1 : out[3] + in[i][3];
        else if ((st = merge_dim(l, "channels", out[3], in[i][3], &out[3])))
            return st;
    }
    if (concat && out[3] < 0)
        return us_fail(UNETSEG_E_SHAPE, "%s: channel counts must be known", l->name);
    return UNETSEG_OK;
}

int32_t us_kind_check_window(const char *name, const us_layer_config *c) {
    if (!us_in_range(c->kernel_h, 1, 64) || !us_in_range(c->kernel_w, 1, 64) ||
        !us_in_range(c->stride_h, 1, 64) || !us_in_range(c->stride_w, 1, 64))
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: kernel and strides must be 1..64", name);
    if (c->padding != UNETSEG_PADDING_VALID && c->padding != UNETSEG_PADDING_SAME)
        return us_fail(UNETSEG_E_INVALID_ARG, "%s: padding must be VALID or SAME", name);
    return UNETSEG_OK;
}

/* Output size along one axis; -1 stays unknown, and a window that does not
 * fit is a shape error. */
static int32_t window_out(const us_layer *l, int64_t in, int64_t k, int64_t s, int64_t *out) {
    const int32_t same = l->cfg.padding == UNETSEG_PADDING_SAME;
    if (in < 0) {
        *out = -1;
        return UNETSEG_OK;
    }
    *out = us_conv_out_size(in, k, s, same);
    if (*out < 1)
        return us_fail(UNETSEG_E_SHAPE, "%s: input size %lld is smaller than the window %lld",
                       l->name, (long long)in, (long long)k);
    return UNETSEG_OK;
}

int32_t us_kind_infer_window(const us_layer *l, const int64_t in[4], int64_t out[4]) {
    const us_layer_config *c = &l->cfg;
    int32_t st;
    if (in[3] < 1)
        return us_fail(UNETSEG_E_SHAPE, "%s: the input channel count must be known", l->name);
    out[0] = in[0];
    if ((st = window_out(l, in[1], c->kernel_h, c->stride_h, &out[1]))) return st;
    return window_out(l, in[2], c->kernel_w, c->stride_w, &out[2]);
}

void us_layer_conv_geom(const us_layer *l, const int64_t in[4], const int64_t out[4],
                        us_conv_geom *g) {
    const us_layer_config *c = &l->cfg;
    const int32_t same = c->padding == UNETSEG_PADDING_SAME;
    g->n = in[0];
    g->h = in[1];
    g->w = in[2];
    g->cin = in[3];
    g->ho = out[1];
    g->wo = out[2];
    g->cout = out[3];
    g->kh = c->kernel_h;
    g->kw = c->kernel_w;
    g->sh = c->stride_h;
    g->sw = c->stride_w;
    if (l->kind == UNETSEG_LAYER_CONV2D_TRANSPOSE) {
        g->pad_top = us_conv_transpose_pad_before(c->kernel_h, c->stride_h, same);
        g->pad_left = us_conv_transpose_pad_before(c->kernel_w, c->stride_w, same);
    } else {
        g->pad_top = us_conv_pad_before(in[1], c->kernel_h, c->stride_h, same);
        g->pad_left = us_conv_pad_before(in[2], c->kernel_w, c->stride_w, same);
    }
}

float *us_kind_param_grad(const us_layer *l, const us_backward_args *a, const char *name) {
    if (!a->dparams) return NULL;
    for (int32_t p = 0; p < l->n_params; p++)
        if (strcmp(l->params[p].name, name) == 0) return a->dparams[p];
    return NULL;
}

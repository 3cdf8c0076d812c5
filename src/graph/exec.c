/* The executor: concrete shape inference, then one pass over the layer list
 * with an activation memory plan (a buffer is returned to a pool after the
 * last layer that reads it, and element-wise layers overwrite their input
 * when nobody else reads it). */
#include "graph/exec.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/parallel.h"
#include "graph/buffer_pool.h"
#include "graph/fusion.h"
#include "graph/kernel_plan.h"

int32_t us_infer_shapes(const unetseg_model *m, const int64_t input_shape[4],
                        int64_t (*shapes)[4]) {
    int64_t in_shapes[UNETSEG_MAX_INBOUND][4];
    for (int32_t i = 0; i < m->n_layers; i++) {
        const us_layer *l = &m->layers[i];
        if (l->kind == UNETSEG_LAYER_INPUT) {
            memcpy(shapes[i], input_shape, sizeof shapes[i]);
            continue;
        }
        for (int32_t j = 0; j < l->n_in; j++)
            memcpy(in_shapes[j], shapes[us_model_index_of_id(m, l->in_ids[j])], sizeof in_shapes[j]);
        int32_t st = us_layer_kind_get(l->kind)->infer(l, (const int64_t(*)[4])in_shapes, l->n_in,
                                                       shapes[i]);
        if (st) return st;
        for (int32_t d = 1; d < 4; d++)
            if (shapes[i][d] < 1)
                return us_fail(UNETSEG_E_SHAPE, "%s: the input is too small for this layer",
                               l->name);
        if (us_shape_numel(4, shapes[i]) < 0)
            return us_fail(UNETSEG_E_SHAPE, "%s: output too large", l->name);
    }
    return UNETSEG_OK;
}

typedef struct run_state {
    int64_t (*shapes)[4];
    float **outputs;     /* per layer: its output buffer while alive */
    int32_t *readers;    /* per layer: consumers that have not run yet */
    int32_t *in_index;   /* scratch: inbound indices of the current layer */
    uint8_t *keep;       /* per conv at inference: may use a kept kernel (kernel_plan.h) */
} run_state;

static void run_state_free(run_state *s) {
    free(s->shapes);
    free(s->outputs);
    free(s->readers);
    free(s->in_index);
    free(s->keep);
}

static int32_t run_state_init(const unetseg_model *m, run_state *s) {
    size_t n = (size_t)m->n_layers;
    s->shapes = us_calloc_array(n, sizeof *s->shapes);
    s->outputs = us_calloc_array(n, sizeof *s->outputs);
    s->readers = us_calloc_array(n, sizeof *s->readers);
    s->in_index = us_calloc_array(UNETSEG_MAX_INBOUND, sizeof *s->in_index);
    s->keep = us_calloc_array(n, sizeof *s->keep);
    if (!s->shapes || !s->outputs || !s->readers || !s->in_index || !s->keep)
        return us_fail(UNETSEG_E_NOMEM, "forward: out of memory");
    for (int32_t i = 0; i < m->n_layers; i++)
        for (int32_t j = 0; j < m->layers[i].n_in; j++)
            s->readers[us_model_index_of_id(m, m->layers[i].in_ids[j])]++;
    return UNETSEG_OK;
}

/* At inference each Winograd conv uses the transformed kernel its kernel's
 * parameter block keeps (36 planes, 4x the kernel, shared with clones;
 * graph/param_share.h), and a small map's GEMM the packed kernel, within
 * the clone family's budget: large inputs put more layers on Winograd, and
 * memory must not grow without bound. NULL when not kept (the conv then
 * transforms or reads its kernel itself). */
static const float *prepared_kernel(us_layer *l, const us_conv_geom *g, int kind) {
    us_param *p = us_layer_find_param(l, "kernel");
    return p ? us_param_prepared_kernel(p, kind, us_prepared_kernel_rows(g, kind), g->cout) : NULL;
}

/* The nearest UpSampling2D folded into input j of conv i's folded
 * concatenation (the executor hands over its input), or NULL. */
static const us_layer *folded_part_upsampling(const unetseg_model *m, const us_fusion *f, int32_t i,
                                              int32_t j) {
    const int32_t part = us_model_index_of_id(m, m->layers[f->cat_of[i]].in_ids[j]);
    const int folded = m->layers[part].kind == UNETSEG_LAYER_UPSAMPLING2D && f->skipped[part];
    return folded ? &m->layers[part] : NULL;
}

/* The parts of a conv's input as the executor hands them over: its one
 * input (through a folded nearest upsampling: the upsampling's input), or
 * the inputs of its folded concatenation, each through its own; conv_in
 * gets the input shape the conv sees. */
static void conv_sources(const unetseg_model *m, const us_fusion *f, int32_t i,
                         const float *const *xs, const int64_t (*shapes)[4], int32_t n,
                         us_conv_source *sources, int64_t conv_in[4]) {
    const int fused = f->producer != NULL, cat = fused && f->cat_of[i] >= 0;
    conv_in[3] = 0;
    for (int32_t j = 0; j < n; j++) {
        const us_layer *up = NULL;
        if (cat)
            up = folded_part_upsampling(m, f, i, j);
        else if (fused && f->up_of[i] >= 0)
            up = &m->layers[f->up_of[i]];
        sources[j] = (us_conv_source){xs[j], shapes[j][3], up ? up->cfg.size_h : 1, up ? up->cfg.size_w : 1};
        conv_in[0] = shapes[j][0];
        conv_in[1] = shapes[j][1] * sources[j].up_h;
        conv_in[2] = shapes[j][2] * sources[j].up_w;
        conv_in[3] += shapes[j][3];
    }
}

/* Whether layer l reads a 2x2 nearest UpSampling2D's output. */
static int input_is_up2(const unetseg_model *m, const us_layer *l) {
    const us_layer *in = &m->layers[us_model_index_of_id(m, l->in_ids[0])];
    return in->kind == UNETSEG_LAYER_UPSAMPLING2D && in->cfg.interpolation == UNETSEG_INTERP_NEAREST &&
           in->cfg.size_h == 2 && in->cfg.size_w == 2;
}

/* A Conv2D at inference, with its folded padding, upsampling,
 * concatenation, BatchNormalization and ReLU when the fusion plan has
 * them (fusion.h). */
static int32_t run_conv_inference(unetseg_model *m, const us_fusion *f, int32_t i, int keep,
                                  const float *const *xs, const int64_t (*shapes)[4], int32_t n,
                                  const int64_t out_shape[4], float *y) {
    us_layer *l = &m->layers[i];
    const int fused = f->producer != NULL;
    us_conv_source sources[UNETSEG_MAX_INBOUND];
    int64_t conv_in[4];
    conv_sources(m, f, i, xs, shapes, n, sources, conv_in);
    us_conv_geom g;
    us_layer_conv_geom(l, conv_in, out_shape, &g);
    if (fused && f->pad_of[i] >= 0) {
        /* the conv reads the unpadded input; the padding becomes implicit */
        g.pad_top += m->layers[f->pad_of[i]].cfg.pad_top;
        g.pad_left += m->layers[f->pad_of[i]].cfg.pad_left;
    }
    us_conv_epilogue ep = {NULL, NULL, fused && f->relu_of[i] >= 0, 0};
    float *fold = NULL;
    if (fused && f->bn_of[i] >= 0) {
        const us_layer *bn = &m->layers[f->bn_of[i]];
        fold = us_malloc_array((size_t)(2 * g.cout), sizeof(float));
        if (!fold) return us_fail(UNETSEG_E_NOMEM, "%s: out of memory", l->name);
        us_batchnorm_fold(g.cout, us_layer_param(bn, "gamma"), us_layer_param(bn, "beta"),
                          us_layer_param(bn, "moving_mean"), us_layer_param(bn, "moving_variance"),
                          bn->cfg.epsilon, fold, fold + g.cout);
        ep.scale = fold;
        ep.shift = fold + g.cout;
    }
    const float *kernel = us_layer_param(l, "kernel"), *bias = us_layer_param(l, "bias");
    const int one_upsampled = n == 1 && (sources[0].up_h > 1 || sources[0].up_w > 1);
    /* the path is the geometry's whether or not the kernel is kept: the
     * cache changes the time, never the bits */
    const int kind = us_conv2d_inference_prepared(&g), tile = kind == US_PREPARED_GEMM ? 0 : kind;
    const float *prepared = kind && keep ? prepared_kernel(l, &g, kind) : NULL;
    /* a 2x nearest upsampling read by phases whether it was folded or
     * written out (an observed pass): the same bits either way */
    const int up2 = n == 1 && sources[0].up_h == 2 && sources[0].up_w == 2;
    const int after_up2 = !fused && n == 1 && input_is_up2(m, l);
    int32_t st;
    if ((up2 || after_up2) && us_conv2d_up2_applies(&g))
        st = us_conv2d_forward_up2(&g, xs[0], after_up2, kernel, bias, &ep, y);
    else if (one_upsampled && us_conv2d_direct_applies(&g))
        st = us_conv2d_forward_direct_upsampled(&g, sources[0].up_h, sources[0].up_w, xs[0], kernel,
                                                bias, &ep, y);
    else if (tile)
        st = us_conv2d_forward_winograd_sources(&g, tile, sources, n, kernel, prepared, bias, &ep, y);
    else
        st = us_conv2d_forward_sources(&g, sources, n, kernel, prepared, bias, &ep, y);
    free(fold);
    return st;
}

/* MaxPooling2D(valid) of a folded ZeroPadding2D's input, zeros outside. */
static void run_padded_pool(const unetseg_model *m, const us_fusion *f, int32_t i, const float *x,
                            const int64_t x_shape[4], const int64_t out_shape[4], float *y) {
    const us_layer *pad = &m->layers[f->pad_of[i]];
    us_conv_geom g;
    us_layer_conv_geom(&m->layers[i], x_shape, out_shape, &g);
    g.pad_top += pad->cfg.pad_top;
    g.pad_left += pad->cfg.pad_left;
    us_maxpool_forward_zero_padded(&g, x, y);
}

/* BatchNormalization (inference statistics) with its ReLU fused. */
static void run_bn_relu(const us_layer *l, const float *x, const int64_t x_shape[4], float *y) {
    us_batchnorm_inference(x, us_shape_numel(4, x_shape), x_shape[3], us_layer_param(l, "gamma"),
                           us_layer_param(l, "beta"), us_layer_param(l, "moving_mean"),
                           us_layer_param(l, "moving_variance"), l->cfg.epsilon, 1, y);
}

/* Inputs of layer i as the executor sees them: through the fusion plan a
 * skipped layer's output is its producer's, and a conv with a folded
 * padding or upsampling reads that layer's input. */
static int32_t effective_input(const unetseg_model *m, const us_fusion *f, int32_t i, int32_t j) {
    if (f->producer && f->cat_of[i] >= 0) {
        /* input j of the folded concatenation (j may pass the conv's own
         * inputs), before a folded upsampling */
        const us_layer *up = folded_part_upsampling(m, f, i, j);
        const int32_t src = us_model_index_of_id(m, up ? up->in_ids[0] : m->layers[f->cat_of[i]].in_ids[j]);
        return f->producer[src];
    }
    int32_t src = us_model_index_of_id(m, m->layers[i].in_ids[j]);
    if (!f->producer) return src;
    if (j == 0 && (f->pad_of[i] >= 0 || f->up_of[i] >= 0))
        src = us_model_index_of_id(m, m->layers[src].in_ids[0]);
    return f->producer[src];
}

/* How many inputs layer i reads as the executor sees them (a conv with a
 * folded concatenation reads the concatenation's). */
static int32_t effective_count(const unetseg_model *m, const us_fusion *f, int32_t i) {
    return f->producer && f->cat_of[i] >= 0 ? m->layers[f->cat_of[i]].n_in : m->layers[i].n_in;
}

/* Profiling: layer i took `wall` ns on `threads` threads; the threads'
 * idle time is their time less the work done: this thread's (wall less its
 * waits at the ends of its regions) and the other threads' parts. */
static void add_profile(unetseg_model *m, int32_t i, int64_t wall, int32_t threads, int64_t waited0,
                        int64_t helped0) {
    int64_t waited, helped;
    us_parallel_work_ns(&waited, &helped);
    int64_t idle = (threads - 1) * wall + (waited - waited0) - (helped - helped0);
    us_profile_add(&m->profile, i, wall, threads, idle > 0 ? idle : 0);
}

/* `given` (may be NULL): per layer, an output computed earlier (the layer is
 * not run and its buffer never released) or NULL; with `given`, layers
 * flagged in `skip` are not run at all (nothing reads them). */
static int32_t run_impl(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                        us_layer_observer observer, void *user, const float *const *given,
                        const uint8_t *skip, unetseg_tensor **out) {
    run_state s = {0};
    us_buffer_pool *pool = &m->run_pool;
    us_fusion f = {0};
    if (memcmp(m->run_pool_shape, input->shape, sizeof m->run_pool_shape) != 0) {
        us_pool_free(pool);
        memcpy(m->run_pool_shape, input->shape, sizeof m->run_pool_shape);
        m->passes_at_shape = 0;
    }
    const int timed = !ctx->training && us_profile_pass_begin(&m->profile, m->n_layers);
    const int32_t threads = us_parallel_threads();
    if (timed) us_parallel_count_work(1);
    int32_t st = run_state_init(m, &s);
    if (!st) st = us_infer_shapes(m, input->shape, s.shapes);
    if (!st && !ctx->training)
        st = us_kernel_plan(m, (const int64_t(*)[4])s.shapes, m->passes_at_shape > 0, s.keep);
    if (!st && given) {
        /* only layers that run read their inputs */
        memset(s.readers, 0, (size_t)m->n_layers * sizeof *s.readers);
        for (int32_t i = 0; i < m->n_layers; i++)
            for (int32_t j = 0; j < m->layers[i].n_in && !skip[i]; j++)
                s.readers[us_model_index_of_id(m, m->layers[i].in_ids[j])]++;
    }
    /* Fusion skips layers, so it is only used when no one observes them. */
    if (!st && !observer && !ctx->training && !given) {
        st = us_fusion_plan(m, s.readers, &f);
        memset(s.readers, 0, (size_t)m->n_layers * sizeof *s.readers);
        for (int32_t i = 0; i < m->n_layers && !st; i++)
            for (int32_t j = 0; j < effective_count(m, &f, i) && !f.skipped[i]; j++)
                s.readers[effective_input(m, &f, i, j)]++;
    }
    const float *in_ptrs[UNETSEG_MAX_INBOUND];
    int64_t in_shapes[UNETSEG_MAX_INBOUND][4];
    for (int32_t i = 0; i < m->n_layers && !st; i++) {
        const us_layer *l = &m->layers[i];
        const us_layer_kind *k = us_layer_kind_get(l->kind);
        if (f.skipped && f.skipped[i]) continue;
        if (given && (given[i] || skip[i])) {
            s.outputs[i] = (float *)given[i]; /* computed earlier, or not needed */
        } else if (l->kind == UNETSEG_LAYER_INPUT) {
            /* The caller's buffer is read in place and never written. */
            s.outputs[i] = input->data;
        } else {
            const int32_t n_in = effective_count(m, &f, i);
            for (int32_t j = 0; j < n_in; j++) {
                s.in_index[j] = effective_input(m, &f, i, j);
                in_ptrs[j] = s.outputs[s.in_index[j]];
                memcpy(in_shapes[j], s.shapes[s.in_index[j]], sizeof in_shapes[j]);
            }
            int32_t src = s.in_index[0];
            int in_place = k->elementwise && s.readers[src] == 1 &&
                           m->layers[src].kind != UNETSEG_LAYER_INPUT && !(given && given[src]);
            float *dst = in_place ? s.outputs[src]
                                  : us_pool_acquire(pool, us_shape_numel(4, s.shapes[i]));
            if (!dst) {
                st = us_fail(UNETSEG_E_NOMEM, "%s: cannot allocate the output", l->name);
                break;
            }
            if (in_place) s.outputs[src] = NULL;
            int64_t waited0 = 0, helped0 = 0;
            if (timed) us_parallel_work_ns(&waited0, &helped0);
            const int64_t t0 = timed ? us_now_ns() : 0;
            if (l->kind == UNETSEG_LAYER_CONV2D && !ctx->training)
                st = run_conv_inference(m, &f, i, s.keep[i], in_ptrs, (const int64_t(*)[4])in_shapes, n_in,
                                        s.shapes[i], dst);
            else if (f.producer && f.pad_of[i] >= 0) /* a max pooling with its padding folded */
                run_padded_pool(m, &f, i, in_ptrs[0], in_shapes[0], s.shapes[i], dst);
            else if (f.producer && l->kind == UNETSEG_LAYER_BATCHNORM && f.relu_of[i] >= 0)
                run_bn_relu(l, in_ptrs[0], in_shapes[0], dst);
            else
                st = k->forward(l, ctx, in_ptrs, (const int64_t(*)[4])in_shapes, l->n_in, dst,
                                s.shapes[i], NULL);
            if (timed) add_profile(m, i, us_now_ns() - t0, threads, waited0, helped0);
            s.outputs[i] = dst;
            for (int32_t j = 0; j < n_in; j++) {
                int32_t p = s.in_index[j];
                int owned = m->layers[p].kind != UNETSEG_LAYER_INPUT && !(given && given[p]);
                if (--s.readers[p] == 0 && s.outputs[p] && owned) us_pool_release(pool, s.outputs[p]);
                if (s.readers[p] == 0) s.outputs[p] = NULL;
            }
        }
        if (!st && observer) st = observer(user, i, s.outputs[i], s.shapes[i]);
    }
    if (!st) {
        int32_t last = m->n_layers - 1, from = f.producer ? f.producer[last] : last;
        st = us_tensor_new(4, s.shapes[last], out);
        if (!st) memcpy((*out)->data, s.outputs[from], (size_t)(*out)->numel * sizeof(float));
    }
    if (!st && !ctx->training) m->passes_at_shape++;
    if (timed) {
        us_parallel_count_work(0);
        m->profile.passes++; /* a failed pass too: its layers were counted */
    }
    us_fusion_free(&f);
    us_pool_release_all(pool);
    run_state_free(&s);
    return st;
}

int32_t us_model_run(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                     us_layer_observer observer, void *user, unetseg_tensor **out) {
    return run_impl(m, ctx, input, observer, user, NULL, NULL, out);
}

int32_t us_model_run_given(unetseg_model *m, const us_exec_ctx *ctx, const unetseg_tensor *input,
                           const float *const *given, const uint8_t *skip, unetseg_tensor **out) {
    return run_impl(m, ctx, input, NULL, NULL, given, skip, out);
}

int32_t us_check_forward_input(const unetseg_model *model, const unetseg_tensor *input) {
    if (model->n_layers == 0)
        return us_fail(UNETSEG_E_STATE, "model_forward: the model has no layers");
    const us_layer *in = &model->layers[0];
    if (input->rank != 4)
        return us_fail(UNETSEG_E_SHAPE, "model_forward: input must be rank 4 (N, H, W, C), got rank %d",
                       input->rank);
    if (input->shape[3] != in->cfg.channels)
        return us_fail(UNETSEG_E_SHAPE, "model_forward: input has %lld channels, '%s' expects %lld",
                       (long long)input->shape[3], in->name, (long long)in->cfg.channels);
    int64_t m = model->input_multiple;
    if (m > 1 && (input->shape[1] % m || input->shape[2] % m))
        return us_fail(UNETSEG_E_SHAPE,
                       "model_forward: input height and width must be divisible by %lld "
                       "(got %lldx%lld)",
                       (long long)m, (long long)input->shape[1], (long long)input->shape[2]);
    return UNETSEG_OK;
}

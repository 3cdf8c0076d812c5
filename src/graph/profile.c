/* Per-layer timing of inference passes (graph/profile.h). */
#include "graph/profile.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/text.h"
#include "graph/layer_kinds.h"
#include "graph/model.h"

/* The gathered numbers (not the table text, which the caller may still hold). */
static void clear(us_profile *p) {
    free(p->layers);
    p->layers = NULL;
    p->n = 0;
    p->passes = 0;
}

void us_profile_set(us_profile *p, int on) {
    clear(p);
    free(p->text);
    p->text = NULL;
    p->on = on;
}

void us_profile_free(us_profile *p) { us_profile_set(p, 0); }

int us_profile_pass_begin(us_profile *p, int32_t n_layers) {
    if (!p->on) return 0;
    if (us_profile_layers(p, n_layers)) return 1;
    clear(p); /* layers were added (insertion): the old indices mean other layers */
    p->layers = us_calloc_array((size_t)n_layers, sizeof *p->layers);
    if (!p->layers) return 0;
    p->n = n_layers;
    return 1;
}

const us_layer_time *us_profile_layers(const us_profile *p, int32_t n_layers) {
    return p->layers && p->n == n_layers ? p->layers : NULL;
}

void us_profile_add(us_profile *p, int32_t i, int64_t ns, int32_t threads, int64_t idle_ns) {
    us_layer_time *l = &p->layers[i];
    l->runs++;
    l->ns += ns;
    l->thread_ns += ns * threads;
    l->idle_ns += idle_ns;
}

typedef struct ranked {
    int64_t ns;
    int32_t layer;
} ranked;

static int slowest_first(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    if (a->ns != b->ns) return a->ns > b->ns ? -1 : 1;
    return (a->layer > b->layer) - (a->layer < b->layer);
}

int32_t us_model_profile_text(unetseg_model *m, const char **text) {
    us_profile *p = &m->profile;
    free(p->text);
    p->text = NULL;
    const us_layer_time *layers = us_profile_layers(p, m->n_layers);
    const int32_t n = layers ? p->n : 0;
    ranked *order = us_malloc_array((size_t)n + 1, sizeof *order);
    if (!order) return us_fail(UNETSEG_E_NOMEM, "model_profile: out of memory");
    int64_t total = 0, thread_total = 0, idle_total = 0;
    int32_t ran = 0;
    for (int32_t i = 0; i < n; i++) {
        total += layers[i].ns;
        thread_total += layers[i].thread_ns;
        idle_total += layers[i].idle_ns;
        if (layers[i].runs) order[ran++] = (ranked){layers[i].ns, i};
    }
    qsort(order, (size_t)ran, sizeof *order, slowest_first);
    us_text t = {0};
    if (!p->on)
        us_text_printf(&t, "Profiling is off (unetseg_model_set_profiling).\n");
    else if (!p->passes || !layers)
        us_text_printf(&t, "No inference pass profiled yet.\n");
    else
        us_text_printf(&t, "Profile of %lld inference pass%s: %.3f ms of layer time a pass, %.1f %% idle\n",
                       (long long)p->passes, p->passes == 1 ? "" : "es",
                       (double)total / (double)p->passes * 1e-6,
                       thread_total ? 100.0 * (double)idle_total / (double)thread_total : 0.0);
    if (ran) {
        us_text_printf(&t, "%-5s%-31s%-21s%6s%11s%11s%9s\n", "#", "Layer (name)", "type", "runs",
                       "ms a run", "% of time", "idle %");
        for (int32_t k = 0; k < ran; k++) {
            const int32_t i = order[k].layer;
            const us_layer_time *l = &layers[i];
            us_text_printf(&t, "%-5d%-31s%-21s%6lld%11.3f%11.1f%9.1f\n", i, m->layers[i].name,
                           us_layer_kind_get(m->layers[i].kind)->keras_class, (long long)l->runs,
                           (double)l->ns / (double)l->runs * 1e-6,
                           total ? 100.0 * (double)l->ns / (double)total : 0.0,
                           l->thread_ns ? 100.0 * (double)l->idle_ns / (double)l->thread_ns : 0.0);
        }
        us_text_printf(&t,
                       "idle %%: of the layer's time on all the pass's threads, the part no "
                       "thread worked on it\n");
        if (ran < n)
            us_text_printf(&t, "%d layers did not run on their own (fused into the layer before "
                           "them, or reused from an earlier pass)\n", n - ran);
    }
    free(order);
    if (t.failed) {
        free(t.data);
        return us_fail(UNETSEG_E_NOMEM, "model_profile: out of memory");
    }
    p->text = t.data;
    *text = t.data;
    return UNETSEG_OK;
}

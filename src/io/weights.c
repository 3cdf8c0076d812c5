/* Model weights in safetensors: save, load by name (strict or partial), and
 * rebuilding a model from the layer list stored in the metadata. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/tensor.h"
#include "graph/model.h"
#include "io/graph_text.h"
#include "io/safetensors.h"
#include "io/weights.h"

#define GRAPH_KEY "unetseg.graph"

typedef struct param_ref {
    const us_layer *layer;
    us_param *param;
    char name[US_MAX_NAME + 32];
} param_ref;

/* Every parameter of the model with its "{layer}/{param}" name. */
static int32_t list_params(const unetseg_model *m, param_ref **out, int32_t *n) {
    int32_t count = 0, k = 0;
    for (int32_t i = 0; i < m->n_layers; i++) count += m->layers[i].n_params;
    param_ref *refs = us_calloc_array((size_t)count, sizeof *refs);
    if (!refs) return us_fail(UNETSEG_E_NOMEM, "weights: out of memory");
    for (int32_t i = 0; i < m->n_layers; i++)
        for (int32_t p = 0; p < m->layers[i].n_params; p++, k++) {
            refs[k].layer = &m->layers[i];
            refs[k].param = &m->layers[i].params[p];
            snprintf(refs[k].name, sizeof refs[k].name, "%s/%s", m->layers[i].name,
                     m->layers[i].params[p].name);
        }
    *out = refs;
    *n = count;
    return UNETSEG_OK;
}

int32_t us_save_model_file(const unetseg_model *model, const char *path, const us_st_tensor *extra,
                           int32_t n_extra, const char *const *extra_keys,
                           const char *const *extra_values, int32_t n_extra_meta) {
    param_ref *refs = NULL;
    int32_t n = 0;
    char *graph = NULL;
    int32_t st = list_params(model, &refs, &n);
    if (!st) st = us_graph_to_text(model, &graph);
    us_st_tensor *tensors = st ? NULL : us_calloc_array((size_t)(n + n_extra), sizeof *tensors);
    const char **keys = st ? NULL : us_calloc_array((size_t)(3 + n_extra_meta), sizeof *keys);
    const char **values = st ? NULL : us_calloc_array((size_t)(3 + n_extra_meta), sizeof *values);
    if (!st && (!tensors || !keys || !values)) st = us_fail(UNETSEG_E_NOMEM, "save_weights: out of memory");
    if (!st) {
        for (int32_t i = 0; i < n; i++) {
            const unetseg_tensor *t = refs[i].param->value;
            tensors[i] = (us_st_tensor){refs[i].name, t->rank, t->shape, t->data};
        }
        for (int32_t i = 0; i < n_extra; i++) tensors[n + i] = extra[i];
        keys[0] = "format", values[0] = "unetseg";
        keys[1] = "unetseg.version", values[1] = US_VERSION_STRING;
        keys[2] = GRAPH_KEY, values[2] = graph;
        for (int32_t i = 0; i < n_extra_meta; i++) keys[3 + i] = extra_keys[i], values[3 + i] = extra_values[i];
        st = us_st_write(path, tensors, n + n_extra, keys, values, 3 + n_extra_meta);
    }
    free(keys);
    free(values);
    free(tensors);
    free(graph);
    free(refs);
    return st;
}

/* The load report grows in a memory stream (NULL: none; the report is best
 * effort and loading is not affected). */
static void report_add(FILE *r, const char *s) {
    if (r) fputs(s, r);
}

static int shapes_equal(const us_st_entry *e, const unetseg_tensor *t) {
    if (e->rank != t->rank) return 0;
    for (int32_t d = 0; d < e->rank; d++)
        if (e->shape[d] != t->shape[d]) return 0;
    return 1;
}

/* Match file tensors to parameters and check shapes; fills entry_of[] (NULL
 * where the file lacks a parameter) and the report. */
static int32_t match_entries(us_st_file *f, const param_ref *refs, int32_t n, int32_t mode,
                             const char *ignore_prefix, const us_st_entry **entry_of, FILE *r,
                             int32_t *n_loaded) {
    int32_t missing = 0, unused = 0;
    *n_loaded = 0;
    for (int32_t i = 0; i < n; i++) {
        entry_of[i] = us_st_find(f, refs[i].name);
        if (!entry_of[i]) {
            report_add(r, missing++ ? ", " : "; not in file: ");
            report_add(r, refs[i].name);
            if (mode == UNETSEG_LOAD_STRICT)
                return us_fail(UNETSEG_E_NOT_FOUND,
                               "load_weights (strict): the file has no tensor '%s'", refs[i].name);
            continue;
        }
        if (!shapes_equal(entry_of[i], refs[i].param->value)) {
            char want[128], got[128];
            us_format_shape(refs[i].param->value->shape, refs[i].param->value->rank, want, sizeof want);
            us_format_shape(entry_of[i]->shape, entry_of[i]->rank, got, sizeof got);
            return us_fail(UNETSEG_E_SHAPE, "load_weights: '%s' has shape %s in the file, the model wants %s",
                           refs[i].name, got, want);
        }
        (*n_loaded)++;
    }
    for (int32_t k = 0; k < us_st_count(f); k++) {
        const us_st_entry *e = us_st_entry_at(f, k);
        int used = ignore_prefix && strncmp(e->name, ignore_prefix, strlen(ignore_prefix)) == 0;
        for (int32_t i = 0; i < n && !used; i++) used = entry_of[i] == e;
        if (used) continue;
        if (mode == UNETSEG_LOAD_STRICT)
            return us_fail(UNETSEG_E_NOT_FOUND,
                           "load_weights (strict): the model has no parameter '%s'", e->name);
        report_add(r, unused++ ? ", " : "; unused in file: ");
        report_add(r, e->name);
    }
    return UNETSEG_OK;
}

/* Floats the check of a load reads at a time: 256 KB, written and read
 * back within L2 (a whole tensor, up to 9.4 MB, went out to DRAM and back);
 * one buffer for the whole load, freed at its end (not kept as a
 * core/scratch.h temporary of the calling thread). */
#define CHECK_FLOATS ((int64_t)65536)

/* Tensor i of the file read through buf, buf_floats at a time, and checked
 * for NaN and infinity; with buf_floats >= its size, buf then holds it. */
static int32_t read_checked(us_st_file *f, const param_ref *ref, const us_st_entry *e, float *buf,
                            int64_t buf_floats) {
    int64_t bad = -1;
    int32_t st = us_st_first_non_finite(f, e, ref->param->value->numel, buf, buf_floats, &bad);
    if (bad >= 0)
        st = us_fail(UNETSEG_E_NUMERIC, "load_weights: '%s' element %lld is NaN or infinite",
                     ref->name, (long long)bad);
    return st;
}

/* All or nothing without a second copy of the weights. First every
 * matched tensor is read and checked, into a fresh block where the
 * parameter's block is shared with clones (it is replaced, never written:
 * graph/param_share.h) and otherwise through a 256 KB buffer that keeps
 * nothing (CHECK_FLOATS), and every allocation is made: any
 * error leaves the model untouched. Then the model's own blocks are read
 * into in place (and their kept kernels dropped), and the fresh blocks
 * swapped in. Staging every tensor, as before, held the model's weights
 * twice: the peak memory of a load (98 MB more for Unet('resnet34'),
 * above the whole of an inference pass with its kernel cache off). Until
 * 2026-12-08 the check read each tensor whole into a scratch buffer of the
 * largest one's size (9.4 MB), out to DRAM and back: about 50 of the 65 ms
 * of a load of the bench weights, now about 14 (docs/PERFORMANCE.md). Only a
 * file that changes between the two reads can fail the second: the error
 * says so. */
static int32_t read_and_swap(us_st_file *f, const param_ref *refs, int32_t n,
                             const us_st_entry **entry_of, int *changed) {
    us_param_data **staged = us_calloc_array((size_t)(n ? n : 1), sizeof *staged);
    float *buf = us_malloc_array((size_t)CHECK_FLOATS, sizeof(float));
    int32_t st = staged && buf ? UNETSEG_OK : us_fail(UNETSEG_E_NOMEM, "load_weights: out of memory");
    for (int32_t i = 0; i < n && !st; i++) {
        if (!entry_of[i]) continue;
        const us_param *p = refs[i].param;
        if (us_param_is_shared(p) &&
            us_param_data_new(p->data->group, p->value->rank, p->value->shape, &staged[i])) {
            st = us_fail(UNETSEG_E_NOMEM, "load_weights: out of memory for '%s'", refs[i].name);
            break;
        }
        if (staged[i])
            st = read_checked(f, &refs[i], entry_of[i], staged[i]->value->data, p->value->numel);
        else
            st = read_checked(f, &refs[i], entry_of[i], buf, CHECK_FLOATS);
    }
    for (int32_t i = 0; i < n && !st; i++) {
        if (!entry_of[i] || staged[i]) continue;
        us_param *p = refs[i].param;
        us_param_make_writable(p); /* a private block: drops its kept kernels, cannot fail */
        *changed = 1;
        if (read_checked(f, &refs[i], entry_of[i], p->value->data, p->value->numel))
            st = us_fail(UNETSEG_E_IO,
                         "load_weights: '%s' changed in the file while it was being loaded: the "
                         "model now holds a mix of old and new weights; load it again", refs[i].name);
    }
    for (int32_t i = 0; i < n && staged; i++) {
        if (!staged[i]) continue;
        if (!st) us_param_adopt(refs[i].param, staged[i]);
        else us_param_data_free(staged[i]);
    }
    free(buf);
    free(staged);
    return st;
}

int32_t us_load_model_weights(unetseg_model *model, us_st_file *f, int32_t mode,
                              const char *ignore_prefix) {
    param_ref *refs = NULL;
    int32_t n = 0, n_loaded = 0;
    char *text = NULL;
    size_t len = 0;
    FILE *r = open_memstream(&text, &len); /* glibc's malloc, not us_malloc */
    int32_t st = list_params(model, &refs, &n);
    const us_st_entry **entry_of = st ? NULL : us_calloc_array((size_t)(n ? n : 1), sizeof *entry_of);
    if (!st && !entry_of) st = us_fail(UNETSEG_E_NOMEM, "load_weights: out of memory");
    if (!st) st = match_entries(f, refs, n, mode, ignore_prefix, entry_of, r, &n_loaded);
    int changed = 0;
    if (!st) st = read_and_swap(f, refs, n, entry_of, &changed);
    if (st && changed) us_model_invalidate(model); /* a half-loaded model (read_and_swap) */
    int detail = r && !ferror(r);
    if (r && fclose(r) != 0) detail = 0;
    if (!st) {
        char head[96];
        int hn = snprintf(head, sizeof head, "loaded %d of %d parameter tensors", n_loaded, n);
        size_t tn = detail ? len : 0;
        char *full = us_malloc((size_t)hn + tn + 1);
        if (full) {
            memcpy(full, head, (size_t)hn);
            if (tn) memcpy(full + hn, text, tn);
            full[(size_t)hn + tn] = '\0';
        }
        us_model_invalidate(model);
        model->load_report = full;
    }
    free(text);
    free(entry_of);
    free(refs);
    return st;
}

int32_t us_load_weights_file(unetseg_model *model, const char *path, int32_t mode) {
    us_st_file *f = NULL;
    int32_t st = us_st_open(path, &f);
    if (!st) st = us_load_model_weights(model, f, mode, US_OPTIMIZER_PREFIX);
    us_st_close(f);
    return st;
}

int32_t us_model_load_file(const char *path, unetseg_model **out) {
    *out = NULL;
    us_st_file *f = NULL;
    unetseg_model *m = NULL;
    int32_t st = us_st_open(path, &f);
    if (!st) {
        const char *graph = us_st_meta(f, GRAPH_KEY);
        if (!graph)
            st = us_fail(UNETSEG_E_FORMAT,
                         "model_load: %s has no '%s' metadata (not saved by unetseg); build the "
                         "model and use unetseg_model_load_weights",
                         path, GRAPH_KEY);
        else
            /* strict loading needs every parameter in the file, 2+ bytes each */
            st = us_graph_from_text(graph, (int64_t)(us_st_data_size(f) / 2), &m);
    }
    if (!st) st = us_load_model_weights(m, f, UNETSEG_LOAD_STRICT, US_OPTIMIZER_PREFIX);
    us_st_close(f);
    if (st) {
        us_model_free(m);
        return st;
    }
    *out = m;
    return UNETSEG_OK;
}

/* Name and id lookups of a model's layers (see layer_index.h). */
#include "graph/layer_index.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "graph/model.h"

/* FNV-1a from a per-index seed, then a final mix so the low bits (the
 * slot) depend on every byte. Names come from weights files: with a fixed
 * hash a file could bring thousands of names that share one slot and make
 * loading quadratic again; the seed (the table's heap address, which
 * address randomisation varies) keeps the slots of a name unpredictable. */
static uint32_t name_hash(const us_layer_index *x, const char *s) {
    uint32_t h = 2166136261u ^ x->seed;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return h;
}

static void put_name(us_layer_index *x, const char *name, int32_t index) {
    uint32_t mask = (uint32_t)x->n_slots - 1, s = name_hash(x, name) & mask;
    while (x->by_name[s]) s = (s + 1) & mask;
    x->by_name[s] = index + 1;
}

static int fits(const us_layer_index *x, int32_t n_layers, int32_t next_id) {
    return x->by_name && (int64_t)x->n_slots >= 2 * (int64_t)n_layers && x->n_ids >= next_id;
}

void us_layer_index_free(us_layer_index *x) {
    free(x->by_name);
    free(x->by_id);
    memset(x, 0, sizeof *x);
}

/* Room for four times the layers and twice the ids, so that appends rebuild
 * only when the list doubled. */
static int make_room(us_layer_index *x, int32_t n_layers, int32_t next_id) {
    int64_t slots = 64, ids = next_id > 32 ? 2 * (int64_t)next_id : 64;
    while (slots < 4 * (int64_t)n_layers) slots *= 2;
    if (slots > INT32_MAX || ids > INT32_MAX) return 0;
    us_layer_index_free(x);
    x->by_name = us_malloc_array((size_t)slots, sizeof *x->by_name);
    x->by_id = us_malloc_array((size_t)ids, sizeof *x->by_id);
    if (!x->by_name || !x->by_id) {
        us_layer_index_free(x);
        return 0;
    }
    x->n_slots = (int32_t)slots;
    x->n_ids = (int32_t)ids;
    const uintptr_t where = (uintptr_t)x->by_name;
    x->seed = (uint32_t)((uint64_t)where ^ ((uint64_t)where >> 32)) * 0x9e3779b9u;
    return 1;
}

void us_layer_index_rebuild(us_layer_index *x, const us_layer *layers, int32_t n_layers,
                            int32_t next_id) {
    x->n_layers = -1;
    if (!fits(x, n_layers, next_id) && !make_room(x, n_layers, next_id)) return;
    memset(x->by_name, 0, (size_t)x->n_slots * sizeof *x->by_name);
    memset(x->by_id, 0xFF, (size_t)x->n_ids * sizeof *x->by_id); /* all -1 */
    for (int32_t i = 0; i < n_layers; i++) {
        put_name(x, layers[i].name, i);
        x->by_id[layers[i].id] = i;
    }
    x->n_layers = n_layers;
}

void us_layer_index_appended(us_layer_index *x, const us_layer *layers, int32_t n_layers,
                             int32_t next_id) {
    if (x->n_layers != n_layers - 1 || !fits(x, n_layers, next_id)) {
        us_layer_index_rebuild(x, layers, n_layers, next_id);
        return;
    }
    const us_layer *l = &layers[n_layers - 1];
    put_name(x, l->name, n_layers - 1);
    x->by_id[l->id] = n_layers - 1;
    x->n_layers = n_layers;
}

int us_layer_index_fresh(const us_layer_index *x, int32_t n_layers) {
    return x->by_name && x->n_layers == n_layers;
}

int32_t us_layer_index_find_name(const us_layer_index *x, const us_layer *layers,
                                 const char *name) {
    uint32_t mask = (uint32_t)x->n_slots - 1;
    for (uint32_t s = name_hash(x, name) & mask; x->by_name[s]; s = (s + 1) & mask)
        if (strcmp(layers[x->by_name[s] - 1].name, name) == 0) return x->by_name[s] - 1;
    return -1;
}

int32_t us_layer_index_find_id(const us_layer_index *x, int32_t id) {
    return id >= 0 && id < x->n_ids ? x->by_id[id] : -1;
}

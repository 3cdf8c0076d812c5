/* Lookups of a model's layers by name and by id in constant time (internal).
 * Without them, loading a graph description of n layers compared n^2 names:
 * 40,000 layers (a 3 MB weights file) took 23 s. model.c keeps the index in
 * step with the layer list; when it cannot be allocated, or after the list
 * changed some other way until it is rebuilt, lookups scan the list. */
#ifndef US_GRAPH_LAYER_INDEX_H
#define US_GRAPH_LAYER_INDEX_H

#include <stdint.h>

struct us_layer;

typedef struct us_layer_index {
    int32_t *by_name; /* open addressing: layer index + 1, 0 = empty slot */
    int32_t n_slots;  /* a power of two, at least twice the layers */
    int32_t *by_id;   /* layer index of each id, -1 = none */
    int32_t n_ids;
    int32_t n_layers; /* layers indexed; -1 = stale (scan) */
    uint32_t seed;    /* of the name hash (layer_index.c) */
} us_layer_index;

/* The index of layers[0..n_layers) with ids below next_id, from scratch;
 * stale if memory runs out. */
void us_layer_index_rebuild(us_layer_index *x, const struct us_layer *layers, int32_t n_layers,
                            int32_t next_id);
/* layers[n_layers - 1] was just appended. */
void us_layer_index_appended(us_layer_index *x, const struct us_layer *layers, int32_t n_layers,
                             int32_t next_id);
/* 1 if the index describes a list of n_layers layers. */
int us_layer_index_fresh(const us_layer_index *x, int32_t n_layers);
/* Index of the layer with that name / id, or -1; only on a fresh index. */
int32_t us_layer_index_find_name(const us_layer_index *x, const struct us_layer *layers,
                                 const char *name);
int32_t us_layer_index_find_id(const us_layer_index *x, int32_t id);
void us_layer_index_free(us_layer_index *x);

#endif

/* --encoder-freeze with --unfreeze-after N: the layers frozen when a run
 * starts, unfrozen (or frozen again) with the trainer following
 * (unetseg_trainer_sync_trainable keeps the moments of what stays trained). */
#include <stdio.h>
#include <stdlib.h>

#include "train.h"

int32_t train_freeze_init(train_freeze *f, const unetseg_model *m) {
    int32_t count = 0, st = unetseg_model_layer_count(m, &count);
    *f = (train_freeze){0};
    if (st) return st;
    if (!(f->layers = malloc((size_t)(count ? count : 1) * sizeof *f->layers))) return UNETSEG_E_NOMEM;
    for (int32_t i = 0, trainable = 1; i < count && !st; i++)
        if (!(st = unetseg_model_layer_trainable(m, i, &trainable)) && !trainable) f->layers[f->n++] = i;
    return st;
}

int32_t train_freeze_set(const train_freeze *f, unetseg_model *m, unetseg_trainer *t, int frozen) {
    int32_t st = UNETSEG_OK;
    for (int32_t k = 0; k < f->n && !st; k++) {
        const char *name = NULL;
        st = unetseg_model_layer_name(m, f->layers[k], &name);
        if (!st) st = unetseg_model_set_trainable(m, name, !frozen);
    }
    return st || !t ? st : unetseg_trainer_sync_trainable(t);
}

void train_freeze_free(train_freeze *f) {
    free(f->layers);
    *f = (train_freeze){0};
}

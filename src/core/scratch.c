#include "core/scratch.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/alloc.h"

/* Each buffer starts with a header holding its capacity; 64 bytes keep the
 * data cache-line aligned as malloc's large blocks are. */
#define HEADER 64

typedef struct kept {
    void *block[US_SCRATCH_KEEP]; /* malloc'd blocks (header first), or NULL */
} kept;

static _Thread_local kept cache;
static pthread_key_t exit_key;
static int key_made;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static size_t capacity(void *block) { return *(size_t *)block; }

/* At thread exit: free what this thread kept (the key's value is only a
 * flag that the destructor must run). */
static void free_kept(void *unused) {
    (void)unused;
    for (int i = 0; i < US_SCRATCH_KEEP; i++) {
        free(cache.block[i]);
        cache.block[i] = NULL;
    }
}

static void make_key(void) { key_made = pthread_key_create(&exit_key, free_kept) == 0; }

void *us_scratch_get(size_t n, size_t size) {
    if (size != 0 && n > US_MAX_ALLOC / size) return NULL;
    const size_t bytes = n * size > 0 ? n * size : 1;
    /* the smallest kept block that fits, however much larger: until
     * 2026-12-08 only one at most twice the request, and a forward pass
     * of Unet('resnet34') at 256x256 then allocated ~37 temporaries a
     * pass; where glibc's heap was trimmed (its default thresholds, e.g.
     * a model never loaded from a file) their page faults made the pass
     * 1.6x slower (docs/PERFORMANCE.md) */
    int best = -1;
    for (int i = 0; i < US_SCRATCH_KEEP; i++) {
        void *b = cache.block[i];
        if (b && capacity(b) >= bytes &&
            (best < 0 || capacity(b) < capacity(cache.block[best])))
            best = i;
    }
    void *block;
    if (best >= 0) {
        block = cache.block[best];
        cache.block[best] = NULL;
    } else {
        block = us_malloc(bytes + HEADER);
        if (!block) return NULL;
        *(size_t *)block = bytes;
    }
    return (char *)block + HEADER;
}

void us_scratch_put(void *p) {
    if (!p) return;
    void *block = (char *)p - HEADER;
    pthread_once(&key_once, make_key);
    if (!key_made) { /* without an exit hook, keeping would leak */
        free(block);
        return;
    }
    if (pthread_getspecific(exit_key) == NULL) pthread_setspecific(exit_key, &cache);
    /* keep it in a free slot, else in place of the smallest kept block if
     * that is smaller */
    int slot = -1;
    for (int i = 0; i < US_SCRATCH_KEEP && slot < 0; i++)
        if (!cache.block[i]) slot = i;
    if (slot < 0) {
        slot = 0;
        for (int i = 1; i < US_SCRATCH_KEEP; i++)
            if (capacity(cache.block[i]) < capacity(cache.block[slot])) slot = i;
        if (capacity(cache.block[slot]) >= capacity(block)) {
            free(block);
            return;
        }
        free(cache.block[slot]);
    }
    cache.block[slot] = block;
}

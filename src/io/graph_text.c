/* Serialising the layer list to text and back (see graph_text.h). */
#include "io/graph_text.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/layer_kinds.h"

/* The configuration fields, by name, for a generic key=value encoding. */
typedef struct cfg_field {
    const char *key;
    size_t offset;
    char type; /* 'l' int64, 'i' int32, 'd' double */
} cfg_field;

#define F(name, type) {#name, offsetof(us_layer_config, name), type}
static const cfg_field FIELDS[] = {
    F(filters, 'l'),   F(kernel_h, 'l'),  F(kernel_w, 'l'),   F(stride_h, 'l'),
    F(stride_w, 'l'),  F(padding, 'i'),   F(use_bias, 'i'),   F(epsilon, 'd'),
    F(momentum, 'd'),  F(center, 'i'),    F(scale, 'i'),      F(activation, 'i'),
    F(pad_top, 'l'),   F(pad_bottom, 'l'), F(pad_left, 'l'),  F(pad_right, 'l'),
    F(size_h, 'l'),    F(size_w, 'l'),    F(interpolation, 'i'), F(rate, 'd'),
    F(mode, 'i'),      F(spatial, 'i'),   F(height, 'l'),     F(width, 'l'),
    F(channels, 'l'),
};
#undef F
#define N_FIELDS ((int)(sizeof FIELDS / sizeof *FIELDS))

typedef struct out_buf {
    char *data;
    size_t len, cap;
    int failed;
} out_buf;

static void put(out_buf *b, const char *s) {
    size_t n = strlen(s);
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap + n + 1) * 2;
        char *grown = us_realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

int32_t us_graph_to_text(const unetseg_model *m, char **text) {
    out_buf b = {0};
    char item[256];
    *text = NULL;
    put(&b, "unetseg-graph 1\n");
    if (m->description) {
        put(&b, "description ");
        put(&b, m->description);
        put(&b, "\n");
    }
    snprintf(item, sizeof item, "input_multiple %lld\n", (long long)m->input_multiple);
    put(&b, item);
    for (int32_t i = 0; i < m->n_layers; i++) {
        const us_layer *l = &m->layers[i];
        snprintf(item, sizeof item, "layer %s %s region=%d trainable=%d inserted=%d",
                 us_layer_kind_get(l->kind)->lower_name, l->name, l->region, l->trainable,
                 l->inserted);
        put(&b, item);
        for (int32_t j = 0; j < l->n_in; j++) {
            put(&b, j ? "," : " in=");
            put(&b, m->layers[us_model_index_of_id(m, l->in_ids[j])].name);
        }
        for (int k = 0; k < N_FIELDS; k++) {
            const char *p = (const char *)&l->cfg + FIELDS[k].offset;
            if (FIELDS[k].type == 'l' && *(const int64_t *)p)
                snprintf(item, sizeof item, " %s=%lld", FIELDS[k].key, (long long)*(const int64_t *)p);
            else if (FIELDS[k].type == 'i' && *(const int32_t *)p)
                snprintf(item, sizeof item, " %s=%d", FIELDS[k].key, *(const int32_t *)p);
            else if (FIELDS[k].type == 'd' && *(const double *)p != 0.0)
                snprintf(item, sizeof item, " %s=%.17g", FIELDS[k].key, *(const double *)p);
            else
                continue;
            put(&b, item);
        }
        put(&b, "\n");
    }
    if (b.failed) {
        free(b.data);
        return us_fail(UNETSEG_E_NOMEM, "graph_to_text: out of memory");
    }
    *text = b.data;
    return UNETSEG_OK;
}

/* ---------------------------------------------------------------- parsing */
#define MAX_LINE 8192

static int parse_int(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

static int set_field(us_layer_config *cfg, const char *key, const char *value) {
    for (int k = 0; k < N_FIELDS; k++) {
        if (strcmp(FIELDS[k].key, key) != 0) continue;
        char *p = (char *)cfg + FIELDS[k].offset;
        long long v;
        if (FIELDS[k].type == 'd') {
            char *end;
            double d = strtod(value, &end);
            if (end == value || *end != '\0') return 0;
            *(double *)p = d;
        } else if (FIELDS[k].type == 'l') {
            if (!parse_int(value, -1, (long long)1 << 40, &v)) return 0;
            *(int64_t *)p = v;
        } else {
            if (!parse_int(value, -1, 1 << 20, &v)) return 0;
            *(int32_t *)p = (int32_t)v;
        }
        return 1;
    }
    return 0;
}

static int32_t kind_from_name(const char *name) {
    for (int32_t k = 0; k < US_LAYER_KIND_COUNT; k++)
        if (strcmp(us_layer_kind_get(k)->lower_name, name) == 0) return k;
    return -1;
}

/* Split `in=a,b,c` in place into names. */
static int split_inbound(char *list, const char **names, int32_t *n) {
    char *save = NULL; /* strtok_r: strtok's hidden state is shared by all threads */
    *n = 0;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= UNETSEG_MAX_INBOUND) return 0;
        names[(*n)++] = tok;
    }
    return 1;
}

/* Parameters the layer will create (the Keras shapes of layer_kinds.c), so
 * that a description is refused before it allocates more than the weights
 * file can hold; 0 when the configuration is invalid (append refuses it). */
static int64_t param_count(const unetseg_model *m, int32_t kind, const char *const *inbound,
                           int32_t n_in, const us_layer_config *c) {
    int32_t idx = n_in > 0 ? us_model_find(m, inbound[0]) : -1;
    int64_t cin = idx >= 0 ? m->layers[idx].shape[3] : -1, n = 0; /* at most 2^31-1 */
    if (cin < 1) return 0;
    if (kind == UNETSEG_LAYER_BATCHNORM) return (2 + (c->scale == 1) + (c->center == 1)) * cin;
    if (kind != UNETSEG_LAYER_CONV2D && kind != UNETSEG_LAYER_CONV2D_TRANSPOSE) return 0;
    if (!us_mul_i64(c->kernel_h, c->kernel_w, &n) || !us_mul_i64(n, cin, &n) ||
        !us_mul_i64(n, c->filters, &n) || n > INT64_MAX - c->filters)
        return 0;
    return n + (c->use_bias == 1 ? c->filters : 0);
}

static int32_t parse_layer(unetseg_model *m, char *line, int lineno, int64_t *budget) {
    char *save = NULL;
    const char *kind_name = strtok_r(line, " ", &save);
    const char *name = strtok_r(NULL, " ", &save);
    int32_t kind = kind_name ? kind_from_name(kind_name) : -1;
    if (kind < 0 || !name)
        return us_fail(UNETSEG_E_FORMAT, "graph line %d: unknown layer kind", lineno);
    us_layer_config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *inbound[UNETSEG_MAX_INBOUND];
    int32_t n_in = 0;
    long long region = 0, trainable = 1, inserted = 0;
    for (char *tok = strtok_r(NULL, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) return us_fail(UNETSEG_E_FORMAT, "graph line %d: '%s' is not key=value", lineno, tok);
        *eq = '\0';
        const char *value = eq + 1;
        int ok;
        if (strcmp(tok, "in") == 0)
            ok = split_inbound(eq + 1, inbound, &n_in);
        else if (strcmp(tok, "region") == 0)
            ok = parse_int(value, 0, 3, &region);
        else if (strcmp(tok, "trainable") == 0)
            ok = parse_int(value, 0, 1, &trainable);
        else if (strcmp(tok, "inserted") == 0)
            ok = parse_int(value, 0, 1, &inserted);
        else
            ok = set_field(&cfg, tok, value);
        if (!ok)
            return us_fail(UNETSEG_E_FORMAT, "graph line %d: bad value for '%s'", lineno, tok);
    }
    int64_t need = param_count(m, kind, inbound, n_in, &cfg);
    if (*budget >= 0 && need > *budget)
        return us_fail(UNETSEG_E_FORMAT,
                       "graph line %d: layer '%.128s' needs %lld more parameters than the file "
                       "can hold",
                       lineno, name, (long long)(need - *budget));
    if (*budget >= 0) *budget -= need;
    int32_t st = us_model_append(m, name, kind, inbound, n_in, &cfg);
    if (st == UNETSEG_E_NOMEM) return st; /* not the file's fault */
    if (st) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s", us_last_error());
        return us_fail(UNETSEG_E_FORMAT, "graph line %d: %s", lineno, detail);
    }
    us_layer *l = &m->layers[m->n_layers - 1];
    l->region = (int32_t)region;
    l->trainable = (int32_t)trainable;
    l->inserted = (int32_t)inserted;
    return UNETSEG_OK;
}

static int32_t parse_line(unetseg_model *m, char *line, int lineno, int64_t *budget) {
    long long v;
    if (lineno == 1)
        return strcmp(line, "unetseg-graph 1") == 0
                   ? UNETSEG_OK
                   : us_fail(UNETSEG_E_FORMAT, "graph: not an unetseg-graph 1 description");
    if (strncmp(line, "description ", 12) == 0) {
        free(m->description);
        m->description = us_strdup(line + 12);
        return m->description ? UNETSEG_OK : us_fail(UNETSEG_E_NOMEM, "graph: out of memory");
    }
    if (strncmp(line, "input_multiple ", 15) == 0) {
        if (!parse_int(line + 15, 1, 1 << 20, &v))
            return us_fail(UNETSEG_E_FORMAT, "graph line %d: bad input_multiple", lineno);
        m->input_multiple = v;
        return UNETSEG_OK;
    }
    if (strncmp(line, "layer ", 6) == 0) return parse_layer(m, line + 6, lineno, budget);
    if (line[0] == '\0') return UNETSEG_OK;
    return us_fail(UNETSEG_E_FORMAT, "graph line %d: unknown item", lineno);
}

int32_t us_graph_from_text(const char *text, int64_t max_params, unetseg_model **out) {
    unetseg_model *m = NULL;
    *out = NULL;
    int32_t st = us_model_new(&m);
    char *line = us_malloc(MAX_LINE);
    if (!st && !line) st = us_fail(UNETSEG_E_NOMEM, "graph: out of memory");
    int lineno = 0;
    for (const char *p = text; !st && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= MAX_LINE) {
            st = us_fail(UNETSEG_E_FORMAT, "graph line %d is too long", lineno + 1);
            break;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        st = parse_line(m, line, ++lineno, &max_params);
        p += len + (nl != NULL);
    }
    if (!st && m->n_layers == 0) st = us_fail(UNETSEG_E_FORMAT, "graph: no layers");
    if (!st)
        for (int32_t i = 0; i < m->n_layers; i++)
            m->n_backbone_layers += m->layers[i].region == UNETSEG_REGION_ENCODER;
    free(line);
    if (st) {
        us_model_free(m);
        return st;
    }
    *out = m;
    return UNETSEG_OK;
}

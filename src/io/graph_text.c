/* Serialising the layer list to text and back (see graph_text.h). */
#include "io/graph_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "graph/layer_kinds.h"

/* " key=value" of a setting that differs from its default. */
static void print_field(FILE *out, const us_cfg_field *f, const us_layer_config *cfg) {
    const char *p = (const char *)cfg + f->offset;
    if (f->type == US_FIELD_I64 && *(const int64_t *)p != (int64_t)f->def)
        fprintf(out, " %s=%lld", f->key, (long long)*(const int64_t *)p);
    else if (f->type == US_FIELD_I32 && *(const int32_t *)p != (int32_t)f->def)
        fprintf(out, " %s=%d", f->key, *(const int32_t *)p);
    else if (f->type == US_FIELD_F64 && *(const double *)p != f->def)
        fprintf(out, " %s=%.17g", f->key, *(const double *)p);
}

/* The text grows in a memory stream (POSIX open_memstream): its buffer comes
 * from the C library's malloc, so us_test_fail_allocation does not reach it;
 * a failed write or close is out of memory. */
int32_t us_graph_to_text(const unetseg_model *m, char **text) {
    char *data = NULL;
    size_t len = 0;
    *text = NULL;
    FILE *out = open_memstream(&data, &len);
    if (!out) return us_fail(UNETSEG_E_NOMEM, "graph_to_text: out of memory");
    fputs("unetseg-graph 1\n", out);
    if (m->description) fprintf(out, "description %s\n", m->description);
    fprintf(out, "input_multiple %lld\n", (long long)m->input_multiple);
    for (int32_t i = 0; i < m->n_layers; i++) {
        const us_layer *l = &m->layers[i];
        const us_layer_kind *k = us_layer_kind_get(l->kind);
        fprintf(out, "layer %s %s region=%d trainable=%d inserted=%d", k->lower_name, l->name,
                l->region, l->trainable, l->inserted);
        for (int32_t j = 0; j < l->n_in; j++)
            fprintf(out, "%s%s",
                    j ? "," : " in=", m->layers[us_model_index_of_id(m, l->in_ids[j])].name);
        for (int32_t f = 0; f < k->n_fields; f++) print_field(out, &k->fields[f], &l->cfg);
        fputc('\n', out);
    }
    int failed = ferror(out);
    if (fclose(out) != 0 || failed) {
        free(data);
        return us_fail(UNETSEG_E_NOMEM, "graph_to_text: out of memory");
    }
    *text = data;
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

/* key=value of a setting of `kind` (or of another kind: the layer drops it). */
static int set_field(us_layer_config *cfg, int32_t kind, const char *key, const char *value) {
    const us_cfg_field *f = us_cfg_field_find(kind, key);
    if (!f) return 0;
    char *p = (char *)cfg + f->offset;
    long long v;
    if (f->type == US_FIELD_F64) {
        char *end;
        double d = strtod(value, &end);
        if (end == value || *end != '\0') return 0;
        *(double *)p = d;
    } else if (f->type == US_FIELD_I64) {
        if (!parse_int(value, -1, (long long)1 << 40, &v)) return 0;
        *(int64_t *)p = v;
    } else {
        if (!parse_int(value, -1, 1 << 20, &v)) return 0;
        *(int32_t *)p = (int32_t)v;
    }
    return 1;
}

/* The settings of `kind` at their defaults; other members zero. */
static void config_defaults(int32_t kind, us_layer_config *cfg) {
    const us_layer_kind *k = us_layer_kind_get(kind);
    memset(cfg, 0, sizeof *cfg);
    for (int32_t i = 0; i < k->n_fields; i++) {
        const us_cfg_field *f = &k->fields[i];
        char *p = (char *)cfg + f->offset;
        if (f->type == US_FIELD_F64)
            *(double *)p = f->def;
        else if (f->type == US_FIELD_I64)
            *(int64_t *)p = (int64_t)f->def;
        else
            *(int32_t *)p = (int32_t)f->def;
    }
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

/* Parameters the layer will create, so that a description is refused before
 * it allocates more than the weights file can hold; 0 when the configuration
 * is invalid (append refuses it). */
static int64_t param_count(const unetseg_model *m, int32_t kind, const char *const *inbound,
                           int32_t n_in, const us_layer_config *c) {
    int32_t idx = n_in > 0 ? us_model_find(m, inbound[0]) : -1;
    return idx >= 0 ? us_layer_param_count(kind, c, m->layers[idx].shape[3]) : 0;
}

static int32_t parse_layer(unetseg_model *m, char *line, int lineno, int64_t *budget) {
    char *save = NULL;
    const char *kind_name = strtok_r(line, " ", &save);
    const char *name = strtok_r(NULL, " ", &save);
    int32_t kind = kind_name ? us_layer_kind_find(kind_name) : -1;
    if (kind < 0 || !name)
        return us_fail(UNETSEG_E_FORMAT, "graph line %d: unknown layer kind", lineno);
    us_layer_config cfg;
    config_defaults(kind, &cfg);
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
            ok = set_field(&cfg, kind, tok, value);
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

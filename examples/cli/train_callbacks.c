/* The callbacks of `unetseg train` (Keras' CSVLogger, ModelCheckpoint with
 * save_best_only, EarlyStopping with restore_best_weights, ReduceLROnPlateau),
 * the per-epoch history they share, and the state file that lets a resumed
 * run continue them exactly. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "files.h"
#include "train.h"

/* ------------------------------------------------------------- snapshots */

static int is_statistic(const char *name) {
    const char *slash = strrchr(name, '/');
    return slash && (!strcmp(slash + 1, "moving_mean") || !strcmp(slash + 1, "moving_variance"));
}

void train_snapshot_free(unetseg_tensor **tensors, char **names, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        if (tensors) unetseg_tensor_free(tensors[i]);
        if (names) free(names[i]);
    }
    free(tensors);
    free(names);
}

int32_t train_snapshot(const unetseg_model *m, int stats_only, unetseg_tensor ***tensors,
                       char ***names, int32_t *n) {
    int32_t count = 0, kept = 0, st = unetseg_model_param_tensor_count(m, &count);
    *tensors = NULL;
    *names = NULL;
    *n = 0;
    if (st) return st;
    unetseg_tensor **t = calloc((size_t)count + 1, sizeof *t);
    char **nm = calloc((size_t)count + 1, sizeof *nm);
    if (!t || !nm) st = UNETSEG_E_NOMEM;
    for (int32_t i = 0; !st && i < count; i++) {
        const char *name = NULL;
        if ((st = unetseg_model_param_tensor_name(m, i, &name))) break;
        if (stats_only && !is_statistic(name)) continue;
        if (!(nm[kept] = strdup(name))) {
            st = UNETSEG_E_NOMEM;
            break;
        }
        st = unetseg_model_param_get(m, name, &t[kept]);
        kept++;
    }
    if (st) {
        train_snapshot_free(t, nm, kept);
        return st;
    }
    *tensors = t;
    *names = nm;
    *n = kept;
    return UNETSEG_OK;
}

int32_t train_restore(unetseg_model *m, unetseg_tensor *const *tensors, char *const *names,
                      int32_t n) {
    int32_t st = UNETSEG_OK;
    for (int32_t i = 0; !st && i < n; i++) st = unetseg_model_param_set(m, names[i], tensors[i]);
    return st;
}

/* ------------------------------------------------------------- history */

/* The monitored value of a row's values (after the epoch number). */
static double monitored(const train_options *a, const double *values) {
    return a->monitor == MONITOR_VAL_IOU ? values[3] : values[2];
}

static const char *monitor_name(const train_options *a) {
    return a->monitor == MONITOR_VAL_IOU ? "val_iou" : "val_loss";
}

/* current better than best by more than delta (val_loss falls, val_iou
 * rises); NaN never is. */
static int improves(const train_options *a, double current, double best, double delta) {
    return a->monitor == MONITOR_VAL_IOU ? current - delta > best : current + delta < best;
}

static double worst(const train_options *a) { return a->monitor == MONITOR_VAL_IOU ? -INFINITY : INFINITY; }

static int history_add(train_history *h, const double *row) {
    if (h->n == h->cap) {
        long cap = h->cap ? 2 * h->cap : 16;
        double *rows = realloc(h->rows, (size_t)cap * (size_t)h->stride * sizeof *rows);
        if (!rows) {
            fprintf(stderr, "unetseg train: out of memory for the history of %ld epochs\n", h->n);
            return CLI_EXIT_RUNTIME;
        }
        h->rows = rows;
        h->cap = cap;
    }
    memcpy(h->rows + h->n * h->stride, row, (size_t)h->stride * sizeof *row);
    h->n++;
    return CLI_EXIT_OK;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as x. */
static void put_number(FILE *f, double x) {
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, x);
        if (strtod(buf, NULL) == x || isnan(x)) break;
    }
    fputs(buf, f);
}

static int write_csv(FILE *f, void *ctx) {
    const train_history *h = ctx;
    fputs("epoch,lr,loss,val_loss,val_iou,val_f1", f);
    for (int k = 0; k < h->classes; k++) fprintf(f, ",val_iou_%d", k);
    fputs(",seconds\n", f);
    for (long r = 0; r < h->n; r++) {
        const double *row = h->rows + r * h->stride;
        fprintf(f, "%.0f", row[0]);
        for (int k = 1; k < h->stride - 1; k++) {
            fputc(',', f);
            put_number(f, row[k]);
        }
        fprintf(f, ",%.3f\n", row[h->stride - 1]);
    }
    return !ferror(f);
}

/* ------------------------------------------------------------- state file */

static void state_paths(const char *checkpoint, char *state, char *best, size_t size) {
    snprintf(state, size, "%s.state", checkpoint);
    snprintf(best, size, "%s.best.safetensors", checkpoint);
}

typedef struct state_out {
    const train_callbacks *cb;
    long step;
} state_out;

#define STATE_MAGIC "unetseg-train-state 1"

static int write_state(FILE *f, void *ctx) {
    const state_out *o = ctx;
    const train_callbacks *cb = o->cb;
    fprintf(f, STATE_MAGIC "\nstep %ld\nmonitor %s\ncolumns %d\n", o->step, monitor_name(cb->a),
            cb->h.stride);
    fprintf(f, "base_lr %a\nepoch_lr %a\nloss_sum %a\nloss_batches %ld\nseconds %a\n", cb->base_lr,
            cb->epoch_lr, cb->loss_sum, cb->loss_batches, cb->seconds);
    fprintf(f, "save_best %a\nes_best %a\nes_best_epoch %ld\nes_wait %ld\nrp_best %a\nrp_wait %ld\n",
            cb->save_best, cb->es_best, cb->es_best_epoch, cb->es_wait, cb->rp_best, cb->rp_wait);
    fprintf(f, "rows %ld\n", cb->h.n);
    for (long r = 0; r < cb->h.n; r++) {
        fputs("row", f);
        for (int k = 0; k < cb->h.stride; k++) fprintf(f, " %a", cb->h.rows[r * cb->h.stride + k]);
        fputc('\n', f);
    }
    return !ferror(f);
}

int train_callbacks_save(const train_callbacks *cb, const char *checkpoint, long step) {
    char state[4200], best[4200];
    state_paths(checkpoint, state, best, sizeof state);
    if (cb->best) {
        cli_output out;
        if (!cli_output_prepare(best, &out)) return CLI_EXIT_RUNTIME;
        int32_t st = unetseg_tensors_save(out.path, (const char *const *)cb->names,
                                          (const unetseg_tensor *const *)cb->best, cb->n_params);
        if (st) {
            cli_report(best, st);
            return CLI_EXIT_RUNTIME;
        }
        cli_output_done(&out);
    }
    state_out o = {cb, step};
    return cli_write_file(state, write_state, &o) ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

/* A line "key v ..." of the state file: the values after the key, or NULL
 * (the caller names the file). */
static char *state_line(FILE *f, const char *key, char *line, size_t size) {
    if (!fgets(line, (int)size, f)) return NULL;
    size_t len = strlen(key);
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, key, len) != 0 || (line[len] != ' ' && line[len] != '\0')) return NULL;
    return line + len + (line[len] == ' ');
}

static int state_real(FILE *f, const char *key, double *out) {
    char line[256], *end = NULL;
    char *v = state_line(f, key, line, sizeof line);
    if (!v || !*v) return 0;
    *out = strtod(v, &end);
    return *end == '\0';
}

static int state_integer(FILE *f, const char *key, long *out) {
    char line[256], *end = NULL;
    char *v = state_line(f, key, line, sizeof line);
    if (!v || !*v) return 0;
    errno = 0;
    *out = strtol(v, &end, 10);
    return *end == '\0' && errno == 0;
}

/* The history rows: "row v1 ... v_stride". */
static int state_rows(FILE *f, train_callbacks *cb, long rows) {
    const size_t size = (size_t)cb->h.stride * 48 + 16;
    char *line = malloc(size);
    double *row = malloc((size_t)cb->h.stride * sizeof *row);
    int ok = line && row;
    for (long r = 0; ok && r < rows; r++) {
        char *v = state_line(f, "row", line, size), *end = NULL;
        ok = v != NULL;
        for (int k = 0; ok && k < cb->h.stride; k++, v = end) {
            row[k] = strtod(v, &end);
            ok = end != v;
        }
        ok = ok && *v == '\0' && history_add(&cb->h, row) == CLI_EXIT_OK;
    }
    free(line);
    free(row);
    return ok;
}

/* The state a checkpoint's run left (resume): 1 read, 0 none, -1 bad
 * (reported). */
static int read_state(train_callbacks *cb, const char *path, long step) {
    struct stat info;
    if (stat(path, &info) != 0 && errno == ENOENT) return 0;
    FILE *f = cli_open_input(path);
    if (!f) return -1;
    char line[256], monitor[64] = "";
    long at = -1, columns = -1, rows = -1;
    char *m = NULL;
    int ok = state_line(f, STATE_MAGIC, line, sizeof line) != NULL && state_integer(f, "step", &at) &&
             (m = state_line(f, "monitor", line, sizeof line)) != NULL;
    if (ok) snprintf(monitor, sizeof monitor, "%s", m);
    ok = ok && state_integer(f, "columns", &columns) && state_real(f, "base_lr", &cb->base_lr) &&
         state_real(f, "epoch_lr", &cb->epoch_lr) && state_real(f, "loss_sum", &cb->loss_sum) &&
         state_integer(f, "loss_batches", &cb->loss_batches) && state_real(f, "seconds", &cb->seconds) &&
         state_real(f, "save_best", &cb->save_best) && state_real(f, "es_best", &cb->es_best) &&
         state_integer(f, "es_best_epoch", &cb->es_best_epoch) && state_integer(f, "es_wait", &cb->es_wait) &&
         state_real(f, "rp_best", &cb->rp_best) && state_integer(f, "rp_wait", &cb->rp_wait) &&
         state_integer(f, "rows", &rows) && rows >= 0 && columns == cb->h.stride &&
         state_rows(f, cb, rows);
    fclose(f);
    if (!ok) {
        fprintf(stderr, "unetseg train: %s: not a training state file of this run (%s)\n", path,
                columns >= 0 && columns != cb->h.stride ? "other classes" : "unreadable");
        return -1;
    }
    if (at != step) {
        fprintf(stderr, "unetseg train: %s is the state at step %ld, the checkpoint is at step %ld\n",
                path, at, step);
        return -1;
    }
    if (strcmp(monitor, monitor_name(cb->a)) != 0) {
        fprintf(stderr, "unetseg train: %s: the run monitored %s, not --monitor %s\n", path, monitor,
                monitor_name(cb->a));
        return -1;
    }
    if (!(cb->base_lr > 0) || !isfinite(cb->base_lr)) {
        fprintf(stderr, "unetseg train: %s: base_lr %g is not a learning rate\n", path, cb->base_lr);
        return -1;
    }
    return 1;
}

/* The best weights of --early-stopping from CKPT.best.safetensors. */
static int read_best(train_callbacks *cb, const char *path) {
    if (!cli_check_input(path)) return CLI_EXIT_RUNTIME;
    int32_t st = train_snapshot(cb->m, 0, &cb->best, &cb->names, &cb->n_params);
    for (int32_t i = 0; !st && i < cb->n_params; i++) {
        unetseg_tensor *t = NULL;
        st = unetseg_tensor_load(path, cb->names[i], &t);
        if (!st) {
            unetseg_tensor_free(cb->best[i]);
            cb->best[i] = t;
        }
    }
    if (st) {
        cli_report(path, st);
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

int train_callbacks_init(train_callbacks *cb, const train_options *a, unetseg_model *m,
                         unetseg_trainer *t, int classes, long step) {
    *cb = (train_callbacks){.a = a, .m = m, .t = t, .base_lr = a->lr};
    cb->h.classes = classes;
    cb->h.stride = HISTORY_FIXED + classes + 1;
    cb->save_best = cb->es_best = cb->rp_best = worst(a);
    cb->es_best_epoch = -1;
    unetseg_trainer_progress(t, NULL, &cb->epoch_lr);
    if (!a->resume) return CLI_EXIT_OK;
    char state[4200], best[4200];
    state_paths(a->resume, state, best, sizeof state);
    int got = read_state(cb, state, step);
    if (got < 0) return CLI_EXIT_RUNTIME;
    if (got == 0) {
        fprintf(stderr, "unetseg train: no %s: the history and callbacks start afresh\n", state);
        return CLI_EXIT_OK;
    }
    int32_t st = unetseg_trainer_set_learning_rate(t, cb->base_lr);
    if (st) {
        cli_report(state, st);
        return CLI_EXIT_RUNTIME;
    }
    if (a->early_stopping >= 0 && cb->es_best_epoch >= 0) return read_best(cb, best);
    return CLI_EXIT_OK;
}

void train_callbacks_free(train_callbacks *cb) {
    free(cb->h.rows);
    train_snapshot_free(cb->best, cb->names, cb->n_params);
    cb->h.rows = NULL;
    cb->best = NULL;
    cb->names = NULL;
    cb->n_params = 0;
}

/* ------------------------------------------------------------- callbacks */

/* --save-best (ModelCheckpoint(save_best_only=True)): strictly better than
 * every earlier epoch. */
static int save_best(train_callbacks *cb, long epoch, double current) {
    const train_options *a = cb->a;
    if (!a->save_best || !improves(a, current, cb->save_best, 0.0)) return CLI_EXIT_OK;
    cli_output out;
    if (!cli_output_prepare(a->save_best, &out)) return CLI_EXIT_RUNTIME;
    int32_t st = unetseg_model_save_weights(cb->m, out.path);
    if (st) {
        cli_report(a->save_best, st);
        return CLI_EXIT_RUNTIME;
    }
    cli_output_done(&out);
    fprintf(stderr, "epoch %ld: %s improved from %.4f to %.4f, saved %s\n", epoch + 1, monitor_name(a),
            cb->save_best, current, a->save_best);
    cb->save_best = current;
    return CLI_EXIT_OK;
}

/* --early-stopping (EarlyStopping(patience, min_delta,
 * restore_best_weights=True), tf.keras 2's order of updates). */
static int early_stopping(train_callbacks *cb, long epoch, double current) {
    const train_options *a = cb->a;
    if (a->early_stopping < 0) return CLI_EXIT_OK;
    cb->es_wait++;
    if (improves(a, current, cb->es_best, a->min_delta)) {
        cb->es_best = current;
        cb->es_best_epoch = epoch;
        cb->es_wait = 0;
        train_snapshot_free(cb->best, cb->names, cb->n_params);
        cb->best = NULL;
        cb->names = NULL;
        cb->n_params = 0;
        int32_t st = train_snapshot(cb->m, 0, &cb->best, &cb->names, &cb->n_params);
        if (st) {
            cli_report("early stopping: the best weights", st);
            return CLI_EXIT_RUNTIME;
        }
        return CLI_EXIT_OK;
    }
    if (cb->es_wait >= a->early_stopping && epoch > 0) {
        cb->stop = 1;
        fprintf(stderr, "epoch %ld: early stopping: %s has not improved on %.4f (epoch %ld) for %ld "
                "epoch(s)\n", epoch + 1, monitor_name(a), cb->es_best, cb->es_best_epoch + 1, cb->es_wait);
    }
    return CLI_EXIT_OK;
}

/* --reduce-lr-on-plateau FACTOR:PATIENCE (ReduceLROnPlateau, min_delta as
 * --min-delta, cooldown 0, min_lr 0): the base learning rate times FACTOR. */
static int reduce_lr(train_callbacks *cb, long epoch, double current) {
    const train_options *a = cb->a;
    if (a->plateau_factor <= 0) return CLI_EXIT_OK;
    if (improves(a, current, cb->rp_best, a->min_delta)) {
        cb->rp_best = current;
        cb->rp_wait = 0;
        return CLI_EXIT_OK;
    }
    if (++cb->rp_wait < a->plateau_patience) return CLI_EXIT_OK;
    double lr = cb->base_lr * a->plateau_factor;
    int32_t st = unetseg_trainer_set_learning_rate(cb->t, lr);
    if (st) {
        cli_report("reduce-lr-on-plateau", st);
        return CLI_EXIT_RUNTIME;
    }
    fprintf(stderr, "epoch %ld: ReduceLROnPlateau: %s has not improved for %ld epoch(s), learning rate "
            "%.3g -> %.3g\n", epoch + 1, monitor_name(a), cb->rp_wait, cb->base_lr, lr);
    cb->base_lr = lr;
    cb->rp_wait = 0;
    return CLI_EXIT_OK;
}

int train_callbacks_epoch(train_callbacks *cb, long epoch, const double *values) {
    const train_options *a = cb->a;
    double row[HISTORY_FIXED + TRAIN_MAX_CLASS_COLUMNS + 1];
    row[0] = (double)(epoch + 1);
    memcpy(row + 1, values, (size_t)(cb->h.stride - 1) * sizeof *row);
    int rc = history_add(&cb->h, row);
    if (!rc && a->csv && !cli_write_file(a->csv, write_csv, &cb->h)) rc = CLI_EXIT_RUNTIME;
    if (!rc && a->plot) rc = train_plot_write(a->plot, &cb->h);
    const double current = monitored(a, values);
    if (!rc) rc = save_best(cb, epoch, current);
    if (!rc) rc = early_stopping(cb, epoch, current);
    if (!rc) rc = reduce_lr(cb, epoch, current);
    return rc;
}

int train_callbacks_end(train_callbacks *cb) {
    if (!cb->stop || !cb->best) return CLI_EXIT_OK;
    int32_t st = train_restore(cb->m, cb->best, cb->names, cb->n_params);
    if (st) {
        cli_report("early stopping: restoring the best weights", st);
        return CLI_EXIT_RUNTIME;
    }
    fprintf(stderr, "early stopping: restored the weights of epoch %ld (%s %.4f)\n", cb->es_best_epoch + 1,
            monitor_name(cb->a), cb->es_best);
    return CLI_EXIT_OK;
}

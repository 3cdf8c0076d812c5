#!/usr/bin/env bash
# The unetseg demo (`make demo`): a synthetic dataset, Keras Unet('resnet34'),
# predicates, ConditionalDropout in the decoder, training, Monte-Carlo dropout
# uncertainty on a held-out image. Everything lands in demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-demo-out}
BIN=bin/unetseg
SIZE=64x64x3
# Smaller or quicker runs (the tests use them): backbone, images, epochs.
BACKBONE=${DEMO_BACKBONE:-resnet34}
COUNT=${DEMO_COUNT:-64}
EPOCHS=${DEMO_EPOCHS:-14}
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1. a synthetic dataset: shapes on noisy backgrounds"
$BIN demo-data --output "$OUT/data" --count "$COUNT" --size 64 --seed 7

echo
echo "== 2. Unet('$BACKBONE'): which layers do predicates select?"
echo "\$ unetseg match 'block'     # the popular Keras recipe's predicate"
$BIN match --backbone "$BACKBONE" --size $SIZE 'block' || true
echo "\$ unetseg match 'kind=conv2d & region=decoder'"
$BIN match --backbone "$BACKBONE" --size $SIZE 'kind=conv2d & region=decoder'

echo
echo "== 3. train with ConditionalDropout(0.2) after every decoder conv"
echo "   (before each validation the BatchNorm statistics are recalibrated on the"
echo "    training images: --val-bn recalibrate, the default for short runs; the"
echo "    saved model is the last one validated; curves in curves.png, history.csv)"
# --val-split 0.2 of COUNT images leaves TRAIN for batches of 8: the cosine
# schedule anneals the learning rate over all the steps of the run
TRAIN=$((COUNT - COUNT * 2 / 10))
STEPS=$((EPOCHS * ((TRAIN + 7) / 8)))
$BIN train --data "$OUT/data" --backbone "$BACKBONE" --size $SIZE \
    --insert 'kind=conv2d & region=decoder' --dropout conditional --rate 0.2 \
    --epochs "$EPOCHS" --batch 8 --val-split 0.2 --flip --lr 0.003 --seed 1 \
    --schedule "cosine:$STEPS:0.0001" \
    --csv "$OUT/history.csv" --plot "$OUT/curves.png" --save "$OUT/model.safetensors" --progress

echo
echo "== 4. Monte-Carlo dropout (20 samples, BatchNorm on its moving statistics)"
$BIN predict --weights "$OUT/model.safetensors" --input "$OUT/data/holdout.png" \
    --output "$OUT/mask.png" --overlay "$OUT/overlay.png" --mc 20 \
    --panel "$OUT/panel.png" --truth "$OUT/data/holdout_mask.png"
cp "$OUT/data/holdout.png" "$OUT/input.png"
cp "$OUT/data/holdout_mask.png" "$OUT/truth.png"
echo
echo "demo-out/: input.png truth.png mask.png overlay.png mean.png std.png entropy.png panel.png"
echo "          curves.png (loss and IoU per epoch), history.csv (the per-epoch log)"
echo "panel: input | truth | mean | std | entropy (colour bars on the right of each map)"

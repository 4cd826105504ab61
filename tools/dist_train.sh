#!/usr/bin/env bash
# Distributed training with torchrun: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# Without a GPU the processes use the gloo backend on the CPU. A self-correction config runs
# all its rounds (each trained and corrected by all processes; --resume continues a run).
CONFIG=$1
NPROCS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
cd "$(dirname "$0")/.." || exit 1
# The project venv made by `make setup` when there is one, else the python on PATH.
[ -x .venv/bin/python ] && DEFAULT_PYTHON=.venv/bin/python || DEFAULT_PYTHON=python
PYTHON=${PYTHON:-$DEFAULT_PYTHON}

PYTHONPATH="$(pwd):$PYTHONPATH" \
$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES --node_rank=$NODE_RANK --master_addr=$MASTER_ADDR \
    --nproc_per_node=$NPROCS --master_port=$PORT \
    tools/train.py "$CONFIG" --launcher pytorch "${@:3}"

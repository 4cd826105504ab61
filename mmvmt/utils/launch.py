"""Launching on machines with or without GPUs, the same commands on both.

mmengine 0.10.7 assumes a GPU when distributed: ``_init_dist_pytorch`` calls
``torch.cuda.set_device`` (an AttributeError on a CPU build of torch), configs ask for the
nccl backend, and the runner wraps the model in DDP with ``device_ids=[LOCAL_RANK]``, which
DDP refuses for a model on the CPU. Here we make ``tools/dist_train.sh CONFIG 2`` train with
two CPU processes over gloo instead.
"""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config


def load_config(path: str, *, launcher: str = 'none', cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """Read a config as the tools do: overrides merged, work dir resolved, device adapted.

    Args:
        path (str): The config file.
        launcher (str): 'none', 'pytorch', 'slurm' or 'mpi'. Defaults to 'none'.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        work_dir (str, optional): ``--work-dir``; else the config's, else
            ``./work_dirs/<config name>``.

    Returns:
        Config: The config, ready for ``Runner.from_cfg`` (after any further changes).
    """
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return adapt_env_cfg_to_device(cfg)


def adapt_env_cfg_to_device(cfg: Config) -> Config:
    """Adjust a config in place so that distributed runs work on CPU-only machines.

    Nothing changes when CUDA is available or the run is not distributed.

    Args:
        cfg (Config): The full config, with ``launcher`` already set.

    Returns:
        Config: The same object.
    """
    if torch.cuda.is_available() or cfg.get('launcher', 'none') == 'none':
        return cfg
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    wrapper_cfg = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_cfg['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper_cfg
    _skip_cuda_set_device_in_mmengine()
    return cfg


def _skip_cuda_set_device_in_mmengine() -> None:
    """Replace mmengine's pytorch-launcher initialiser by one that sets no CUDA device."""
    import mmengine.dist.utils as dist_utils
    from torch import distributed as torch_dist

    def init_dist_pytorch_cpu(backend: str, init_backend: str = 'torch', **kwargs) -> None:
        if init_backend != 'torch':
            raise NotImplementedError(
                f'init_backend={init_backend!r} needs a GPU; on CPU only "torch" works.')
        torch_dist.init_process_group(backend=backend, **kwargs)

    dist_utils._init_dist_pytorch = init_dist_pytorch_cpu

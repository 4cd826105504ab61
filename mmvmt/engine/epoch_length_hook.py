"""Log once, at the start of training, how many iterations an epoch has and where from."""
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmvmt.registry import HOOKS


def describe_dataset(dataset) -> str:
    """One line about what a training dataset's items are, looking into wrappers.

    Args:
        dataset: A dataset, possibly mmengine's ``ConcatDataset`` or an mmvmt wrapper.

    Returns:
        str: e.g. ``'19744 samples of FrameLevelDataset(HQYTVISDataset, one per frame)'``.
    """
    name = type(dataset).__name__
    parts = getattr(dataset, 'datasets', None)
    if parts is not None:
        inner = ' + '.join(describe_dataset(d) for d in parts)
        return f'{len(dataset)} samples of {name}[{inner}]'
    inner = getattr(dataset, 'dataset', None)
    if inner is not None:
        unit = {'FrameLevelDataset': ', one per frame',
                'PseudoVideoDataset': ', one pseudo-clip per image'}.get(name, '')
        return f'{len(dataset)} samples of {name}({type(inner).__name__}{unit})'
    if hasattr(dataset, 'get_len_per_video'):
        return f'{len(dataset)} samples of {name} (one per video)'
    return f'{len(dataset)} samples of {name}'


@HOOKS.register_module()
class EpochLengthHook(Hook):
    """Log the iterations per epoch of the train dataloader and what they come from.

    One line before training, e.g. ``An epoch is 1234 iterations: 19744 samples of
    FrameLevelDataset(HQYTVISDataset, one per frame) / 8 processes / batch 2
    (drop_last=True)``, so a run shows whether its epochs count frames (SeqFormer's recipe)
    or videos.
    """

    priority = 'VERY_LOW'

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        batch_size = loader.batch_size or loader.batch_sampler.batch_size
        drop_last = loader.drop_last if loader.batch_size else getattr(
            loader.batch_sampler, 'drop_last', False)
        world = get_world_size()
        print_log(f'An epoch is {len(loader)} iterations: {describe_dataset(loader.dataset)} '
                  f'/ {world} process{"es" if world > 1 else ""} / batch {batch_size} '
                  f'(drop_last={drop_last})', 'current')

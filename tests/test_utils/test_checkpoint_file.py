"""mmvmt.utils.checkpoint_file: every file that is not a checkpoint gets one named error."""
import argparse
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmvmt.utils import apply_compat_patches
from mmvmt.utils.checkpoint_file import CheckpointFileError, read_checkpoint


def good_checkpoint(path):
    """A checkpoint as mmvmt's runner writes it (the compat patch is on in every run)."""
    apply_compat_patches()
    state = dict(weight=torch.arange(6.).reshape(2, 3), bias=torch.zeros(2))
    torch.save(dict(meta=dict(epoch=1), state_dict=state,
                    message_hub=dict(log_scalars={'loss': HistoryBuffer([1.0, 2.0], [1, 1])})), path)
    return state


def test_an_mmengine_checkpoint_is_read_with_the_safe_loader(tmp_path):
    path = str(tmp_path / 'iter_10.pth')
    state = good_checkpoint(path)
    ckpt = read_checkpoint(path)
    assert ckpt['state_dict'].keys() == state.keys()
    assert torch.equal(ckpt['state_dict']['weight'], state['weight'])


def test_a_bare_state_dict_and_a_release_layout(tmp_path):
    torch.save(dict(w=torch.ones(1)), tmp_path / 'bare.pth')
    assert set(read_checkpoint(str(tmp_path / 'bare.pth'))) == {'w'}
    torch.save(dict(model=dict(w=torch.ones(1)), args=argparse.Namespace(lr=1)),
               tmp_path / 'release.pth')
    ckpt = read_checkpoint(str(tmp_path / 'release.pth'), state_key='model',
                           require_state_key=True, safe_globals=[argparse.Namespace])
    assert ckpt['args'].lr == 1
    with pytest.raises(CheckpointFileError, match=r"bare\.pth: has no 'model' entry \(keys: "
                       r"\['w'\]\)"):
        read_checkpoint(str(tmp_path / 'bare.pth'), state_key='model', require_state_key=True)


def _truncated(path, tmp_path):
    good_checkpoint(tmp_path / 'full.pth')
    data = (tmp_path / 'full.pth').read_bytes()
    path.write_bytes(data[:len(data) // 2])


@pytest.mark.parametrize('make, message', [
    (None, 'no such checkpoint file'),
    (lambda p, t: p.mkdir(), 'is a folder, not a checkpoint file'),
    (lambda p, t: p.write_bytes(b''), r'is empty; expected a checkpoint written by torch\.save'),
    (_truncated, 'cannot be read as a torch checkpoint'),
    (lambda p, t: p.write_text('model = dict(type="VMT")\n'),
     'cannot be read as a torch checkpoint'),
    (lambda p, t: p.write_bytes(b'\x80\x04K\x01.'), 'cannot be read .*Invalid magic number'),
    (lambda p, t: torch.save(1, p), r'holds a int; expected a dict'),
    (lambda p, t: torch.save([1, 2], p), r'holds a list; expected a dict'),
    (lambda p, t: torch.save(dict(state_dict=[torch.ones(1)]), p),
     r"its 'state_dict' entry is a list; expected a state dict"),
    (lambda p, t: torch.save(dict(state_dict={}), p), r"its 'state_dict' entry is empty"),
    (lambda p, t: torch.save(dict(state_dict=dict(w=1.0)), p),
     r"its 'state_dict' entry maps 'w' to a float"),
    (lambda p, t: p.write_bytes(pickle.dumps(argparse.Namespace(a=1))),
     r'cannot be read .*UnpicklingError: Weights only load failed'),
])
def test_each_kind_of_bad_file_is_named_with_what_was_expected(tmp_path, make, message):
    path = tmp_path / 'bad.pth'
    if make is not None:
        make(path, tmp_path)
    with pytest.raises(CheckpointFileError, match=f'^{path}: {message}'):
        read_checkpoint(str(path))

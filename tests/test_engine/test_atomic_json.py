"""dump_json_atomic: the file appears whole, is never replaced unless asked, and gets the
mode of an ordinary new file (0o666 less the umask)."""
import json
import os
import stat

import pytest

from mmvmt.engine.atomic_json import dump_json_atomic


@pytest.fixture
def umask():
    """Set the umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize('mask', [0o022, 0o002, 0o077])
@pytest.mark.parametrize('overwrite', [False, True])
def test_mode_follows_the_umask(tmp_path, umask, mask, overwrite):
    umask(mask)
    path = tmp_path / 'sub' / 'a.json'
    dump_json_atomic(dict(a=1), str(path), overwrite=overwrite)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert json.loads(path.read_text()) == dict(a=1)
    assert os.listdir(path.parent) == ['a.json']


def test_existing_file_is_kept_unless_overwrite(tmp_path):
    path = tmp_path / 'a.json'
    dump_json_atomic([1], str(path))
    with pytest.raises(FileExistsError):
        dump_json_atomic([2], str(path))
    assert json.loads(path.read_text()) == [1]
    dump_json_atomic([3], str(path), overwrite=True)
    assert json.loads(path.read_text()) == [3]

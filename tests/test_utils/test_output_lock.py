"""One writer per output: the lock refuses a second holder, and a dead holder's lock is free."""
import os
import subprocess
import sys

import pytest

from mmvmt.utils.output_lock import OutputLockedError, lock_path, output_lock


def test_a_second_holder_is_refused_naming_the_file_and_the_pid(tmp_path):
    out = str(tmp_path / 'new' / 'out.json')  # its folder is made
    with output_lock(out) as path:
        assert path == out + '.lock' == lock_path(out)
        assert open(path).read() == f'{os.getpid()}\n'
        # Another open file description conflicts, in this process as in any other.
        with pytest.raises(OutputLockedError,
                           match=rf'^{path} is held by process {os.getpid()}:'):
            with output_lock(out):
                pass
        assert open(path).read() == f'{os.getpid()}\n'  # the refused one wrote nothing
    assert not os.path.exists(path)
    with output_lock(out):  # free again
        pass


def test_the_lock_file_of_a_dead_process_is_taken_over(tmp_path):
    out = str(tmp_path / 'out.json')
    # A holder killed without cleaning up: its lock file stays, with its pid.
    code = ('import os, sys; from mmvmt.utils.output_lock import output_lock\n'
            f'held = output_lock({out!r}); held.__enter__(); os._exit(0)')
    dead = subprocess.run([sys.executable, '-c', code], env=os.environ.copy())
    assert dead.returncode == 0 and os.path.exists(out + '.lock')
    with output_lock(out) as path:
        assert open(path).read() == f'{os.getpid()}\n'
    assert not os.path.exists(path)


def test_a_live_holder_in_another_process_is_named(tmp_path):
    out = str(tmp_path / 'out.json')
    code = ('import sys; from mmvmt.utils.output_lock import output_lock\n'
            f'with output_lock({out!r}):\n'
            '    print("held", flush=True); sys.stdin.readline()')
    holder = subprocess.Popen([sys.executable, '-c', code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == 'held\n'
        with pytest.raises(OutputLockedError, match=rf'held by process {holder.pid}:'):
            with output_lock(out):
                pass
    finally:
        holder.communicate('\n', timeout=60)
    assert holder.returncode == 0 and not os.path.exists(out + '.lock')

"""Issue 23: the self-correction and the result refiner read no frame outside the image root.

The frames named here exist (copies of a real frame), so a reader that skipped the rule of
``mmvmt.structures.frame_names`` would open them; each reader must refuse before any work.
"""
import json
import shutil

import pytest

from mmvmt.engine import AnnotationCorrector, ResultRefiner, check_correction_input
from mmvmt.structures import YTVISFormatError


@pytest.fixture(params=['absolute', 'parent'])
def outside_name(request, coarse_file, tmp_path):
    """The input file with frame 1 of video 0 renamed to an existing file outside the root."""
    in_file, img_root = coarse_file
    official = json.loads(in_file.read_text())
    video = official['videos'][0]
    outside = tmp_path / 'outside.jpg'
    shutil.copy(img_root / video['file_names'][1], outside)
    video['file_names'][1] = str(outside) if request.param == 'absolute' else \
        '../' * (len(img_root.relative_to(tmp_path.parent).parts) + 1) + \
        str(outside.relative_to(tmp_path.parent.parent))
    assert (img_root / video['file_names'][1]).resolve() == outside.resolve()
    in_file.write_text(json.dumps(official))
    return in_file, img_root, official, video


def test_self_correction_refuses_before_training(outside_name):
    in_file, img_root, _, video = outside_name
    with pytest.raises(YTVISFormatError, match=rf'{in_file}: videos\[0\] \(id {video["id"]}\) '
                       r'file_names\[1\]: .* leads outside the image folder'):
        check_correction_input(AnnotationCorrector(), str(in_file), str(img_root))


def test_correcting_a_video_that_skipped_the_check_refuses_too(outside_name):
    in_file, img_root, official, video = outside_name
    anns = [a for a in official['annotations'] if a['video_id'] == video['id']]
    with pytest.raises(YTVISFormatError, match=rf'video {video["id"]} file_names\[1\]: .* '
                       'leads outside the image folder'):
        AnnotationCorrector().correct_video(None, video, anns, str(img_root), str(in_file))


def test_the_result_refiner_refuses_before_any_work(outside_name, tmp_path):
    in_file, _, official, video = outside_name
    results = tmp_path / 'results.json'
    results.write_text(json.dumps([]))
    with pytest.raises(YTVISFormatError, match=rf'{in_file}: videos\[0\] \(id {video["id"]}\) '
                       r'file_names\[1\]: .* leads outside the image folder'):
        ResultRefiner.check_inputs(str(in_file), str(results))

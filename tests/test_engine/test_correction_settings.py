"""The corrector's settings: one set of defaults, one check, the same error wherever they enter."""
import math

import pytest
import torch

from mmvmt.engine import (AnnotationCorrectionHook, AnnotationCorrector, CorrectionSettings,
                          CorrectionSettingsError, ResultRefiner, ResultRefinementHook,
                          correct_video_masks)

BAD = [(dict(conf_thr=0.49), r'conf_thr must be a number in \[0.5, 1\), got 0.49'),
       (dict(conf_thr=1.0), r'conf_thr must be a number in \[0.5, 1\), got 1.0'),
       (dict(conf_thr=2.0), r'conf_thr .* got 2.0'),
       (dict(conf_thr=math.nan), r'conf_thr .* got nan'),
       (dict(conf_thr=math.inf), r'conf_thr .* got inf'),
       (dict(conf_thr='0.7'), r"conf_thr .* got '0.7'"),
       (dict(conf_thr=True), r'conf_thr .* got True'),
       (dict(remove_thr=0.4), r'remove_thr .* got 0.4'),
       (dict(remove_thr=math.nan), r'remove_thr .* got nan'),
       (dict(max_tracks_per_pass=0), r'max_tracks_per_pass must be a whole number >= 1, got 0'),
       (dict(max_tracks_per_pass=1.5), r'max_tracks_per_pass .* got 1.5'),
       (dict(max_tracks_per_pass=-3), r'max_tracks_per_pass .* got -3')]


@pytest.mark.parametrize('given, message', BAD)
def test_a_bad_setting_is_one_error_wherever_it_enters(given, message):
    with pytest.raises(CorrectionSettingsError, match=f'^{message}'):
        CorrectionSettings(**given)
    with pytest.raises(CorrectionSettingsError, match=f'^{message}'):
        CorrectionSettings.from_config(given)
    with pytest.raises(CorrectionSettingsError, match=f'^{message}'):
        AnnotationCorrector(**given)
    with pytest.raises(CorrectionSettingsError, match=f'^{message}'):
        ResultRefiner(**given)
    with pytest.raises(CorrectionSettingsError, match=f'^{message}'):
        AnnotationCorrectionHook('in.json', 'img', **given)
    with pytest.raises(CorrectionSettingsError, match=f'^{message}'):
        ResultRefinementHook('refiner.py', 'refiner.pth', **given)
    with pytest.raises(CorrectionSettingsError, match=f'^{message}'):
        _correct_one_frame(**given)


def _correct_one_frame(**given):
    frames = torch.zeros(1, 3, 2, 2, dtype=torch.uint8)
    return correct_video_masks(None, frames, torch.zeros(1, 1, 2, 2, dtype=torch.bool),
                               **given)


def test_the_bounds_and_the_defaults():
    assert CorrectionSettings(conf_thr=0.5, remove_thr=0.999, max_tracks_per_pass=1) == \
        CorrectionSettings(conf_thr=0.5, remove_thr=0.999, max_tracks_per_pass=1.0)
    # The paper's threshold, its symmetric rule and a pass of 8 tracks, for every owner.
    default = CorrectionSettings()
    assert (default.conf_thr, default.remove_thr, default.max_tracks_per_pass) == \
        (0.65, None, 8)
    corrector = AnnotationCorrector()
    assert corrector.settings == default and ResultRefiner().loader.settings == default
    assert AnnotationCorrectionHook('in.json', 'img').corrector.settings == default
    assert ResultRefinementHook('r.py', 'r.pth').refiner.loader.settings == default
    # A config section gives what it sets; None (an unset key) takes the default.
    assert CorrectionSettings.from_config(dict(conf_thr=0.7, remove_thr=None, other=1)) == \
        CorrectionSettings(conf_thr=0.7)
    with pytest.raises(TypeError):
        CorrectionSettings(0.7)  # keyword-only

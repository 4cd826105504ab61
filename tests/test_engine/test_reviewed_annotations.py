"""mmvmt/engine/reviewed_annotations.py and structures/review_decisions.py: a review's merge."""
import json

import pytest

from mmvmt.engine import apply_review, corrected_annotations, file_sha256, provenance_path
from mmvmt.structures import YTVISFormatError


@pytest.fixture
def files(ytvis, tmp_path):
    """coarse.json (tests/conftest.py's file) and corrected.json: boxes of known areas."""
    coarse = ytvis.official()
    box = ytvis.box_mask
    corrected = corrected_annotations(coarse, {
        7: [ytvis.compressed_rle(box(2, 2, 9, 9)), None, ytvis.compressed_rle(box(4, 4, 10, 10))],
        9: [ytvis.compressed_rle(box(10, 4, 21, 12))] * 3})
    paths = {}
    for name, content in (('coarse', coarse), ('corrected', corrected)):
        paths[name] = tmp_path / f'{name}.json'
        paths[name].write_text(json.dumps(content))
    paths['dir'] = tmp_path
    return paths


def review(files, tracks, name='merged.json', **extra):
    decisions = files['dir'] / f'{name}.decisions.json'
    decisions.write_text(json.dumps(dict(format='mmvmt-review-decisions', version=1,
                                         tracks=tracks, **extra)))
    out = files['dir'] / name
    prov = apply_review(str(files['coarse']), str(files['corrected']), str(decisions), str(out))
    return json.loads(out.read_text()), prov


def load(path):
    return json.loads(path.read_text())


def test_all_accept_is_the_corrected_file_all_reject_the_coarse_one(files):
    merged, prov = review(files, {'7': 'accept', '9': 'accept'}, 'accepted.json')
    assert merged == load(files['corrected'])
    assert (prov['tracks_accepted'], prov['tracks_rejected'], prov['frames_accepted']) == \
        (2, 0, 6)
    merged, _ = review(files, {'7': 'reject', '9': 'reject'}, 'rejected.json')
    assert merged == load(files['coarse'])
    merged, prov = review(files, {}, 'undecided.json')  # not listed: kept coarse
    assert merged == load(files['coarse']) and prov['tracks_rejected'] == 2


def test_mixed_tracks_and_frames_by_hand(files):
    coarse, corrected = load(files['coarse']), load(files['corrected'])
    merged, prov = review(files, {'7': {'decision': 'reject', 'frames': {'0': 'accept'}},
                                  '9': {'decision': 'accept', 'frames': {'1': 'reject'}}})
    t7, t9 = merged['annotations']
    c7, c9 = coarse['annotations']
    f7, f9 = corrected['annotations']
    assert t7['segmentations'] == [f7['segmentations'][0], None, c7['segmentations'][2]]
    assert t7['areas'] == [49, None, 30]  # 7 x 7 corrected box; coarse 5 x 6 box
    assert t7['bboxes'] == [[2.0, 2.0, 7.0, 7.0], None, [4.0, 4.0, 5.0, 6.0]]
    assert t9['segmentations'] == [f9['segmentations'][0], c9['segmentations'][1],
                                   f9['segmentations'][2]]
    assert t9['areas'] == [88, 80, 88]  # corrected 11 x 8; coarse 10 x 8 (uncompressed RLE)
    assert (t7['id'], t7['category_id'], t9['id']) == (7, 2, 9)
    assert (prov['tracks_mixed'], prov['frames_accepted'], prov['frames_rejected']) == (2, 3, 3)


def test_provenance_names_the_inputs_with_their_hashes(files):
    _, prov = review(files, {'7': 'accept'})
    written = json.loads(open(provenance_path(str(files['dir'] / 'merged.json'))).read())
    assert written == prov
    assert prov['coarse_sha256'] == file_sha256(str(files['coarse']))
    assert prov['corrected_sha256'] == file_sha256(str(files['corrected']))
    assert prov['decisions_file'].endswith('merged.json.decisions.json')
    assert prov['corrected_provenance'] is None


def test_decisions_made_on_another_file_are_refused(files):
    with pytest.raises(YTVISFormatError, match='corrected_sha256: the decisions were made on '
                       'another file than'):
        review(files, {}, corrected_sha256='0' * 64,
               coarse_sha256=file_sha256(str(files['coarse'])))


@pytest.mark.parametrize('tracks, match', [
    ({'8': 'accept'}, r"tracks\['8'\]: unknown track id"),
    ({'07': 'accept'}, r"tracks\['07'\]: unknown track id"),
    ({'x': 'accept'}, r"tracks\['x'\]: unknown track id"),
    ({'7': 'yes'}, r"tracks\['7'\]: expected \"accept\" or \"reject\", got 'yes'"),
    ({'7': {'frames': {'3': 'accept'}}}, r"tracks\['7'\] frames\['3'\]: expected a frame "
     r'index in \[0, 2\]'),
    ({'7': {'frames': {'1': None}}}, r"tracks\['7'\] frames\['1'\]: expected \"accept\" or "
     r'\"reject\"'),
    ({'7': {'frames': []}}, r"tracks\['7'\] frames: must be an object"),
    ({'7': {'decison': 'accept'}}, r"tracks\['7'\]: unknown key\(s\) \['decison'\]"),
    ([], 'tracks: must be an object'),
])
def test_bad_decisions_name_the_file_and_entry(files, tracks, match):
    with pytest.raises(YTVISFormatError, match=r'merged.json.decisions.json: ' + match):
        review(files, tracks)
    assert not (files['dir'] / 'merged.json').exists()


def test_decisions_of_another_format_are_refused(files):
    (files['dir'] / 'd.json').write_text(json.dumps({'7': 'accept'}))
    with pytest.raises(YTVISFormatError, match=r'd.json: expected an object with "format"'):
        apply_review(str(files['coarse']), str(files['corrected']),
                     str(files['dir'] / 'd.json'), str(files['dir'] / 'm.json'))


def test_a_corrected_file_with_other_tracks_is_refused(files):
    corrected = load(files['corrected'])
    corrected['annotations'][1]['id'] = 10
    files['corrected'].write_text(json.dumps(corrected))
    with pytest.raises(YTVISFormatError, match='corrected.json: annotations: has no track id 9'):
        review(files, {})


def test_an_existing_output_is_never_overwritten(files):
    (files['dir'] / 'merged.json').write_text('{}')
    with pytest.raises(FileExistsError):
        review(files, {})
    assert (files['dir'] / 'merged.json').read_text() == '{}'

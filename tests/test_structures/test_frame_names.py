import pytest

from mmvmt.structures import (YTVISFormatError, check_file_names, file_name_problem,
                              read_ytvis_annotations, ytvis_to_cocovid)


@pytest.mark.parametrize('name', ['vid/00000.jpg', './a.jpg', '..a/b.jpg', 'a../b', 'v/x..jpg',
                                  'a\\..\\b.jpg'])  # backslash is a plain character here
def test_names_that_descend_from_the_folder_follow_the_rule(name):
    assert file_name_problem(name) is None


@pytest.mark.parametrize('name', ['..', '../a.jpg', 'vid/../../a.jpg', 'vid/../vid/0.jpg',
                                  'vid/..', '/etc/passwd', '//server/x.jpg'])
def test_absolute_names_and_dot_dot_parts_lead_outside(name):
    # Even 'vid/../vid/0.jpg': if 'vid' is a link, the OS resolves '..' from its target.
    assert 'leads outside the image folder' in file_name_problem(name)
    assert file_name_problem(name, inside_root=False) is None


@pytest.mark.parametrize('name, message', [
    ('a\0b.jpg', 'NUL character'), ('', 'non-empty string'), (None, 'non-empty string'),
    (7, 'non-empty string')])
def test_nul_and_non_strings_are_refused_even_outside_the_root(name, message):
    for inside_root in (True, False):
        assert message in file_name_problem(name, inside_root)


def test_the_first_bad_entry_is_named():
    check_file_names(['a/0.jpg', 'a/1.jpg'], 'x.json', 'videos[0] (id 3)')
    with pytest.raises(YTVISFormatError, match=r'^x\.json: videos\[0\] \(id 3\) '
                       r'file_names\[1\]: \'/abs\.jpg\' leads outside'):
        check_file_names(['a/0.jpg', '/abs.jpg', '../b.jpg'], 'x.json', 'videos[0] (id 3)')


def _video_file(name):
    return dict(videos=[dict(id=1, height=4, width=4, file_names=['v/0.jpg', name])],
                categories=[dict(id=1, name='a')], annotations=[])


@pytest.mark.parametrize('name', ['/etc/passwd', '../../secret.jpg', 'v/\0.jpg'])
def test_every_reader_of_the_format_applies_the_rule(name):
    for read in (read_ytvis_annotations, ytvis_to_cocovid):
        with pytest.raises(YTVISFormatError, match=r'^gt\.json: videos\[0\] \(id 1\) '
                           r'file_names\[1\]: '):
            read(_video_file(name), 'gt.json')


def test_allow_outside_root_keeps_the_nul_rule():
    assert read_ytvis_annotations(_video_file('/abs/1.jpg'), 'gt.json',
                                  allow_outside_root=True).videos[1].file_names[1] == '/abs/1.jpg'
    with pytest.raises(YTVISFormatError, match='NUL'):
        ytvis_to_cocovid(_video_file('a\0'), 'gt.json', allow_outside_root=True)

"""`mmvmt::` config paths: the package's .mim folder (setup.py) and mmengine's lookup."""
import importlib.util
import os
import os.path as osp
import shutil
import subprocess
import sys

import mmengine.config.config as config_module
from mmengine.config import Config

import mmvmt

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_setup_module(root):
    spec = importlib.util.spec_from_file_location('mmvmt_setup', osp.join(root, 'setup.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # setup() runs only under __main__
    return module


def copy_tree(tmp_path):
    for name in ('setup.py', 'model-index.yml'):
        shutil.copy(osp.join(ROOT, name), tmp_path / name)
    for name in ('configs', 'tools', 'demo'):
        shutil.copytree(osp.join(ROOT, name), tmp_path / name,
                        ignore=shutil.ignore_patterns('__pycache__'))
    (tmp_path / 'mmvmt').mkdir()
    return tmp_path


def test_wheel_builds_copy_and_editable_installs_link(tmp_path, monkeypatch):
    root = copy_tree(tmp_path)
    setup = load_setup_module(str(root))
    monkeypatch.setattr(sys, 'argv', ['setup.py', 'bdist_wheel'])
    setup.add_mim_extension()
    mim = root / 'mmvmt' / '.mim'
    assert (mim / 'configs' / 'vmt' / 'vmt_tiny_r18_1xb2-toy_vis.py').is_file()
    assert not (mim / 'configs').is_symlink() and (mim / 'model-index.yml').is_file()
    assert (mim / 'tools' / 'train.py').is_file() and (mim / 'demo' / 'video_demo.py').is_file()
    monkeypatch.setattr(sys, 'argv', ['setup.py', 'editable_wheel'])
    setup.add_mim_extension()
    assert (mim / 'configs').is_symlink()
    assert osp.samefile(mim / 'configs', root / 'configs')


def test_mmvmt_base_config_resolves_through_the_package(tmp_path, monkeypatch):
    # What an installed mmvmt offers: <package>/.mim/configs. Here a fake installed package
    # (a .mim folder next to a copy of the package) stands in for site-packages.
    package = tmp_path / 'site' / 'mmvmt'
    package.mkdir(parents=True)
    (package / '.mim').mkdir()
    os.symlink(osp.join(ROOT, 'configs'), package / '.mim' / 'configs')
    shutil.copy(osp.join(ROOT, 'model-index.yml'), package / '.mim' / 'model-index.yml')
    original = config_module.get_installed_path
    monkeypatch.setattr(config_module, 'get_installed_path',
                        lambda name: str(package) if name == 'mmvmt' else original(name))
    cfg_file = tmp_path / 'user_cfg.py'
    cfg_file.write_text("_base_ = 'mmvmt::vmt/vmt_tiny_r18_1xb2-toy_vis.py'\n"
                        'model = dict(num_queries=5)\n')
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.model.type == 'VideoMaskTransfiner' and cfg.model.num_queries == 5
    assert cfg.model.bbox_head.num_classes == 3  # from the mmvmt base config


def test_editable_install_path_falls_back_to_the_imported_package():
    # PEP 660 editable installs: mmengine answers site-packages/mmvmt, which does not exist.
    path = config_module.get_installed_path('mmvmt')
    assert osp.isdir(path) and osp.samefile(path, osp.dirname(mmvmt.__file__))


def test_importing_mmvmt_before_mmengine_registers_when_mmengine_loads():
    # `import mmvmt` must not import mmengine (the offline tools start without it), yet
    # `mmvmt::` must resolve once mmengine's config module is imported afterwards.
    script = ('import sys, mmvmt; assert "mmengine" not in sys.modules; '
              'import mmengine.config.config as config_module; '
              'from mmengine.config.utils import MODULE2PACKAGE; '
              'print(MODULE2PACKAGE.get("mmvmt")); '
              'print(config_module.get_installed_path("mmvmt"))')
    out = subprocess.run([sys.executable, '-W', 'ignore', '-c', script], capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=ROOT), check=True)
    name, path = out.stdout.splitlines()
    assert name == 'mmvmt' and osp.samefile(path, osp.dirname(mmvmt.__file__))

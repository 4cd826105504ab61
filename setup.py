"""Install mmvmt. The OpenMMLab stack (torch, mmcv with ops, mmengine, mmdet) is set up by
``make setup`` (tools/setup_env.sh): mmcv 2.1.0 has no prebuilt wheel for current torch and
must be compiled, which pip's dependency resolution cannot do for you.

Like mmdet, the package carries its configs, tools and demo under ``mmvmt/.mim/`` (copied into
wheels and sdists, linked in editable installs), so that an installed mmvmt resolves
``_base_ = 'mmvmt::vmt/vmt_tiny_r18_1xb2-toy_vis.py'`` and its inferencer finds configs by name.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'demo', 'model-index.yml')


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(HERE, 'mmvmt', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def read_requirements(name: str) -> list:
    with open(osp.join(HERE, 'requirements', name)) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


def add_mim_extension() -> None:
    """Put configs, tools, demo and the model index under mmvmt/.mim: copies for wheels and
    sdists, links for editable installs (so edits to configs/ show at once); nothing for
    other commands."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'copy' if os.name == 'nt' else 'symlink'
    elif 'sdist' in sys.argv or 'bdist_wheel' in sys.argv:
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'mmvmt', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(HERE, name), osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isfile(src):
            shutil.copyfile(src, dst)
        else:
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmvmt',
        version=read_version(),
        description='Video Mask Transfiner and HQ-YTVIS benchmark tools for OpenMMLab 2.0',
        long_description=open(osp.join(HERE, 'README.md')).read()
        if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        author='mmvmt contributors',
        keywords='computer vision, video instance segmentation, video mask transfiner, '
        'openmmlab',
        license='Apache License 2.0',
        classifiers=[
            'Development Status :: 4 - Beta',
            'Intended Audience :: Science/Research',
            'License :: OSI Approved :: Apache Software License',
            'Operating System :: OS Independent',
            'Programming Language :: Python :: 3',
            'Programming Language :: Python :: 3.8',
            'Programming Language :: Python :: 3.9',
            'Programming Language :: Python :: 3.10',
            'Programming Language :: Python :: 3.11',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
            'Topic :: Scientific/Engineering :: Image Recognition',
        ],
        packages=find_packages(exclude=('configs', 'tools', 'demo', 'tests', 'data')),
        include_package_data=True,
        python_requires='>=3.8',
        install_requires=read_requirements('runtime.txt'),
        extras_require={
            'mim': read_requirements('mminstall.txt'),
            'tests': read_requirements('tests.txt'),
            'bdd100k': read_requirements('optional.txt'),
        },
        zip_safe=False,
    )

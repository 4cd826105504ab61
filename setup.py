"""Install mmvmt. The OpenMMLab stack (torch, mmcv with ops, mmengine, mmdet) is set up by
``make setup`` (tools/setup_env.sh): mmcv 2.1.0 has no prebuilt wheel for current torch and
must be compiled, which pip's dependency resolution cannot do for you."""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(osp.dirname(__file__), 'mmvmt', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def read_requirements(name: str) -> list:
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='mmvmt',
    version=read_version(),
    description='Video Mask Transfiner and HQ-YTVIS benchmark tools for OpenMMLab 2.0',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'data')),
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'mim': read_requirements('mminstall.txt'),
        'tests': read_requirements('tests.txt'),
        'bdd100k': read_requirements('optional.txt'),
    },
    zip_safe=False,
)

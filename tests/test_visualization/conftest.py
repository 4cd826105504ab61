import pytest
from mmengine.visualization import Visualizer

from mmvmt.visualization import VISLocalVisualizer


@pytest.fixture(autouse=True)
def forget_visualizers():
    """Drop the visualizers a test creates: mmengine keeps them per process, and the latest
    one is what hooks of later runners in this process would draw with."""
    classes = (Visualizer, VISLocalVisualizer)
    before = {cls: set(cls._instance_dict) for cls in classes}
    yield
    for cls in classes:
        for name in set(cls._instance_dict) - before[cls]:
            cls._instance_dict.pop(name)

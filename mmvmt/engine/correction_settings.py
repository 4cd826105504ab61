"""The settings of a mask correction, declared and checked in one place.

Every tool and hook that corrects masks with the refiner (:class:`AnnotationCorrector`,
:class:`ResultRefiner`, their hooks, the self-correction driver, ``tools/refine_results.py``)
takes its defaults from :class:`CorrectionSettings` and has its values checked by it, so a
threshold of 2.0 or NaN, or ``max_tracks_per_pass=0``, is one clear error wherever it enters
(a tool's option, a config's ``self_correction`` section, a hook's arguments).
"""
import math
from dataclasses import dataclass, fields
from numbers import Real
from typing import Any, Mapping, Optional


class CorrectionSettingsError(ValueError):
    """A correction setting out of its range."""


@dataclass(frozen=True, kw_only=True)
class CorrectionSettings:
    """How the refiner's labels are taken (see :mod:`~mmvmt.engine.confident_relabel`).

    Args:
        conf_thr (float): A label changes only where the refiner's confidence
            ``max(p, 1 - p)`` exceeds this; in [0.5, 1) (below 0.5 every label would pass,
            at 1 none). Defaults to 0.65 (the paper's).
        remove_thr (float, optional): The confidence a removal of the coarse (or result's)
            foreground needs, in [0.5, 1). Defaults to None (``conf_thr``: the paper's
            symmetric rule).
        max_tracks_per_pass (int): Tracks refined together, >= 1 (a memory bound).
            Defaults to 8.

    Raises:
        CorrectionSettingsError: If a value is not a number of its range (NaN included).
    """

    conf_thr: float = 0.65
    remove_thr: Optional[float] = None
    max_tracks_per_pass: int = 8

    def __post_init__(self) -> None:
        for name in ('conf_thr', 'remove_thr'):
            thr = getattr(self, name)
            if thr is None and name == 'remove_thr':
                continue
            if not _is_number(thr) or not 0.5 <= thr < 1:
                raise CorrectionSettingsError(
                    f'{name} must be a number in [0.5, 1), got {thr!r}: a confidence is '
                    'max(p, 1 - p) >= 0.5')
            object.__setattr__(self, name, float(thr))
        tracks = self.max_tracks_per_pass
        if not (_is_number(tracks) and tracks == int(tracks) and tracks >= 1):
            raise CorrectionSettingsError(
                f'max_tracks_per_pass must be a whole number >= 1, got {tracks!r}')
        object.__setattr__(self, 'max_tracks_per_pass', int(tracks))

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> 'CorrectionSettings':
        """The settings given in a config section (e.g. ``self_correction``), defaults for
        the others."""
        return cls(**{f.name: section[f.name] for f in fields(cls)
                      if section.get(f.name) is not None})


def _is_number(value: Any) -> bool:
    """A finite real number, not a bool."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)

